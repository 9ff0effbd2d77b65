"""EksCluster: an EKS cluster for the Kubernetes target, when `openhands-zai:eks` is set.

Creates the cluster (private and public endpoint, API authentication mode, control-plane logs)
in the given subnets with the given security groups (e.g. the egress allow-list's group), a
managed node group, the IAM roles both need, and the OIDC provider that IRSA uses (the reader
role of the key trusts the OpenHands service account through it). `kubeconfig` authenticates
with `aws eks get-token`, so it holds no credential.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

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
        tags = {"environment": args.environment, "app": "openhands-zai", "managed-by": "pulumi", **args.tags}
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
                security_group_ids=[*settings.security_group_ids, *args.extra_security_group_ids],
                endpoint_private_access=True,
                endpoint_public_access=True,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(authentication_mode="API",
                                                          bootstrap_cluster_creator_admin_permissions=True),
            enabled_cluster_log_types=["api", "audit", "authenticator"],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attach]),
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
