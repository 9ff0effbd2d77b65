"""Pure planning for the Docker target: the container's env, labels, healthcheck and URL.

No resources here; `component.py` declares them from these values.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..containers import http_probe
from ..llm.plan import LlmRoute, render_env, settings_fingerprint
from ..llm.settings import DebugSettings, LlmSettings
from ..release import JWT_SECRET, OFFLINE_COST_MAP, OpenHandsRelease, agent_server_env
from .settings import DockerSettings


def container_env(llm: LlmSettings, debug: DebugSettings, release: OpenHandsRelease,
                  docker_settings: DockerSettings, api_key: str, jwt_secret: str, agent_secret_key: str,
                  route: LlmRoute | None = None) -> list[str]:
    """The container's sorted `KEY=value` list: the typed settings plus `docker.extraEnv`.

    `api_key` is what OpenHands sends with its LLM calls: the Z.AI key, or the gateway's key
    when `route` leads to the gateway.

    Validation refuses extraEnv names the typed settings own, so neither shadows the other.
    """
    env = {
        **docker_settings.extra_env,
        **render_env(llm, debug, api_key, route),
        **OFFLINE_COST_MAP,
        # Pin where the server keeps settings.json, so the uploaded file is the one it reads.
        "OH_PERSISTENCE_DIR": release.state_dir,
        "AGENT_SERVER_IMAGE_REPOSITORY": release.agent_server_repository,
        "AGENT_SERVER_IMAGE_TAG": release.agent_server_tag,
        # Sandboxes call the app back (MCP at /mcp/mcp, webhooks at /api/v1/webhooks) at
        # http://host.docker.internal:<this port>; the component publishes it on the bridge gateway.
        "SANDBOX_HOST_PORT": str(docker_settings.port),
        JWT_SECRET: jwt_secret,
        "OH_AGENT_SERVER_ENV": agent_server_env(agent_secret_key),
    }
    return [f"{name}={value}" for name, value in sorted(env.items())]


def container_labels(llm: LlmSettings, release: OpenHandsRelease, debug: DebugSettings,
                     extra: dict[str, str], route: LlmRoute | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(labels that never change, for the volume; the container's labels)."""
    stable = {"app.kubernetes.io/name": "openhands", **extra}
    return stable, {
        **stable,
        "openhands-zai.version": release.version,
        # Changes with any rendered setting (never with the key): shows why a container was replaced.
        "openhands-zai.settings-sha256": settings_fingerprint(llm, release, debug, route),
    }


def healthcheck_command(release: OpenHandsRelease) -> list[str]:
    return http_probe(release.port, release.health_path)


def host_addresses(docker_settings: DockerSettings) -> list[str]:
    """Where a server on this host is published: where browsers (or the operator) reach it, and
    where sandboxes do.

    Sandboxes on the Docker bridge reach the host at `host.docker.internal` (host-gateway, the
    bridge's gateway address): a port published on 127.0.0.1 alone refuses their calls, so it is
    published on the gateway too, which only the host and its containers can reach.
    """
    addresses = [docker_settings.listen_address]
    if docker_settings.sandbox_gateway not in addresses and docker_settings.listen_address not in ("0.0.0.0", "::"):
        addresses.append(docker_settings.sandbox_gateway)
    return addresses


def published_ports(release: OpenHandsRelease, docker_settings: DockerSettings) -> list[tuple[str, int, int]]:
    """(host address, host port, container port) of the app: its UI, and its callbacks from sandboxes."""
    return [(address, docker_settings.port, release.port) for address in host_addresses(docker_settings)]


def browser_url(docker_settings: DockerSettings) -> str:
    """Where a browser reaches the UI: the published address, or the SSH host when it listens wide."""
    host = docker_settings.listen_address
    if docker_settings.host.startswith("ssh://"):
        remote = urlsplit(docker_settings.host).hostname or "localhost"
        host = remote if host in ("0.0.0.0", "::") else host
    elif host in ("0.0.0.0", "::"):
        host = "localhost"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{docker_settings.port}"
