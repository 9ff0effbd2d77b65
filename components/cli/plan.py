"""`openhands-zai plan`: the stack's plan, offline, from the real program under mocks."""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .engine import RecordedResource, Recording, run_program
from .plan_output import FORMATS, kubernetes_objects, verdict_text, write_manifests
from .redact import Redactor
from .stack_files import PlanConfig, StackFileError, load_plan_config
from .verdict import Violation, evaluate

# Exit codes: 0 planned and policy passed (advisories allowed), 2 bad input (or an extra the stack
# needs is not installed), 3 a mandatory policy is violated (the plan is still printed), 1 a bug.
BAD_INPUT, POLICY_FAILED = 2, 3
# The provider packages a stack may need, and the extra that installs each (pyproject.toml).
EXTRAS = {"pulumi_aws": "aws", "boto3": "aws", "botocore": "aws", "pulumi_kubernetes": "kubernetes"}


@dataclass
class Plan:
    project: str
    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    warnings: list[str]
    violations: list[Violation]
    notes: list[str] = field(default_factory=list)


def build_plan(project_dir: Path, plan_config: PlanConfig) -> Plan:
    """Raises ConfigError for the user's settings; anything else is a bug."""
    recording: Recording = run_program(project_dir, plan_config.project, plan_config.stack, plan_config.config,
                                       plan_config.secret_keys)
    secrets = plan_config.secret_values | recording.generated_secrets
    redactor = Redactor(secrets)
    return Plan(
        project=plan_config.project,
        stack=plan_config.stack,
        resources=[
            RecordedResource(r.urn, r.type, r.name, r.parent, redactor.value(r.inputs), r.provider, r.aliases)
            for r in recording.resources
        ],
        outputs=redactor.value(recording.outputs),
        warnings=[redactor.text(w) for w in recording.warnings],
        notes=[redactor.text(n) for n in recording.notes],
        # The policy pack runs on the raw inputs (secret markers on); its messages name paths only.
        violations=[Violation(v.policy, v.level, v.urn, redactor.text(v.message))
                    for v in evaluate(recording.resources, secrets)],
    )


def _exit_code(plan: Plan) -> int:
    return POLICY_FAILED if any(v.mandatory for v in plan.violations) else 0


def main(args: Any) -> int:
    project_dir = Path(args.project_dir).resolve()
    if getattr(args, "out", None) and args.format != "manifests":
        print("error: --out: writes manifests; use it with --format manifests", file=sys.stderr)
        return BAD_INPUT
    try:
        plan_config = load_plan_config(project_dir, args.stack, Path(args.config_file) if args.config_file else None)
    except StackFileError as error:
        for line in error.problems:
            print(f"error: {line}", file=sys.stderr)
        return BAD_INPUT
    program = project_dir / "__main__.py"
    if not program.is_file():
        print(f"error: {program}: no such file; a Pulumi Python project runs __main__.py in its folder (copy the "
              "bundle's, or pass --project-dir to the folder that has it)", file=sys.stderr)
        return BAD_INPUT
    if not plan_config.sets_project_keys and plan_config.declares_project_keys:
        print(f"note: the stack file of {args.stack} sets no openhands-zai:* key: planning the defaults of "
              f"{project_dir / 'Pulumi.yaml'}", file=sys.stderr)
    try:
        plan = build_plan(project_dir, plan_config)
    except ConfigError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return BAD_INPUT
    except ModuleNotFoundError as error:
        extra = EXTRAS.get((error.name or "").split(".")[0])
        if extra is None:
            raise
        print(f"error: stack {args.stack} needs the {extra} extra ({error.name} is not installed): pip install "
              f"'openhands-zai[{extra}]'", file=sys.stderr)
        return BAD_INPUT
    except Exception as error:  # noqa: BLE001 - a bug, reported in one line with secrets scrubbed
        redactor = Redactor(plan_config.secret_values)
        print(f"error: plan failed unexpectedly: {redactor.text(f'{type(error).__name__}: {error}')}",
              file=sys.stderr)
        if os.environ.get("OPENHANDS_ZAI_DEBUG"):
            print(redactor.text(traceback.format_exc()), file=sys.stderr)
        return 1
    if args.format == "manifests" and not kubernetes_objects(plan):
        print(f"error: --format manifests: stack {plan.stack} plans no Kubernetes objects (openhands-zai:target is "
              "not kubernetes); use --format text or json", file=sys.stderr)
        return BAD_INPUT
    if args.format == "manifests" and getattr(args, "out", None):
        try:
            print(f"wrote {write_manifests(plan, Path(args.out))} objects to {args.out}")
        except OSError as error:
            print(f"error: --out: {args.out}: {error.strerror or error}", file=sys.stderr)
            return BAD_INPUT
    else:
        print(FORMATS[args.format](plan))
    if args.format in ("mermaid", "manifests"):  # their stdout is a document; the verdict goes beside it
        print(verdict_text(plan), file=sys.stderr)
    return _exit_code(plan)
