"""`openhands-zai:secret`: where the Z.AI key lives in AWS Secrets Manager, and who may read it.

Pure: no Pulumi resources, no AWS calls. The component (`component.py`) takes what this validates.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from ..aws_ids import (
    IamPrincipalArn,
    IamRoleArn,
    KmsKeyArn,
    KubernetesName,
    OidcProviderArn,
    Region,
    Tags,
    known_region,
    region_of_arn,
)
from ..errors import Hint
from ..fields import Flag, SettingsModel, WholeNumber, problem, unique

# Secrets Manager's own bounds; 0 (force delete) is deliberately not offered.
RECOVERY_WINDOW = (7, 30)


def default_secret_name(stack: str) -> str:
    return f"openhands-zai/{stack}/zai-api-key"


SecretName = Annotated[str, Field(pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$"),
                       Hint("1-512 letters, digits or /_+=.@- characters")]


class ReplicaRegion(SettingsModel):
    """A replica of the secret; its key is created in that region unless named."""

    region: Region = Field(description=(
        "The replica's region (as pulumi-aws knows the regions)."))
    kms_key_arn: KmsKeyArn | None = Field(None, description=(
        "The KMS key in that region (unset: one is created there)."))

    @field_validator("kms_key_arn")
    @classmethod
    def _key_in_the_region(cls, arn: str | None, info: ValidationInfo) -> str | None:
        region = info.data.get("region")
        if arn is not None and region is not None and region_of_arn(arn) != region:
            raise problem(f"is in {region_of_arn(arn)}; a replica's key must be in {region}")
        return arn


class IrsaTrust(SettingsModel):
    """An EKS service account (IAM Roles for Service Accounts)."""

    # None: the OIDC provider of the EKS cluster the same stack builds (openhands-zai:eks).
    oidc_provider_arn: OidcProviderArn | None = Field(None, description=(
        "The cluster's IAM OIDC provider (unset: the one of the cluster openhands-zai:eks builds)."))
    namespace: KubernetesName = Field(description=(
        "The service account's namespace."))
    service_account: KubernetesName = Field(description=(
        "The service account; on the cluster target openhands-secret-sync (openhands, the agent's pod, is "
        "refused)."))


class ReaderRoleTrust(SettingsModel):
    """Who may assume the reader role the component creates: exactly one kind."""

    ec2: Flag = Field(False, description=(
        "Trust EC2 (an instance profile: the Docker target on an AWS host)."))
    irsa: IrsaTrust | None = Field(None, description=(
        "Trust one EKS service account through IRSA."))
    principal_arns: tuple[IamPrincipalArn, ...] = Field((), description=(
        "Trust these IAM principals."))

    @model_validator(mode="after")
    def _exactly_one(self) -> ReaderRoleTrust:
        if [bool(self.ec2), self.irsa is not None, bool(self.principal_arns)].count(True) != 1:
            raise problem("must name exactly one trusted principal: ec2: true, irsa: {oidcProviderArn, namespace, "
                          "serviceAccount} or principalArns: [...]")
        return self


def _reader_role(value: Any) -> Any:
    # `createReaderRole: true` is the EC2 host's shorthand; false or null: no role.
    if isinstance(value, str) and value.lower() in ("true", "false"):
        value = value.lower() == "true"
    if value is True:
        return {"ec2": True}
    return None if value is False else value


def _replica(value: Any) -> Any:
    # `replicaRegions: [eu-central-1]` is short for [{region: eu-central-1}]; a bad region is named as written.
    return {"region": known_region(value)} if isinstance(value, str) else value


class SecretSettings(SettingsModel):
    """The secret (KMS key, recovery window, replicas), its readers and its rotation."""

    name: SecretName | None = Field(None, description=(
        "The secret's name (unset: openhands-zai/<stack>/zai-api-key)."))
    kms_key_arn: KmsKeyArn | None = Field(None, description=(
        "A KMS key ARN (not an alias: IAM policies cannot name aliases) to encrypt with (unset: a "
        "customer-managed key is created, with rotation on)."))
    recovery_window_in_days: Annotated[WholeNumber, Field(ge=RECOVERY_WINDOW[0], le=RECOVERY_WINDOW[1])] = Field(30, description=(
        "How long a deleted secret can be restored."))
    replica_regions: Annotated[tuple[Annotated[ReplicaRegion, BeforeValidator(_replica)], ...],
                               Hint("a list of regions (eu-west-1) or {region, kmsKeyArn} maps")] = Field((), description=(
        "Regions to replicate the secret to: [eu-central-1] or [{region, kmsKeyArn}]."))
    reader_role_arns: Annotated[tuple[IamRoleArn, ...], Hint("a list of IAM role ARNs")] = Field((), description=(
        "Existing IAM roles that may read the value (through the secret's resource policy)."))
    # Who else may read the value and use the KMS key through Secrets Manager: the people or roles
    # that run `openhands-zai rotate-key`. The principal running `pulumi up` is always one.
    operator_arns: Annotated[tuple[IamPrincipalArn, ...], Hint("a list of IAM role or user ARNs")] = Field((), description=(
        "IAM roles or users that may also read the value and use the KMS key: those who run openhands-zai "
        "rotate-key (the identity running pulumi up always may)."))
    # The Secrets Manager interface endpoints the readers must come through (aws:SourceVpce).
    reader_vpc_endpoint_ids: Annotated[tuple[Annotated[str, Field(pattern=r"^vpce-(?:[0-9a-f]{8}|[0-9a-f]{17})$")], ...],
                                       Hint("a list of ids like vpce-0123456789abcdef0")] = Field((), description=(
        "Secrets Manager interface endpoints the readers must come through (aws:SourceVpce)."))
    create_reader_role: Annotated[ReaderRoleTrust | None, BeforeValidator(_reader_role)] = Field(None, description=(
        "Create a reader role: true (= {ec2: true}), {irsa: {...}} or {principalArns: [...]}."))
    rotation_managed: Flag = Field(False, description=(
        "The key is rotated outside Pulumi (openhands-zai rotate-key): pulumi up stops re-applying the stack's "
        "key over the secret's current version."))
    tags: Tags = Field(default_factory=dict, description=(
        "More tags on the secret and its key (added to environment, app and managed-by)."))

    @field_validator("name")
    @classmethod
    def _not_like_an_arn_suffix(cls, name: str | None) -> str | None:
        # Partial-ARN lookups would take a trailing hyphen and six characters for the ARN's suffix.
        if name is not None and len(name) >= 7 and name[-7] == "-" and name[-6:].isalnum():
            raise problem("must not end in a hyphen and six characters: Secrets Manager would take it for an ARN "
                          "suffix")
        return name

    @field_validator("replica_regions")
    @classmethod
    def _each_region_once(cls, replicas: tuple[ReplicaRegion, ...]) -> tuple[ReplicaRegion, ...]:
        unique([replica.region for replica in replicas], cls.__name__)
        return replicas
