"""What `pip install openhands-zai` puts into a virtualenv (run by `make package`, not by pytest).

    python tests/package_check.py core|extras VENV

core: one import package with a distinctive name (`openhands_zai`), nothing generic beside it,
the `openhands-zai` command listing its commands, no AWS or Kubernetes provider (extras), and a
plan of a cluster stack that says which extra to install (exit 2, one line).
extras: `[aws,kubernetes]` brings pulumi-aws, boto3 and pulumi-kubernetes.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import sysconfig
from pathlib import Path

COMMANDS = ("plan", "doctor", "rotate-key", "audit", "verify", "schema")
GENERIC = ("components", "ops", "tests", "examples", "policy", "fidelity", "bench")


def check(kind: str, venv: Path) -> list[str]:
    problems = []
    site = Path(sysconfig.get_paths()["purelib"])
    if importlib.util.find_spec("openhands_zai") is None:
        problems.append("import openhands_zai fails")
    problems += [f"site-packages holds a generic package {name!r}" for name in GENERIC if (site / name).exists()]
    ours = [p.name for p in site.iterdir() if p.name.lower().startswith(("openhands_zai", "openhands-zai"))]
    if not any(name == "openhands_zai" for name in ours):
        problems.append(f"openhands_zai is not a package in {site} (found {ours})")
    help_text = subprocess.run([str(venv / "bin" / "openhands-zai"), "--help"], capture_output=True, text=True).stdout
    problems += [f"`openhands-zai --help` does not list {command}" for command in COMMANDS if command not in help_text]
    providers = {name: importlib.util.find_spec(name) is not None for name in ("pulumi_aws", "boto3", "pulumi_kubernetes")}
    wanted = kind == "extras"
    problems += [f"{name} is {'missing' if wanted else 'installed without the extra'}"
                 for name, present in providers.items() if present != wanted]
    if kind == "core":
        example = Path(__file__).resolve().parent.parent / "examples" / "existing-cluster"
        plan = subprocess.run([str(venv.resolve() / "bin" / "openhands-zai"), "plan", "--stack", "staging"], cwd=example,
                              capture_output=True, text=True)
        expected = "error: stack staging needs the aws extra (pulumi_aws is not installed): pip install 'openhands-zai[aws]'"
        if (plan.returncode, plan.stderr.strip()) != (2, expected):
            problems.append(f"a cluster stack without the extras: exit {plan.returncode}, {plan.stderr.strip()!r}")
    return problems


if __name__ == "__main__":
    found = check(sys.argv[1], Path(sys.argv[2]))
    for problem in found:
        print(f"package ({sys.argv[1]}): {problem}")
    if not found:
        print(f"package ({sys.argv[1]}): openhands_zai alone in site-packages, the command and extras as expected")
    sys.exit(1 if found else 0)
