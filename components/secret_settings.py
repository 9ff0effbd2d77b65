"""`openhands-zai:secret`: where the Z.AI key lives in AWS Secrets Manager, typed and validated.

Pure: no Pulumi, no AWS. The component (`components/secret.py`) takes what this returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components.aws_ids import (
    IAM_PRINCIPAL_ARN,
    IAM_ROLE_ARN,
    K8S_NAME,
    KMS_KEY_ARN,
    OIDC_PROVIDER_ARN,
    REGION,
    SECRET_NAME,
    SECRET_NAME_ARN_LIKE_SUFFIX,
)
from components.config_errors import Problems, checked_map, config_key
from components.config_values import as_bool, as_int

SECRET_KEYS = ("name", "kmsKeyArn", "recoveryWindowInDays", "replicaRegions", "readerRoleArns",
               "createReaderRole", "rotationManaged", "tags")
REPLICA_KEYS = ("region", "kmsKeyArn")
READER_ROLE_KEYS = ("ec2", "irsa", "principalArns")
IRSA_KEYS = ("oidcProviderArn", "namespace", "serviceAccount")
RECOVERY_WINDOW = (7, 30)  # Secrets Manager's own bounds; 0 (force delete) is deliberately not offered
DEFAULT_RECOVERY_WINDOW = 30


def default_secret_name(stack: str) -> str:
    return f"openhands-zai/{stack}/zai-api-key"


@dataclass(frozen=True)
class ReplicaRegion:
    region: str
    kms_key_arn: str | None = None  # None: the component creates a key in that region


@dataclass(frozen=True)
class IrsaTrust:
    """An EKS service account (IAM Roles for Service Accounts)."""

    oidc_provider_arn: Any  # str from config, an Output when the cluster is built in the same program (None until then)
    namespace: str
    service_account: str


@dataclass(frozen=True)
class ReaderRoleTrust:
    """Who may assume the reader role the component creates: exactly one kind."""

    ec2: bool = False  # an EC2 instance profile (the Docker target on an AWS host)
    irsa: IrsaTrust | None = None
    principal_arns: tuple[str, ...] = ()


@dataclass(frozen=True)
class SecretSettings:
    name: str | None = None  # None: default_secret_name(stack)
    kms_key_arn: str | None = None  # None: the component creates a customer-managed key
    recovery_window_in_days: int = DEFAULT_RECOVERY_WINDOW
    replicas: tuple[ReplicaRegion, ...] = ()
    reader_role_arns: tuple[str, ...] = ()
    reader_role: ReaderRoleTrust | None = None
    rotation_managed: bool = False
    tags: dict[str, str] = field(default_factory=dict)


def _strings(raw: Any, key: str, problems: Problems) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        problems.add(key, "must be a list of strings")
        return []
    return raw




def _kms_arn(value: Any, key: str, problems: Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not KMS_KEY_ARN.match(value):
        problems.add(key, "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; an alias "
                          f"cannot be named in an IAM policy), got {value!r}")
        return None
    return value


def _parse_replicas(raw: Any, problems: Problems) -> tuple[ReplicaRegion, ...]:
    key = config_key("secret", "replicaRegions")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(key, "must be a list of regions (eu-west-1) or {region, kmsKeyArn} maps")
        return ()
    replicas, seen = [], set()
    for index, item in enumerate(raw):
        item_key = f"{key}[{index}]"
        kms = None
        if isinstance(item, dict):
            if checked_map(item, item_key, REPLICA_KEYS, problems) is None:
                continue
            region = item.get("region")
            kms = _kms_arn(item.get("kmsKeyArn"), f"{item_key}.kmsKeyArn", problems)
        else:
            region = item
        if not isinstance(region, str) or not REGION.match(region):
            problems.add(item_key, f"must be an AWS region such as eu-west-1, got {region!r}")
            continue
        if kms and kms.split(":")[3] != region:
            problems.add(f"{item_key}.kmsKeyArn", f"is in {kms.split(':')[3]}; a replica's key must be in {region}")
        if region in seen:
            problems.add(item_key, f"{region} is listed twice")
        seen.add(region)
        replicas.append(ReplicaRegion(region=region, kms_key_arn=kms))
    return tuple(replicas)


def _parse_reader_role(raw: Any, problems: Problems, eks_configured: bool = False) -> ReaderRoleTrust | None:
    key = config_key("secret", "createReaderRole")
    flag = as_bool(raw) if not isinstance(raw, dict) else None
    if raw is None or flag is False:
        return None
    if flag is True:
        return ReaderRoleTrust(ec2=True)
    if checked_map(raw, key, READER_ROLE_KEYS, problems) is None:
        return None
    kinds = [name for name in READER_ROLE_KEYS if raw.get(name) not in (None, False, [])]
    if len(kinds) != 1:
        problems.add(key, "must name exactly one trusted principal: ec2: true, irsa: {oidcProviderArn, "
                          "namespace, serviceAccount} or principalArns: [...]")
        return None
    if kinds == ["ec2"]:
        if as_bool(raw["ec2"]) is not True:
            problems.add(f"{key}.ec2", f"must be true, got {raw['ec2']!r}")
            return None
        return ReaderRoleTrust(ec2=True)
    if kinds == ["principalArns"]:
        arns = _strings(raw["principalArns"], f"{key}.principalArns", problems)
        for index, arn in enumerate(arns):
            if not IAM_PRINCIPAL_ARN.match(arn):
                problems.add(f"{key}.principalArns[{index}]",
                             f"must be an IAM role, user or account-root ARN, got {arn!r}")
        return ReaderRoleTrust(principal_arns=tuple(arns))
    irsa = raw["irsa"]
    irsa_key = f"{key}.irsa"
    if checked_map(irsa, irsa_key, IRSA_KEYS, problems) is None:
        return None
    start = len(problems.items)
    provider = irsa.get("oidcProviderArn")
    if provider is None and eks_configured:
        pass  # the program passes the new EKS cluster's OIDC provider
    elif not isinstance(provider, str) or not OIDC_PROVIDER_ARN.match(provider):
        problems.add(f"{irsa_key}.oidcProviderArn",
                     f"must be an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>), got {provider!r}")
    for name in ("namespace", "serviceAccount"):
        value = irsa.get(name)
        if not isinstance(value, str) or not K8S_NAME.match(value):
            problems.add(f"{irsa_key}.{name}", f"must be a Kubernetes name (lower-case letters, digits, '-'), got {value!r}")
    if len(problems.items) > start:
        return None
    return ReaderRoleTrust(irsa=IrsaTrust(provider, irsa["namespace"], irsa["serviceAccount"]))


def parse_secret_settings(raw: Any, problems: Problems, *, eks_configured: bool = False) -> SecretSettings | None:
    """`openhands-zai:secret`, or None when the stack keeps the key out of AWS (unset)."""
    if raw is None:
        return None
    key = config_key("secret")
    if checked_map(raw, key, SECRET_KEYS, problems) is None:
        return None
    start = len(problems.items)

    name = raw.get("name")
    if name is not None and (not isinstance(name, str) or not SECRET_NAME.match(name)):
        problems.add(config_key("secret", "name"),
                     f"must be 1-512 letters, digits or /_+=.@- characters, got {name!r}")
    elif isinstance(name, str) and SECRET_NAME_ARN_LIKE_SUFFIX.search(name):
        problems.add(config_key("secret", "name"),
                     "must not end in a hyphen and six characters: Secrets Manager would take it for an ARN suffix")

    window_raw = raw.get("recoveryWindowInDays", DEFAULT_RECOVERY_WINDOW)
    window = as_int(window_raw)
    low, high = RECOVERY_WINDOW
    if window is None or not low <= window <= high:
        problems.add(config_key("secret", "recoveryWindowInDays"),
                     f"must be an integer from {low} to {high} (days), got {window_raw!r}")

    readers = _strings(raw.get("readerRoleArns"), config_key("secret", "readerRoleArns"), problems)
    for index, arn in enumerate(readers):
        if not IAM_ROLE_ARN.match(arn):
            problems.add(config_key("secret", f"readerRoleArns[{index}]"),
                         f"must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got {arn!r}")

    rotation = as_bool(raw.get("rotationManaged", False))
    if rotation is None:
        problems.add(config_key("secret", "rotationManaged"), f"must be true or false, got {raw['rotationManaged']!r}")

    tags = raw.get("tags") or {}
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        problems.add(config_key("secret", "tags"), "must be a map of tag name to string value")
        tags = {}

    settings = SecretSettings(
        name=name,
        kms_key_arn=_kms_arn(raw.get("kmsKeyArn"), config_key("secret", "kmsKeyArn"), problems),
        recovery_window_in_days=window or DEFAULT_RECOVERY_WINDOW,
        replicas=_parse_replicas(raw.get("replicaRegions"), problems),
        reader_role_arns=tuple(readers),
        reader_role=_parse_reader_role(raw.get("createReaderRole"), problems, eks_configured),
        rotation_managed=bool(rotation),
        tags=dict(tags),
    )
    return None if len(problems.items) > start else settings
