"""The shape of the house: one folder per concern with the same rooms, imports that only point
down, the installed name, and what a fresh clone needs (no committed links, ignored virtualenvs)."""

from __future__ import annotations

import ast
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import ROOT

PACKAGE = ROOT / "components"
# The concerns a stack configures: each has its settings model, its pure planner and (where it
# declares resources) its ComponentResources: `component.py`, or one module per target it runs on.
CONCERNS = {"llm": (), "canvas": ("container.py",), "docker": ("component.py",), "instances": ("component.py",),
            "kubernetes": ("component.py",), "secret": ("component.py",), "network": ("component.py",),
            "gateway": ("container.py", "cluster.py")}
# Which concern stands on which: a concern imports only concerns of a lower tier (and the base
# modules). Two concerns of one tier are siblings and never import each other; what both need
# goes below them (kube.py, containers.py, aws_ids.py, ...). The LLM description is what every
# workload renders; the gateway, the key and the network are built for the targets; the targets
# run OpenHands; instances are several Docker targets; Agent Canvas runs on the targets' own pieces.
TIERS = {"llm": 1, "secret": 2, "network": 2, "gateway": 2, "docker": 3, "kubernetes": 3, "canvas": 4,
         "instances": 4}
# Files past ~300 lines that are one cohesive thing.
LONG = {"stack.py": "the stack model: every key, its cross-concern checks, the readers",
        "program.py": "the one composition: every concern, each distribution on each target",
        "testing.py": "the provider-like mocks: one answer per resource type the bundle creates",
        "guardrails/checks.py": "the guardrails' rule set, mandatory and advisory",
        "network/settings.py": "peering, egress and the firewall's keys, each described for the reference",
        "package_types.py": "generated: the component package's every input and output shape"}
# What each role may import (modules of the package; anything outside it is free).
ALLOWED = {
    "base": {"base"},
    "settings": {"base", "settings"},
    "plan": {"base", "settings", "plan"},
    "component": {"base", "settings", "plan", "component"},
    "stack": {"base", "settings"},
    "cli": {"base", "settings", "plan", "stack", "cli", "testing"},
    "testing": {"base"},
    "api": {"base", "settings", "plan", "component", "stack", "program"},  # __init__.py: lazy re-exports
    # program.py: the one composition; it alone imports every concern's components and both targets.
    "program": {"base", "settings", "plan", "component", "stack", "program"},
    # package.py and its generated shapes: the program as one component, for every Pulumi language.
    "package": {"base", "stack", "program", "package"},
}


BASE = {"errors", "fields", "aws_ids", "aws_session", "images", "release", "zai_key", "guardrails.labels", "llm.catalogue",
        "llm.endpoints", "kube", "containers", "outputs"}
# Resources several concerns' components create (random keys, a pulled image).
SHARED_COMPONENTS = {"server_keys", "remote_image"}
PROGRAM = {"program", "key_assignment"}
PACKAGE_MODULES = {"package", "package_types"}


def module_name(path: Path) -> str:
    """`llm/settings.py` -> `llm.settings`; a package's own `__init__.py` keeps its name (`llm.__init__`)."""
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def role(name: str) -> str:
    if name == "__init__":
        return "api"
    if name.startswith("cli."):
        return "cli"
    if name in ("stack", "testing"):
        return name
    if name in PROGRAM:
        return "program"
    if name in PACKAGE_MODULES:
        return "package"
    if name in BASE or name.endswith(".__init__"):  # a concern's __init__ is its docstring
        return "base"
    if name.startswith("guardrails."):
        return "plan"  # pure checks over resource inputs
    if name in SHARED_COMPONENTS:
        return "component"
    # eks.py and gateway/cluster.py: components apart from component.py because they need an extra;
    # network/routing.py: the firewall's routing and the dynamic resource it moves tables with;
    # network/dns_firewall.py and network/host.py: the resolver's firewall, the Docker host's template.
    # kubernetes/auth.py: the login in front of the UI, planned like the rest of the cluster.
    return {"settings": "settings", "plan": "plan", "component": "component", "eks": "component",
            "cluster": "component", "container": "component", "routing": "component", "dns_firewall": "component",
            "host": "component", "auth": "plan"}[name.split(".")[-1]]


def _exists(name: str) -> bool:
    return (PACKAGE / (name.replace(".", "/") + ".py")).exists()


def imports_of(path: Path) -> set[str]:
    """The package's own modules `path` imports, relative imports resolved."""
    package = module_name(path).split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1]
            target = [*base, *(node.module.split(".") if node.module else [])]
            for alias in node.names:  # `from . import plan` imports a module; `from .plan import x` a name
                for candidate in (".".join([*target, alias.name]), ".".join(target)):
                    if candidate and _exists(candidate):
                        found.add(candidate)
                        break
                    if candidate and _exists(candidate + ".__init__"):
                        found.add(candidate + ".__init__")
                        break
    return found


# Code run apart from the bundle: what the OpenHands server loads in the pod (from a ConfigMap; it
# imports openhands), and the seeder Agent Canvas's own Python runs (the standard library only).
SERVER_PLUGINS = {PACKAGE / "kubernetes" / "sandbox" / "openhands_zai_sandbox.py", PACKAGE / "canvas" / "seed.py"}
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p not in SERVER_PLUGINS)


def test_server_plugins_import_nothing_of_the_bundle():
    assert all(p.exists() for p in SERVER_PLUGINS)
    for plugin in SERVER_PLUGINS:
        assert not [name for name in imports_of(plugin) if name.startswith(("openhands_zai", "components"))]


