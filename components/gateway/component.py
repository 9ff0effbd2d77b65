"""LlmGateway: the LiteLLM proxy beside OpenHands on a Docker host (the Docker target).

One container of the pinned non-root proxy image, its `config.yaml` uploaded before it starts, the
Z.AI key and the proxy's own key (a `random.RandomPassword`) in its environment as secrets. It is
published on the host's loopback (the operator's `doctor`) and on the bridge gateway, where the
OpenHands container and its sandboxes reach it as `host.docker.internal` — never on a wider
`docker.listenAddress`, which is the UI's choice.
OpenHands is then given `route` and `key` instead of Z.AI's URL and key.

Expects a `docker` provider in `opts.providers`, as OpenHandsContainer does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from ..docker.component import pull_image
from ..docker.plan import http_probe
from ..docker.settings import DockerSettings
from ..llm.plan import LlmRoute
from ..llm.settings import LlmSettings
from ..server_keys import random_key
from . import plan
from .settings import GatewaySettings

COMPONENT_TYPE = "openhands-zai:gateway:LlmGateway"


@dataclass
class LlmGatewayArgs:
    settings: GatewaySettings
    llm: LlmSettings  # its endpoint, profiles and fallbacks become the proxy's models
    docker: DockerSettings  # the host's addresses and the app's container name
    zai_api_key: pulumi.Input[str]
    labels: dict[str, str] = field(default_factory=dict)


def gateway_key(name: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    """The proxy's master key: what OpenHands holds instead of the Z.AI key ("sk-" as LiteLLM expects)."""
    return random_key(f"{name}-key", parent, prefix="sk-")


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
            name=f"{args.docker.container_name}-gateway",
            image=image.image_id,
            command=plan.command(settings),
            envs=envs,
            # Never wider than the host's loopback and the bridge gateway, whatever listenAddress the UI
            # has: only OpenHands, its sandboxes and the operator on the host call the gateway.
            ports=[docker.ContainerPortArgs(internal=settings.port, external=settings.port, ip=address)
                   for address in plan.docker_addresses(args.docker.sandbox_gateway)],
            uploads=[docker.ContainerUploadArgs(file=plan.CONFIG_PATH, content=plan.config_yaml(args.llm, settings))],
            restart="unless-stopped",
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=http_probe(settings.port, plan.LIVENESS_PATH),
                # Healthy 4-9 s after start (measured); the start period covers slow hosts.
                interval="10s", timeout="5s", retries=3, start_period="30s"),
            log_driver="json-file",
            log_opts={"max-size": "20m", "max-file": "5"},
            labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in sorted(labels.items())],
            must_run=True,
            # Fixed name and port: the old container must go before its replacement starts.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        self.url = pulumi.Output.from_input(self.route.base_url)
        self.container_id = container.id
        self.register_outputs({"url": self.url, "containerId": self.container_id})
