"""ClusterGateway: the LiteLLM proxy in the OpenHands namespace (the Kubernetes target).

A Deployment of the pinned non-root proxy image (probes on /health/liveliness and
/health/readiness, which need no key and call no model), its Service, a PodDisruptionBudget, its
`config.yaml` in a ConfigMap, its own key (a `random.RandomPassword`) in a Secret, and a
NetworkPolicy: ingress from the OpenHands pods only, egress to DNS and Z.AI only. The Z.AI key
comes by `secretKeyRef` from the `zai-api-key` Secret, which the caller provides (synced from
Secrets Manager, or written directly). OpenHands is then given `route` and `key`.

The program (program.py) builds it beside `OpenHandsCluster`, which makes the namespace and the
`zai-api-key` Secret: `namespace_ready` carries those two as dependencies of every object here.

Expects a `kubernetes` provider in `opts.providers`; lives apart from component.py because it needs
pulumi-kubernetes (the `kubernetes` extra).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..llm.plan import LlmRoute
from ..llm.settings import LlmSettings
from ..server_keys import gateway_key
from . import plan
from .settings import GatewaySettings

COMPONENT_TYPE = "openhands-zai:gateway:ClusterGateway"


@dataclass
class ClusterGatewayArgs:
    settings: GatewaySettings
    llm: LlmSettings
    namespace: str
    app_selector: dict[str, str]  # the OpenHands pods, the only ones let in
    container_security: dict[str, Any]  # the cluster target's container security context
    allowed_egress: list[dict[str, Any]] | None = None  # the stack's allow-list as egress rules
    # The namespace's name, resolved once what the proxy needs exists (the namespace, the Secret with
    # the Z.AI key): every object waits for it. None: they exist already.
    namespace_ready: pulumi.Input[str] | None = None


class ClusterGateway(pulumi.ComponentResource):
    route: LlmRoute
    key: pulumi.Output[str]
    url: pulumi.Output[str]
    client_egress_rule: dict[str, Any]
    app_name = plan.NAME

    def __init__(self, name: str, args: ClusterGatewayArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(COMPONENT_TYPE, name, None, opts)
        settings, namespace = args.settings, args.namespace
        self.route = plan.route(args.llm, plan.cluster_url(namespace, settings))
        self.key = gateway_key(name, self)
        child = pulumi.ResourceOptions(parent=self)
        ready = args.namespace_ready

        def meta(manifest: dict[str, Any]) -> Any:
            # The metadata waits for `namespace_ready`: an Output carries its resources as dependencies.
            return pulumi.Output.from_input(ready).apply(lambda _: manifest["metadata"]) if ready is not None \
                else manifest["metadata"]

        config = plan.config_map(namespace, args.llm, settings)
        config_map = k8s.core.v1.ConfigMap(f"{name}-config", metadata=meta(config), data=config["data"], opts=child)
        secret = k8s.core.v1.Secret(f"{name}-key", metadata=meta(plan.key_secret(namespace, {})), type="Opaque",
                                    string_data=self.key.apply(plan.key_secret_data), opts=child)
        service_account = k8s.core.v1.ServiceAccount(f"{name}-service-account",
                                                     metadata=meta(plan.service_account(namespace)),
                                                     automount_service_account_token=False, opts=child)
        workload = plan.deployment(namespace, args.llm, settings, args.container_security)
        k8s.apps.v1.Deployment(f"{name}-proxy", metadata=meta(workload), spec=workload["spec"],
                               opts=pulumi.ResourceOptions(parent=self,
                                                           depends_on=[config_map, secret, service_account]))
        service = plan.service(namespace, settings)
        k8s.core.v1.Service(f"{name}-service", metadata=meta(service), spec=service["spec"], opts=child)
        budget = plan.disruption_budget(namespace, settings)
        k8s.policy.v1.PodDisruptionBudget(f"{name}-disruption-budget", metadata=meta(budget), spec=budget["spec"],
                                          opts=child)
        policy = plan.network_policy(namespace, settings, args.app_selector, args.allowed_egress)
        k8s.networking.v1.NetworkPolicy(f"{name}-network-policy", metadata=meta(policy), spec=policy["spec"],
                                        opts=child)
        # What the OpenHands pods' egress policy adds to reach the proxy, and the app it names.
        self.client_egress_rule = plan.app_egress_rule(settings)
        self.url = pulumi.Output.from_input(self.route.base_url)
        self.register_outputs({"url": self.url})
