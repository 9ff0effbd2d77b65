"""StackOutputs: what a stack exports (`pulumi stack output`), typed and documented.

`program.deploy` returns it and `__main__.py` exports `StackOutputs.exports()`: each group is
there when the stack configures that concern, and exports every field of it under the field's name
in camelCase (`secret_arn` -> `secretArn`). The operator commands read these names
(`openhands-zai verify` the egress and peering ones, `doctor` the URLs).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pulumi

Out = pulumi.Output[Any] | Any  # an Output, or a value the program knows (a list of CIDRs, a version)


def _doc(text: str, shape: str = "str") -> Any:
    # `shape`: the value's type as the component package declares it (components/package_types.py).
    return dataclasses.field(metadata={"doc": text, "shape": shape})


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class PeeringOutputs:
    peering_connection_id: Out = _doc("The VPC peering connection (pcx-...).")
    peering_routes: Out = _doc("Every route the peering added, {side, routeTableId, destinationCidr}: what "
                               "`openhands-zai verify` checks.", "list[dict[str, Any]]")
    peer_region: Out = _doc("The accepter's region (null: the stack's).")
    peer_role_arn: Out = _doc("The role assumed in the accepter's account (null: the same account).")


@dataclass(frozen=True)
class EgressOutputs:
    security_group_id: Out = _doc("The workloads' security group: egress only to the allow-list.")
    prefix_list_id: Out = _doc("The managed prefix list of the allowed ranges.")
    allow_cidrs: Out = _doc("The allowed ranges, as resolved (the peer's range included).", "list[str]")
    expected_egress: Out = _doc("The group's egress rules as planned: what `openhands-zai verify` compares the "
                                "live group with.", "list[dict[str, Any]]")
    firewall_arn: Out = _doc("The Network Firewall (null: no domain firewall).")
    firewall_policy_arn: Out = _doc("Its policy (null: no domain firewall).")
    firewall_routing: Out = _doc("The routes through the firewall, per protected subnet (null: none).", "list[dict[str, Any]]")


@dataclass(frozen=True)
class HostOutputs:
    launch_template_id: Out = _doc("The Docker host's launch template (the egress group, IMDSv2 with hop limit 1): "
                                   "start the host from it.")


@dataclass(frozen=True)
class EksOutputs:
    eks_cluster_name: Out = _doc("The new EKS cluster.")
    oidc_provider_arn: Out = _doc("Its OIDC provider, which the secret sync's IRSA role trusts.")


@dataclass(frozen=True)
class SecretOutputs:
    secret_arn: Out = _doc("The Secrets Manager secret holding the Z.AI key.")
    secret_name: Out = _doc("Its name (`openhands-zai rotate-key --secret-id`).")
    kms_key_arn: Out = _doc("The KMS key it is encrypted with.")
    reader_policy_arn: Out = _doc("The least-privilege policy that reads it.")
    reader_role_arn: Out = _doc("The reader role (null: none created).")
    instance_profile_name: Out = _doc("The reader role's instance profile (null: none).")


@dataclass(frozen=True)
class GatewayOutputs:
    gateway_url: Out = _doc("The LLM gateway's URL, as OpenHands reaches it.")
    gateway_key: Out = _doc("The gateway's own key (secret): what OpenHands holds instead of the Z.AI key.")


@dataclass(frozen=True)
class ClusterOutputs:
    namespace: Out = _doc("The namespace OpenHands runs in.")
    url: Out = _doc("Where the UI is: the Ingress host, or the port-forward to run.")


@dataclass(frozen=True)
class ContainerOutputs:
    container_id: Out = _doc("The OpenHands container on the Docker host.")
    active_model: Out = _doc("The model the default profile calls.")
    endpoint: Out = _doc("The LLM endpoint OpenHands calls (Z.AI's, or the gateway's).")
    url: Out = _doc("Where the UI is.")


@dataclass(frozen=True)
class CanvasOutputs:
    seeded_profiles: Out = _doc("Agent Canvas: the LLM profiles the seeder saved in its agent server (the default "
                                "active).", "list[str]")
    session_api_key: Out = _doc("Agent Canvas: the session API key (secret) the UI and the API authenticate with "
                                "(X-Session-API-Key); the UI gets it in its page only when published on loopback.")


@dataclass(frozen=True)
class InstancesOutputs:
    urls: Out = _doc("Each instance's UI, by instance name.", "dict[str, str]")
    container_ids: Out = _doc("Each instance's container, by instance name.", "dict[str, str]")


@dataclass(frozen=True)
class StackOutputs:
    openhands_version: str = _doc("The OpenHands release the stack runs (agent-canvas <version> for Agent Canvas).")
    peering: PeeringOutputs | None = None
    egress: EgressOutputs | None = None
    host: HostOutputs | None = None
    eks: EksOutputs | None = None
    secret: SecretOutputs | None = None
    gateway: GatewayOutputs | None = None
    cluster: ClusterOutputs | None = None
    container: ContainerOutputs | None = None
    canvas: CanvasOutputs | None = None
    instances: InstancesOutputs | None = None

    def exports(self) -> dict[str, Any]:
        """{export name: value}: the stack's own fields, then every group that is there."""
        found: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if dataclasses.is_dataclass(value):
                found.update({camel(inner.name): getattr(value, inner.name) for inner in dataclasses.fields(value)})
            elif value is not None:
                found[camel(item.name)] = value
        return found


def output_fields() -> list[dataclasses.Field[Any]]:
    """Every output, each export name once: the stack's own fields, then each group's (`url` is the
    container's or the cluster's, whichever the stack has)."""
    found: dict[str, dataclasses.Field[Any]] = {}
    for group in (StackOutputs, *GROUPS):
        for item in dataclasses.fields(group):
            if "doc" in item.metadata:
                found.setdefault(item.name, item)
    return list(found.values())


GROUPS = (PeeringOutputs, EgressOutputs, HostOutputs, EksOutputs, SecretOutputs, GatewayOutputs, ClusterOutputs,
          ContainerOutputs, CanvasOutputs, InstancesOutputs)
