"""The IAM documents around the Z.AI key (pure): the KMS key policy, the secret's resource policy,
the readers' identity policy, the reader role's trust policy. Functions of ARNs (plain strings),
so they are tested and linted (parliament) without the engine; the component applies them to
resolved Outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .settings import ReaderRoleTrust

READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
# What Secrets Manager itself does with the key on behalf of callers in the account (the
# actions of AWS's own aws/secretsmanager key policy, spelled out instead of ReEncrypt*/GenerateDataKey*).
SECRETS_MANAGER_KMS_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
                               "kms:GenerateDataKey", "kms:CreateGrant", "kms:DescribeKey")


def _dns_suffix(partition: str) -> str:
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


def secretsmanager_service(region: str, partition: str = "aws") -> str:
    """The `kms:ViaService` value for Secrets Manager in a region."""
    return f"secretsmanager.{region}.{_dns_suffix(partition)}"


def _one_or_many(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values


# What the account's administrators may do to the key through IAM: manage it, never use it (the
# uses are granted by name below). Without these the key could become unmanageable.
KEY_ADMIN_ACTIONS = ("kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                     "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
                     "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
                     "kms:RotateKeyOnDemand")


def kms_key_policy(account_id: str, partition: str, region: str, reader_arns: list[str],
                   operator_arns: list[str]) -> dict[str, Any]:
    """Key policy for a customer-managed key that encrypts only this secret.

    - the account administers the key through IAM, without using it (no Decrypt, no
      GenerateDataKey: an administrator's IAM policy alone cannot read the key);
    - the operators (the deployer, whoever rotates the key) may use it only through Secrets
      Manager in this region: store versions and read them back;
    - the reader roles (which may live in other accounts) may decrypt only through Secrets Manager.
    """
    via = secretsmanager_service(region, partition)
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": list(KEY_ADMIN_ACTIONS),
            "Resource": "*",
        },
    ]
    operators = sorted(set(operator_arns))
    if operators:
        statements.append({
            "Sid": "OperatorsUseThroughSecretsManager",
            "Effect": "Allow",
            "Principal": {"AWS": _one_or_many(operators)},
            "Action": list(SECRETS_MANAGER_KMS_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": via}},
        })
    if reader_arns:
        statements.append({
            "Sid": "ReaderRolesDecryptThroughSecretsManager",
            "Effect": "Allow",
            "Principal": {"AWS": _one_or_many(sorted(reader_arns))},
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": via}},
        })
    return {"Version": "2012-10-17", "Statement": statements}


def secret_resource_policy(account_id: str, secret_arn: str, reader_arns: list[str],
                           operator_arns: Sequence[str] = (), reader_vpc_endpoints: Sequence[str] = ()) -> dict[str, Any]:
    """Resource policy on the secret (applied with BlockPublicPolicy).

    Reader roles may read; nobody else may read the value but the operators (the deployer, who
    reads AWSCURRENT back, and whoever rotates); principals from other accounts that are not reader
    roles are denied everything (AWS services acting for the account, such as replication, are not
    principals of another account and are left alone); with `reader_vpc_endpoints`, the readers
    only through those Secrets Manager endpoints (a token taken out of the cluster is worthless);
    requests without TLS are denied. `Resource` names the secret itself.
    """
    readers = sorted(reader_arns)
    outside: dict[str, Any] = {
        "StringNotEquals": {"aws:PrincipalAccount": account_id},
        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
    }
    if readers:
        outside["ArnNotEquals"] = {"aws:PrincipalArn": readers}
    statements: list[dict[str, Any]] = []
    if readers:
        statements.append({
            "Sid": "ReaderRoles",
            "Effect": "Allow",
            "Principal": {"AWS": _one_or_many(readers)},
            "Action": list(READ_ACTIONS),
            "Resource": secret_arn,
        })
    statements.append({
        "Sid": "DenyOutsideAccountAndReaders",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "secretsmanager:*",
        "Resource": secret_arn,
        "Condition": outside,
    })
    named = sorted(set(readers) | set(operator_arns))
    if named:
        statements.append({
            "Sid": "DenyReadingToTheUnnamed",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_arn,
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": named},
                          "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}},
        })
    if readers and reader_vpc_endpoints:
        statements.append({
            "Sid": "ReadersOnlyThroughTheVpcEndpoint",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_arn,
            "Condition": {"ArnEquals": {"aws:PrincipalArn": readers},
                          "StringNotEquals": {"aws:SourceVpce": _one_or_many(sorted(reader_vpc_endpoints))}},
        })
    statements.append({
        "Sid": "DenyWithoutTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "secretsmanager:*",
        "Resource": secret_arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    })
    return {"Version": "2012-10-17", "Statement": statements}


def reader_policy(secret_arns: list[str], key_arns: list[str], regions: list[str],
                  partition: str = "aws") -> dict[str, Any]:
    """Identity policy: read this secret (and its replicas) and decrypt with its keys, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadTheZaiApiKey",
                "Effect": "Allow",
                "Action": list(READ_ACTIONS),
                "Resource": _one_or_many(sorted(secret_arns)),
            },
            {
                "Sid": "DecryptOnlyThroughSecretsManager",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": _one_or_many(sorted(key_arns)),
                "Condition": {"StringEquals": {
                    "kms:ViaService": _one_or_many(sorted(secretsmanager_service(r, partition) for r in regions))}},
            },
        ],
    }


def oidc_issuer(provider_arn: str) -> str:
    """`arn:aws:iam::1:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X` -> the issuer host/path."""
    return provider_arn.split(":oidc-provider/", 1)[1]


def reader_trust_policy(trust: ReaderRoleTrust, partition: str = "aws",
                        oidc_provider_arn: str | None = None) -> dict[str, Any]:
    """Who may assume the reader role. `oidc_provider_arn` is the resolved IRSA provider ARN."""
    if trust.ec2:
        statement = {"Effect": "Allow", "Principal": {"Service": f"ec2.{_dns_suffix(partition)}"},
                     "Action": "sts:AssumeRole"}
    elif trust.irsa is not None:
        provider = oidc_provider_arn or trust.irsa.oidc_provider_arn
        if provider is None:
            raise ValueError("reader_trust_policy: IRSA needs the OIDC provider's ARN (settings or the cluster's)")
        issuer = oidc_issuer(provider)
        statement = {
            "Effect": "Allow",
            "Principal": {"Federated": provider},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                f"{issuer}:sub": f"system:serviceaccount:{trust.irsa.namespace}:{trust.irsa.service_account}",
                f"{issuer}:aud": "sts.amazonaws.com",
            }},
        }
    else:
        statement = {"Effect": "Allow", "Principal": {"AWS": _one_or_many(sorted(trust.principal_arns))},
                     "Action": "sts:AssumeRole"}
    return {"Version": "2012-10-17", "Statement": [statement]}


def replica_secret_arn(primary_arn: str, region: str) -> str:
    """A replica keeps the primary's name and random suffix; only the region differs."""
    parts = primary_arn.split(":")
    parts[3] = region
    return ":".join(parts)
