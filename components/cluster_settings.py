"""`openhands-zai:kubernetes` (and `openhands-zai:eks`): the cluster target, typed and validated (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from components.aws_ids import IAM_ROLE_ARN, SUBNET_ID
from components.config_errors import Problems, checked_map, config_key
from components.config_values import as_bool, as_int

KUBERNETES_KEYS = ("kubeconfig", "context", "namespace", "replicas", "resources", "storage", "ingress", "secretSync",
                   "serviceAccountRoleArn", "cilium", "runtime")
SECRET_SYNCS = ("external-secrets", "direct")
# OpenHands 1.11 starts agent-server sandboxes with Docker, as local processes, or through
# OpenHands' remote runtime API; only the process runtime runs in a pod without privileges.
RUNTIMES = ("process",)
EKS_KEYS = ("version", "subnetIds", "nodeInstanceTypes", "nodeCount", "securityGroupIds")
_K8S_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.ASCII)
_HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.ASCII)
_QUANTITY = re.compile(r"^[0-9]+(?:\.[0-9]+)?(?:m|Ki|Mi|Gi|Ti|k|M|G|T)?$", re.ASCII)
_EKS_VERSION = re.compile(r"^1\.(?:2[89]|3[0-9])$", re.ASCII)
DEFAULT_RESOURCES = {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}


@dataclass(frozen=True)
class Ingress:
    host: str
    class_name: str | None = None
    tls_secret_name: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class KubernetesSettings:
    namespace: str = "openhands"
    kubeconfig: str | None = None
    context: str | None = None
    replicas: int = 1
    resources: dict[str, dict[str, str]] = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_RESOURCES.items()})
    storage_size: str = "20Gi"
    storage_class: str | None = None
    ingress: Ingress | None = None
    secret_sync: str = "external-secrets"
    service_account_role_arn: str | None = None
    cilium: bool = False
    runtime: str = "process"


@dataclass(frozen=True)
class EksSettings:
    version: str
    subnet_ids: tuple[str, ...]
    node_instance_types: tuple[str, ...] = ("m6i.xlarge",)
    node_count: int = 2
    security_group_ids: tuple[str, ...] = ()




def _name(value: Any, key: str, problems: Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _K8S_NAME.match(value):
        problems.add(key, f"must be a Kubernetes name (lower-case letters, digits, '-'), got {value!r}")
        return None
    return value


def _resources(raw: Any, problems: Problems) -> dict[str, dict[str, str]]:
    key = config_key("kubernetes", "resources")
    values = checked_map(raw, key, ("requests", "limits"), problems) if raw is not None else {}
    result = {k: dict(v) for k, v in DEFAULT_RESOURCES.items()}
    for section in ("requests", "limits"):
        part = (values or {}).get(section)
        if part is None:
            continue
        if checked_map(part, f"{key}.{section}", ("cpu", "memory"), problems) is None:
            continue
        for resource, quantity in part.items():
            if resource in ("cpu", "memory") and (not isinstance(quantity, (str, int)) or not _QUANTITY.match(str(quantity))):
                problems.add(f"{key}.{section}.{resource}", f"must be a Kubernetes quantity such as 500m or 2Gi, "
                                                            f"got {quantity!r}")
            elif resource in ("cpu", "memory"):
                result[section][resource] = str(quantity)
    return result


def parse_kubernetes_settings(raw: Any, problems: Problems, *, required: bool) -> KubernetesSettings | None:
    key = lambda *names: config_key("kubernetes", *names)  # noqa: E731
    if raw is None:
        return KubernetesSettings() if required else None
    values = checked_map(raw, key(), KUBERNETES_KEYS, problems)
    if values is None:
        return None
    start = len(problems.items)
    replicas = as_int(values.get("replicas", 1))
    if replicas is None or replicas < 1:
        problems.add(key("replicas"), f"must be an integer of at least 1, got {values.get('replicas')!r}")
    elif replicas > 1:
        problems.add(key("replicas"), "must be 1: OpenHands 1.11 keeps conversations and settings in a file store "
                                      "on the pod's volume, so a second replica would see other state (the "
                                      "Enterprise chart's database-backed server scales out)")
    storage = values.get("storage") or {}
    if checked_map(storage, key("storage"), ("size", "className"), problems) is None:
        storage = {}
    size = storage.get("size", "20Gi")
    if not isinstance(size, str) or not _QUANTITY.match(size):
        problems.add(key("storage", "size"), f"must be a Kubernetes quantity such as 20Gi, got {size!r}")
    ingress = None
    if values.get("ingress") is not None:
        spec = checked_map(values["ingress"], key("ingress"), ("host", "className", "tlsSecretName", "annotations"), problems)
        if spec is not None:
            host = spec.get("host")
            if not isinstance(host, str) or not _HOST.match(host):
                problems.add(key("ingress", "host"), f"must be a DNS host name such as openhands.example.com, got {host!r}")
            annotations = spec.get("annotations") or {}
            if not isinstance(annotations, dict) or not all(isinstance(v, str) for v in annotations.values()):
                problems.add(key("ingress", "annotations"), "must be a map of annotation to string value")
                annotations = {}
            ingress = Ingress(host=host, class_name=_name(spec.get("className"), key("ingress", "className"), problems),
                              tls_secret_name=_name(spec.get("tlsSecretName"), key("ingress", "tlsSecretName"), problems),
                              annotations=dict(annotations))
    sync = values.get("secretSync", "external-secrets")
    if sync not in SECRET_SYNCS:
        problems.add(key("secretSync"), f"must be one of {', '.join(SECRET_SYNCS)}, got {sync!r}")
    role = values.get("serviceAccountRoleArn")
    if role is not None and (not isinstance(role, str) or not IAM_ROLE_ARN.match(role)):
        problems.add(key("serviceAccountRoleArn"), f"must be an IAM role ARN, got {role!r}")
    cilium = as_bool(values.get("cilium", False))
    if cilium is None:
        problems.add(key("cilium"), f"must be true or false, got {values.get('cilium')!r}")
    runtime_raw = values.get("runtime") or {}
    runtime = "process"
    if checked_map(runtime_raw, key("runtime"), ("kind",), problems) is not None:
        runtime = runtime_raw.get("kind", "process")
        if runtime not in RUNTIMES:
            problems.add(key("runtime", "kind"), f"must be process, got {runtime!r}: the docker runtime needs a "
                                                 "privileged Docker daemon in the pod, the remote runtime needs "
                                                 "OpenHands' runtime API (Cloud/Enterprise)")
    for name in ("kubeconfig", "context"):
        if values.get(name) is not None and not isinstance(values[name], str):
            problems.add(key(name), "must be a string")
    if len(problems.items) > start:
        return None
    return KubernetesSettings(
        namespace=_name(values.get("namespace", "openhands"), key("namespace"), problems) or "openhands",
        kubeconfig=values.get("kubeconfig"), context=values.get("context"), replicas=replicas,
        resources=_resources(values.get("resources"), problems), storage_size=size,
        storage_class=_name(storage.get("className"), key("storage", "className"), problems),
        ingress=ingress, secret_sync=sync, service_account_role_arn=role, cilium=bool(cilium), runtime=runtime)


def parse_eks_settings(raw: Any, problems: Problems) -> EksSettings | None:
    if raw is None:
        return None
    key = lambda name: config_key("eks", name)  # noqa: E731
    values = checked_map(raw, config_key("eks"), EKS_KEYS, problems)
    if values is None:
        return None
    start = len(problems.items)
    version = str(values.get("version", "1.33"))
    if not _EKS_VERSION.match(version):
        problems.add(key("version"), f"must be an EKS Kubernetes version such as 1.33, got {values.get('version')!r}")
    subnets = values.get("subnetIds")
    if not isinstance(subnets, list) or len(subnets) < 2:
        problems.add(key("subnetIds"), "must list at least two subnets (EKS needs two availability zones)")
        subnets = []
    for index, subnet in enumerate(subnets):
        if not isinstance(subnet, str) or not SUBNET_ID.match(subnet):
            problems.add(f"{key('subnetIds')}[{index}]", f"must look like subnet-0123456789abcdef0, got {subnet!r}")
    count = as_int(values.get("nodeCount", 2))
    if count is None or not 1 <= count <= 100:
        problems.add(key("nodeCount"), f"must be an integer from 1 to 100, got {values.get('nodeCount')!r}")
    types = values.get("nodeInstanceTypes", ["m6i.xlarge"])
    if not isinstance(types, list) or not types or not all(isinstance(t, str) and re.match(r"^[a-z0-9-]+\.[a-z0-9]+$", t)
                                                           for t in types):
        problems.add(key("nodeInstanceTypes"), f"must be a list of instance types such as m6i.xlarge, got {types!r}")
    groups = values.get("securityGroupIds") or []
    if not isinstance(groups, list) or not all(isinstance(g, str) and re.match(r"^sg-[0-9a-f]{8,17}$", g) for g in groups):
        problems.add(key("securityGroupIds"), f"must be a list of security group ids (sg-...), got {groups!r}")
    if len(problems.items) > start:
        return None
    return EksSettings(version=version, subnet_ids=tuple(subnets), node_instance_types=tuple(types), node_count=count,
                       security_group_ids=tuple(groups))


def check_cluster_against_secret(kubernetes: KubernetesSettings, secret: Any, secret_set: bool, eks_set: bool,
                                 problems: Problems) -> None:
    """The cluster's key sync must have a secret to read and an identity to read it with."""
    key = lambda *names: config_key("kubernetes", *names)  # noqa: E731
    if eks_set and (kubernetes.kubeconfig or kubernetes.context):
        problems.add(key("kubeconfig"), "is not used with openhands-zai:eks: the provider connects to the new cluster")
    if kubernetes.secret_sync != "external-secrets":
        return
    if not secret_set:
        problems.add(key("secretSync"), "external-secrets reads the key from AWS Secrets Manager: set "
                                        "openhands-zai:secret, or use secretSync: direct")
        return
    irsa = secret.reader_role.irsa if secret is not None and secret.reader_role is not None else None
    if irsa is None and not kubernetes.service_account_role_arn:
        problems.add(key("serviceAccountRoleArn"), "is needed for external-secrets (the SecretStore authenticates as "
                                                   "the openhands service account through IRSA): set it, or "
                                                   "openhands-zai:secret.createReaderRole.irsa")
    if irsa is not None and (irsa.namespace, irsa.service_account) != (kubernetes.namespace, "openhands"):
        problems.add(config_key("secret", "createReaderRole", "irsa"),
                     f"must trust the service account openhands in namespace {kubernetes.namespace} (the one the "
                     f"cluster target creates), not {irsa.service_account} in {irsa.namespace}")
