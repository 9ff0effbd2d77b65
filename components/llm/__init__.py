"""The LLM configuration core: pure Python, no resources.

GLM model catalogue, Z.AI endpoints, validated profiles, and the renderers that turn one
description into the settings file, environment and LiteLLM model string OpenHands reads.
"""

from components.llm.catalogue import CATALOGUE, GlmModel, litellm_model_string
from components.llm.config import LlmConfig, parse_llm_config
from components.llm.endpoints import ENDPOINTS, resolve_endpoint
from components.llm.profiles import BUILTIN_PROFILES, DEFAULT_PROFILE, LlmProfile
from components.llm.render import (
    DebugToggles,
    llm_fields,
    render_env,
    render_settings,
    settings_fingerprint,
    settings_json,
)

__all__ = [
    "BUILTIN_PROFILES", "CATALOGUE", "DEFAULT_PROFILE", "ENDPOINTS", "DebugToggles", "GlmModel",
    "LlmConfig", "LlmProfile", "litellm_model_string", "llm_fields", "parse_llm_config",
    "render_env", "render_settings", "resolve_endpoint", "settings_fingerprint", "settings_json",
]
