"""Resource identities as the Pulumi engine computes them, from a plan's JSON, and the baseline of
every shipped stack (`python -m tests.program.urns --write` records it; never by hand).

The mock monitor names a child after its parent's type alone; the engine qualifies a type with the
whole chain of its ancestors' types (`Parent$Child$Grandchild`), so a component that moves changes
every URN below it. `identities` computes both a resource's URN and the URNs its aliases answer to,
as the engine resolves them: an alias spec's name, type and parent (defaulting to the resource's
own), and a child inheriting one alias per alias of its parent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

STACK_TYPE = "pulumi:pulumi:Stack"
BASELINE = Path(__file__).parent / "urns"
# Every stack and template the repository ships, as (baseline id, plan arguments).
SHIPPED = {
    "dev": ["--stack", "dev"],
    "build-host": ["--stack", "build-host", "--config-file", "examples/stacks/Pulumi.build-host.yaml"],
    "staging": ["--stack", "staging", "--config-file", "examples/stacks/Pulumi.staging.yaml"],
    "prod": ["--stack", "prod", "--config-file", "examples/stacks/Pulumi.prod.yaml"],
    "all-knobs": ["--stack", "all-knobs", "--config-file", "fidelity/stacks/Pulumi.all-knobs.yaml"],
    "all-gateway-knobs": ["--stack", "all-gateway-knobs", "--config-file",
                          "fidelity/stacks/Pulumi.all-gateway-knobs.yaml"],
    "gateway-limits": ["--stack", "gateway-limits", "--config-file", "e2e/stacks/Pulumi.gateway-limits.yaml"],
    "gateway-parallel": ["--stack", "gateway-parallel", "--config-file", "e2e/stacks/Pulumi.gateway-parallel.yaml"],
    "example-docker-host": ["--stack", "dev", "--project-dir", "examples/docker-host"],
    "example-existing-cluster": ["--stack", "staging", "--project-dir", "examples/existing-cluster"],
}


def _qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def _urn(stack: str, project: str, parent: str | None, type_: str, name: str) -> str:
    qualified = type_ if parent is None or _qualified_type(parent) == STACK_TYPE \
        else f"{_qualified_type(parent)}${type_}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def identities(document: dict[str, Any]) -> dict[str, set[str]]:
    """{the engine's URN of each resource: every URN it answers to (its own and its aliases')}."""
    stack, project = document["stack"], document["project"]
    by_mock_urn = {r["urn"]: r for r in document["resources"]}
    cache: dict[str, tuple[str, set[str]]] = {}

    def resolve(mock_urn: str) -> tuple[str, set[str]]:
        if mock_urn in cache:
            return cache[mock_urn]
        resource = by_mock_urn[mock_urn]
        parent = resource["parent"]
        if parent is None or parent not in by_mock_urn:  # the stack (or nothing)
            own_parent, parent_names = None, {None}
        else:
            own_parent, parent_aliases = resolve(parent)
            parent_names = {own_parent, *parent_aliases}
        own = _urn(stack, project, own_parent, resource["type"], resource["name"])
        names: set[str] = set()
        for candidate in parent_names:  # a moved parent carries its children with it
            names.add(_urn(stack, project, candidate, resource["type"], resource["name"]))
        for alias in resource.get("aliases", ()):
            if "urn" in alias:
                names.add(alias["urn"])
                continue
            parents = {None} if alias.get("noParent") else {alias["parentUrn"]} if "parentUrn" in alias \
                else parent_names
            for candidate in parents:
                names.add(_urn(stack, project, candidate, alias.get("type", resource["type"]),
                               alias.get("name", resource["name"])))
        names.discard(own)
        cache[mock_urn] = (own, names)
        return own, names

    return {own: {own, *aliases} for own, aliases in map(resolve, by_mock_urn)}


def baseline(stack_id: str) -> set[str]:
    return set((BASELINE / f"{stack_id}.txt").read_text().split())


def _write() -> None:
    from tests.helpers import SENTINEL_KEY, run_cli

    BASELINE.mkdir(exist_ok=True)
    for stack_id, args in SHIPPED.items():
        result = run_cli("plan", *args, "--format", "json", env_extra={"ZAI_API_KEY": SENTINEL_KEY}, cwd=ROOT)
        assert result.returncode == 0, result.stderr
        urns = sorted(identities(json.loads(result.stdout)))
        (BASELINE / f"{stack_id}.txt").write_text("\n".join(urns) + "\n")
        print(f"{stack_id}: {len(urns)} resources")


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    _write()
