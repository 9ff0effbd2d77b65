"""Named LLM profiles: the knobs OpenHands' LLM really has, validated against Z.AI's limits.

A profile is written in camelCase in the stack config (`openhands-zai:profiles.<name>`) and
becomes an `LlmProfile` whose fields map one-to-one onto `openhands.sdk.llm.LLM`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from components.config_errors import Problems, config_key, unknown_key_message
from components.config_values import as_bool, as_number
from components.llm.catalogue import CATALOGUE, bare_model_name

# Z.AI's API reference: temperature within [0, 1], top_p within (0, 1].
TEMPERATURE_RANGE = (0.0, 1.0)
TOP_P_RANGE = (0.0, 1.0)  # lower bound exclusive

# OpenHands 1.11 caps saved profiles per user (app_server/settings/llm_profiles.py).
MAX_PROFILES = 10
PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class LlmProfile:
    """One named LLM configuration. `None` means "leave the OpenHands default"."""

    model: str
    temperature: float | None = None
    top_p: float | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    thinking: bool | None = None
    # OpenHands does not turn native tool calling on for GLM by itself; GLM needs it.
    native_tool_calling: bool = True
    num_retries: int | None = None
    retry_multiplier: float | None = None
    retry_min_wait: int | None = None
    retry_max_wait: int | None = None
    timeout: int | None = None
    caching_prompt: bool | None = None
    drop_params: bool | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    allow_unknown_model: bool = False


# Defaults from the integration guide.
BUILTIN_PROFILES: dict[str, LlmProfile] = {
    "latest": LlmProfile(model="glm-4.6", temperature=0.6, top_p=0.95),
    "coding": LlmProfile(model="glm-4.5", temperature=0.1),
    "large-context": LlmProfile(model="glm-4-32b-0414-128k", max_output_tokens=8192),
}
DEFAULT_PROFILE = "latest"


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.capitalize() for word in rest)


# Config key (camelCase) -> LlmProfile field.
PROFILE_KEYS: dict[str, str] = {_camel(f.name): f.name for f in fields(LlmProfile)}

# Keys integration guides show that OpenHands does not have, with the real knob.
_NOT_OPENHANDS = (
    (re.compile(r"^(enable_?caching|enableCaching)$", re.I),
     "OpenHands has no such key; prompt caching is `cachingPrompt` (true/false)"),
    (re.compile(r"^cache_?ttl$", re.I),
     "OpenHands has no cache TTL; prompt caching is `cachingPrompt` and Z.AI manages cache lifetime"),
    (re.compile(r"^rate_?limit", re.I),
     "OpenHands has no client-side rate limit; for HTTP 429 tune `numRetries`, `retryMinWait`, "
     "`retryMaxWait`, `retryMultiplier` (limits at a proxy come with the LiteLLM proxy)"),
    (re.compile(r"^batch", re.I),
     "OpenHands sends one request per agent step and has no batching knob"),
)


def _number_checker(integer: bool, low: float, low_inclusive: bool = True,
                    high: float | None = None) -> Callable[[Any], tuple[Any, str | None]]:
    kind = "an integer" if integer else "a number"
    bounds = f"{'≥' if low_inclusive else '>'} {low:g}" + (f" and ≤ {high:g}" if high is not None else "")

    def check(value: Any) -> tuple[Any, str | None]:
        number = as_number(value, integer)
        if number is None:
            return None, f"must be {kind} {bounds}, got {value!r}"
        if (number < low) or (number == low and not low_inclusive) or (high is not None and number > high):
            return None, f"must be {kind} {bounds}, got {number:g}"
        return number, None

    return check


def _bool_checker(optional: bool) -> Callable[[Any], tuple[Any, str | None]]:
    def check(value: Any) -> tuple[Any, str | None]:
        if optional and value is None:
            return None, None
        flag = as_bool(value)
        if flag is None:
            return None, f"must be true or false{' or null' if optional else ''}, got {value!r}"
        return flag, None

    return check


def _string_map(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None, "must be a map of header name to string value"
    if any(k.lower() in ("authorization", "x-api-key") for k in value):
        return None, "must not carry the API key; it comes from openhands-zai:zaiApiKey"
    return dict(value), None


def _model(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str) or not value.strip():
        return None, f"must be a model name such as {', '.join(CATALOGUE)}"
    return bare_model_name(value.strip()), None


_CHECKS: dict[str, Callable[[Any], tuple[Any, str | None]]] = {
    "model": _model,
    "temperature": _number_checker(False, TEMPERATURE_RANGE[0], True, TEMPERATURE_RANGE[1]),
    "top_p": _number_checker(False, TOP_P_RANGE[0], False, TOP_P_RANGE[1]),
    "max_input_tokens": _number_checker(True, 1),
    "max_output_tokens": _number_checker(True, 1),
    "thinking": _bool_checker(optional=True),
    "native_tool_calling": _bool_checker(optional=False),
    "num_retries": _number_checker(True, 0),
    "retry_multiplier": _number_checker(False, 0),
    "retry_min_wait": _number_checker(True, 0),
    "retry_max_wait": _number_checker(True, 0),
    "timeout": _number_checker(True, 1),
    "caching_prompt": _bool_checker(optional=False),
    "drop_params": _bool_checker(optional=False),
    "extra_headers": _string_map,
    "allow_unknown_model": _bool_checker(optional=False),
}


def _unknown_key_message(key: str) -> str:
    for pattern, message in _NOT_OPENHANDS:
        if pattern.search(key):
            return message
    return unknown_key_message(key, list(PROFILE_KEYS))


def parse_profile(name: str, raw: Any, problems: Problems) -> LlmProfile | None:
    """Validate one profile. A profile named like a built-in inherits its unset keys."""
    where = ("profiles", name)
    if not isinstance(raw, dict):
        problems.add(config_key(*where), "must be a map of profile settings (model, temperature, ...)")
        return None
    start = len(problems.items)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        attr = PROFILE_KEYS.get(key)
        if attr is None:
            problems.add(config_key(*where, str(key)), _unknown_key_message(str(key)))
            continue
        parsed, error = _CHECKS[attr](value)
        if error:
            problems.add(config_key(*where, key), error)
        else:
            values[attr] = parsed

    base = BUILTIN_PROFILES.get(name)
    if base is None and "model" not in values:
        if "model" not in raw:
            problems.add(config_key(*where, "model"), f"is required; one of {', '.join(CATALOGUE)}")
        return None
    # Check the values that parsed against the model's limits even when another key was
    # wrong, so one run reports every problem.
    profile = replace(base, **values) if base else LlmProfile(**values)
    _check_against_model(name, profile, problems)
    return profile if len(problems.items) == start else None


def _check_against_model(name: str, profile: LlmProfile, problems: Problems) -> None:
    model = CATALOGUE.get(profile.model)
    if model is None:
        if not profile.allow_unknown_model:
            problems.add(
                config_key("profiles", name, "model"),
                f"unknown model {profile.model!r}; known: {', '.join(CATALOGUE)} "
                "(set allowUnknownModel: true to use another Z.AI model)",
            )
        return
    if profile.max_output_tokens is not None and profile.max_output_tokens > model.max_output_tokens:
        problems.add(
            config_key("profiles", name, "maxOutputTokens"),
            f"{profile.max_output_tokens} is above {model.name}'s limit of {model.max_output_tokens}",
        )
    if profile.max_input_tokens is not None and profile.max_input_tokens > model.context_window:
        problems.add(
            config_key("profiles", name, "maxInputTokens"),
            f"{profile.max_input_tokens} is above {model.name}'s context window of {model.context_window}",
        )
    if profile.thinking and not model.reasoning:
        problems.add(
            config_key("profiles", name, "thinking"),
            f"{model.name} has no thinking mode; allowed: false or null "
            f"(models with thinking: {', '.join(m.name for m in CATALOGUE.values() if m.reasoning)})",
        )
    if (profile.retry_min_wait is not None and profile.retry_max_wait is not None
            and profile.retry_min_wait > profile.retry_max_wait):
        problems.add(
            config_key("profiles", name, "retryMinWait"),
            f"{profile.retry_min_wait} is above retryMaxWait ({profile.retry_max_wait})",
        )


def parse_profiles(raw: Any, problems: Problems) -> dict[str, LlmProfile]:
    if raw is None:
        return dict(BUILTIN_PROFILES)
    if not isinstance(raw, dict) or not raw:
        problems.add(config_key("profiles"), "must be a non-empty map of profile name to profile settings")
        return {}
    if len(raw) > MAX_PROFILES:
        problems.add(config_key("profiles"), f"has {len(raw)} profiles; OpenHands keeps at most {MAX_PROFILES}")
    profiles: dict[str, LlmProfile] = {}
    for name, body in raw.items():
        if not isinstance(name, str) or not PROFILE_NAME.match(name):
            problems.add(config_key("profiles", str(name)),
                         "profile names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
            continue
        profile = parse_profile(name, body, problems)
        if profile is not None:
            profiles[name] = profile
    return profiles
