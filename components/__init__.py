"""openhands-zai: Pulumi components that deploy OpenHands wired to Z.AI's GLM models.

The public API, importable from here::

    from openhands_zai import OpenHandsContainer, OpenHandsContainerArgs, parse_stack_settings

- The program: `deploy(settings, api_key)` builds what a stack describes and returns its typed
  `StackOutputs` (`__main__.py` is three lines around it); `assign_keys` decides which workload
  holds which key (`KeyAssignment`).
- Settings (pydantic models): `read_stack_config` (from the running program's config),
  `parse_stack_settings` (from a dict written in code), `StackSettings` and the concerns' models
  (`LlmSettings`, `DockerSettings`, `KubernetesSettings`, `SecretSettings`, `EgressSettings`, ...),
  `ConfigError` (every problem, each naming its `openhands-zai:*` key).
- Components (each a `pulumi.ComponentResource`; pass providers through `opts`):
  `OpenHandsContainer` (Docker), `OpenHandsInstances`, `OpenHandsCluster` (Kubernetes),
  `EksCluster`, `ZaiApiKeySecret` (Secrets Manager + KMS + reader policy/role), `VpcPeering`,
  `EgressAllowList`, `LlmGateway` (the LiteLLM proxy on a Docker host) and `ClusterGateway` (in a
  cluster), whose `route` and `key` an OpenHands component takes instead of Z.AI's.
- Policy as code: `POLICIES` (the CrossGuard rules of `policy/`).
- Testing your own program: `openhands_zai.testing.ProviderLikeMocks` (see its docstring).

Names resolve on first use, so importing a Docker component never imports pulumi_aws or
pulumi_kubernetes (and `pulumi up` of a Docker stack needs no AWS credentials or extras).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "deploy": ".program",
    "StackOutputs": ".outputs",
    "KeyAssignment": ".key_assignment",
    "assign_keys": ".key_assignment",
    "StackSettings": ".stack",
    "parse_stack_settings": ".stack",
    "read_stack_config": ".stack",
    "settings_from_config": ".stack",
    "ConfigError": ".errors",
    "LlmSettings": ".llm.settings",
    "LlmProfile": ".llm.settings",
    "DebugSettings": ".llm.settings",
    "ReleaseSettings": ".release",
    "OpenHandsRelease": ".release",
    "DockerSettings": ".docker.settings",
    "KubernetesSettings": ".kubernetes.settings",
    "EksSettings": ".kubernetes.settings",
    "SecretSettings": ".secret.settings",
    "PeeringSettings": ".network.settings",
    "EgressSettings": ".network.settings",
    "InstanceSettings": ".instances.settings",
    "OpenHandsContainer": ".docker.component",
    "OpenHandsContainerArgs": ".docker.component",
    "OpenHandsInstances": ".instances.component",
    "OpenHandsInstancesArgs": ".instances.component",
    "OpenHandsCluster": ".kubernetes.component",
    "OpenHandsClusterArgs": ".kubernetes.component",
    "EksCluster": ".kubernetes.eks",
    "EksClusterArgs": ".kubernetes.eks",
    "ZaiApiKeySecret": ".secret.component",
    "ZaiApiKeySecretArgs": ".secret.component",
    "VpcPeering": ".network.component",
    "VpcPeeringArgs": ".network.component",
    "EgressAllowList": ".network.component",
    "EgressAllowListArgs": ".network.component",
    "AwsCredentials": ".aws_ids",
    "POLICIES": ".guardrails.rules",
    "GatewaySettings": ".gateway.settings",
    "LlmGateway": ".gateway.container",
    "LlmGatewayArgs": ".gateway.container",
    "ClusterGateway": ".gateway.cluster",
    "ClusterGatewayArgs": ".gateway.cluster",
    "LlmRoute": ".llm.plan",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # Read on demand: the installed metadata lookup costs more than the rest of this package's import.
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("openhands-zai")
        except PackageNotFoundError:  # a checkout that was not installed
            return "0.0.0+checkout"
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # resolve once
    return value


def __dir__() -> list[str]:
    return __all__
