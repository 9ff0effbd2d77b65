"""Profiles (openhands-zai:profiles.<name>): Z.AI's ranges, the model's limits, the built-ins
merged in field by field, and every problem named by its key."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openhands_zai import ConfigError, LlmProfile, parse_stack_settings
from openhands_zai.llm.catalogue import CATALOGUE
from openhands_zai.llm.settings import BUILTIN_PROFILES, MAX_PROFILES

PROFILE_KEYS = {field.alias for field in LlmProfile.model_fields.values()}


def problems_for(name, raw):
    """(the profile as the stack parses it, or None; every problem, as printed)."""
    try:
        stack = parse_stack_settings({"profiles": {name: raw}})
    except ConfigError as error:
        return None, [str(p) for p in error.problems]
    return stack.profiles[name], []


def test_builtins_follow_the_guide():
    builtins = parse_stack_settings({}).profiles
    assert set(builtins) == set(BUILTIN_PROFILES)
    assert builtins["latest"].model == "glm-5.3"
    # Z.AI advises tuning one of temperature and top_p.
    assert (builtins["latest"].temperature, builtins["latest"].top_p) == (0.6, None)
    assert (builtins["coding"].model, builtins["coding"].temperature) == ("glm-4.7", 0.1)
    assert builtins["large-context"].model == "glm-5.2"
    assert builtins["large-context"].max_output_tokens == 8192
    assert all(p.native_tool_calling for p in builtins.values())


def test_setting_one_field_of_a_builtin_keeps_the_other_profiles_and_fields():
    # `pulumi config set --path 'openhands-zai:profiles.coding.temperature' 0.2` writes just this.
    stack = parse_stack_settings({"profiles": {"coding": {"temperature": "0.2"}}})
    assert set(stack.profiles) == {"latest", "coding", "large-context"} and stack.default_profile == "latest"
    assert (stack.profiles["coding"].model, stack.profiles["coding"].temperature) == ("glm-4.7", 0.2)
    assert stack.profiles["latest"] == parse_stack_settings({}).profiles["latest"]


def test_null_removes_a_builtin_and_the_last_profile_cannot_go():
    stack = parse_stack_settings({"profiles": {"large-context": None, "review": {"model": "glm-4.6"}}})
    assert set(stack.profiles) == {"latest", "coding", "review"}
    with pytest.raises(ConfigError) as caught:
        parse_stack_settings({"profiles": {name: None for name in BUILTIN_PROFILES}})
    (problem,) = caught.value.problems
    assert problem.key == "openhands-zai:profiles" and problem.message.startswith("leaves no profile")


def test_named_like_builtin_inherits_unset_keys():
    profile, errors = problems_for("coding", {"temperature": 0.2})
    assert errors == []
    assert (profile.model, profile.temperature) == ("glm-4.7", 0.2)


def test_new_profile_needs_a_model():
    _, errors = problems_for("mine", {"temperature": 0.2})
    assert errors == ["openhands-zai:profiles.mine.model: is required; one of " + ", ".join(CATALOGUE)]


def test_numeric_strings_from_pulumi_config_set_path_are_accepted():
    profile, errors = problems_for("latest", {"temperature": "0.3", "maxOutputTokens": "4096", "thinking": "true"})
    assert errors == []
    assert (profile.temperature, profile.max_output_tokens, profile.thinking) == (0.3, 4096, True)


@pytest.mark.parametrize("key,value,needle", [
    ("temperature", 1.01, "profiles.latest.temperature: must be a number ≥ 0 and ≤ 1"),
    ("temperature", -0.1, "profiles.latest.temperature"),
    ("temperature", True, "profiles.latest.temperature"),
    ("topP", 0, "profiles.latest.topP: must be a number > 0 and ≤ 1"),
    ("topP", 1.5, "profiles.latest.topP"),
    ("maxOutputTokens", 128_001, "maxOutputTokens: 128001 is above glm-5.3's limit of 128000"),
    ("maxInputTokens", 1_000_001, "maxInputTokens: 1000001 is above glm-5.3's context window of 1000000"),
    ("reasoningEffort", "extreme",
     "profiles.latest.reasoningEffort: must be one of none, minimal, low, medium, high, xhigh, max, got 'extreme'"),
    ("maxOutputTokens", 0, "maxOutputTokens: must be an integer ≥ 1"),
    ("numRetries", 1.5, "numRetries: must be an integer"),
    ("model", "glm-9", "profiles.latest.model: unknown model 'glm-9'"),
    ("enable_caching", True, "profiles.latest.enable_caching: OpenHands has no such key; prompt caching is `cachingPrompt`"),
    ("cache_ttl", 300, "profiles.latest.cache_ttl: OpenHands has no cache TTL"),
    ("rate_limit_rpm", 60, "profiles.latest.rate_limit_rpm: OpenHands has no client-side rate limit"),
    ("batch_size", 4, "profiles.latest.batch_size: OpenHands sends one request per agent step"),
    ("top_p", 0.9, "profiles.latest.top_p: unknown key; did you mean `topP`?"),
    ("temprature", 0.9, "profiles.latest.temprature: unknown key; did you mean `temperature`?"),
    ("extraHeaders", {"Authorization": "Bearer x"}, "extraHeaders: must not carry the API key"),
])
def test_each_rule_names_the_key(key, value, needle):
    _, errors = problems_for("latest", {key: value})
    assert any(needle in error for error in errors), errors


def test_thinking_needs_a_model_with_thinking():
    _, errors = problems_for("large-context", {"model": "glm-4-32b-0414-128k", "thinking": True})
    assert errors and errors[0].startswith("openhands-zai:profiles.large-context.thinking: glm-4-32b-0414-128k has no thinking")
    _, errors = problems_for("large-context", {"model": "glm-4-32b-0414-128k", "thinking": False})
    assert errors == []


@pytest.mark.parametrize("model", sorted(CATALOGUE))
def test_reasoning_effort_only_where_the_model_takes_it(model):
    _, errors = problems_for("latest", {"model": model, "reasoningEffort": "max"})
    if CATALOGUE[model].reasoning_efforts:
        assert errors == []
    else:
        assert errors == [f"openhands-zai:profiles.latest.reasoningEffort: {model} takes no reasoning_effort (Z.AI: "
                          "GLM-5.2 and later); allowed: null (models with reasoning effort: glm-5.4, glm-5.3, "
                          "glm-5.3-flash, glm-5.2)"]


def test_reasoning_effort_without_thinking_is_refused_unless_none():
    _, errors = problems_for("latest", {"model": "glm-5.3", "thinking": False, "reasoningEffort": "max"})
    assert errors and errors[0].startswith("openhands-zai:profiles.latest.reasoningEffort: 'max' has no effect with "
                                           "thinking: false")
    assert problems_for("latest", {"model": "glm-5.3", "thinking": False, "reasoningEffort": "none"})[1] == []


def test_unknown_model_allowed_when_asked_and_skips_limits():
    profile, errors = problems_for("next", {"model": "glm-6", "allowUnknownModel": True, "maxOutputTokens": 500_000,
                                            "reasoningEffort": "max"})
    assert errors == [] and profile.model == "glm-6"


def test_an_unknown_model_names_the_known_ones():
    _, errors = problems_for("latest", {"model": "glm-6"})
    assert errors == ["openhands-zai:profiles.latest.model: unknown model 'glm-6'; known: " + ", ".join(CATALOGUE)
                      + " (set allowUnknownModel: true to use another Z.AI model)"]


def test_every_problem_reported_in_one_pass():
    _, errors = problems_for("latest", {"rate_limit_rpm": 1, "maxOutputTokens": 999_999, "temperature": 3})
    assert len(errors) == 3


def test_profile_count_is_capped_like_openhands():
    # The built-ins count: three of them and eight more are eleven.
    extra = MAX_PROFILES + 1 - len(BUILTIN_PROFILES)
    with pytest.raises(ConfigError) as caught:
        parse_stack_settings({"profiles": {f"p{i}": {"model": "glm-4.6"} for i in range(extra)}})
    assert any(str(p).startswith("openhands-zai:profiles: has 11 profiles") for p in caught.value.problems)
    assert parse_stack_settings({"profiles": {f"p{i}": {"model": "glm-4.6"} for i in range(extra - 1)}})


def test_profile_names_are_checked():
    with pytest.raises(ConfigError) as caught:
        parse_stack_settings({"profiles": {"../etc": {"model": "glm-4.6"}}})
    assert [p.key for p in caught.value.problems] == ["openhands-zai:profiles.../etc"]


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-10, max_value=10))
def test_temperature_accepted_exactly_in_zai_range(value):
    profile, errors = problems_for("latest", {"temperature": value})
    assert (profile is not None) == (0 <= value <= 1)
    if profile is None:
        assert errors[0].startswith("openhands-zai:profiles.latest.temperature:")


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-2, max_value=2))
def test_top_p_accepted_exactly_in_zai_range(value):
    profile, _ = problems_for("latest", {"topP": value})
    assert (profile is not None) == (0 < value <= 1)


@given(st.sampled_from(sorted(CATALOGUE)), st.integers(min_value=1, max_value=300_000))
def test_output_tokens_accepted_exactly_up_to_model_limit(model, tokens):
    profile, _ = problems_for("p", {"model": model, "maxOutputTokens": tokens})
    assert (profile is not None) == (tokens <= CATALOGUE[model].max_output_tokens)


@given(st.text(min_size=1, max_size=20).filter(lambda k: k not in PROFILE_KEYS))
def test_any_unknown_key_is_an_error(key):
    profile, errors = problems_for("latest", {key: 1})
    assert profile is None and errors[0].startswith(f"openhands-zai:profiles.latest.{key}:")


@pytest.mark.parametrize("key", ["temperature", "topP", "retryMultiplier", "maxOutputTokens"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "nan", "inf"])
def test_non_finite_numbers_never_pass(key, value):
    # NaN compares false with every bound, so a range check alone would let it through.
    profile, errors = problems_for("latest", {key: value})
    assert profile is None and errors[0].startswith(f"openhands-zai:profiles.latest.{key}:")
