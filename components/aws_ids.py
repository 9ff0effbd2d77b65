"""Shapes of AWS identifiers, checked before anything reaches AWS.

AWS rejects a malformed ARN or region only at `pulumi up`, minutes in and half applied; these
patterns let the plan name the config key instead. They follow the documented formats
(partition `aws`, `aws-cn`, `aws-us-gov`; 12-digit accounts; KMS key ids as UUIDs or
multi-Region `mrk-` ids). `re.ASCII` everywhere: the digit and word classes would otherwise accept any
Unicode digit or letter, which AWS does not.
"""

from __future__ import annotations

import re

PARTITION = r"aws(?:-cn|-us-gov)?"
REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$", re.ASCII)
ACCOUNT_ID = re.compile(r"^\d{12}$", re.ASCII)
KMS_KEY_ARN = re.compile(
    rf"^arn:{PARTITION}:kms:[a-z]{{2}}(?:-[a-z]+)+-\d{{1,2}}:\d{{12}}:key/(?:[0-9a-f]{{8}}(?:-[0-9a-f]{{4}}){{3}}-[0-9a-f]{{12}}|mrk-[0-9a-f]{{32}})$",
    re.ASCII,
)
IAM_ROLE_ARN = re.compile(rf"^arn:{PARTITION}:iam::\d{{12}}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{{1,64}}$", re.ASCII)
IAM_PRINCIPAL_ARN = re.compile(
    rf"^arn:{PARTITION}:iam::\d{{12}}:(?:root|(?:role|user)/(?:[\w+=,.@-]+/)*[\w+=,.@-]{{1,64}})$", re.ASCII)
OIDC_PROVIDER_ARN = re.compile(rf"^arn:{PARTITION}:iam::\d{{12}}:oidc-provider/[A-Za-z0-9.-]+(?:/[\w.-]+)*$", re.ASCII)
# Secrets Manager names: 1-512 of letters, digits and /_+=.@-; a name ending in a hyphen and six
# characters would be mistaken for an ARN suffix by partial-ARN lookups.
SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$", re.ASCII)
SECRET_NAME_ARN_LIKE_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$", re.ASCII)
# Kubernetes names (RFC 1123 labels) for service-account trust.
K8S_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.ASCII)


def region_of_arn(arn: str) -> str:
    return arn.split(":")[3]


def account_of_arn(arn: str) -> str:
    return arn.split(":")[4]
# EC2 resource ids: a prefix and 8 (older) or 17 hex digits.
VPC_ID = re.compile(r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$", re.ASCII)
ROUTE_TABLE_ID = re.compile(r"^rtb-(?:[0-9a-f]{8}|[0-9a-f]{17})$", re.ASCII)
SUBNET_ID = re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$", re.ASCII)
AVAILABILITY_ZONE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}[a-z]$", re.ASCII)
