import json

import pytest

from openhands_zai.llm.catalogue import CATALOGUE
from openhands_zai.llm.plan import (
    LlmRoute,
    direct_route,
    llm_fields,
    render_env,
    render_settings,
    settings_fingerprint,
    settings_json,
)
from openhands_zai.llm.settings import DebugSettings
from tests.helpers import SENTINEL_KEY, settings


def test_settings_file_holds_every_profile_and_activates_the_default():
    stack = settings(fallbackProfiles=["coding", "large-context"])
    rendered = render_settings(stack.llm, stack.release.pinned, SENTINEL_KEY)
    profiles = rendered["llm_profiles"]["profiles"]
    assert set(profiles) == {"latest", "coding", "large-context"}
    assert rendered["llm_profiles"]["active"] == "latest"
    assert rendered["agent_settings"]["llm"]["model"] == "zai/glm-5.3"
    assert rendered["agent_settings"]["llm"]["fallback_strategy"] == {"fallback_llms": ["coding", "large-context"]}
    assert rendered["agent_settings"]["schema_version"] == stack.release.pinned.agent_settings_schema_version
    assert all(p["base_url"] == "https://api.z.ai/api/coding/paas/v4" for p in profiles.values())
    assert all(p["api_key"] == SENTINEL_KEY for p in profiles.values())
    assert all(p["native_tool_calling"] is True for p in profiles.values())


def test_settings_json_is_json():
    stack = settings()
    assert json.loads(settings_json(stack.llm, stack.release.pinned, "k"))["v1_enabled"] is True


def test_unset_knobs_are_left_to_openhands_but_the_context_window():
    stack = settings()
    body = llm_fields("coding", stack.llm.profiles["coding"], direct_route(stack.llm), "k")
    assert set(body) == {"model", "api_key", "base_url", "temperature", "native_tool_calling", "max_input_tokens"}


@pytest.mark.parametrize("model", sorted(CATALOGUE))
def test_the_context_window_is_the_catalogues_unless_the_profile_sets_one(model):
    """OpenHands 1.11's LiteLLM knows no model past glm-5: without max_input_tokens the SDK would know
    no window to condense against."""
    stack = settings(profiles={"latest": {"model": model}, "coding": {"model": model, "maxInputTokens": 1000}})
    route = direct_route(stack.llm)
    assert llm_fields("latest", stack.llm.profiles["latest"], route, "k")["max_input_tokens"] == \
        CATALOGUE[model].context_window
    assert llm_fields("coding", stack.llm.profiles["coding"], route, "k")["max_input_tokens"] == 1000
    unknown = settings(profiles={"latest": {"model": "glm-9", "allowUnknownModel": True}})
    assert "max_input_tokens" not in llm_fields("latest", unknown.llm.profiles["latest"], route, "k")


def test_reasoning_effort_travels_in_the_body_beside_thinking():
    stack = settings(profiles={"latest": {"model": "glm-5.3", "thinking": True, "reasoningEffort": "high"},
                               "coding": {"model": "glm-5.2", "reasoningEffort": "max"}})
    direct = LlmRoute("u")
    assert llm_fields("latest", stack.llm.profiles["latest"], direct, "k")["litellm_extra_body"] == \
        {"thinking": {"type": "enabled"}, "reasoning_effort": "high"}
    assert llm_fields("coding", stack.llm.profiles["coding"], direct, "k")["litellm_extra_body"] == \
        {"reasoning_effort": "max"}
    # Never an SDK `reasoning_effort` field: 1.34's has no `max` and sends it only where LiteLLM lists it.
    assert "reasoning_effort" not in llm_fields("latest", stack.llm.profiles["latest"], direct, "k")


def test_thinking_becomes_zai_request_field():
    stack = settings(profiles={"latest": {"thinking": True}, "coding": {"thinking": False}})
    direct = LlmRoute("u")
    assert llm_fields("latest", stack.llm.profiles["latest"], direct, "k")["litellm_extra_body"] == \
        {"thinking": {"type": "enabled"}}
    assert llm_fields("coding", stack.llm.profiles["coding"], direct, "k")["litellm_extra_body"] == \
        {"thinking": {"type": "disabled"}}


def test_env_equals_default_profile_and_carries_toggles():
    stack = settings(defaultProfile="coding", zaiEndpoint="general", debug={"debugLlm": True})
    env = render_env(stack.llm, stack.debug, SENTINEL_KEY)
    assert env["LLM_MODEL"] == "zai/glm-4.7"
    assert env["LLM_BASE_URL"] == env["OPENHANDS_PROVIDER_BASE_URL"] == "https://api.z.ai/api/paas/v4"
    assert env["LLM_TEMPERATURE"] == "0.1"
    assert env["LLM_NATIVE_TOOL_CALLING"] == "true"
    assert env["LLM_API_KEY"] == SENTINEL_KEY
    assert (env["DEBUG"], env["LOG_ALL_EVENTS"], env["DEBUG_LLM"]) == ("false", "true", "true")


def test_dict_knobs_are_json_in_env():
    stack = settings(profiles={"latest": {"thinking": True, "extraHeaders": {"X-Team": "a"}}})
    env = render_env(stack.llm, DebugSettings(), "k")
    assert json.loads(env["LLM_EXTRA_HEADERS"]) == {"X-Team": "a"}
    # SDK 1.34's load_from_env() fails on this variable; thinking travels in settings.json only.
    assert "LLM_LITELLM_EXTRA_BODY" not in env


def test_fingerprint_changes_with_settings_but_never_holds_the_key():
    a, b = settings(), settings(profiles={"latest": {"temperature": 0.2}})
    fa = settings_fingerprint(a.llm, a.release.pinned, a.debug)
    assert fa != settings_fingerprint(b.llm, b.release.pinned, b.debug)
    assert fa == settings_fingerprint(a.llm, a.release.pinned, a.debug)
