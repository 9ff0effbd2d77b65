"""Shapes of AWS identifiers and tags, checked before anything reaches AWS.

AWS rejects a malformed ARN or region only at `pulumi up`, minutes in and half applied; these
types let the plan name the config key instead. They follow the documented formats (partition
`aws`, `aws-cn`, `aws-us-gov`; 12-digit accounts; KMS key ids as UUIDs or multi-Region `mrk-`
ids). `re.ASCII` semantics everywhere: the digit and word classes would otherwise accept any
Unicode digit or letter, which AWS does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import pulumi
from pydantic import AfterValidator, BeforeValidator, Field

from .errors import Hint
from .fields import problem, text_from_number

_PARTITION = r"aws(?:-cn|-us-gov)?"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}"
_KEY_ID = r"(?:[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
_IAM_NAME = r"(?:[A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]{1,64}"

# The regions pulumi-aws 7.51.1 knows (`pulumi_aws.Region`; a test keeps the two equal), so a
# typo such as eu-west-99 is refused here rather than by AWS half-way through `pulumi up`.
REGIONS = frozenset({
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "cn-north-1", "cn-northwest-1",
    "eu-central-1", "eu-central-2", "eu-isoe-west-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1",
    "eu-west-2", "eu-west-3", "eusc-de-east-1", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
    "sa-east-1", "us-east-1", "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-iso-east-1", "us-iso-west-1",
    "us-isob-east-1", "us-isob-west-1", "us-isof-east-1", "us-isof-south-1", "us-west-1", "us-west-2",
})


def known_region(value: str) -> str:
    if value not in REGIONS:
        shaped = re.fullmatch(_REGION, value, re.ASCII) is not None
        raise problem(f"{value!r} is not an AWS region{' pulumi-aws knows' if shaped else ''}; "
                      "regions look like eu-west-1")
    return value


Region = Annotated[str, AfterValidator(known_region), Hint("an AWS region such as eu-west-1")]
AccountId = Annotated[str, BeforeValidator(text_from_number), Field(pattern=r"^\d{12}$"),
                      Hint("a 12-digit account id (quote it in YAML)")]
KmsKeyArn = Annotated[str, Field(pattern=rf"^arn:{_PARTITION}:kms:{_REGION}:\d{{12}}:key/{_KEY_ID}$"),
                      Hint("a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; an alias cannot be "
                           "named in an IAM policy)")]
IamRoleArn = Annotated[str, Field(pattern=rf"^arn:{_PARTITION}:iam::\d{{12}}:role/{_IAM_NAME}$"),
                       Hint("an IAM role ARN (arn:aws:iam::<account>:role/<name>)")]
IamPrincipalArn = Annotated[str, Field(pattern=rf"^arn:{_PARTITION}:iam::\d{{12}}:(?:root|(?:role|user)/{_IAM_NAME})$"),
                            Hint("an IAM role, user or account-root ARN")]
OidcProviderArn = Annotated[
    str, Field(pattern=rf"^arn:{_PARTITION}:iam::\d{{12}}:oidc-provider/[A-Za-z0-9.-]+(?:/[A-Za-z0-9_.-]+)*$"),
    Hint("an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>)")]
# EC2 resource ids: a prefix and 8 (older) or 17 hex digits.
VpcId = Annotated[str, Field(pattern=r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$"), Hint("an id like vpc-0123456789abcdef0")]
RouteTableId = Annotated[str, Field(pattern=r"^rtb-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
                         Hint("an id like rtb-0123456789abcdef0")]
SubnetId = Annotated[str, Field(pattern=r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
                     Hint("an id like subnet-0123456789abcdef0")]
InternetGatewayId = Annotated[str, Field(pattern=r"^igw-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
                              Hint("an id like igw-0123456789abcdef0")]
SecurityGroupId = Annotated[str, Field(pattern=r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
                            Hint("an id like sg-0123456789abcdef0")]
AvailabilityZone = Annotated[str, Field(pattern=rf"^{_REGION}[a-z]$"), Hint("a zone like eu-west-1a")]
# Kubernetes names (RFC 1123 labels), e.g. for service-account trust.
KubernetesName = Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"),
                           Hint("a Kubernetes name (lower-case letters, digits, '-')")]


# An instance's metadata service: IMDSv2 only, one hop, so the instance itself reaches it and its
# pods or containers (a second hop) do not (EKS nodes, the Docker host); pulumi-aws's field names.
IMDSV2_ONE_HOP: dict[str, Any] = {"http_endpoint": "enabled", "http_tokens": "required",
                                  "http_put_response_hop_limit": 1, "instance_metadata_tags": "disabled"}


def principal_of_session(arn: str) -> str:
    """The IAM principal behind a caller identity: `assumed-role/<role>/<session>` is the role (as
    `aws:PrincipalArn` and a policy's Principal name it; `issuer_arn` of the session context keeps
    the role's path), a user or root is itself."""
    if ":assumed-role/" in arn:
        head, rest = arn.split(":assumed-role/", 1)
        return head.replace(":sts:", ":iam:") + ":role/" + rest.split("/", 1)[0]
    return arn


def region_of_arn(arn: str) -> str:
    return arn.split(":")[3]


def account_of_arn(arn: str) -> str:
    return arn.split(":")[4]


def _tag_name(value: Any) -> Any:
    if isinstance(value, str) and value.lower().startswith("aws:"):
        raise problem("tag names may not start with aws: (AWS reserves them)")
    return value


# AWS's tag rules: names 1-128 characters and not `aws:`; values up to 256.
TagName = Annotated[str, BeforeValidator(_tag_name), Field(min_length=1, max_length=128),
                    Hint("a tag name of 1-128 characters")]
TagValue = Annotated[str, Field(max_length=256), Hint("a string of at most 256 characters")]
Tags = Annotated[dict[TagName, TagValue], Hint("a map of tag name to string value")]


def resource_tags(environment: str, *tag_maps: dict[str, str]) -> dict[str, str]:
    """The tags on every AWS resource the bundle makes: the stack as `environment`, the bundle as
    `app` and Pulumi as `managed-by`, then the user's (`openhands-zai:tags`, which may rename any)."""
    tags = {"environment": environment, "app": "openhands-zai", "managed-by": "pulumi"}
    for more in tag_maps:
        tags.update(more)
    return tags


@dataclass(frozen=True)
class AwsCredentials:
    """What boto3 beside a provider (the firewall routing's takeover) needs to act as the AWS provider
    does: its profile and its chain of assumed roles ({roleArn, sessionName?, externalId?}, as `aws:assumeRoles` lists them)."""

    profile: str | None = None
    assume_roles: tuple[dict[str, str], ...] = ()

    @classmethod
    def from_config(cls, config: pulumi.Config | None = None) -> AwsCredentials:
        """From the default AWS provider's stack config (`aws:profile`, `aws:assumeRoles`)."""
        config = config or pulumi.Config("aws")
        roles = config.get_object("assumeRoles") or []
        return cls(config.get("profile"), tuple(
            {k: str(v) for k, v in role.items() if k in ("roleArn", "sessionName", "externalId") and v}
            for role in roles if isinstance(role, dict) and role.get("roleArn")))
