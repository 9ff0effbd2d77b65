"""OpenHandsContainer: OpenHands as one Docker container, configured for Z.AI GLM.

Equivalent to the documented `docker run` of the pinned release: port 3000, the Docker
socket (the server starts agent-server sandboxes beside itself), a named volume for the
state directory, `host.docker.internal:host-gateway`, the agent-server image variables,
restart `unless-stopped`. On top: a healthcheck on `/health`, log rotation, labels, and the
rendered `settings.json` uploaded into the state directory before the container starts.

Expects a `docker` provider in `opts.providers` (built by the caller for the target host).
A change of LLM configuration changes the uploaded file and the environment, which replaces
the container, so the server restarts on the new settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pulumi
import pulumi_docker as docker

from components.llm.catalogue import litellm_model_string
from components.llm.config import LlmConfig
from components.llm.render import DebugToggles, render_env, settings_fingerprint, settings_json
from components.release import OpenHandsRelease
from components.settings import DockerSettings

# The image ships Python; curl is not guaranteed, so the healthcheck uses the interpreter.
_HEALTH_PROBE = (
    "import sys, urllib.request; "
    "sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:{port}{path}', timeout=4).status == 200 else 1)"
)


def container_env(llm: LlmConfig, debug: DebugToggles, release: OpenHandsRelease,
                  docker_settings: DockerSettings, api_key: str) -> list[str]:
    """The container's `KEY=value` list: typed settings first, then the user's extras."""
    env = {
        **docker_settings.extra_env,
        **render_env(llm, debug, api_key),
        # Pin where the server keeps settings.json, so the uploaded file is the one it reads.
        "OH_PERSISTENCE_DIR": release.state_dir,
        "AGENT_SERVER_IMAGE_REPOSITORY": release.agent_server_repository,
        "AGENT_SERVER_IMAGE_TAG": release.agent_server_tag,
    }
    return [f"{name}={value}" for name, value in sorted(env.items())]


def browser_url(docker_settings: DockerSettings) -> str:
    host = docker_settings.listen_address
    if docker_settings.host.startswith("ssh://"):
        remote = urlsplit(docker_settings.host).hostname or "localhost"
        host = remote if host in ("0.0.0.0", "::") else host
    elif host in ("0.0.0.0", "::"):
        host = "localhost"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{docker_settings.port}"


@dataclass
class OpenHandsContainerArgs:
    llm: LlmConfig
    release: OpenHandsRelease
    docker: DockerSettings
    api_key: pulumi.Input[str]
    debug: DebugToggles = field(default_factory=DebugToggles)
    labels: dict[str, str] = field(default_factory=dict)


class OpenHandsContainer(pulumi.ComponentResource):
    """The pinned OpenHands image, its state volume and the server container."""

    url: pulumi.Output[str]
    container_id: pulumi.Output[str]
    active_model: pulumi.Output[str]
    endpoint: pulumi.Output[str]

    def __init__(self, name: str, args: OpenHandsContainerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("openhands-zai:container:OpenHandsContainer", name, None, opts)
        release, settings = args.release, args.docker
        stable_labels = {"app.kubernetes.io/name": "openhands", **args.labels}
        labels = {
            **stable_labels,
            "openhands-zai.version": release.version,
            # Changes with any rendered setting (never with the key): shows why a container was replaced.
            "openhands-zai.settings-sha256": settings_fingerprint(args.llm, release, args.debug),
        }

        image = docker.RemoteImage(
            f"{name}-image",
            name=release.image(settings.image_digest),
            keep_locally=True,  # a replaced container must not delete the image under a running one
            opts=pulumi.ResourceOptions(parent=self),
        )
        state = docker.Volume(
            f"{name}-state",
            name=settings.state_volume,
            labels=[docker.VolumeLabelArgs(label=k, value=v) for k, v in sorted(stable_labels.items())],
            # The volume holds conversations and the settings store: `pulumi destroy` leaves it
            # (Docker re-adopts a volume of the same name on the next `up`).
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )

        api_key = pulumi.Output.secret(args.api_key)
        envs = api_key.apply(lambda key: container_env(args.llm, args.debug, release, settings, key))
        settings_file = api_key.apply(lambda key: settings_json(args.llm, release, key))

        server = docker.Container(
            f"{name}-server",
            name=settings.container_name,
            image=image.image_id,
            envs=envs,
            ports=[docker.ContainerPortArgs(internal=release.port, external=settings.port, ip=settings.listen_address)],
            volumes=[
                docker.ContainerVolumeArgs(volume_name=state.name, container_path=release.state_dir),
                docker.ContainerVolumeArgs(host_path="/var/run/docker.sock", container_path="/var/run/docker.sock"),
            ],
            hosts=[docker.ContainerHostArgs(host="host.docker.internal", ip="host-gateway")],
            uploads=[docker.ContainerUploadArgs(file=release.settings_path, content=settings_file)],
            restart="unless-stopped",
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=["CMD", "python", "-c", _HEALTH_PROBE.format(port=release.port, path=release.health_path)],
                interval="30s",
                timeout="5s",
                retries=3,
                start_period="60s",
            ),
            log_driver="json-file",
            log_opts={"max-size": "20m", "max-file": "5"},
            labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in sorted(labels.items())],
            must_run=True,
            opts=pulumi.ResourceOptions(
                parent=self,
                # The container has a fixed name and host port: the old one must go first.
                delete_before_replace=True,
            ),
        )

        self.url = pulumi.Output.from_input(browser_url(settings))
        self.container_id = server.id
        self.active_model = pulumi.Output.from_input(litellm_model_string(args.llm.default.model))
        self.endpoint = pulumi.Output.from_input(args.llm.base_url)
        self.register_outputs({
            "url": self.url,
            "containerId": self.container_id,
            "activeModel": self.active_model,
            "endpoint": self.endpoint,
        })
