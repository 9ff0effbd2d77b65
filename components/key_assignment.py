"""Which consumer holds which key: decided once, from the stack's settings, before any resource.

An agent runs whatever code a prompt or a repository asks for, so the Z.AI key goes to exactly one
workload: the LLM gateway when it runs (OpenHands then holds the gateway's own key), else OpenHands.
The program (program.py) builds every component from this value; nothing else decides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .stack import StackSettings


@dataclass(frozen=True)
class KeyAssignment:
    # Where the Z.AI key is read: the stack's `zaiApiKey`, or Secrets Manager's AWSCURRENT read back
    # (so a rotated key reaches its holder on the next `pulumi up`).
    zai_key_from: Literal["stack", "secrets-manager"]
    # The one workload that gets the Z.AI key.
    zai_key_holder: Literal["openhands", "gateway"]
    # How the Z.AI key reaches a cluster: by reference (the External Secrets Operator reads Secrets
    # Manager in the cluster), or as a Pulumi secret written into a Kubernetes Secret. None on Docker.
    cluster_delivery: Literal["external-secrets", "pulumi-secret"] | None

    @property
    def gateway_holds_the_zai_key(self) -> bool:
        return self.zai_key_holder == "gateway"

    @property
    def openhands_sends(self) -> Literal["zai-key", "gateway-key"]:
        """What OpenHands sends with its LLM calls: the Z.AI key, or the gateway's along its route."""
        return "gateway-key" if self.gateway_holds_the_zai_key else "zai-key"


def assign_keys(settings: StackSettings) -> KeyAssignment:
    gateway = settings.llm_gateway is not None
    kube = settings.kubernetes
    return KeyAssignment(
        zai_key_from="secrets-manager" if settings.secret is not None else "stack",
        zai_key_holder="gateway" if gateway else "openhands",
        cluster_delivery=None if kube is None else
        "external-secrets" if kube.secret_sync == "external-secrets" else "pulumi-secret",
    )
