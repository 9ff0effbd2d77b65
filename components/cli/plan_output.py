"""The three views of a plan: text for people, JSON for tools, Mermaid for diagrams."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


def plan_document(plan: Any) -> dict[str, Any]:
    return {
        "stack": plan.stack,
        "project": plan.project,
        "resources": [
            {"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "provider": r.provider,
             "inputs": r.inputs, **({"aliases": r.aliases} if r.aliases else {})}
            for r in plan.resources
        ],
        "outputs": plan.outputs,
        "warnings": plan.warnings,
        "notes": plan.notes,
        "policy": policy_document(plan),
    }


def policy_document(plan: Any) -> dict[str, Any]:
    return {
        "verdict": verdict(plan),
        "violations": [{"policy": v.policy, "level": v.level, "urn": v.urn, "message": v.message}
                       for v in plan.violations],
    }


def verdict(plan: Any) -> str:
    """fail: a mandatory rule is violated (exit 3); warn: only advisories; pass: none."""
    if any(v.mandatory for v in plan.violations):
        return "fail"
    return "warn" if plan.violations else "pass"


def verdict_text(plan: Any) -> str:
    mandatory = [v for v in plan.violations if v.mandatory]
    advisory = [v for v in plan.violations if not v.mandatory]
    lines = [f"Policy: {verdict(plan)} ({len(mandatory)} mandatory, {len(advisory)} advisory violations)"]
    for violation in mandatory + advisory:
        where = violation.urn.rsplit("::", 1)[-1] if violation.urn else "stack"
        mark = "x" if violation.mandatory else "!"
        lines.append(f"    {mark} [{violation.level}] {violation.policy}: {where}: {violation.message}")
    return "\n".join(lines)


def as_json(plan: Any) -> str:
    return json.dumps(plan_document(plan), indent=2, sort_keys=False)


def _readable(inputs: dict[str, Any]) -> dict[str, Any]:
    """Show uploaded JSON files parsed, so the settings file reads as a document."""
    shown = dict(inputs)
    for upload in shown.get("uploads") or []:
        content = upload.get("content")
        if isinstance(content, str):
            try:
                upload["content"] = json.loads(content)
            except ValueError:
                pass
    return shown


def as_text(plan: Any) -> str:
    children: dict[str | None, list[Any]] = {}
    for resource in plan.resources:
        children.setdefault(resource.parent, []).append(resource)
    known = {r.urn for r in plan.resources}
    lines = [f"Plan for stack {plan.stack} of {plan.project}: {len(plan.resources)} resources", ""]

    def walk(resource: Any, depth: int) -> None:
        pad = "    " * depth
        via = f"  (provider: {resource.provider.rsplit('::', 1)[-1]})" if resource.provider else ""
        lines.append(f"{pad}+ {resource.type}  {resource.name}{via}")
        if resource.type.startswith("openhands-zai:") or not resource.inputs:
            pass
        else:
            body = yaml.safe_dump(_readable(resource.inputs), sort_keys=True, width=110, allow_unicode=True)
            lines.extend(f"{pad}      {line}" for line in body.rstrip().splitlines())
        for child in children.get(resource.urn, []):
            walk(child, depth + 1)

    for root in [r for r in plan.resources if r.parent not in known]:
        walk(root, 0)
    lines += ["", "Outputs:"]
    lines += [f"    {key}: {json.dumps(value)}" for key, value in plan.outputs.items()]
    if plan.warnings:
        lines += ["", "Warnings:"] + [f"    ! {warning}" for warning in plan.warnings]
    if plan.notes:
        lines += ["", "Notes:"] + [f"    - {note}" for note in plan.notes]
    lines += ["", verdict_text(plan)]
    return "\n".join(lines)


def as_mermaid(plan: Any) -> str:
    ids = {r.urn: f"r{index}" for index, r in enumerate(plan.resources)}
    lines = ["graph TD"]
    for resource in plan.resources:
        label = f"{resource.name}<br/><small>{resource.type}</small>".replace('"', "'")
        lines.append(f'    {ids[resource.urn]}["{label}"]')
    for resource in plan.resources:
        if resource.parent in ids:
            lines.append(f"    {ids[resource.parent]} --> {ids[resource.urn]}")
    return "\n".join(lines)


def kubernetes_objects(plan: Any) -> list[dict[str, Any]]:
    """The Kubernetes objects as they would be applied (their registered inputs are the objects)."""
    ordered = []
    for resource in plan.resources:
        if resource.type.startswith("kubernetes:"):
            obj = resource.inputs
            head = {key: obj[key] for key in ("apiVersion", "kind", "metadata") if key in obj}
            ordered.append({**head, **{k: v for k, v in obj.items() if k not in head}})
    return ordered


def write_manifests(plan: Any, out: Path) -> int:
    """One file per object into `out`; returns how many."""
    objects = kubernetes_objects(plan)
    out.mkdir(parents=True, exist_ok=True)
    for index, obj in enumerate(objects):
        name = f"{index:02d}-{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"
        (out / name).write_text(yaml.safe_dump(obj, sort_keys=False, width=110))
    return len(objects)


def as_manifests(plan: Any) -> str:
    """One YAML document per object; secret values are already redacted to "[secret]"."""
    return yaml.safe_dump_all(kubernetes_objects(plan), sort_keys=False, width=110, allow_unicode=True)


FORMATS = {"text": as_text, "json": as_json, "mermaid": as_mermaid, "manifests": as_manifests}
