"""The GLM models this bundle knows, with the limits Z.AI (and LiteLLM) record for them.

`tests/test_llm_catalogue.py` cross-checks every entry against the installed LiteLLM's
model metadata, so a LiteLLM upgrade that changes a limit fails loudly instead of letting a
profile ask for more tokens than the model can give.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GlmModel:
    name: str
    context_window: int  # max input tokens
    max_output_tokens: int
    # Accepts Z.AI's `thinking: {type: enabled|disabled}` request field. LiteLLM marks
    # glm-4.6/4.7 as reasoning models; Z.AI documents hybrid thinking for the glm-4.5
    # family too, where LiteLLM records nothing.
    reasoning: bool
    description: str


_MODELS = (
    GlmModel("glm-4.7", 200_000, 128_000, True, "newest flagship"),
    GlmModel("glm-4.6", 200_000, 128_000, True, "flagship, 200K context"),
    GlmModel("glm-4.5", 128_000, 32_000, True, "previous flagship"),
    GlmModel("glm-4.5-air", 128_000, 32_000, True, "lighter, cheaper glm-4.5"),
    GlmModel("glm-4.5-flash", 128_000, 32_000, True, "fastest glm-4.5"),
    GlmModel("glm-4-32b-0414-128k", 128_000, 32_000, False, "32B dense model, 128K context"),
)

CATALOGUE: dict[str, GlmModel] = {model.name: model for model in _MODELS}

# LiteLLM's provider prefix for Z.AI (LiteLLM >= 1.80.8).
LITELLM_PROVIDER = "zai"


def bare_model_name(model: str) -> str:
    """Accept `glm-4.6` and `zai/glm-4.6` alike."""
    prefix = LITELLM_PROVIDER + "/"
    return model[len(prefix):] if model.startswith(prefix) else model


def litellm_model_string(model: str) -> str:
    """The model string LiteLLM routes to Z.AI: `zai/<model>` (base URL passed separately)."""
    return f"{LITELLM_PROVIDER}/{bare_model_name(model)}"
