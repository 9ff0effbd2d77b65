"""The component package's entry point: Pulumi runs it as a plugin (PulumiPlugin.yaml beside it).

It hosts `OpenHandsZai`, whose schema the host infers from `openhands_zai.package_types` (generated
from the settings models: `openhands-zai schema --write`).
"""

from importlib.metadata import version

from pulumi.provider.experimental import component_provider_host

from openhands_zai.package_types import OpenHandsZai

if __name__ == "__main__":
    component_provider_host([OpenHandsZai], name="openhands-zai", version=version("openhands-zai"))