def test_each_concern_has_the_same_rooms():
    for concern, components in CONCERNS.items():
        rooms = {p.name for p in (PACKAGE / concern).glob("*.py")}
        expected = {"__init__.py", "settings.py", "plan.py", *components}
        assert expected <= rooms, (concern, sorted(expected - rooms))


def direction_problem(importer: str, imported: str) -> str | None:
    """Why `importer` may not import `imported` across concerns (None: it may)."""
    mine, theirs = importer.split(".")[0], imported.split(".")[0]
    if mine == theirs or mine not in TIERS or theirs not in TIERS or imported in BASE:
        return None
    if TIERS[theirs] == TIERS[mine]:
        return f"{importer} imports {imported}: {mine} and {theirs} are sibling concerns (move what both need below them)"
    if TIERS[theirs] > TIERS[mine]:
        return f"{importer} imports {imported}: {theirs} stands on {mine}, not the other way round"
    return None


def test_the_direction_rule_refuses_a_sibling_and_an_arrow_up():
    # The arrows 0.10 had: the gateway's planner used the cluster target's, and the cluster target
    # built the gateway.
    assert "sibling" in direction_problem("docker.component", "kubernetes.plan")
    assert "sibling" in direction_problem("secret.plan", "network.plan")
    assert "stands on" in direction_problem("gateway.plan", "kubernetes.plan")
    assert direction_problem("kubernetes.component", "network.plan") is None
    assert direction_problem("gateway.plan", "kube") is None


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_concern_imports_a_sibling_or_one_that_stands_on_it(path):
    assert set(TIERS) == set(CONCERNS)
    problems = [direction_problem(module_name(path), imported) for imported in imports_of(path)]
    assert not [p for p in problems if p], problems


def test_only_the_program_builds_on_both_targets():
    # The stack model reads both targets' settings; only the program composes their components.
    for path in MODULES:
        targets = {name.split(".")[0] for name in imports_of(path) if role(name) != "settings"} & {"docker", "kubernetes"}
        assert len(targets) < 2 or role(module_name(path)) in ("program", "cli", "api"), path


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path):
    mine = role(module_name(path))
    for imported in imports_of(path):
        assert role(imported) in ALLOWED[mine], f"{module_name(path)} ({mine}) imports {imported} ({role(imported)})"


def test_the_import_graph_has_no_cycles():
    graph = {module_name(p): imports_of(p) for p in MODULES}
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        assert state.get(name) != 1, " -> ".join([*trail, name])
        state[name] = 1
        for imported in graph.get(name, ()):
            visit(imported, [*trail, name])
        state[name] = 2

    for name in graph:
        visit(name, [])


def test_no_absolute_import_of_the_folder_name():
    # Inside the package every import is relative: `components` is not a name that gets installed.
    for path in [*MODULES, ROOT / "__main__.py", *ROOT.glob("examples/*/__main__.py"), ROOT / "policy" / "__main__.py"]:
        tree = ast.parse(path.read_text())
        names = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level and n.module]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [n for n in names if n.split(".")[0] in ("components", "ops")], path


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_300_lines_unless_cohesive(path):
    name = str(path.relative_to(PACKAGE))
    assert len(path.read_text().splitlines()) <= 300 or name in LONG, name


def test_the_distribution_lists_every_package_and_maps_the_folder():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    setuptools = project["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"openhands_zai": "components"}
    folders = {"openhands_zai" + ("." + ".".join(p.parent.relative_to(PACKAGE).parts) if p.parent != PACKAGE else "")
               for p in PACKAGE.rglob("__init__.py")}
    assert set(setuptools["packages"]) == folders
    assert project["project"]["scripts"] == {"openhands-zai": "openhands_zai.cli.main:main"}


def test_every_pin_of_requirements_txt_lies_in_the_ranges_the_package_declares():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [Requirement(r) for r in project["dependencies"]]
    declared += [Requirement(r) for extra in project["optional-dependencies"].values() for r in extra]
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            pin = Requirement(line)
            pins[pin.name.lower()] = next(iter(pin.specifier)).version
    assert "-e .[aws,kubernetes]" in (ROOT / "requirements.txt").read_text()
    assert declared and pins  # the loop below must compare something
    for requirement in declared:
        assert requirement.name.lower() in pins, f"{requirement.name} has no pin in requirements.txt"
        assert requirement.specifier.contains(pins[requirement.name.lower()]), requirement


def test_a_fresh_clone_has_no_links_and_ignores_virtualenvs_as_folders_or_links():
    staged = subprocess.run(["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert not [line for line in staged.splitlines() if line.startswith("120000")], "a symlink is committed"
    for path in (".venv", ".venv-checkov", ".venv-fidelity", ".venv-gateway", ".venv-canvas", "policy/venv"):
        ignored = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT)
        assert ignored.returncode == 0, f"{path} is not ignored when it is a link"


def test_the_deploy_lock_pins_every_package_with_hashes_at_the_versions_requirements_txt_names():
    lock = (ROOT / "requirements.lock").read_text()
    entries = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", lock, flags=re.M))
    assert len(entries) > 30, "the lock lists the transitive packages too"
    # Every entry carries at least one hash (pip --require-hashes refuses the file otherwise).
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", lock.split("\n", 2)[2])
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)
    normal = lambda name: re.sub(r"[-_.]+", "-", name).lower()  # noqa: E731
    locked = {normal(name): version for name, version in entries.items()}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            assert locked.get(normal(name)) == version.strip(), f"{name}: requirements.lock is stale (make lock)"
    assert "openhands-zai" not in locked
