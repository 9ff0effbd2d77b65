"""`openhands-zai:instances`: several named OpenHands instances sharing the key and the network.

Pure parsing. Each instance (e.g. one per team) has its own profile set, default and
fallbacks, port, container and state volume; the endpoint, key, secret, egress and release
are the stack's. When `instances` is set the stack runs exactly those instances.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from components.config_errors import ConfigProblem, Problems, checked_map, config_key
from components.llm.config import LlmConfig, parse_llm_config

INSTANCE_KEYS = ("name", "profiles", "defaultProfile", "fallbackProfiles", "port")
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
_LLM_KEYS = ("profiles", "defaultProfile", "fallbackProfiles")


@dataclass(frozen=True)
class InstanceSettings:
    name: str
    llm: LlmConfig
    port: int
    container_name: str
    state_volume: str


def _llm_for(raw: dict[str, Any], stack_llm_raw: dict[str, Any], index: int, problems: Problems) -> LlmConfig | None:
    """The instance's LLM config: the stack's, with the instance's profiles merged over it."""
    merged = dict(stack_llm_raw)
    merged.update({key: raw[key] for key in _LLM_KEYS if key in raw})
    if isinstance(raw.get("profiles"), dict) and isinstance(stack_llm_raw.get("profiles"), dict):
        merged["profiles"] = {**stack_llm_raw["profiles"], **raw["profiles"]}
    own = Problems()
    llm = parse_llm_config(merged, own)
    # The LLM parser names stack keys (`openhands-zai:profiles...`); name the instance's instead.
    stack_prefix, instance_prefix = config_key(""), config_key(f"instances[{index}].")
    for problem in own.items:
        key = problem.key
        if any(key.startswith(config_key(k)) for k in _LLM_KEYS):
            key = instance_prefix + key[len(stack_prefix):]
        problems.items.append(ConfigProblem(key, problem.message))
    return llm


def parse_instances(raw: Any, stack_llm_raw: dict[str, Any], base_port: int, container_name: str,
                    state_volume: str, problems: Problems) -> tuple[InstanceSettings, ...]:
    """`stack_llm_raw` holds the stack's zaiEndpoint/profiles/defaultProfile/fallbackProfiles."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        problems.add(config_key("instances"), f"must be a non-empty list of maps with keys {', '.join(INSTANCE_KEYS)}")
        return ()
    instances: list[InstanceSettings] = []
    names: set[str] = set()
    ports: set[int] = set()
    for index, item in enumerate(raw):
        key = config_key(f"instances[{index}]")
        entry = checked_map(item, key, INSTANCE_KEYS, problems)
        if entry is None:
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            problems.add(f"{key}.name", "must be 1-32 lowercase letters, digits or '-', starting and ending "
                                        f"with a letter or digit, got {name!r}")
            continue
        if name in names:
            problems.add(f"{key}.name", f"{name!r} is used by another instance")
        names.add(name)
        port = entry.get("port", base_port + index)
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            problems.add(f"{key}.port", f"must be a port number 1-65535, got {port!r}")
            continue
        if port in ports:
            problems.add(f"{key}.port", f"{port} is used by another instance")
        ports.add(port)
        llm = _llm_for(entry, stack_llm_raw, index, problems)
        if llm is not None:
            instances.append(InstanceSettings(name=name, llm=llm, port=port, container_name=f"{container_name}-{name}",
                                              state_volume=f"{state_volume}-{name}"))
    return tuple(instances)


def with_instance(docker_settings: Any, instance: InstanceSettings) -> Any:
    """The stack's Docker settings for one instance: its own port, container and volume."""
    return replace(docker_settings, port=instance.port, container_name=instance.container_name,
                   state_volume=instance.state_volume)
