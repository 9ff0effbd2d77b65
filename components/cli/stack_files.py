"""Read Pulumi.yaml and a stack file the way the Pulumi CLI merges them, without the CLI.

Secure values (`secure: v1:...` blobs) cannot be decrypted here: they become placeholders
that stay marked secret. An unset `zaiApiKey` is taken from env `ZAI_API_KEY` when present,
else a placeholder, so a plan needs no key at all.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import PROJECT
from .files import UnreadableFile, read_text

SECRET_PLACEHOLDER = "plan-placeholder-secret"
# libyaml's loader when PyYAML has it (its wheels do): ten times the pure-Python one's speed.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StackFileError(Exception):
    """A stack or project file that cannot be read: reported with exit 2."""


@dataclass
class PlanConfig:
    project: str
    stack: str
    config: dict[str, str]  # full key -> value as Pulumi passes it (a string)
    secret_keys: list[str]
    secret_values: set[str] = field(default_factory=set)  # plaintexts that must never be printed
    # Whether the stack file itself sets any openhands-zai:* key (else the plan is Pulumi.yaml's defaults),
    # and whether Pulumi.yaml declares them (a program of ours, not any Pulumi program).
    sets_project_keys: bool = True
    declares_project_keys: bool = False


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.load(read_text(path, "a stack file"), Loader=_LOADER) or {}
    except UnreadableFile as error:
        raise StackFileError(str(error)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise StackFileError(f"{path}:{where} is not valid YAML") from None


def _as_pulumi_string(value: Any) -> str:
    # The engine hands every value to the program as a string; structured values as JSON.
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _replace_secure(value: Any) -> tuple[Any, bool]:
    """Swap each `secure:` blob (also nested, from `config set --path --secret`) for the placeholder.

    As under the CLI, a key with any encrypted leaf becomes a secret key as a whole.
    """
    if _is_secure(value):
        return SECRET_PLACEHOLDER, True
    if isinstance(value, dict):
        pairs = {key: _replace_secure(item) for key, item in value.items()}
        return {key: item for key, (item, _) in pairs.items()}, any(found for _, found in pairs.values())
    if isinstance(value, list):
        items = [_replace_secure(item) for item in value]
        return [item for item, _ in items], any(found for _, found in items)
    return value, False


def load_plan_config(project_dir: Path, stack: str, config_file: Path | None = None) -> PlanConfig:
    project_file = project_dir / "Pulumi.yaml"
    if not project_file.is_file() and not project_file.is_dir():
        raise StackFileError(f"{project_file}: no such file; run in a Pulumi project's folder or pass --project-dir")
    project_doc = _load_yaml(project_file)
    if not isinstance(project_doc, dict):
        raise StackFileError(f"{project_file}: must be a map with a project name and runtime")
    project = project_doc.get("name")
    if not isinstance(project, str):
        raise StackFileError(f"{project_file}: has no project name")
    stack_path = config_file or project_dir / f"Pulumi.{stack}.yaml"
    stack_doc = _load_yaml(stack_path)
    if not isinstance(stack_doc, dict):
        raise StackFileError(f"{stack_path}: must be a map with a `config:` section")
    stack_config = stack_doc.get("config") or {}
    if not isinstance(stack_config, dict):
        raise StackFileError(f"{stack_path}: `config:` must be a map of key to value")

    values: dict[str, Any] = {}
    secret_keys: set[str] = set()
    declared = project_doc.get("config") or {}
    if not isinstance(declared, dict):
        raise StackFileError(f"{project_file}: `config:` must be a map of key to declaration")
    for key, decl in declared.items():
        full = key if ":" in key else f"{project}:{key}"
        if isinstance(decl, dict) and "default" in decl:
            values[full] = decl["default"]
        elif isinstance(decl, dict) and "value" in decl:
            values[full] = decl["value"]
        elif not isinstance(decl, dict):
            values[full] = decl

    secret_values: set[str] = set()
    for key, value in stack_config.items():
        key = str(key)
        full = key if ":" in key else f"{project}:{key}"
        # A key declared `secret: true` but written in plaintext stays plaintext here, so the
        # program reports it (the Pulumi CLI refuses such a stack file too).
        values[full], encrypted = _replace_secure(value)
        if encrypted:
            secret_keys.add(full)
            secret_values.add(SECRET_PLACEHOLDER)

    # The components read `openhands-zai:*` in any project (a platform team's program keeps the
    # namespace), so the key is always `openhands-zai:zaiApiKey`.
    api_key = f"{PROJECT}:zaiApiKey"
    env_key = os.environ.get("ZAI_API_KEY")
    if env_key and values.get(api_key) in (None, SECRET_PLACEHOLDER):
        values[api_key] = env_key
        secret_keys.add(api_key)
    elif api_key not in values:
        values[api_key] = SECRET_PLACEHOLDER
        secret_keys.add(api_key)

    config = {key: _as_pulumi_string(value) for key, value in values.items()}
    # A key written in plaintext is still a key: the program rejects it, and no output shows it.
    for key in secret_keys | {api_key}:
        if key in config:
            secret_values.add(config[key])
    own = [key for key in map(str, stack_config) if (key if ":" in key else f"{project}:{key}").startswith(f"{PROJECT}:")]
    declares = project == PROJECT or any(str(key).startswith(f"{PROJECT}:") for key in declared)
    return PlanConfig(project=project, stack=stack, config=config, secret_keys=sorted(secret_keys),
                      secret_values=secret_values, sets_project_keys=bool(own), declares_project_keys=declares)
