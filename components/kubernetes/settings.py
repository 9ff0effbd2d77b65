"""`openhands-zai:kubernetes` (the cluster target) and `openhands-zai:eks` (a new EKS cluster for it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator

from ..aws_ids import IamRoleArn, KubernetesName, SecurityGroupId, SubnetId
from ..errors import Hint
from ..fields import Flag, SettingsModel, WholeNumber, problem, text_from_number, unique

Quantity = Annotated[str, BeforeValidator(text_from_number), Field(pattern=r"^[0-9]+(?:\.[0-9]+)?(?:m|Ki|Mi|Gi|Ti|k|M|G|T)?$"),
                     Hint("a Kubernetes quantity such as 500m or 2Gi")]
Host = Annotated[str, Field(pattern=r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"),
                 Hint("a DNS host name such as openhands.example.com")]
DEFAULT_RESOURCES = {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}


class Quantities(SettingsModel):
    cpu: Quantity
    memory: Quantity


def _over_default_resources(raw: Any) -> Any:
    """Unset sections and quantities keep their defaults (requests 1/2Gi, limits 4/8Gi)."""
    if raw is None:
        return DEFAULT_RESOURCES
    if not isinstance(raw, Mapping):
        return raw
    return {**raw, **{section: {**defaults, **raw[section]} if isinstance(raw.get(section), Mapping)
                      else raw.get(section, defaults) for section, defaults in DEFAULT_RESOURCES.items()}}


class Resources(SettingsModel):
    requests: Quantities
    limits: Quantities


class Storage(SettingsModel):
    size: Quantity = "20Gi"
    class_name: KubernetesName | None = None


class Ingress(SettingsModel):
    host: Host
    class_name: KubernetesName | None = None
    tls_secret_name: KubernetesName | None = None
    annotations: Annotated[dict[str, str], Hint("a map of annotation to string value")] = Field(default_factory=dict)


class Runtime(SettingsModel):
    # Where OpenHands 1.11 runs the agent in a pod: its Docker sandbox needs a privileged Docker
    # daemon, the remote one OpenHands' closed runtime API, and the process one fails in a container
    # (README: "The cluster target's sandbox"). The agent-server sidecar needs neither.
    kind: Annotated[str, Field(pattern="^agent-server-sidecar$"),
                    Hint("agent-server-sidecar: the process runtime cannot start conversations in a pod on "
                         "OpenHands 1.11, the docker runtime needs a privileged Docker daemon, the remote "
                         "runtime OpenHands' runtime API (Cloud/Enterprise)")] = "agent-server-sidecar"


class KubernetesSettings(SettingsModel):
    """Where in the cluster OpenHands runs, its size, how it is reached and how it gets the key."""

    kubeconfig: str | None = None
    context: str | None = None
    namespace: KubernetesName = "openhands"
    replicas: Annotated[WholeNumber, Field(ge=1)] = 1
    resources: Annotated[Resources, BeforeValidator(_over_default_resources)] = Field(
        default_factory=lambda: Resources.model_validate(DEFAULT_RESOURCES))
    storage: Storage = Field(default_factory=Storage)
    ingress: Ingress | None = None
    secret_sync: Literal["external-secrets", "direct"] = "external-secrets"
    service_account_role_arn: IamRoleArn | None = None
    cilium: Flag = False
    runtime: Runtime = Field(default_factory=Runtime)

    @field_validator("replicas")
    @classmethod
    def _one_replica(cls, replicas: int) -> int:
        if replicas > 1:
            raise problem("must be 1: OpenHands 1.11 keeps conversations and settings in a file store on the pod's "
                          "volume, so a second replica would see other state (the Enterprise chart's "
                          "database-backed server scales out)")
        return replicas


InstanceType = Annotated[str, Field(pattern=r"^[a-z0-9-]+\.[a-z0-9]+$"), Hint("an instance type such as m6i.xlarge")]


class EksSettings(SettingsModel):
    """A new EKS cluster: its version, subnets and managed node group."""

    version: Annotated[str, BeforeValidator(text_from_number), Field(pattern=r"^1\.(?:2[89]|3[0-9])$"),
                       Hint("an EKS Kubernetes version such as 1.33")] = "1.33"
    subnet_ids: Annotated[tuple[SubnetId, ...], Field(min_length=2),
                          Hint("a list of at least two subnets (EKS needs two availability zones)")]
    node_instance_types: Annotated[tuple[InstanceType, ...], Field(min_length=1)] = ("m6i.xlarge",)
    node_count: Annotated[WholeNumber, Field(ge=1, le=100)] = 2
    security_group_ids: tuple[SecurityGroupId, ...] = ()

    @field_validator("subnet_ids")
    @classmethod
    def _each_subnet_once(cls, subnets: tuple[str, ...]) -> tuple[str, ...]:
        unique(subnets, cls.__name__)
        return subnets
