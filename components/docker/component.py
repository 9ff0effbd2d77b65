"""OpenHandsContainer: OpenHands as one Docker container, configured for Z.AI GLM.

Equivalent to the documented `docker run` of the pinned release: port 3000 (on
`listenAddress` for browsers, and on the bridge gateway where sandboxes call the app back), the Docker
socket (the server starts agent-server sandboxes beside itself), a named volume for the
state directory, `host.docker.internal:host-gateway`, the agent-server image variables,
restart `unless-stopped`. On top: a healthcheck on `/health`, log rotation, labels, and the
rendered `settings.json` uploaded into the state directory before the container starts, and the
server's own keys (`JWT_SECRET`, the agent servers' `OH_SECRET_KEY`) from `random.RandomPassword`.

Expects a `docker` provider in `opts.providers` (built by the caller for the target host).
A change of LLM configuration changes the uploaded file and the environment, which replaces
the container, so the server restarts on the new settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_docker as docker

from ..containers import LOG_DRIVER, LOG_OPTS
from ..guardrails.labels import SANDBOX_RUNTIME_DOCKER_SOCKET, SANDBOX_RUNTIME_LABEL
from ..llm.plan import LlmRoute, direct_route, settings_json
from ..llm.settings import DebugSettings, LlmSettings
from ..release import OpenHandsRelease
from ..remote_image import pull_image
from ..server_keys import server_keys
from .plan import browser_url, container_env, container_labels, healthcheck_command, published_ports
from .settings import DockerSettings


@dataclass
class DockerServerArgs:
    """What every OpenHands server on a Docker host is made from."""

    llm: LlmSettings
    release: OpenHandsRelease
    docker: DockerSettings
    # What OpenHands sends with its LLM calls: the Z.AI key, or the gateway's key with `route`.
    api_key: pulumi.Input[str]
    debug: DebugSettings = field(default_factory=DebugSettings)
    labels: dict[str, str] = field(default_factory=dict)
    # The stack's tags, as labels on the container only: a Docker volume cannot be relabelled,
    # so the volume keeps `labels` (a tag change must not replace the state volume).
    tags: dict[str, str] = field(default_factory=dict)
    # The LLM gateway's URL and model names (`LlmGateway.route`); None: Z.AI directly.
    route: LlmRoute | None = None


@dataclass
class OpenHandsContainerArgs(DockerServerArgs):
    # An image pulled once for several containers (OpenHandsInstances); None: this one pulls it.
    image: Any = None  # a pulumi_docker.RemoteImage


class OpenHandsContainer(pulumi.ComponentResource):
    """The pinned OpenHands image, its state volume and the server container."""

    url: pulumi.Output[str]
    container_id: pulumi.Output[str]
    active_model: pulumi.Output[str]
    endpoint: pulumi.Output[str]

    def __init__(self, name: str, args: OpenHandsContainerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("openhands-zai:container:OpenHandsContainer", name, None, opts)
        release, settings = args.release, args.docker
        stable_labels, labels = container_labels(args.llm, release, args.debug, args.labels, args.route)
        # The socket mount below is the policy pack's one sandbox-runtime exception; say so on the container.
        labels = {**args.tags, **labels, SANDBOX_RUNTIME_LABEL: SANDBOX_RUNTIME_DOCKER_SOCKET}

        image = args.image or pull_image(f"{name}-image", release.image, pulumi.ResourceOptions(parent=self))
        state = docker.Volume(
            f"{name}-state",
            name=settings.state_volume,
            labels=[docker.VolumeLabelArgs(label=k, value=v) for k, v in sorted(stable_labels.items())],
            # The volume holds conversations and the settings store: `pulumi destroy` leaves it
            # (Docker re-adopts a volume of the same name on the next `up`).
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )

        api_key = pulumi.Output.secret(args.api_key)
        keys = server_keys(name, self)
        envs = pulumi.Output.all(api_key, keys.jwt_secret, keys.agent_secret_key).apply(
            lambda v: container_env(args.llm, args.debug, release, settings, v[0], v[1], v[2], route=args.route))
        settings_file = api_key.apply(lambda key: settings_json(args.llm, release, key, args.route))

        server = docker.Container(
            f"{name}-server",
            name=settings.container_name,
            image=image.image_id,
            envs=envs,
            ports=[docker.ContainerPortArgs(internal=internal, external=external, ip=address)
                   for address, external, internal in published_ports(release, settings)],
            volumes=[
                docker.ContainerVolumeArgs(volume_name=state.name, container_path=release.state_dir),
                docker.ContainerVolumeArgs(host_path="/var/run/docker.sock", container_path="/var/run/docker.sock"),
            ],
            hosts=[docker.ContainerHostArgs(host="host.docker.internal", ip="host-gateway")],
            uploads=[docker.ContainerUploadArgs(file=release.settings_path, content=settings_file)],
            restart="unless-stopped",
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=healthcheck_command(release),
                # The server answers /health about 6 s after start on 2 cores (make e2e): a 10 s
                # interval reports it healthy quickly, a 30 s start period covers slow hosts.
                interval="10s",
                timeout="5s",
                retries=3,
                start_period="30s",
            ),
            log_driver=LOG_DRIVER,
            log_opts=LOG_OPTS,
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
        route = args.route or direct_route(args.llm)
        self.active_model = pulumi.Output.from_input(route.model(args.llm.default_profile, args.llm.default))
        self.endpoint = pulumi.Output.from_input(args.llm.base_url)  # where the calls end, gateway or not
        self.register_outputs({
            "url": self.url,
            "containerId": self.container_id,
            "activeModel": self.active_model,
            "endpoint": self.endpoint,
        })
