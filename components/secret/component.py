"""ZaiApiKeySecret: the Z.AI API key in AWS Secrets Manager, encrypted with a customer key.

Resources (all children of the component):
- a customer-managed KMS key with yearly rotation and an alias, unless `kmsKeyArn` names one; its
  policy lets the account administer it and only the named readers and operators use it, through
  Secrets Manager (`kms:ViaService`);
  one more key in each replica region that does not name its own;
- the secret (recovery window, tags, replicas) and its first version from the stack's key;
- a resource policy (BlockPublicPolicy; reading denied to everyone but the readers and the operators:
  the deployer and `operatorArns`; other accounts denied unless a listed reader; the readers only
  through `readerVpcEndpointIds` when set; no TLS, no access);
- a reader policy: GetSecretValue/DescribeSecret on this secret and its replicas, kms:Decrypt on its
  keys only through Secrets Manager; with `createReaderRole`, a role that has it (and an instance
  profile when EC2 is trusted).

`api_key` is the value of the AWSCURRENT version read back from Secrets Manager, as a Pulumi
secret: after `openhands-zai rotate-key`, the next `pulumi up` hands the rotated key to OpenHands.
With `rotationManaged`, Pulumi ignores the version's string and stages so it never rolls a rotation back.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..aws_ids import resource_tags
from .plan import (
    kms_key_policy,
    reader_policy,
    reader_trust_policy,
    replica_secret_arn,
    secret_resource_policy,
)
from .settings import SecretSettings, default_secret_name

COMPONENT_TYPE = "openhands-zai:secret:ZaiApiKeySecret"


@dataclass
class ZaiApiKeySecretArgs:
    settings: SecretSettings
    environment: str  # the stack: the default secret name and the `environment` tag
    api_key: pulumi.Input[str]  # the first version's value; later versions come from rotate-key
    tags: dict[str, str] = field(default_factory=dict)
    # IRSA without an ARN in config: the OIDC provider of a cluster built in the same program.
    oidc_provider_arn: pulumi.Input[str] | None = None


def _alias(secret_name: str) -> str:
    # KMS alias names allow letters, digits, '/', '_' and '-'.
    return "alias/" + re.sub(r"[^A-Za-z0-9/_-]", "-", secret_name)


class ZaiApiKeySecret(pulumi.ComponentResource):
    """The key's KMS key, secret, first version, resource and reader policies and reader role;
    `api_key` is AWSCURRENT read back, as a Pulumi secret."""

    secret_arn: pulumi.Output[str]
    secret_name: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    reader_policy_arn: pulumi.Output[str]
    reader_policy_document: pulumi.Output[str]
    reader_role_arn: pulumi.Output[str | None]
    instance_profile_name: pulumi.Output[str | None]
    api_key: pulumi.Output[str]  # secret; deliberately not a registered output

    def __init__(self, name: str, args: ZaiApiKeySecretArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(COMPONENT_TYPE, name, None, opts)
        settings = args.settings
        secret_name = settings.name or default_secret_name(args.environment)
        tags = resource_tags(args.environment, args.tags, settings.tags)
        child = pulumi.ResourceOptions(parent=self)
        lookup = pulumi.InvokeOutputOptions(parent=self)
        caller = aws.get_caller_identity_output(opts=lookup)
        account_id = caller.account_id
        # The principal running `pulumi up` stores the first version and reads AWSCURRENT back.
        # The session context's issuer keeps a role's path, which `aws:PrincipalArn` compares.
        deployer = aws.iam.get_session_context_output(arn=caller.arn, opts=lookup).issuer_arn
        operators = pulumi.Output.all(deployer, *settings.operator_arns).apply(lambda arns: sorted(set(arns)))
        partition = aws.get_partition_output(opts=lookup).partition
        region = aws.get_region_output(opts=lookup).region

        role = profile = None
        trust = settings.create_reader_role
        if trust is not None:
            oidc_arn = pulumi.Output.from_input(
                (trust.irsa.oidc_provider_arn or args.oidc_provider_arn) if trust.irsa else "")
            role = aws.iam.Role(
                f"{name}-reader-role",
                description=f"Reads the Z.AI API key {secret_name} and nothing else",
                assume_role_policy=pulumi.Output.all(partition, oidc_arn).apply(
                    lambda a: json.dumps(reader_trust_policy(trust, a[0], a[1] or None))),
                max_session_duration=3600,
                tags=tags,
                opts=child,
            )
            if trust.ec2:
                profile = aws.iam.InstanceProfile(f"{name}-reader-profile", role=role.name, tags=tags, opts=child)
        readers = pulumi.Output.all(*settings.reader_role_arns, *([role.arn] if role else [])).apply(list)

        def key_in(key_region: pulumi.Input[str], suffix: str, region_arg: str | None) -> pulumi.Output[str]:
            policy = pulumi.Output.all(account_id, partition, key_region, readers, operators).apply(
                lambda a: json.dumps(kms_key_policy(a[0], a[1], a[2], a[3], a[4])))
            key = aws.kms.Key(
                f"{name}-key{suffix}",
                description=f"Encrypts the Z.AI API key {secret_name}",
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                enable_key_rotation=True,
                rotation_period_in_days=365,
                deletion_window_in_days=30,
                policy=policy,
                region=region_arg,
                tags=tags,
                opts=child,
            )
            aws.kms.Alias(f"{name}-key-alias{suffix}", name=_alias(secret_name), target_key_id=key.key_id,
                          region=region_arg, opts=child)
            return key.arn

        key_arn = (pulumi.Output.from_input(settings.kms_key_arn) if settings.kms_key_arn
                   else key_in(region, "", None))
        replica_keys = [
            pulumi.Output.from_input(replica.kms_key_arn) if replica.kms_key_arn
            else key_in(replica.region, f"-{replica.region}", replica.region)
            for replica in settings.replica_regions
        ]

        secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name=secret_name,
            description="Z.AI API key for OpenHands (GLM); rotate with `openhands-zai rotate-key`",
            kms_key_id=key_arn,
            recovery_window_in_days=settings.recovery_window_in_days,
            replicas=[aws.secretsmanager.SecretReplicaArgs(region=replica.region, kms_key_id=key)
                      for replica, key in zip(settings.replica_regions, replica_keys, strict=True)],
            tags=tags,
            opts=child,
        )
        version = aws.secretsmanager.SecretVersion(
            f"{name}-version",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(args.api_key),
            opts=pulumi.ResourceOptions(
                parent=self,
                # Rotation happens outside Pulumi (openhands-zai rotate-key): re-applying the stack's first
                # key, or its AWSCURRENT label, would undo it.
                ignore_changes=["secret_string", "version_stages"] if settings.rotation_managed else None,
            ),
        )
        aws.secretsmanager.SecretPolicy(
            f"{name}-policy",
            secret_arn=secret.arn,
            block_public_policy=True,
            policy=pulumi.Output.all(account_id, secret.arn, readers, operators).apply(
                lambda a: json.dumps(secret_resource_policy(a[0], a[1], a[2], a[3],
                                                            list(settings.reader_vpc_endpoint_ids)))),
            opts=child,
        )

        regions = [region, *(replica.region for replica in settings.replica_regions)]
        document = pulumi.Output.all(secret.arn, partition, pulumi.Output.all(key_arn, *replica_keys),
                                     pulumi.Output.all(*regions)).apply(
            lambda a: json.dumps(reader_policy(
                [a[0], *(replica_secret_arn(a[0], r.region) for r in settings.replica_regions)], list(a[2]), list(a[3]),
                a[1])))
        policy = aws.iam.Policy(
            f"{name}-reader",
            description=f"Read the Z.AI API key {secret_name} (and decrypt it through Secrets Manager)",
            policy=document,
            tags=tags,
            opts=child,
        )
        if role is not None:
            aws.iam.RolePolicyAttachment(f"{name}-reader-attach", role=role.name, policy_arn=policy.arn, opts=child)

        current = aws.secretsmanager.get_secret_version_output(
            secret_id=secret.arn, version_stage="AWSCURRENT",
            opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[version]))

        self.secret_arn = secret.arn
        self.secret_name = secret.name
        self.kms_key_arn = key_arn
        self.reader_policy_arn = policy.arn
        self.reader_policy_document = document
        self.reader_role_arn = role.arn if role else pulumi.Output.from_input(None)
        self.instance_profile_name = profile.name if profile else pulumi.Output.from_input(None)
        self.api_key = pulumi.Output.secret(current.secret_string)
        self.register_outputs({
            "secretArn": self.secret_arn,
            "secretName": self.secret_name,
            "kmsKeyArn": self.kms_key_arn,
            "readerPolicyArn": self.reader_policy_arn,
            "readerRoleArn": self.reader_role_arn,
            "instanceProfileName": self.instance_profile_name,
        })
