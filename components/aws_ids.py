"""Shapes of AWS identifiers, checked before anything reaches AWS.

AWS rejects a malformed ARN or region only at `pulumi up`, minutes in and half applied; these
patterns let the plan name the config key instead. They follow the documented formats
(partition `aws`, `aws-cn`, `aws-us-gov`; 12-digit accounts; KMS key ids as UUIDs or
multi-Region `mrk-` ids).
"""

from __future__ import annotations

import re

PARTITION = r"aws(?:-cn|-us-gov)?"
REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
KMS_KEY_ARN = re.compile(
    rf"^arn:{PARTITION}:kms:[a-z]{{2}}(?:-[a-z]+)+-\d{{1,2}}:\d{{12}}:key/(?:[0-9a-f]{{8}}(?:-[0-9a-f]{{4}}){{3}}-[0-9a-f]{{12}}|mrk-[0-9a-f]{{32}})$"
)
IAM_ROLE_ARN = re.compile(rf"^arn:{PARTITION}:iam::\d{{12}}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{{1,64}}$")
IAM_PRINCIPAL_ARN = re.compile(rf"^arn:{PARTITION}:iam::\d{{12}}:(?:root|(?:role|user)/(?:[\w+=,.@-]+/)*[\w+=,.@-]{{1,64}})$")
OIDC_PROVIDER_ARN = re.compile(rf"^arn:{PARTITION}:iam::\d{{12}}:oidc-provider/[A-Za-z0-9.-]+(?:/[\w.-]+)*$")
# Secrets Manager names: 1-512 of letters, digits and /_+=.@-; a name ending in a hyphen and six
# characters would be mistaken for an ARN suffix by partial-ARN lookups.
SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
SECRET_NAME_ARN_LIKE_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
# Kubernetes names (RFC 1123 labels) for service-account trust.
K8S_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def region_of_arn(arn: str) -> str:
    return arn.split(":")[3]


def account_of_arn(arn: str) -> str:
    return arn.split(":")[4]
