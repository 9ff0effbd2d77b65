"""Run a Pulumi program under Pulumi's mock engine and record what it registers.

The recorder sits where the Pulumi engine would: it sees each RegisterResource request
(type, name, parent, inputs with their secret markers still on) and the stack's outputs.
The mocks answer like the providers would (ids, digests, computed attributes), so code that
uses those values runs as it would under `pulumi up`. Config reaches the program the way the
Pulumi CLI passes it (`PULUMI_CONFIG`, `PULUMI_CONFIG_SECRET_KEYS` in the environment), so the
program reads it through the same public API as under `pulumi up`.

This module holds every use of the Pulumi SDK's private API in the project; each name is listed
in PRIVATE_API, and a test fails loudly when the pinned SDK changes one of them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import runpy
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import run_in_stack
from pulumi.runtime import settings as runtime_settings  # private: set_root_resource
from pulumi.runtime.sync_await import _sync_await  # private: run a coroutine to completion as the SDK does

from ..testing import ProviderLikeMocks

STACK_TYPE = "pulumi:pulumi:Stack"
# (module, name) of every private SDK name used here.
PRIVATE_API = (("pulumi.runtime.sync_await", "_sync_await"), ("pulumi.runtime.settings", "set_root_resource"))


def _whole_numbers(value: Any) -> Any:
    """Protobuf carries every number as a double; show 3000 as 3000, not 3000.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]  # protobuf-JSON form: secrets still wrapped in their signature map
    provider: str | None = None  # URN of the explicit provider (e.g. the peer account's), if any
    # Earlier identities the program declares (`pulumi.Alias`), as the engine receives them: a moved
    # resource keeps its state under its old URN. Each {urn} or {name, type, parentUrn, noParent}.
    aliases: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Recording:
    resources: list[RecordedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the program's pulumi.log.info
    # Values the providers generate as secrets (random passwords): redacted like config secrets.
    generated_secrets: set[str] = field(default_factory=set)


def _alias(alias: Any) -> dict[str, Any]:
    if alias.HasField("urn"):
        return {"urn": alias.urn}
    spec = alias.spec
    found: dict[str, Any] = {key: value for key, value in (("name", spec.name), ("type", spec.type),
                                                            ("parentUrn", spec.parentUrn)) if value}
    if spec.noParent:
        found["noParent"] = True
    return found


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi_mocks.Mocks, recording: Recording):
        super().__init__(mocks)
        self.recording = recording
        self.stack_urn: str | None = None
        self.seen: set[str] = set()

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        if request.type == STACK_TYPE:
            self.stack_urn = response.urn
        if response.urn in self.seen:
            return response  # set_mocks' own root stack lands late, under the same URN
        self.seen.add(response.urn)
        self.recording.resources.append(RecordedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            inputs=_whole_numbers(json_format.MessageToDict(request.object)),
            # A provider reference is "<urn>::<id>"; the URN names it.
            provider=request.provider.rsplit("::", 1)[0] if request.provider else None,
            aliases=[_alias(alias) for alias in request.aliases],
        ))
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802 - gRPC method name
        if request.urn == self.stack_urn:
            self.recording.outputs = _whole_numbers(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)


class _LogCollector(logging.Handler):
    """The program's pulumi.log: warnings (and errors) apart from notes (info)."""

    def __init__(self, recording: Recording):
        super().__init__(level=logging.INFO)
        self.recording = recording

    def emit(self, record: logging.LogRecord) -> None:
        (self.recording.warnings if record.levelno >= logging.WARNING else self.recording.notes).append(
            record.getMessage())


@contextmanager
def _config_passed_as_the_cli_does(config: dict[str, str], secret_keys: list[str]) -> Iterator[None]:
    names = ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["PULUMI_CONFIG"] = json.dumps(config)
    os.environ["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(sorted(secret_keys))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _settle() -> None:
    """A program that failed leaves registrations in flight on the SDK's event loop (the engine
    stops at the first error). In a process that plans again (the test suite, a tool planning
    several stacks) they would run on against the next program's mocks: cancel them, let them end."""
    loop = asyncio.get_event_loop()
    if loop.is_running():
        return
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def run_program(project_dir: Path, project: str, stack: str, config: dict[str, str],
                secret_keys: list[str]) -> Recording:
    """Evaluate `project_dir/__main__.py` as `pulumi up` would, against mocks (preview=False)."""
    recording = Recording()
    logger = logging.getLogger(f"openhands-zai.plan.{stack}")
    logger.propagate = False
    logger.handlers[:] = [_LogCollector(recording)]
    logger.setLevel(logging.INFO)
    mocks = ProviderLikeMocks()
    monitor = RecordingMonitor(mocks, recording)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, logger=logger, monitor=monitor)
    pulumi.runtime.set_all_config({}, [])  # nothing from an earlier run in this process
    # set_mocks registers (and finishes) a root stack of its own; the program gets a fresh one
    # from run_in_stack, exactly as under the CLI, so its exports are recorded.
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]  # private: forget set_mocks' own root
    recording.resources.clear()
    monitor.seen.clear()

    program = project_dir / "__main__.py"
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))

    def run() -> None:
        runpy.run_path(str(program), run_name="__main__")

    with _config_passed_as_the_cli_does(config, secret_keys):
        try:
            _sync_await(run_in_stack(run))
        finally:
            _settle()
    recording.generated_secrets = set(mocks.generated_secrets)
    return recording
