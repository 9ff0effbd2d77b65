"""The GLM models this bundle knows (December 2026): limits, thinking, reasoning effort, which Z.AI
plans serve each, and which are legacy.

Sources, read for every entry: Z.AI's docs (docs.z.ai model pages and pricing, the devpack FAQ for
the Coding Plan, "Core Parameters" for `thinking` and `reasoning_effort`; docs.bigmodel.cn's
"migrate to GLM-5.2"), models.dev's `zai` and `zai-coding-plan` providers, and the model map of the
LiteLLM the gateway pins (1.108.7). Where they disagree on a limit (LiteLLM records 200,000 /
128,000 where models.dev has 204,800 / 131,072), the lower is taken: a profile never asks for
more than either source says the model gives. `tests/llm/test_catalogue.py` and the gateway's
fidelity suite cross-check every entry against the pinned LiteLLMs' metadata, so an upgrade that
changes a limit fails loudly. The lists move faster than releases: a model the catalogue does not
know is refused with the known ones named (`allowUnknownModel: true` lets it through), and one a
plan does not list is a warning, not a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

# Which kind of key and endpoint serves a model: the GLM Coding Plan's subscription endpoint, or
# the pay-as-you-go API (the general endpoint; bigmodel.cn's are the same two, for mainland keys).
CODING_PLAN, GENERAL_API = "coding-plan", "general"
# Z.AI's `reasoning_effort` values (Core Parameters: "only supported by GLM-5.2 and above"; GLM-5.2
# maps low/medium to high and xhigh to max; Z.AI's default is max). LiteLLM's `zai` provider does
# not take it as a parameter (it is dropped or refused), so it travels in the request body beside
# `thinking` (llm/plan.py, gateway/plan.py).
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True)
class GlmModel:
    name: str
    context_window: int  # max input tokens
    max_output_tokens: int
    # Accepts Z.AI's `thinking: {type: enabled|disabled}` (GLM-4.5 and later).
    thinking: bool
    plans: frozenset[str]
    description: str
    reasoning_efforts: tuple[str, ...] = ()  # accepted `reasoning_effort` values; () = none
    legacy: bool = False  # still served, superseded: a plan-time note
    vision: bool = False


_BOTH = frozenset({CODING_PLAN, GENERAL_API})
_MODELS = (
    # Z.AI's GLM-5.4 page (2026-11-24): 1M context, 128K output; on the Coding Plan only until the
    # pay-as-you-go API opens ("after the security assessment", no date). Not in LiteLLM's map yet.
    GlmModel("glm-5.4", 1_000_000, 128_000, True, frozenset({CODING_PLAN}), "newest flagship (Coding Plan only)",
             REASONING_EFFORTS),
    # Coding Plan since 2026-08-14 (its /models lists it); priced on docs.z.ai's pricing page.
    GlmModel("glm-5.3", 1_000_000, 128_000, True, _BOTH, "flagship, 1M context", REASONING_EFFORTS),
    GlmModel("glm-5.3-flash", 1_048_576, 128_000, True, frozenset({GENERAL_API}), "fast, cheap glm-5.3 with vision",
             REASONING_EFFORTS, vision=True),
    # docs.bigmodel.cn "migrate to GLM-5.2": 1M context, 128K output, reasoning_effort high|max.
    GlmModel("glm-5.2", 1_000_000, 128_000, True, _BOTH, "1M context, long-horizon coding", REASONING_EFFORTS),
    GlmModel("glm-5.1", 200_000, 128_000, True, _BOTH, "GLM-5 generation, 200K context"),
    # models.dev zai / zai-coding-plan (LiteLLM records no glm-5-turbo).
    GlmModel("glm-5-turbo", 200_000, 131_072, True, _BOTH, "faster GLM-5"),
    # Coding Plan: Pro and Max (devpack FAQ), at a higher quota rate than glm-4.7.
    GlmModel("glm-5", 200_000, 128_000, True, _BOTH, "first GLM-5"),
    GlmModel("glm-5v-turbo", 200_000, 128_000, True, _BOTH, "GLM-5 with vision", vision=True),
    # devpack FAQ: "sufficient for daily development"; every plan tier serves it.
    GlmModel("glm-4.7", 200_000, 128_000, True, _BOTH, "GLM-4 flagship, light on Coding Plan quota"),
    GlmModel("glm-4.7-flash", 200_000, 128_000, True, frozenset({GENERAL_API}), "free glm-4.7"),
    # The Coding Plan's small fast model (Claude Code's haiku slot in the devpack FAQ).
    GlmModel("glm-4.5-air", 128_000, 32_000, True, _BOTH, "lighter, cheaper glm-4.5"),
    GlmModel("glm-4.6", 200_000, 128_000, True, _BOTH, "previous flagship", legacy=True),
    GlmModel("glm-4.5", 128_000, 32_000, True, _BOTH, "GLM-4.5 flagship", legacy=True),
    GlmModel("glm-4.5-flash", 128_000, 32_000, True, frozenset({GENERAL_API}), "free glm-4.5", legacy=True),
    # A general-API model; never on the Coding Plan.
    GlmModel("glm-4-32b-0414-128k", 128_000, 32_000, False, frozenset({GENERAL_API}), "32B dense model, 128K context",
             legacy=True),
)

CATALOGUE: dict[str, GlmModel] = {model.name: model for model in _MODELS}
CURRENT = tuple(model.name for model in _MODELS if not model.legacy)

# LiteLLM's provider prefix for Z.AI (LiteLLM >= 1.80.8).
LITELLM_PROVIDER = "zai"


def bare_model_name(model: str) -> str:
    """Accept `glm-5.3` and `zai/glm-5.3` alike."""
    prefix = LITELLM_PROVIDER + "/"
    return model[len(prefix):] if model.startswith(prefix) else model


def litellm_model_string(model: str) -> str:
    """The model string LiteLLM routes to Z.AI: `zai/<model>` (base URL passed separately)."""
    return f"{LITELLM_PROVIDER}/{bare_model_name(model)}"
