"""openhands-zai: Pulumi components that deploy OpenHands wired to Z.AI's GLM models.

The public API, importable from here::

    from components import OpenHandsContainer, OpenHandsContainerArgs, read_stack_config

- Settings: `read_stack_config` (from a `pulumi.Config("openhands-zai")`), `parse_stack_settings`
  (from a dict written in code), `StackSettings`, `ConfigError`, `CONFIG_SCHEMA`.
- Components (each a `pulumi.ComponentResource`; pass providers through `opts`):
  `OpenHandsContainer` (Docker), `OpenHandsCluster` (Kubernetes), `EksCluster`,
  `ZaiApiKeySecret` (Secrets Manager + KMS + reader policy/role), `VpcPeering`,
  `EgressAllowList`, `OpenHandsInstances` (several named instances sharing key and network).
- Policy as code: `POLICIES` (the CrossGuard rules of `policy/`).
- Testing your own program: `components.testing.ProviderLikeMocks` (see its docstring).

Names resolve on first use, so importing a Docker component never imports pulumi_aws or
pulumi_kubernetes (and `pulumi up` of a Docker stack needs no AWS credentials).
"""

from __future__ import annotations

import importlib
from typing import Any

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("openhands-zai")
except PackageNotFoundError:  # running from a checkout that was not pip-installed
    __version__ = "0.0.0+checkout"

_EXPORTS = {
    "CONFIG_SCHEMA": "components.settings",
    "StackSettings": "components.settings",
    "parse_stack_settings": "components.settings",
    "read_stack_config": "components.settings",
    "settings_from_config": "components.settings",
    "ConfigError": "components.config_errors",
    "OpenHandsContainer": "components.container",
    "OpenHandsContainerArgs": "components.container",
    "OpenHandsCluster": "components.cluster",
    "OpenHandsClusterArgs": "components.cluster",
    "EksCluster": "components.eks",
    "EksClusterArgs": "components.eks",
    "ZaiApiKeySecret": "components.secret",
    "ZaiApiKeySecretArgs": "components.secret",
    "VpcPeering": "components.network.peering",
    "VpcPeeringArgs": "components.network.peering",
    "EgressAllowList": "components.network.egress",
    "EgressAllowListArgs": "components.network.egress",
    "OpenHandsInstances": "components.instances",
    "OpenHandsInstancesArgs": "components.instances",
    "POLICIES": "components.policies",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'components' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # resolve once
    return value


def __dir__() -> list[str]:
    return __all__
