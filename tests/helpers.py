"""Shared test helpers: settings from a config dict, the installed command, and a sentinel key
that must never leak."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from openhands_zai import ConfigError, parse_stack_settings
from tests.conftest import ROOT

# Shaped like a real Z.AI key would be in length, but not in form (the repo hook looks for that).
SENTINEL_KEY = "sentinel-zai-key-7f3a9c0e5b1d4e2f"
# The console script `pip install` put beside this interpreter: what a user runs.
COMMAND = str(Path(sys.executable).parent / "openhands-zai")


def settings(**raw):
    return parse_stack_settings(raw)


def problems(**raw) -> dict[str, str]:
    """{key: message} of every problem a stack with these values has (it must have some)."""
    with pytest.raises(ConfigError) as caught:
        parse_stack_settings(raw)
    return {p.key: p.message for p in caught.value.problems}


# Commands run in the test's own process unless a test asks for the installed command: the same
# `main(argv)` the console script calls, with the same environment, directory and streams, minus
# a second of interpreter start and provider imports per run (the suite makes a hundred plans).
IN_PROCESS = ("plan", "schema")


def run_cli(*args, env_extra=None, cwd=ROOT, stdin=None, drop=("ZAI_API_KEY",), subprocess_only=False):
    """`openhands-zai ARGS`, from the caller's environment without a key of its own: in a subprocess
    (the installed command) when it reads stdin, asks for it, or is not a planning command; else
    in process.

    With Python's bytecode caches, as users run it: PYTHONDONTWRITEBYTECODE (set on some CI
    machines) would recompile the bundle on every one of the suite's hundred runs.
    """
    env = {k: v for k, v in os.environ.items() if k not in drop and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(env_extra or {})
    if args and args[0] in IN_PROCESS and stdin is None and not subprocess_only:
        return in_server(list(args), env, cwd)
    return subprocess.run([COMMAND, *args], cwd=cwd, capture_output=True, text=True, env=env, input=stdin,
                          timeout=120)


_SERVER: list[subprocess.Popen] = []


def in_server(args, env, cwd, call=None):
    """The command through this worker's plan server (tests/plan_server.py), started on first use;
    or, with `call` ("module:function"), that helper run there with `args`."""
    import json

    if not _SERVER or _SERVER[0].poll() is not None:
        quick = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as run_cli's
        _SERVER[:] = [subprocess.Popen([sys.executable, "-m", "tests.plan_server"], cwd=ROOT, stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True, env=quick)]
    server = _SERVER[0]
    request = {"args": args, "env": env, "cwd": str(cwd), **({"call": call} if call else {})}
    server.stdin.write(json.dumps(request) + "\n")
    server.stdin.flush()
    line = server.stdout.readline()
    if not line:
        raise RuntimeError(f"the plan server ended on {args}")
    answer = json.loads(line)
    return subprocess.CompletedProcess([COMMAND, *args], answer["code"], answer["stdout"], answer["stderr"])


def record_program(root: str, stack: str, stack_file: str) -> str:
    """The program run as `openhands-zai plan` runs it: every resource's inputs, and the outputs,
    with the secret markers taken off (the values a real `pulumi up` sends the providers), as JSON.
    Run in the plan server (`in_server(..., call="tests.helpers:record_program")`), never beside
    the worker's mock engine."""
    import json

    from openhands_zai.cli.engine import run_program
    from openhands_zai.cli.stack_files import load_plan_config
    from openhands_zai.testing import plain

    config = load_plan_config(Path(root), stack, Path(stack_file))
    recording = run_program(Path(root), config.project, stack, dict(config.config), sorted(config.secret_keys))
    return json.dumps({"resources": [{"type": r.type, "name": r.name, "inputs": plain(r.inputs)}
                                     for r in recording.resources], "outputs": plain(recording.outputs)})


@functools.cache
def planned(stack: str, config_file: Path | None = None, project_dir: Path = ROOT, fmt: str = "json"):
    """`openhands-zai plan` of a shipped stack, with the sentinel key, run once per test process:
    several tests read the same plan of the same file (the stack files do not change in a run)."""
    args = ["plan", "--stack", stack, "--project-dir", str(project_dir), "--format", fmt]
    return run_cli(*args, *(["--config-file", str(config_file)] if config_file else []),
                   env_extra={"ZAI_API_KEY": SENTINEL_KEY})


def peering_settings(raw):
    from openhands_zai import PeeringSettings

    return PeeringSettings.model_validate(raw, by_name=False)


def egress_settings(raw, endpoint_host="api.z.ai", peer_cidr=None):
    """As the stack resolves it: the endpoint's host by default, the peer range added."""
    from openhands_zai import EgressSettings

    return EgressSettings.model_validate(raw, by_name=False).resolved(endpoint_host, peer_cidr)
