"""LlmGateway: the LiteLLM proxy beside OpenHands on a Docker host (the Docker target).

One container of the pinned non-root proxy image, its `config.yaml` uploaded before it starts, the
Z.AI key and the proxy's own key (a `random.RandomPassword`) in its environment as secrets. It is
published on the host's loopback (the operator's `doctor`) and on the bridge gateway, where the
OpenHands container and its sandboxes reach it as `host.docker.internal` — never on a wider
`docker.listenAddress`, which is the UI's choice. The program (program.py) builds it beside the
OpenHands container, as it builds `ClusterGateway` beside the cluster's OpenHands.
OpenHands is then given `route` and `key` instead of Z.AI's URL and key.

Expects a `docker` provider in `opts.providers`, as OpenHandsContainer does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from ..containers import LOG_DRIVER, LOG_OPTS, http_probe
from ..llm.plan import LlmRoute
from ..llm.settings import LlmSettings
from ..remote_image import pull_image
from ..server_keys import gateway_key
from . import plan
from .settings import GatewaySettings

COMPONENT_TYPE = "openhands-zai:gateway:LlmGateway"


@dataclass
class LlmGatewayArgs:
    settings: GatewaySettings
    llm: LlmSettings  # its endpoint, profiles and fallbacks become the proxy's models
    zai_api_key: pulumi.Input[str]
    # Named after the OpenHands container it serves (`<name>-gateway`); the host's bridge gateway
    # (docker.sandboxGateway), where that container's sandboxes reach it.
    app_container_name: str = "openhands-app"
    sandbox_gateway: str = "172.17.0.1"
    labels: dict[str, str] = field(default_factory=dict)


class LlmGateway(pulumi.ComponentResource):
    """The proxy container. `route` and `key` are what OpenHands is given."""

    route: LlmRoute
    key: pulumi.Output[str]
    url: pulumi.Output[str]
    container_id: pulumi.Output[str]

    def __init__(self, name: str, args: LlmGatewayArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(COMPONENT_TYPE, name, None, opts)
        settings = args.settings
        self.route = plan.route(args.llm, plan.docker_url(settings))
        self.key = gateway_key(name, self)
        image = pull_image(f"{name}-image", plan.image(settings), pulumi.ResourceOptions(parent=self))
        # Secret in, secret out: the list carrying both keys stays a secret.
        keys = pulumi.Output.all(pulumi.Output.secret(args.zai_api_key), self.key)
        envs: pulumi.Output[list[str]] = keys.apply(lambda k: plan.container_env(k[0], k[1]))
        labels = {**args.labels, "app.kubernetes.io/name": plan.NAME,
                  "openhands-zai.gateway-config-sha256": plan.config_fingerprint(args.llm, settings)}
        container = docker.Container(
            f"{name}-proxy",
            name=f"{args.app_container_name}-gateway",
            image=image.image_id,
            command=plan.command(settings),
            envs=envs,
            # Never wider than the host's loopback and the bridge gateway, whatever listenAddress the UI
            # has: only OpenHands, its sandboxes and the operator on the host call the gateway.
            ports=[docker.ContainerPortArgs(internal=settings.port, external=settings.port, ip=address)
                   for address in plan.docker_addresses(args.sandbox_gateway)],
            uploads=[docker.ContainerUploadArgs(file=plan.CONFIG_PATH, content=plan.config_yaml(args.llm, settings))],
            restart="unless-stopped",
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=http_probe(settings.port, plan.LIVENESS_PATH),
                # Healthy 4-9 s after start (measured); the start period covers slow hosts.
                interval="10s", timeout="5s", retries=3, start_period="30s"),
            log_driver=LOG_DRIVER,
            log_opts=LOG_OPTS,
            labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in sorted(labels.items())],
            must_run=True,
            # Fixed name and port: the old container must go before its replacement starts.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        self.url = pulumi.Output.from_input(self.route.base_url)
        self.container_id = container.id
        self.register_outputs({"url": self.url, "containerId": self.container_id})
