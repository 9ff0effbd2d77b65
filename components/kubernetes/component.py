"""OpenHandsCluster: OpenHands on Kubernetes, configured for Z.AI GLM.

Creates, in its namespace (Pod Security `restricted`):
- the OpenHands pod's ServiceAccount: no token mounted, no RBAC, and no cloud role ever (the agent
  runs in that pod);
- the key: with `external-secrets`, the secret sync's own ServiceAccount (the reader role's IRSA
  annotation; no pod runs as it), a SecretStore (AWS Secrets Manager, authenticating as that
  account) and an ExternalSecret that renders the `openhands-llm` Secret (api-key and
  settings.json) in the cluster, refreshed hourly; with `direct`, that Secret from the key as a
  Pulumi secret;
- the server's keys (`JWT_SECRET`, the agent server's `OH_SECRET_KEY` and the session key the
  app and its sandbox share) from `random.RandomPassword` in the `openhands-server-keys` Secret, and
  the sandbox service for the agent-server sidecar in the `openhands-zai-sandbox` ConfigMap
  (kubernetes/sandbox/, loaded through OpenHands' `OH_SANDBOX_KIND`);
- a StatefulSet of one (conversations and settings live in a file store on its volume): an init
  container copies settings.json into the state volume at every start, the server reads the key
  through `secretKeyRef` and runs as the image's `openhands` user without privileges; the agent
  runs in the agent-server sidecar (the upstream sandbox image, its own user, no Docker socket, no
  RBAC); the pod template carries a hash of the LLM settings, so a change rolls the pod;
- a Service, an Ingress when configured (TLS; to oauth2-proxy, or with the ALB's authentication:
  `auth.py`), a PodDisruptionBudget;
- NetworkPolicies: ingress denied in the namespace unless allowed, the UI's port from the
  authentication layer only; egress denied unless allowed, the metadata addresses never (the
  allow-list of `openhands-zai:egress`, and a CiliumNetworkPolicy, when set);
- with an LLM gateway in front (`route`, `route_key`; the program builds `ClusterGateway` beside
  this component): the Z.AI key goes only into the Secret `zai_key_secret` names (the gateway's
  `zai-api-key`), and `openhands-llm` holds the gateway's key and route instead; `key_namespace`
  resolves once that Secret exists, for the gateway's objects to wait on.

Expects a `kubernetes` provider in `opts.providers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..kube import container_security
from ..llm.plan import LlmRoute
from ..llm.settings import DebugSettings, LlmSettings
from ..network.plan import baseline_policies, egress_policies
from ..network.settings import EgressSettings
from ..release import OpenHandsRelease
from ..server_keys import random_key, server_keys
from . import auth as login
from . import plan
from .settings import KubernetesSettings

COMPONENT_TYPE = "openhands-zai:cluster:OpenHandsCluster"  # kept: a new token would change every URN


@dataclass
class OpenHandsClusterArgs:
    settings: KubernetesSettings
    llm: LlmSettings
    release: OpenHandsRelease
    debug: DebugSettings
    api_key: pulumi.Input[str] | None = None  # the `direct` sync
    secret_name: pulumi.Input[str] | None = None  # the `external-secrets` sync: the Secrets Manager secret
    region: pulumi.Input[str] | None = None
    service_account_role_arn: pulumi.Input[str] | None = None  # the secret sync's role (IRSA)
    egress: EgressSettings | None = None
    # An LLM gateway in front of Z.AI: its URL and model names, and the key OpenHands sends it.
    route: LlmRoute | None = None
    route_key: pulumi.Input[str] | None = None
    # The Secret the Z.AI key lands in: `openhands-llm` (with the settings file) when OpenHands calls
    # Z.AI itself, the gateway's own Secret when a gateway holds it.
    zai_key_secret: str = plan.LLM_SECRET
    # What the OpenHands pods' egress adds (the gateway's rule), and the namespace's other apps the
    # stack's allow-list covers (with Cilium, the domain rules: the gateway calls Z.AI).
    extra_egress: list[dict[str, Any]] = field(default_factory=list)
    egress_apps: tuple[str, ...] = ()


def _object(cls, name: str, manifest: dict, opts: pulumi.ResourceOptions, **overrides):
    return cls(name, metadata=manifest["metadata"], spec=manifest.get("spec"), opts=opts, **overrides)


class OpenHandsCluster(pulumi.ComponentResource):
    """OpenHands in its namespace: the objects listed above. Needs a kubernetes provider in
    `opts.providers`, and the key by reference (external-secrets) or as a Pulumi secret (direct)."""

    namespace: pulumi.Output[str]
    service_name: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, args: OpenHandsClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(COMPONENT_TYPE, name, None, opts)
        settings, api_key, secret_name, region = args.settings, args.api_key, args.secret_name, args.region
        external = settings.secret_sync == "external-secrets"
        if external and (secret_name is None or region is None):
            raise ValueError("OpenHandsCluster: external-secrets needs args.secret_name and args.region")
        if not external and api_key is None:
            raise ValueError("OpenHandsCluster: the direct sync needs args.api_key")
        if (args.route is None) != (args.route_key is None):
            raise ValueError("OpenHandsCluster: args.route and args.route_key go together")
        behind_gateway = args.route is not None
        ns_manifest = plan.namespace(settings)
        namespace = k8s.core.v1.Namespace(f"{name}-namespace", metadata=ns_manifest["metadata"],
                                          opts=pulumi.ResourceOptions(parent=self))
        inside = pulumi.ResourceOptions(parent=self, depends_on=[namespace])

        service_account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account", metadata=plan.service_account(settings)["metadata"],
            automount_service_account_token=False, opts=inside)

        # The Z.AI key into the cluster: behind a gateway into the gateway's Secret (the key alone),
        # else into `openhands-llm` with the settings file.
        zai_target = args.zai_key_secret
        if external:
            assert secret_name is not None and region is not None  # checked above
            account = pulumi.Output.from_input(args.service_account_role_arn).apply(
                lambda role: plan.sync_service_account(settings, role))
            sync_account = k8s.core.v1.ServiceAccount(
                f"{name}-secret-sync-account", metadata=account.apply(lambda m: m["metadata"]),
                automount_service_account_token=False, opts=inside)
            store = pulumi.Output.from_input(region).apply(lambda name: plan.secret_store(settings, name))
            secret_store = k8s.apiextensions.CustomResource(
                f"{name}-secret-store", api_version=plan.ESO_API, kind="SecretStore",
                metadata=store.apply(lambda m: m["metadata"]), spec=store.apply(lambda m: m["spec"]),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, sync_account]))
            synced = pulumi.Output.from_input(secret_name).apply(
                lambda secret: plan.external_secret(settings, args.llm, args.release, secret, target=zai_target))
            zai_secret: pulumi.CustomResource = k8s.apiextensions.CustomResource(
                f"{name}-external-secret", api_version=plan.ESO_API, kind="ExternalSecret",
                metadata=synced.apply(lambda m: m["metadata"]), spec=synced.apply(lambda m: m["spec"]),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[secret_store]))
        else:
            assert api_key is not None  # checked above
            key = pulumi.Output.secret(api_key)
            data = key.apply(lambda k: {"api-key": k}) if behind_gateway else \
                key.apply(lambda k: plan.secret_data(args.llm, args.release, k))
            manifest = plan.direct_secret(settings, {}, name=zai_target)
            zai_secret = k8s.core.v1.Secret(f"{name}-llm", metadata=manifest["metadata"], type="Opaque",
                                            string_data=data, opts=inside)
        llm_secret = zai_secret
        route = args.route
        # The namespace's name once the Z.AI key's Secret exists: what a gateway's objects wait for.
        self.key_namespace: pulumi.Output[str] = pulumi.Output.all(
            namespace.metadata.apply(lambda m: m["name"]), zai_secret.urn).apply(lambda values: values[0])
        if route is not None:
            manifest = plan.direct_secret(settings, {})
            llm_secret = k8s.core.v1.Secret(
                f"{name}-gateway-client", metadata=manifest["metadata"], type="Opaque",
                string_data=pulumi.Output.secret(args.route_key).apply(
                    lambda k: plan.secret_data(args.llm, args.release, str(k), route)),
                opts=inside)

        keys = server_keys(name, self, sandbox_session=True)
        keys_manifest = plan.direct_secret(settings, {}, name=plan.SERVER_KEYS_SECRET)
        keys_secret = k8s.core.v1.Secret(
            f"{name}-server-keys", metadata=keys_manifest["metadata"], type="Opaque",
            string_data=pulumi.Output.all(keys.jwt_secret, keys.agent_secret_key, keys.sandbox_session_key).apply(
                lambda values: plan.server_keys_data(*values)), opts=inside)
        plugin = plan.sandbox_plugin(settings)
        plugin_map = k8s.core.v1.ConfigMap(f"{name}-sandbox-plugin", metadata=plugin["metadata"], data=plugin["data"],
                                           opts=inside)

        workload = plan.statefulset(settings, args.llm, args.debug, args.release, route)
        _object(k8s.apps.v1.StatefulSet, f"{name}-server", workload,
                pulumi.ResourceOptions(parent=self, depends_on=[namespace, llm_secret, keys_secret, plugin_map,
                                                                service_account]))
        service = _object(k8s.core.v1.Service, f"{name}-service", plan.service(settings, args.release), inside)
        auth = settings.auth
        login_objects: list[pulumi.Resource] = []
        if auth is not None and not auth.on_alb:
            login_objects = self._oauth2_proxy(name, settings, args.release, inside)
        ingress = login.ingress(settings)
        if ingress is not None:
            _object(k8s.networking.v1.Ingress, f"{name}-ingress", ingress,
                    pulumi.ResourceOptions(parent=self, depends_on=[namespace, service, *login_objects]))
        for policy in login.ingress_policies(settings, args.release):
            _object(k8s.networking.v1.NetworkPolicy, f"{name}-{policy['metadata']['name']}", policy, inside)
        _object(k8s.policy.v1.PodDisruptionBudget, f"{name}-disruption-budget", plan.disruption_budget(settings),
                inside)
        to_gateway = list(args.extra_egress) or None
        if args.egress is not None:
            # With Cilium the domain allow-list (to Z.AI) also covers the gateway, which makes those calls.
            policies = egress_policies(args.egress, settings.namespace, cilium=settings.cilium,
                                       pod_labels=plan.SELECTOR, extra_egress=to_gateway, also_apps=args.egress_apps)
        else:
            # No allow-list: still no way to the metadata service and the node's role.
            policies = baseline_policies(settings.namespace, plan.SELECTOR, extra_egress=to_gateway)
        for policy in policies:
            policy_name = f"{name}-{policy['metadata']['name']}"
            if policy["kind"] == "NetworkPolicy":
                _object(k8s.networking.v1.NetworkPolicy, policy_name, policy, inside)
            else:
                k8s.apiextensions.CustomResource(policy_name, api_version=policy["apiVersion"], kind=policy["kind"],
                                                 metadata=policy["metadata"], spec=policy["spec"], opts=inside)

        self.namespace = namespace.metadata.apply(lambda m: m["name"])
        self.service_name = service.metadata.apply(lambda m: m["name"])
        self.url = pulumi.Output.from_input(
            f"https://{settings.ingress.host}" if settings.ingress
            else f"kubectl -n {settings.namespace} port-forward svc/{plan.APP} 3000:80, then http://127.0.0.1:3000")
        self.register_outputs({"namespace": self.namespace, "serviceName": self.service_name, "url": self.url})

    def _oauth2_proxy(self, name: str, settings: KubernetesSettings, release: OpenHandsRelease,
                      inside: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """oauth2-proxy between the Ingress and the UI (auth.py): its generated cookie secret, account,
        Deployment, Service and NetworkPolicy."""
        auth = settings.auth
        assert auth is not None
        # 32 characters: oauth2-proxy takes a 16, 24 or 32-byte cookie secret (an AES key).
        cookie = random_key(f"{name}-oauth2-proxy-cookie", self, length=32)
        secret_manifest = login.cookie_secret(settings)
        cookie_secret = k8s.core.v1.Secret(
            f"{name}-oauth2-proxy-cookie", metadata=secret_manifest["metadata"], type="Opaque",
            string_data=cookie.apply(lambda value: {"cookie-secret": value}), opts=inside)
        account = login.service_account(settings)
        service_account = k8s.core.v1.ServiceAccount(f"{name}-oauth2-proxy-account", metadata=account["metadata"],
                                                     automount_service_account_token=False, opts=inside)
        workload = login.deployment(settings, auth, login.upstream(settings, plan.APP, 80),
                                    container_security(read_only=True, user=login.USER_ID))
        _object(k8s.apps.v1.Deployment, f"{name}-oauth2-proxy", workload,
                pulumi.ResourceOptions(parent=self, depends_on=[cookie_secret, service_account]))
        service = _object(k8s.core.v1.Service, f"{name}-oauth2-proxy-service", login.service(settings), inside)
        _object(k8s.networking.v1.NetworkPolicy, f"{name}-oauth2-proxy-network-policy",
                login.network_policy(settings, plan.SELECTOR, release.port), inside)
        return [service]
