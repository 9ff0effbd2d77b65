"""What every object the bundle puts in a cluster shares, whichever part of the bundle makes it:
the labels, the ServiceAccount without a token, `secretKeyRef` variables, the container security
context, checkov's skip annotations, the DNS egress rule, and the resources model. Pure data, below
the cluster target and the gateway, so neither imports the other for these."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from .errors import Hint
from .fields import SettingsModel, text_from_number

PART_OF = "openhands-zai"
# What manages every object (app.kubernetes.io/managed-by, as Helm writes "Helm"): Pulumi applies them.
MANAGED_BY = {"app.kubernetes.io/managed-by": "pulumi"}
# Stakater Reloader's annotation: a workload rolls when one of the named Secrets changes (a rotated key).
RELOAD_ANNOTATION = "secret.reloader.stakater.com/reload"
KUBE_DNS = {"k8s-app": "kube-dns"}

Quantity = Annotated[str, BeforeValidator(text_from_number), Field(pattern=r"^[0-9]+(?:\.[0-9]+)?(?:m|Ki|Mi|Gi|Ti|k|M|G|T)?$"),
                     Hint("a Kubernetes quantity such as 500m or 2Gi")]


class Quantities(SettingsModel):
    """CPU and memory, as Kubernetes quantities."""

    cpu: Quantity = Field(description="CPU, e.g. 500m or 2.")
    memory: Quantity = Field(description="Memory, e.g. 512Mi or 4Gi.")


class Resources(SettingsModel):
    """A container's requests and limits."""

    requests: Quantities = Field(description="What the scheduler reserves: {cpu, memory}.")
    limits: Quantities = Field(description="The most the container may use: {cpu, memory}.")


def over_defaults(raw: Any, defaults: Mapping[str, Mapping[str, str]]) -> Any:
    """Unset sections and quantities of a resources block keep `defaults`."""
    if raw is None:
        return dict(defaults)
    if not isinstance(raw, Mapping):
        return raw
    return {**raw, **{section: {**values, **raw[section]} if isinstance(raw.get(section), Mapping)
                      else raw.get(section, values) for section, values in defaults.items()}}


def labels(name: str) -> dict[str, str]:
    """The recommended labels of one of the bundle's apps."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": PART_OF, **MANAGED_BY}


def account(metadata: dict[str, Any]) -> dict[str, Any]:
    """A ServiceAccount that mounts no token: every account the bundle creates (RBAC grants none)."""
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata, "automountServiceAccountToken": False}


def secret_env(*items: tuple[str, str, str]) -> list[dict[str, Any]]:
    """Variables read from Secrets by reference, `(variable, secret, key)` each: no value in the manifest."""
    return [{"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}} for name, secret, key in items]


def container_security(read_only: bool, user: int) -> dict[str, Any]:
    """Pod Security `restricted`: no privilege, no capability, the runtime's seccomp profile, a fixed user."""
    return {"allowPrivilegeEscalation": False, "privileged": False, "runAsNonRoot": True,
            "runAsUser": user, "runAsGroup": user, "readOnlyRootFilesystem": read_only,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def checkov_skips(skips: Mapping[str, str]) -> dict[str, str]:
    """checkov's own annotations (`checkov.io/skip<n>: <check>=<reason>`), so any checkov run over the
    object (a platform's scanner as well as `make scan`) honours a check it fails knowingly."""
    return {f"checkov.io/skip{index}": f"{check}={reason}" for index, (check, reason) in enumerate(skips.items(), 1)}


def dns_rule() -> dict[str, Any]:
    """The NetworkPolicy egress rule every allow-listed pod needs: the cluster DNS."""
    peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": dict(KUBE_DNS)}}
    return {"to": [peer], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
