"""Render one `LlmSettings` into every form the pinned OpenHands reads (pure: no resources).

1. `settings.json` for the GUI server's file settings store: the server takes its model and
   key from here, not from `LLM_MODEL`/`LLM_API_KEY`.
2. The container environment: `LLM_*` (read by `LLM.load_from_env()` and forwarded into
   agent-server sandboxes), the provider base URL, the debug toggles.
3. The LiteLLM model string (`zai/<model>`), with the base URL passed beside it; or, behind the
   LLM gateway (`LlmRoute`), the gateway's model name (`litellm_proxy/<name>`) and its URL.

The API key is a parameter: callers pass it inside `Output.apply` of a secret, so it never
leaves Pulumi's secret handling. Nothing here logs or stores it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..release import OpenHandsRelease
from .catalogue import CATALOGUE, litellm_model_string
from .settings import DebugSettings, LlmProfile, LlmSettings

# LlmProfile fields that map straight onto openhands.sdk.llm.LLM fields of the same name.
_DIRECT_FIELDS = (
    "temperature", "top_p", "max_input_tokens", "max_output_tokens", "native_tool_calling",
    "num_retries", "retry_multiplier", "retry_min_wait", "retry_max_wait", "timeout",
    "caching_prompt", "drop_params",
)


_NOT_IN_ENV = frozenset({"litellm_extra_body"})
# The SDK's provider prefix for a LiteLLM proxy (openhands.sdk.llm.utils.model_features).
PROXY_PREFIX = "litellm_proxy/"


@dataclass(frozen=True)
class LlmRoute:
    """Where OpenHands sends its LLM calls: to Z.AI itself (`model_names` empty), or to the LLM
    gateway at `base_url`, which serves each profile under a model name of its own."""

    base_url: str
    model_names: Mapping[str, str] = field(default_factory=dict)  # profile -> the gateway's model name

    @property
    def via_gateway(self) -> bool:
        return bool(self.model_names)

    def model(self, profile_name: str, profile: LlmProfile) -> str:
        if self.via_gateway:
            return PROXY_PREFIX + self.model_names[profile_name]
        return litellm_model_string(profile.model)


def direct_route(config: LlmSettings) -> LlmRoute:
    return LlmRoute(base_url=config.base_url)


def zai_request_fields(profile: LlmProfile) -> dict[str, Any]:
    """Z.AI's own request fields for a profile: `thinking` and `reasoning_effort`. LiteLLM's `zai`
    provider takes neither as a parameter (a top-level `thinking` fails, `reasoning_effort` is
    dropped or refused), so both travel in the request body (`extra_body`), which it passes on."""
    fields: dict[str, Any] = {}
    if profile.thinking is not None:
        fields["thinking"] = {"type": "enabled" if profile.thinking else "disabled"}
    if profile.reasoning_effort is not None:
        fields["reasoning_effort"] = profile.reasoning_effort
    return fields


def llm_fields(profile_name: str, profile: LlmProfile, route: LlmRoute, api_key: str) -> dict[str, Any]:
    """The `openhands.sdk.llm.LLM` fields for one profile (snake_case, JSON-ready)."""
    body: dict[str, Any] = {
        "model": route.model(profile_name, profile),
        "api_key": api_key,
        "base_url": route.base_url,
    }
    for name in _DIRECT_FIELDS:
        value = getattr(profile, name)
        if value is not None:
            body[name] = value
    known = CATALOGUE.get(profile.model)
    if "max_input_tokens" not in body and known is not None:
        # The window OpenHands condenses against: LiteLLM 1.84.1 (OpenHands 1.11's) knows no model past
        # glm-5, and without it the SDK knows no limit at all.
        body["max_input_tokens"] = known.context_window
    if profile.extra_headers:
        body["extra_headers"] = dict(profile.extra_headers)
    # Behind the gateway these are properties of the gateway's model (its extra_body): the proxy
    # fails a call that carries `thinking` as a request parameter.
    extra_body = zai_request_fields(profile)
    if extra_body and not route.via_gateway:
        body["litellm_extra_body"] = extra_body
    return body


def render_settings(config: LlmSettings, release: OpenHandsRelease, api_key: str,
                    route: LlmRoute | None = None) -> dict[str, Any]:
    """The server's `settings.json`: the default profile active, every profile saved."""
    route = route or direct_route(config)
    agent_llm = llm_fields(config.default_profile, config.default, route, api_key)
    # Behind the gateway the fallbacks are the gateway's own (router fallbacks), which work.
    if config.fallback_profiles and not route.via_gateway:
        # The SDK's form: profile names tried in order on transient errors.
        agent_llm["fallback_strategy"] = {"fallback_llms": list(config.fallback_profiles)}
    return {
        "v1_enabled": True,
        "agent_settings": {
            "schema_version": release.agent_settings_schema_version,
            "agent_kind": "openhands",
            "llm": agent_llm,
        },
        "llm_profiles": {
            "profiles": {
                name: llm_fields(name, profile, route, api_key)
                for name, profile in config.profiles.items()
            },
            "active": config.default_profile,
        },
    }


def settings_json(config: LlmSettings, release: OpenHandsRelease, api_key: str, route: LlmRoute | None = None) -> str:
    return json.dumps(render_settings(config, release, api_key, route), indent=2, sort_keys=True) + "\n"


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        # LLM.load_from_env() parses JSON for dict/list fields.
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


def render_env(config: LlmSettings, debug: DebugSettings, api_key: str,
               route: LlmRoute | None = None) -> dict[str, str]:
    """`LLM_*` = the default profile (also forwarded into sandboxes), base URL, debug toggles."""
    route = route or direct_route(config)
    env = {
        f"LLM_{name.upper()}": _env_value(value)
        for name, value in llm_fields(config.default_profile, config.default, route, api_key).items()
        # SDK 1.34's LLM.load_from_env() cannot parse a non-optional dict field and fails on
        # LLM_LITELLM_EXTRA_BODY (the fidelity suite shows it). Thinking reaches the agent
        # through settings.json, which the server hands to the agent-server.
        if name not in _NOT_IN_ENV
    }
    # app_server/config.py: the provider base-URL fallback for profiles without one.
    env["OPENHANDS_PROVIDER_BASE_URL"] = route.base_url
    env["DEBUG"] = _env_value(debug.debug)
    env["LOG_ALL_EVENTS"] = _env_value(debug.log_all_events)
    env["DEBUG_LLM"] = _env_value(debug.debug_llm)
    return env


def settings_fingerprint(config: LlmSettings, release: OpenHandsRelease, debug: DebugSettings,
                         route: LlmRoute | None = None) -> str:
    """A hash of everything rendered except the key: a label that changes with the config."""
    rendered = {
        "settings": render_settings(config, release, api_key="", route=route),
        "env": render_env(config, debug, api_key="", route=route),
    }
    return hashlib.sha256(json.dumps(rendered, sort_keys=True).encode()).hexdigest()[:16]
