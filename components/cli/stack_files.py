"""Read Pulumi.yaml and a stack file the way the Pulumi CLI merges them, without the CLI.

Secure values (`secure: v1:...` blobs) cannot be decrypted here: they become placeholders
that stay marked secret. An unset `zaiApiKey` is taken from env `ZAI_API_KEY` when present,
else a placeholder, so a plan needs no key at all.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import PROJECT
from ..zai_key import key_problem
from .files import UnreadableFile, read_text

SECRET_PLACEHOLDER = "plan-placeholder-secret"
# libyaml's loader when PyYAML has it (its wheels do): ten times the pure-Python one's speed.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StackFileError(Exception):
    """A stack or project file that cannot be what the user meant: exit 2, one line per problem."""

    def __init__(self, *problems: str):
        self.problems = list(problems)
        super().__init__("; ".join(problems))


# What a Pulumi stack file may hold at its top level (the CLI's own keys); settings go under config.
STACK_FILE_KEYS = ("config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt")
# The config namespaces the bundle's program reads: its own and its providers'.
PROVIDER_NAMESPACES = ("aws", "docker", "kubernetes", "random", "pulumi")


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


def _duplicate_keys(node: yaml.Node, path: tuple[str, ...], found: list[tuple[tuple[str, ...], int, int]]) -> None:
    """Every key a map gives twice, at any depth: (path, first line, second line). YAML keeps the
    last one silently, so the first is lost without a word."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key in seen:
                found.append(((*path, key), seen[key], key_node.start_mark.line + 1))
            elif key is not None:
                seen[key] = key_node.start_mark.line + 1
            _duplicate_keys(value_node, (*path, key or "?"), found)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _duplicate_keys(item, (*path[:-1], f"{path[-1]}[{index}]") if path else (f"[{index}]",), found)


def _written(path: tuple[str, ...], project: str | None) -> str:
    """A key path as the user writes it: `openhands-zai:docker.port` under config, else dotted."""
    if project is not None and len(path) > 1 and path[0] == "config":
        head = path[1] if ":" in path[1].split("[", 1)[0] else f"{project}:{path[1]}"
        return ".".join((head, *path[2:])).replace(".[", "[")
    return ".".join(path).replace(".[", "[")


def _load_yaml(path: Path, project: str | None = None) -> Any:
    """The document, refused when it cannot be what the user meant (invalid YAML, a key given twice)."""
    try:
        text = read_text(path, "a stack file")
        document = yaml.load(text, Loader=_LOADER) or {}
        found: list[tuple[tuple[str, ...], int, int]] = []
        node = yaml.compose(text, Loader=_LOADER)
        if node is not None:
            _duplicate_keys(node, (), found)
    except UnreadableFile as error:
        raise StackFileError(str(error)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise StackFileError(f"{path}:{where} is not valid YAML") from None
    if found:
        raise StackFileError(*(f"{path} line {second}: {_written(keys, project)} is given twice (lines {first} and "
                               f"{second}); YAML would keep the last and drop the first without a word: keep one"
                               for keys, first, second in found))
    return document


def _outside_config(stack_doc: dict[str, Any], stack_path: Path) -> list[str]:
    """Top-level keys Pulumi does not read: settings written beside `config:` instead of under it."""
    found = []
    for key in map(str, stack_doc):
        if key in STACK_FILE_KEYS:
            continue
        if ":" in key:
            found.append(f"{stack_path}: {key} is outside `config:`, where Pulumi never reads it: indent it under "
                         "`config:`")
        else:
            found.append(f"{stack_path}: {key!r} is not a stack file key; allowed at the top: "
                         f"{', '.join(STACK_FILE_KEYS)} (settings go under `config:`)")
    return found


def _namespace_problems(keys: list[str], project: str, stack_path: Path) -> list[str]:
    """Config keys in a namespace nothing reads: a misspelt `openhands-zai` in any project; in the
    bundle's own project, any namespace but its providers'."""
    read = (PROJECT, project, *PROVIDER_NAMESPACES)
    found = []
    for key in keys:
        if ":" not in key:
            continue
        namespace, name = key.split(":", 1)
        if namespace in read:
            continue
        close = difflib.get_close_matches(namespace, [PROJECT], n=1, cutoff=0.75)
        if close:
            found.append(f"{stack_path}: {key}: no program reads the namespace {namespace!r}; did you mean "
                         f"{PROJECT}:{name}?")
        elif project == PROJECT:
            found.append(f"{stack_path}: {key}: this program reads no {namespace!r} settings; namespaces read: "
                         f"{', '.join(dict.fromkeys(read))}")
    return found


def _empty_secure(value: Any, where: str) -> list[str]:
    """`secure:` values that hold nothing to decrypt (an empty paste, a null)."""
    if _is_secure(value):
        blob = value["secure"]
        if not isinstance(blob, str) or not blob.strip():
            return [f"{where}: has an empty `secure:` value, so there is nothing to decrypt: set it with `pulumi config "
                    f"set --secret {where}`"]
        return []
    if isinstance(value, dict):
        return [problem for key, item in value.items() for problem in _empty_secure(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [problem for index, item in enumerate(value) for problem in _empty_secure(item, f"{where}[{index}]")]
    return []


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
    project_doc = _load_yaml(project_file, None)
    if not isinstance(project_doc, dict):
        raise StackFileError(f"{project_file}: must be a map with a project name and runtime")
    project = project_doc.get("name")
    if not isinstance(project, str):
        raise StackFileError(f"{project_file}: has no project name")
    stack_path = config_file or project_dir / f"Pulumi.{stack}.yaml"
    template = project_dir / "examples" / "stacks" / f"Pulumi.{stack}.yaml"
    if config_file is None and not stack_path.exists() and template.is_file():
        raise StackFileError(f"{stack_path}: no such file; {stack} is a template here: copy "
                             f"{template.relative_to(project_dir)} to the project folder, or pass --config-file "
                             f"{template.relative_to(project_dir)}")
    stack_doc = _load_yaml(stack_path, project)
    if not isinstance(stack_doc, dict):
        raise StackFileError(f"{stack_path}: must be a map with a `config:` section")
    stack_config = stack_doc.get("config") or {}
    if not isinstance(stack_config, dict):
        raise StackFileError(f"{stack_path}: `config:` must be a map of key to value")
    full_keys = [str(key) if ":" in str(key) else f"{project}:{key}" for key in stack_config]
    problems = _outside_config(stack_doc, stack_path) + _namespace_problems(full_keys, project, stack_path)
    problems += [problem for key, value in zip(full_keys, stack_config.values(), strict=True)
                 for problem in _empty_secure(value, key)]
    if problems:
        raise StackFileError(*problems)

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
    if env_key and key_problem(env_key):
        raise StackFileError(f"env ZAI_API_KEY: {key_problem(env_key)}")
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
