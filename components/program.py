"""deploy(settings): the one composition of the bundle, on every target.

In order: the network (peering, the egress allow-list), the new EKS cluster, the key in Secrets
Manager, then the distribution on its target: the LLM gateway beside OpenHands when it runs, and
OpenHands. Which workload holds which key is `assign_keys`'s decision (key_assignment.py), made
before any resource; this module only carries it out. `__main__.py` reads the settings, calls
`deploy` and exports `StackOutputs.exports()`.

Provider packages are imported where a stack uses them: a Docker stack needs no AWS credentials and
no pulumi-aws installed (the `aws` extra).

Moved resources keep their identity: the cluster's gateway was a child of `OpenHandsCluster` before
0.11, and carries an alias to that parent (`CLUSTER_GATEWAY_WAS_UNDER`), so `pulumi up` moves it
in the state instead of replacing it (tests/program/test_urns.py holds every shipped stack to it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi

from .key_assignment import KeyAssignment, assign_keys
from .outputs import (
    CanvasOutputs,
    ClusterOutputs,
    ContainerOutputs,
    EgressOutputs,
    EksOutputs,
    GatewayOutputs,
    HostOutputs,
    InstancesOutputs,
    PeeringOutputs,
    SecretOutputs,
    StackOutputs,
)
from .stack import StackSettings

CLUSTER_TYPE = "openhands-zai:cluster:OpenHandsCluster"
CLUSTER_NAME = "openhands"
CLUSTER_GATEWAY_WAS_UNDER = (CLUSTER_NAME, CLUSTER_TYPE)  # (name, type) of its parent before 0.11


@dataclass
class _Shared:
    """What the concerns built before the target hand to it."""

    stack: str
    keys: KeyAssignment
    zai_key: pulumi.Input[str]  # the value the holder gets (AWSCURRENT read back, or the stack's)
    egress: Any = None  # EgressAllowList
    eks: Any = None  # EksCluster
    secret: Any = None  # ZaiApiKeySecret
    parent: pulumi.Resource | None = None  # the component package's OpenHandsZai; None in a stack

    def opts(self, more: pulumi.ResourceOptions | None = None) -> pulumi.ResourceOptions:
        """Options for a resource the program registers: under `parent`, plus `more`."""
        return pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=self.parent), more)


def deploy(settings: StackSettings, api_key: pulumi.Input[str], stack: str | None = None,
           parent: pulumi.Resource | None = None) -> StackOutputs:
    """Build every resource the stack's settings describe; `api_key` is the stack's Z.AI key (a secret).
    `parent`: the component everything is built under (the component package's), or none (a stack)."""
    for warning in settings.warnings:
        pulumi.log.warn(warning)
    for note in settings.notes:
        pulumi.log.info(note)
    shared = _Shared(stack=stack or pulumi.get_stack(), keys=assign_keys(settings), zai_key=api_key, parent=parent)
    outputs: dict[str, Any] = {"openhands_version": settings.openhands_version}
    if settings.peering is not None:
        outputs["peering"] = _peering(settings, shared)
    if settings.egress is not None:
        outputs["egress"], outputs["host"] = _egress(settings, shared)
    if settings.eks is not None:
        outputs["eks"] = _eks(settings, shared)
    if settings.secret is not None:
        outputs["secret"] = _secret(settings, shared, api_key)
    outputs.update(DISTRIBUTIONS[settings.distribution][settings.target](settings, shared))
    return StackOutputs(**outputs)


# -- the shared concerns ----------------------------------------------------------------------------

def _peering(settings: StackSettings, shared: _Shared) -> PeeringOutputs:
    import pulumi_aws as aws

    from .network.component import VpcPeering, VpcPeeringArgs

    peering = settings.peering
    assert peering is not None
    peer_provider = None
    if peering.needs_peer_provider:
        # The accepter side, decided here at the boundary: its account (through the role) and region.
        peer_provider = aws.Provider(
            "peer", region=peering.peer_region or aws.config.region, profile=aws.config.profile,
            assume_roles=[aws.ProviderAssumeRoleArgs(role_arn=peering.peer_role_arn,
                                                     session_name=f"openhands-zai-{shared.stack}-peering")]
            if peering.peer_role_arn else None, opts=shared.opts())
    vpc_peering = VpcPeering("peering", VpcPeeringArgs(settings=peering, peer_provider=peer_provider,
                                                       environment=shared.stack, tags=settings.tags),
                             opts=shared.opts())
    return PeeringOutputs(peering_connection_id=vpc_peering.connection_id, peering_routes=vpc_peering.routes,
                          peer_region=peering.peer_region, peer_role_arn=peering.peer_role_arn)


def _egress(settings: StackSettings, shared: _Shared) -> tuple[EgressOutputs, HostOutputs | None]:
    from .aws_ids import AwsCredentials
    from .network.component import EgressAllowList, EgressAllowListArgs

    assert settings.egress is not None
    on_docker = settings.target == "docker"
    # The firewall routing's takeover acts with the default AWS provider's profile and roles.
    egress = EgressAllowList("egress", EgressAllowListArgs(
        settings=settings.egress, environment=shared.stack, tags=settings.tags,
        credentials=AwsCredentials.from_config(), host_launch_template=on_docker), opts=shared.opts())
    shared.egress = egress
    return EgressOutputs(
        security_group_id=egress.security_group_id, prefix_list_id=egress.prefix_list_id,
        allow_cidrs=list(settings.egress.allow_cidrs), expected_egress=egress.expected_egress,
        firewall_arn=egress.firewall_arn, firewall_policy_arn=egress.firewall_policy_arn,
        firewall_routing=egress.firewall_routing,
    ), HostOutputs(launch_template_id=egress.launch_template_id) if on_docker else None


def _eks(settings: StackSettings, shared: _Shared) -> EksOutputs:
    from .kubernetes.eks import EksCluster, EksClusterArgs

    assert settings.eks is not None
    shared.eks = EksCluster("eks", EksClusterArgs(
        settings=settings.eks, environment=shared.stack, tags=settings.tags,
        extra_security_group_ids=[shared.egress.security_group_id] if shared.egress else []), opts=shared.opts())
    return EksOutputs(eks_cluster_name=shared.eks.cluster_name, oidc_provider_arn=shared.eks.oidc_provider_arn)


def _secret(settings: StackSettings, shared: _Shared, api_key: pulumi.Input[str]) -> SecretOutputs:
    from .secret.component import ZaiApiKeySecret, ZaiApiKeySecretArgs

    assert settings.secret is not None
    secret = ZaiApiKeySecret("zai-api-key", ZaiApiKeySecretArgs(
        settings=settings.secret, environment=shared.stack, api_key=api_key, tags=settings.tags,
        oidc_provider_arn=shared.eks.oidc_provider_arn if shared.eks else None), opts=shared.opts())
    shared.secret = secret
    shared.zai_key = secret.api_key  # AWSCURRENT, read back: a rotated key reaches its holder on the next `up`
    return SecretOutputs(secret_arn=secret.secret_arn, secret_name=secret.secret_name,
                         kms_key_arn=secret.kms_key_arn, reader_policy_arn=secret.reader_policy_arn,
                         reader_role_arn=secret.reader_role_arn, instance_profile_name=secret.instance_profile_name)


# -- Agent Canvas --------------------------------------------------------------------------------------

def _canvas_on_docker(settings: StackSettings, shared: _Shared) -> dict[str, Any]:
    from .canvas.container import CanvasContainer, CanvasContainerArgs

    assert settings.docker is not None and settings.canvas is not None
    host = _docker_host(settings, shared)
    labels = {"openhands-zai.stack": shared.stack}
    outputs: dict[str, Any] = {}
    canvas_key, route = shared.zai_key, None
    if shared.keys.gateway_holds_the_zai_key:
        from .gateway.container import LlmGateway, LlmGatewayArgs

        assert settings.llm_gateway is not None
        # Canvas reaches it as the app server does: at host.docker.internal (host-gateway).
        gateway = LlmGateway("gateway", LlmGatewayArgs(
            settings=settings.llm_gateway, llm=settings.llm, zai_api_key=shared.zai_key,
            app_container_name=settings.docker.container_name, sandbox_gateway=settings.docker.sandbox_gateway,
            labels={**settings.tags, **labels}), opts=host)
        canvas_key, route = gateway.key, gateway.route
        outputs["gateway"] = GatewayOutputs(gateway_url=gateway.url, gateway_key=gateway.key)
    canvas = CanvasContainer("canvas", CanvasContainerArgs(
        llm=settings.llm, canvas=settings.canvas, docker=settings.docker, api_key=canvas_key, labels=labels,
        tags=settings.tags, route=route), opts=host)
    outputs["container"] = ContainerOutputs(container_id=canvas.container_id, active_model=canvas.active_model,
                                            endpoint=canvas.endpoint, url=canvas.url)
    outputs["canvas"] = CanvasOutputs(seeded_profiles=canvas.seeded_profiles, session_api_key=canvas.session_api_key)
    return outputs


# -- the app server 1.11 on each target --------------------------------------------------------------

def _app_server_on_docker(settings: StackSettings, shared: _Shared) -> dict[str, Any]:
    from .docker.component import OpenHandsContainer, OpenHandsContainerArgs

    assert settings.docker is not None
    host = _docker_host(settings, shared)
    labels = {"openhands-zai.stack": shared.stack}
    release = settings.release.pinned
    outputs: dict[str, Any] = {}
    openhands_key, route = shared.zai_key, None
    if shared.keys.gateway_holds_the_zai_key:
        from .gateway.container import LlmGateway, LlmGatewayArgs

        gateway_settings = settings.llm_gateway
        assert gateway_settings is not None
        gateway = LlmGateway("gateway", LlmGatewayArgs(
            settings=gateway_settings, llm=settings.llm, zai_api_key=shared.zai_key,
            app_container_name=settings.docker.container_name, sandbox_gateway=settings.docker.sandbox_gateway,
            labels={**settings.tags, **labels}), opts=host)
        openhands_key, route = gateway.key, gateway.route
        outputs["gateway"] = GatewayOutputs(gateway_url=gateway.url, gateway_key=gateway.key)
    if settings.instances:
        from .instances.component import OpenHandsInstances, OpenHandsInstancesArgs

        instances = OpenHandsInstances("openhands", OpenHandsInstancesArgs(
            instances=settings.instances, llm=settings.llm, release=release, docker=settings.docker,
            api_key=openhands_key, debug=settings.debug, labels=labels, tags=settings.tags), opts=host)
        outputs["instances"] = InstancesOutputs(urls=instances.urls, container_ids=instances.container_ids)
    else:
        container = OpenHandsContainer("openhands", OpenHandsContainerArgs(
            llm=settings.llm, release=release, docker=settings.docker, api_key=openhands_key, debug=settings.debug,
            labels=labels, tags=settings.tags, route=route), opts=host)
        outputs["container"] = ContainerOutputs(container_id=container.container_id,
                                                active_model=container.active_model, endpoint=container.endpoint,
                                                url=container.url)
    return outputs


def _docker_host(settings: StackSettings, shared: _Shared) -> pulumi.ResourceOptions:
    import pulumi_docker as docker

    assert settings.docker is not None
    return shared.opts(pulumi.ResourceOptions(
        providers=[docker.Provider("docker-host", host=settings.docker.host, opts=shared.opts())]))


def _app_server_on_kubernetes(settings: StackSettings, shared: _Shared) -> dict[str, Any]:
    import pulumi_kubernetes as k8s

    from .kubernetes.component import OpenHandsCluster, OpenHandsClusterArgs

    kube = settings.kubernetes
    assert kube is not None
    provider = k8s.Provider("cluster", kubeconfig=shared.eks.kubeconfig if shared.eks else kube.kubeconfig,
                            context=None if shared.eks else kube.context, opts=shared.opts())
    on_cluster = shared.opts(pulumi.ResourceOptions(providers=[provider]))
    external = shared.keys.cluster_delivery == "external-secrets"
    region = None
    if external:
        import pulumi_aws as aws

        region = aws.config.region
    outputs: dict[str, Any] = {}
    # The gateway is built before OpenHands, whose Secret takes the gateway's key; its objects wait
    # for the namespace and the Secret with the Z.AI key, which OpenHandsCluster makes (`key_namespace`).
    namespace_ready: pulumi.Output[str]
    resolve_namespace: Callable[[pulumi.Output[str]], None]
    namespace_ready, resolve_namespace = pulumi.deferred_output()
    try:
        gateway_args: dict[str, Any] = {}
        if shared.keys.gateway_holds_the_zai_key:
            gateway, gateway_args = _cluster_gateway(settings, namespace_ready, on_cluster)
            outputs["gateway"] = GatewayOutputs(gateway_url=gateway.url, gateway_key=gateway.key)
        openhands = OpenHandsCluster(CLUSTER_NAME, OpenHandsClusterArgs(
            settings=kube, llm=settings.llm, release=settings.release.pinned, debug=settings.debug,
            api_key=None if external else shared.zai_key,
            secret_name=shared.secret.secret_name if external and shared.secret else None, region=region,
            service_account_role_arn=kube.service_account_role_arn or (
                shared.secret.reader_role_arn if shared.secret else None),
            egress=settings.egress, **gateway_args), opts=on_cluster)
    except BaseException:
        # Nothing may wait for ever on a program that failed: the waiting objects fail with it.
        resolve_namespace(pulumi.Output.from_input(_failed()))
        raise
    resolve_namespace(openhands.key_namespace)
    outputs["cluster"] = ClusterOutputs(namespace=openhands.namespace, url=openhands.url)
    return outputs


def _cluster_gateway(settings: StackSettings, namespace_ready: pulumi.Output[str],
                     on_cluster: pulumi.ResourceOptions) -> tuple[Any, dict[str, Any]]:
    """The cluster's LLM gateway, and what OpenHandsCluster takes from it (route, key, egress)."""
    from .gateway import plan as gateway_plan
    from .gateway.cluster import ClusterGateway, ClusterGatewayArgs
    from .kube import container_security
    from .kubernetes import plan as cluster_plan
    from .network.plan import allowed_egress

    kube, gateway_settings = settings.kubernetes, settings.llm_gateway
    assert kube is not None and gateway_settings is not None
    gateway = ClusterGateway(f"{CLUSTER_NAME}-gateway", ClusterGatewayArgs(
        settings=gateway_settings, llm=settings.llm, namespace=kube.namespace,
        app_selector=dict(cluster_plan.SELECTOR),
        container_security=container_security(read_only=False, user=gateway_plan.USER_ID),
        allowed_egress=allowed_egress(settings.egress, cilium=kube.cilium) if settings.egress else None,
        namespace_ready=namespace_ready),
        opts=pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(
            aliases=[pulumi.Alias(parent=pulumi.create_urn(*CLUSTER_GATEWAY_WAS_UNDER))])))
    return gateway, dict(route=gateway.route, route_key=gateway.key, zai_key_secret=gateway_plan.ZAI_KEY_SECRET,
                         extra_egress=[gateway.client_egress_rule], egress_apps=(gateway.app_name,))


async def _failed() -> str:
    raise RuntimeError("OpenHandsCluster was not built")


Deployer = Callable[[StackSettings, _Shared], dict[str, Any]]
# Which OpenHands runs (`openhands-zai:distribution`) on which target: adding a distribution is its
# folder and one line here.
DISTRIBUTIONS: dict[str, dict[str, Deployer]] = {
    "app-server": {"docker": _app_server_on_docker, "kubernetes": _app_server_on_kubernetes},
    "agent-canvas": {"docker": _canvas_on_docker},
}
