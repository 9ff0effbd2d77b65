"""`openhands-zai:docker`: where and how the Docker target runs the OpenHands server."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from ..errors import Hint
from ..fields import IpAddress, Port, SettingsModel, problem

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Variables the renderer owns; an extraEnv entry would silently shadow the typed settings.
_OWNED_ENV = re.compile(r"^(LLM_.*|OPENHANDS_PROVIDER_BASE_URL|DEBUG|LOG_ALL_EVENTS|DEBUG_LLM|"
                        r"OH_PERSISTENCE_DIR|AGENT_SERVER_IMAGE_.*|ZAI_API_KEY|JWT_SECRET|OH_SECRET_KEY|OH_AGENT_SERVER_ENV|"
                        r"SANDBOX_HOST_PORT|LITELLM_LOCAL_MODEL_COST_MAP)$")

DockerName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"),
                       Hint("a Docker name (letters, digits, '_', '.', '-')")]


def _env_name(name: str) -> str:
    if not _ENV_NAME.match(name):
        raise problem("is not a valid environment variable name")
    if _OWNED_ENV.match(name):
        raise problem("is set by the bundle from the typed settings (profiles, zaiEndpoint, debug, release); "
                      "change those instead")
    return name


def _env_value(value: Any) -> Any:
    # Docker takes text; YAML gives numbers and flags where a user means their text.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (int, float)) else value


EnvName = Annotated[str, AfterValidator(_env_name)]
EnvValue = Annotated[str, BeforeValidator(_env_value), Hint("a string")]


class DockerSettings(SettingsModel):
    """The Docker host, the published port, the container and its state volume."""

    host: Annotated[str, Field(pattern=r"^(unix:///\S+|ssh://([^\s/@]+@)?[^\s/@]+)$"),
                    Hint("a local socket (unix:///var/run/docker.sock) or ssh://[user@]host[:port]")] = Field(
        "unix:///var/run/docker.sock", description=(
        "The Docker daemon: the local socket, or ssh://[user@]host[:port] for a remote host (your SSH "
        "agent and known_hosts)."))
    port: Port = Field(3000, description=(
        "The port the OpenHands UI is published on."))
    listen_address: IpAddress = Field("127.0.0.1", description=(
        "The address the port is published on: loopback by default, so only the host itself (or an SSH "
        "tunnel) reaches the UI; 0.0.0.0 publishes it to every network the host is on (the plan warns)."))
    # Docker's default bridge gateway (docker0): sandboxes reach the app there as
    # host.docker.internal. Set it when the daemon's bridge uses another address (`bip`).
    sandbox_gateway: IpAddress = Field("172.17.0.1", description=(
        "The Docker bridge gateway address (docker0) where agent-server sandboxes call the app back; "
        "the app port is published there as well as on listenAddress."))
    state_volume: DockerName = Field("openhands-state", description=(
        "The named volume holding OpenHands' state (settings, secrets, conversations): kept across "
        "upgrades, and `pulumi destroy` leaves it in place."))
    container_name: DockerName = Field("openhands-app", description=(
        "The server container's name (instances append -<name>)."))
    extra_env: Annotated[dict[EnvName, EnvValue], Hint("a map of variable name to string value")] = Field(
        default_factory=dict, description=(
        "More environment variables for the server container. Variables the bundle owns (LLM_*, DEBUG*, "
        "OH_PERSISTENCE_DIR, AGENT_SERVER_IMAGE_*, JWT_SECRET, OH_SECRET_KEY, OH_AGENT_SERVER_ENV, "
        "SANDBOX_HOST_PORT, LITELLM_LOCAL_MODEL_COST_MAP) are refused: change the typed setting instead."))
