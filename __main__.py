"""openhands-zai: wiring only. Read the stack's settings, build the components, export."""

import pulumi

from openhands_zai import read_stack_config

stack_config = read_stack_config()
settings = stack_config.parse()  # raises ConfigError: every problem, each naming its openhands-zai:* key
for warning in settings.warnings:
    pulumi.log.warn(warning)
for note in settings.notes:
    pulumi.log.info(note)
stack = pulumi.get_stack()
tags = {"environment": stack, **settings.tags}  # on every AWS resource; `tags.environment` may rename it
release = settings.release.pinned
# Provider packages are imported only where a stack uses them: a Docker stack needs no AWS
# credentials, and no pulumi-aws installed (the `aws` extra).

if settings.peering is not None:
    import pulumi_aws as aws

    from openhands_zai import VpcPeering, VpcPeeringArgs

    peering = settings.peering
    peer_provider = None
    if peering.needs_peer_provider:
        # The accepter side, decided here at the boundary: its account (through the role) and region.
        peer_provider = aws.Provider(
            "peer",
            region=peering.peer_region or aws.config.region,
            profile=aws.config.profile,
            assume_roles=[aws.ProviderAssumeRoleArgs(role_arn=peering.peer_role_arn,
                                                     session_name=f"openhands-zai-{stack}-peering")]
            if peering.peer_role_arn else None,
        )
    vpc_peering = VpcPeering("peering", VpcPeeringArgs(settings=peering, peer_provider=peer_provider, tags=tags))
    pulumi.export("peeringConnectionId", vpc_peering.connection_id)
    pulumi.export("peeringRoutes", vpc_peering.routes)
    pulumi.export("peerRegion", peering.peer_region)
    pulumi.export("peerRoleArn", peering.peer_role_arn)

egress = None
if settings.egress is not None:
    from openhands_zai import AwsCredentials, EgressAllowList, EgressAllowListArgs

    # The firewall routing's takeover acts with the default AWS provider's profile and roles.
    egress = EgressAllowList("egress", EgressAllowListArgs(settings=settings.egress, environment=stack, tags=tags,
                                                            credentials=AwsCredentials.from_config(),
                                                            host_launch_template=settings.docker is not None))
    pulumi.export("securityGroupId", egress.security_group_id)
    pulumi.export("prefixListId", egress.prefix_list_id)
    pulumi.export("allowCidrs", list(settings.egress.allow_cidrs))
    pulumi.export("expectedEgress", egress.expected_egress)
    pulumi.export("firewallArn", egress.firewall_arn)
    pulumi.export("firewallPolicyArn", egress.firewall_policy_arn)
    pulumi.export("firewallRouting", egress.firewall_routing)
    if settings.docker is not None:
        pulumi.export("launchTemplateId", egress.launch_template_id)  # start the Docker host from it

eks_cluster = None
if settings.eks is not None:
    from openhands_zai import EksCluster, EksClusterArgs

    eks_cluster = EksCluster("eks", EksClusterArgs(
        settings=settings.eks, environment=stack, tags=tags,
        extra_security_group_ids=[egress.security_group_id] if egress else []))
    pulumi.export("eksClusterName", eks_cluster.cluster_name)
    pulumi.export("oidcProviderArn", eks_cluster.oidc_provider_arn)

api_key = stack_config.api_key
zai_key = None
if settings.secret is not None:
    from openhands_zai import ZaiApiKeySecret, ZaiApiKeySecretArgs

    zai_key = ZaiApiKeySecret("zai-api-key", ZaiApiKeySecretArgs(
        settings=settings.secret, environment=stack, api_key=stack_config.api_key, tags=tags,
        oidc_provider_arn=eks_cluster.oidc_provider_arn if eks_cluster else None))
    api_key = zai_key.api_key  # AWSCURRENT, read back: a rotated key reaches OpenHands on the next `up`
    pulumi.export("secretArn", zai_key.secret_arn)
    pulumi.export("secretName", zai_key.secret_name)
    pulumi.export("kmsKeyArn", zai_key.kms_key_arn)
    pulumi.export("readerPolicyArn", zai_key.reader_policy_arn)
    pulumi.export("readerRoleArn", zai_key.reader_role_arn)
    pulumi.export("instanceProfileName", zai_key.instance_profile_name)

if settings.kubernetes is not None:
    import pulumi_kubernetes as k8s

    from openhands_zai import OpenHandsCluster, OpenHandsClusterArgs

    kube = settings.kubernetes
    kube_provider = k8s.Provider("cluster", kubeconfig=eks_cluster.kubeconfig if eks_cluster else kube.kubeconfig,
                                 context=None if eks_cluster else kube.context)
    external = kube.secret_sync == "external-secrets"
    region = None
    if external:
        import pulumi_aws as aws

        region = aws.config.region
    openhands = OpenHandsCluster(
        "openhands",
        OpenHandsClusterArgs(
            settings=kube, llm=settings.llm, release=release, debug=settings.debug,
            api_key=None if external else api_key,
            secret_name=zai_key.secret_name if external and zai_key else None,
            region=region,
            service_account_role_arn=kube.service_account_role_arn or (zai_key.reader_role_arn if zai_key else None),
            egress=settings.egress,
            gateway=settings.llm_gateway,
        ),
        opts=pulumi.ResourceOptions(providers=[kube_provider]),
    )
    pulumi.export("namespace", openhands.namespace)
    pulumi.export("url", openhands.url)
    if openhands.gateway is not None:
        pulumi.export("gatewayUrl", openhands.gateway.url)
        pulumi.export("gatewayKey", openhands.gateway.key)
elif settings.docker is not None:
    import pulumi_docker as docker

    docker_host = docker.Provider("docker-host", host=settings.docker.host)
    on_host = pulumi.ResourceOptions(providers=[docker_host])
    labels = {"openhands-zai.stack": stack}
    route = None
    if settings.llm_gateway is not None:
        from openhands_zai import LlmGateway, LlmGatewayArgs

        # The Z.AI key goes to the gateway only; OpenHands gets the gateway's key and route.
        gateway = LlmGateway("gateway", LlmGatewayArgs(
            settings=settings.llm_gateway, llm=settings.llm, docker=settings.docker, zai_api_key=api_key,
            labels={**settings.tags, **labels}), opts=on_host)
        api_key, route = gateway.key, gateway.route
        pulumi.export("gatewayUrl", gateway.url)
        pulumi.export("gatewayKey", gateway.key)
    if settings.instances:
        from openhands_zai import OpenHandsInstances, OpenHandsInstancesArgs

        instances = OpenHandsInstances("openhands", OpenHandsInstancesArgs(
            instances=settings.instances, llm=settings.llm, release=release, docker=settings.docker,
            api_key=api_key, debug=settings.debug, labels=labels, tags=settings.tags), opts=on_host)
        pulumi.export("urls", instances.urls)
        pulumi.export("containerIds", instances.container_ids)
    else:
        from openhands_zai import OpenHandsContainer, OpenHandsContainerArgs

        openhands_container = OpenHandsContainer("openhands", OpenHandsContainerArgs(
            llm=settings.llm, release=release, docker=settings.docker, api_key=api_key, debug=settings.debug,
            labels=labels, tags=settings.tags, route=route), opts=on_host)
        pulumi.export("containerId", openhands_container.container_id)
        pulumi.export("activeModel", openhands_container.active_model)
        pulumi.export("endpoint", openhands_container.endpoint)
        pulumi.export("url", openhands_container.url)

pulumi.export("openhandsVersion", release.version)
