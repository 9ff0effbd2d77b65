"""The catalogue against the installed LiteLLM's own model metadata (1.84.1, the one OpenHands 1.11
pins; the gateway's fidelity suite checks the same against the gateway's LiteLLM), and what it
encodes about plans, thinking, reasoning effort and legacy models."""

from importlib.metadata import version

import pytest

from openhands_zai.llm.catalogue import (
    CATALOGUE,
    CODING_PLAN,
    CURRENT,
    GENERAL_API,
    LITELLM_PROVIDER,
    REASONING_EFFORTS,
    bare_model_name,
    litellm_model_string,
)
from openhands_zai.llm.settings import BUILTIN_PROFILES
from openhands_zai.release import RELEASES


@pytest.fixture(scope="module")
def litellm():
    # Imported by the tests that use it: its import takes longer than collecting the whole suite.
    import litellm

    return litellm


def test_litellm_is_the_version_openhands_pins():
    # The cross-check below is only meaningful against the LiteLLM OpenHands will really run.
    pinned = {release.litellm_version for release in RELEASES.values()}
    assert version("litellm") in pinned


def test_the_pinned_litellm_knows_the_older_models_and_not_the_newest(litellm):
    known = {name for name in CATALOGUE if f"{LITELLM_PROVIDER}/{name}" in litellm.model_cost}
    # 1.84.1 stops at glm-5: the renderer supplies the context window for the rest (test_plan.py).
    assert {"glm-4.7", "glm-4.6", "glm-5"} <= known
    assert not {"glm-5.2", "glm-5.3", "glm-5.4"} & known


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_catalogue_matches_litellm_metadata_where_it_knows_the_model(name, litellm):
    model = CATALOGUE[name]
    info = litellm.model_cost.get(f"{LITELLM_PROVIDER}/{name}")
    if info is None:
        pytest.skip(f"LiteLLM {version('litellm')} does not know {name}")
    assert info["litellm_provider"] == "zai"
    assert model.context_window == info["max_input_tokens"]
    assert model.max_output_tokens == info["max_output_tokens"]
    if info.get("supports_reasoning") is True:
        assert model.thinking, f"LiteLLM says {name} reasons; the catalogue must allow thinking"


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_model_string_routes_to_zai_at_the_given_base(name, litellm):
    # The zai/ provider routes any name, known to its map or not.
    base = "https://api.z.ai/api/coding/paas/v4"
    model, provider, _key, api_base = litellm.get_llm_provider(litellm_model_string(name), api_base=base)
    assert (model, provider, api_base) == (name, "zai", base)


def test_reasoning_effort_is_not_a_parameter_litellm_passes_to_zai(litellm):
    """Why the renderers put reasoning_effort in extra_body: the zai provider does not list it, so
    LiteLLM drops it (drop_params) or refuses it."""
    for name in ("glm-4.7", "glm-5"):
        assert "reasoning_effort" not in litellm.get_supported_openai_params(model=name, custom_llm_provider="zai")
    with pytest.raises(litellm.UnsupportedParamsError):
        litellm.completion(model="zai/glm-5", messages=[{"role": "user", "content": "x"}], reasoning_effort="max",
                           api_key="k", api_base="http://127.0.0.1:9", mock_response="ok", drop_params=False)


def test_reasoning_effort_only_from_glm_5_2_on():
    with_effort = {name for name, model in CATALOGUE.items() if model.reasoning_efforts}
    assert with_effort == {"glm-5.2", "glm-5.3", "glm-5.3-flash", "glm-5.4"}
    assert all(CATALOGUE[name].reasoning_efforts == REASONING_EFFORTS for name in with_effort)
    assert {"max", "high", "none"} <= set(REASONING_EFFORTS)


def test_plans_legacy_and_the_coding_plan_lineup():
    coding_plan = {name for name, model in CATALOGUE.items() if CODING_PLAN in model.plans and not model.legacy}
    # models.dev zai-coding-plan and Z.AI's devpack FAQ, late 2026.
    assert {"glm-5.4", "glm-5.3", "glm-5.2", "glm-5.1", "glm-5-turbo", "glm-4.7", "glm-4.5-air"} <= coding_plan
    assert CATALOGUE["glm-5.4"].plans == {CODING_PLAN}  # pay-as-you-go not open yet
    assert CATALOGUE["glm-4-32b-0414-128k"].plans == {GENERAL_API}  # never a Coding Plan model
    assert {name for name, model in CATALOGUE.items() if model.legacy} == {
        "glm-4.6", "glm-4.5", "glm-4.5-flash", "glm-4-32b-0414-128k"}
    assert set(CURRENT) == {name for name, model in CATALOGUE.items() if not model.legacy}
    assert not CATALOGUE["glm-4-32b-0414-128k"].thinking


def test_builtin_profiles_use_current_models_served_on_both_plans():
    for name, profile in BUILTIN_PROFILES.items():
        model = CATALOGUE[profile["model"]]
        assert not model.legacy, name
        assert model.plans == {CODING_PLAN, GENERAL_API}, name


def test_guide_models_are_still_catalogued():
    # A stack written for the integration guide keeps planning (with a legacy note).
    assert {"glm-4.6", "glm-4.5", "glm-4.5-air", "glm-4-32b-0414-128k"} <= set(CATALOGUE)


def test_bare_model_name_accepts_prefixed_and_bare():
    assert bare_model_name("zai/glm-5.3") == bare_model_name("glm-5.3") == "glm-5.3"
    assert litellm_model_string("zai/glm-5.3") == "zai/glm-5.3"
