"""The catalogue against the installed LiteLLM's own model metadata (the one OpenHands pins)."""

from importlib.metadata import version

import pytest

from openhands_zai.llm.catalogue import CATALOGUE, LITELLM_PROVIDER, bare_model_name, litellm_model_string
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


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_catalogue_matches_litellm_metadata(name, litellm):
    model = CATALOGUE[name]
    info = litellm.model_cost[f"{LITELLM_PROVIDER}/{name}"]
    assert info["litellm_provider"] == "zai"
    assert model.context_window == info["max_input_tokens"]
    assert model.max_output_tokens == info["max_output_tokens"]
    if info.get("supports_reasoning") is True:
        assert model.reasoning, f"LiteLLM says {name} reasons; the catalogue must allow thinking"
    if info.get("supports_reasoning") is False:
        assert not model.reasoning


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_model_string_routes_to_zai_at_the_given_base(name, litellm):
    base = "https://api.z.ai/api/coding/paas/v4"
    model, provider, _key, api_base = litellm.get_llm_provider(litellm_model_string(name), api_base=base)
    assert (model, provider, api_base) == (name, "zai", base)


def test_guide_models_are_catalogued():
    assert {"glm-4.6", "glm-4.5", "glm-4.5-air", "glm-4-32b-0414-128k"} <= set(CATALOGUE)


def test_bare_model_name_accepts_prefixed_and_bare():
    assert bare_model_name("zai/glm-4.6") == bare_model_name("glm-4.6") == "glm-4.6"
    assert litellm_model_string("zai/glm-4.6") == "zai/glm-4.6"
