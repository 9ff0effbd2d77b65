"""EksCluster: an EKS cluster for the Kubernetes target, when `openhands-zai:eks` is set.

Creates the cluster (private and public endpoint, API authentication mode, control-plane logs)
in the given subnets, a managed node group, the IAM roles both need, and the OIDC provider that
IRSA uses (the reader role of the key trusts the secret sync's service account through it).
`kubeconfig` authenticates with `aws eks get-token`, so it holds no credential.

What keeps the pods in (they share the nodes' network interfaces and their security groups):
- the VPC CNI as a managed add-on with its network policy agent on, so the bundle's
  NetworkPolicies are enforced (a new cluster's CNI ignores them);
- a launch template for the nodes: IMDSv2 only with a hop limit of 1 (a pod's packets take a
  second hop, so no pod reaches the node's role through the metadata service), and the nodes'
  security groups: the bundle's node group (the control plane and the other nodes, nothing else)
  plus `extra_security_group_ids` (the egress allow-list's group). The EKS cluster group, which
  lets everything out, is not among them: security groups add up, and it would undo the
  allow-list. Without an allow-list the node group lets everything out itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..aws_ids import IMDSV2_ONE_HOP, resource_tags
from ..guardrails.labels import EGRESS_EXCEPTION_NO_ALLOW_LIST, EGRESS_EXCEPTION_TAG
from .settings import EksSettings

COMPONENT_TYPE = "openhands-zai:cluster:EksCluster"  # kept: a new token would change every URN
_MANAGED = "arn:aws:iam::aws:policy/"


def _assumed_by(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def kubeconfig(name: str, endpoint: str, certificate: str, region: str) -> str:
    """A kubeconfig for the new cluster; the token comes from `aws eks get-token` at use."""
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": name,
        "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": certificate}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "users": [{"name": name, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", name, "--region", region]}}}],
    })




@dataclass
class EksClusterArgs:
    settings: EksSettings
    environment: str
    # On the nodes' interfaces, which carry the pods' traffic (e.g. the egress allow-list's group).
    extra_security_group_ids: list[pulumi.Input[str]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


class EksCluster(pulumi.ComponentResource):
    """An EKS cluster, its node group, their roles and the OIDC provider for IRSA; `kubeconfig`
    connects a kubernetes provider to it. Needs an aws provider (the default one, or in `opts`)."""

    cluster_name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(COMPONENT_TYPE, name, None, opts)
        settings = args.settings
        tags = resource_tags(args.environment, args.tags)
        child = pulumi.ResourceOptions(parent=self)

        cluster_role = aws.iam.Role(f"{name}-cluster-role", assume_role_policy=_assumed_by("eks.amazonaws.com"),
                                    tags=tags, opts=child)
        attach = aws.iam.RolePolicyAttachment(f"{name}-cluster-policy", role=cluster_role.name,
                                              policy_arn=_MANAGED + "AmazonEKSClusterPolicy", opts=child)
        cluster = aws.eks.Cluster(
            f"{name}-cluster",
            role_arn=cluster_role.arn,
            version=settings.version,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(settings.subnet_ids),
                security_group_ids=list(settings.security_group_ids),
                endpoint_private_access=True,
                endpoint_public_access=True,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(authentication_mode="API",
                                                          bootstrap_cluster_creator_admin_permissions=True),
            enabled_cluster_log_types=["api", "audit", "authenticator"],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attach]),
        )
        self._network_policy_addon(name, cluster, tags)
        node_group_ids = self._node_security_group(name, cluster, args, tags)
        launch_template = aws.ec2.LaunchTemplate(
            f"{name}-nodes",
            description="openhands-zai EKS nodes: IMDSv2 with hop limit 1, the bundle's security groups",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(**IMDSV2_ONE_HOP),
            vpc_security_group_ids=node_group_ids,
            tag_specifications=[aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="instance", tags=tags)],
            tags=tags,
            opts=child,
        )
        node_role = aws.iam.Role(f"{name}-node-role", assume_role_policy=_assumed_by("ec2.amazonaws.com"),
                                 tags=tags, opts=child)
        node_policies = [aws.iam.RolePolicyAttachment(f"{name}-node-{policy}", role=node_role.name,
                                                      policy_arn=_MANAGED + policy, opts=child)
                         for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy",
                                        "AmazonEC2ContainerRegistryReadOnly")]
        aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=list(settings.subnet_ids),
            instance_types=list(settings.node_instance_types),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=launch_template.id,
                                                                version=launch_template.latest_version.apply(str)),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                desired_size=settings.node_count, min_size=settings.node_count, max_size=settings.node_count + 1),
            # One node at a time: the OpenHands pod moves with its volume, the budget allows one eviction.
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=node_policies),
        )
        issuer = cluster.identities.apply(lambda ids: ids[0]["oidcs"][0]["issuer"])
        oidc = aws.iam.OpenIdConnectProvider(f"{name}-oidc", url=issuer, client_id_lists=["sts.amazonaws.com"],
                                             tags=tags, opts=child)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region

        self.cluster_name = cluster.name
        self.oidc_provider_arn = oidc.arn
        self.kubeconfig = pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority, region).apply(
            lambda a: kubeconfig(a[0], a[1], a[2]["data"], a[3]))
        self.register_outputs({"clusterName": self.cluster_name, "oidcProviderArn": self.oidc_provider_arn})

    def _network_policy_addon(self, name: str, cluster: aws.eks.Cluster, tags: dict[str, str]) -> aws.eks.Addon:
        """The VPC CNI as a managed add-on with its network policy agent on (EKS's own add-on setting)."""
        return aws.eks.Addon(
            f"{name}-vpc-cni",
            cluster_name=cluster.name,
            addon_name="vpc-cni",
            configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
            # The self-managed CNI EKS installs is taken over, not failed on.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _node_security_group(self, name: str, cluster: aws.eks.Cluster, args: EksClusterArgs,
                             tags: dict[str, str]) -> list[pulumi.Input[str]]:
        """The nodes' own group: the control plane and the other nodes in and out, and (only without
        an allow-list group) the internet out. The cluster group admits the nodes back."""
        child = pulumi.ResourceOptions(parent=self)
        vpc_id = cluster.vpc_config.apply(lambda config: config.vpc_id)
        control_plane = cluster.vpc_config.apply(lambda config: config.cluster_security_group_id)
        group = aws.ec2.SecurityGroup(
            f"{name}-nodes",
            vpc_id=vpc_id,
            description="openhands-zai EKS nodes: the control plane and each other",
            revoke_rules_on_delete=True,
            tags={**tags, "Name": f"{name}-nodes"},
            opts=child,
        )
        for rule, peer in (("self", group.id), ("control-plane", control_plane)):
            aws.vpc.SecurityGroupIngressRule(f"{name}-nodes-from-{rule}", security_group_id=group.id,
                                             ip_protocol="-1", referenced_security_group_id=peer,
                                             description=f"all traffic from the {rule.replace('-', ' ')}",
                                             tags=tags, opts=child)
            aws.vpc.SecurityGroupEgressRule(f"{name}-nodes-to-{rule}", security_group_id=group.id,
                                            ip_protocol="-1", referenced_security_group_id=peer,
                                            description=f"all traffic to the {rule.replace('-', ' ')}", tags=tags,
                                            opts=child)
        aws.vpc.SecurityGroupIngressRule(f"{name}-control-plane-from-nodes", security_group_id=control_plane,
                                         ip_protocol="-1", referenced_security_group_id=group.id,
                                         description="all traffic from the openhands-zai nodes", tags=tags,
                                         opts=child)
        if not args.extra_security_group_ids:
            # No allow-list: the nodes (image pulls, AWS APIs) and their pods may reach the internet.
            aws.vpc.SecurityGroupEgressRule(f"{name}-nodes-to-internet", security_group_id=group.id,
                                            ip_protocol="-1", cidr_ipv4="0.0.0.0/0",
                                            description="the internet (no openhands-zai:egress allow-list)",
                                            tags={**tags, EGRESS_EXCEPTION_TAG: EGRESS_EXCEPTION_NO_ALLOW_LIST},
                                            opts=child)
        return [group.id, *args.extra_security_group_ids]
