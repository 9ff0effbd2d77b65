"""The LLM description: named profiles of the knobs OpenHands' LLM really has, the Z.AI
endpoint, which profile is the default and which are fallbacks; and the server's log toggles.

A profile is written in camelCase (`openhands-zai:profiles.<name>`); its fields map one-to-one
onto `openhands.sdk.llm.LLM` in snake_case. Values are checked against Z.AI's ranges and the
model's own limits (the catalogue, cross-checked with LiteLLM's metadata in the tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator

from ..errors import Hint, config_key
from ..fields import Flag, Number, SettingsModel, WholeNumber, problem, problems_at
from .catalogue import CATALOGUE, CODING_PLAN, CURRENT, REASONING_EFFORTS, bare_model_name
from .endpoints import ENDPOINTS, plan_of, resolve_endpoint

# OpenHands 1.11 caps saved profiles per user (app_server/settings/llm_profiles.py).
MAX_PROFILES = 10
DEFAULT_PROFILE = "latest"
# The integration guide's three profiles, on today's models, as a user would write them. Each
# model is served on both the Coding Plan and the pay-as-you-go API (catalogue.py), so the
# built-ins work on every endpoint: glm-5.3, the flagship both serve (Z.AI advises tuning one of
# temperature and top_p); glm-4.7 for precise everyday coding at the lightest Coding Plan quota
# rate; glm-5.2's 1M-token window for large inputs with short answers. A stack's profile of the
# same name is merged over its built-in field by field; `null` removes a built-in.
BUILTIN_PROFILES: dict[str, dict[str, Any]] = {
    "latest": {"model": "glm-5.3", "temperature": 0.6},
    "coding": {"model": "glm-4.7", "temperature": 0.1},
    "large-context": {"model": "glm-5.2", "maxOutputTokens": 8192},
}

_MODELS = f"one of {', '.join(CATALOGUE)}"
ModelName = Annotated[str, BeforeValidator(lambda v: bare_model_name(v.strip()) if isinstance(v, str) else v),
                      Field(min_length=1), Hint(_MODELS)]
ProfileName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
                        Hint("a profile name: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")]


def _no_key_in_headers(headers: dict[str, str]) -> dict[str, str]:
    if any(name.lower() in ("authorization", "x-api-key") for name in headers):
        raise problem("must not carry the API key; it comes from openhands-zai:zaiApiKey")
    return headers


class LlmProfile(SettingsModel):
    """One named LLM configuration. `None` leaves OpenHands' own default."""

    unknown_key_hints = (
        (r"^enable_?caching$", "OpenHands has no such key; prompt caching is `cachingPrompt` (true/false)"),
        (r"^cache_?ttl$", "OpenHands has no cache TTL; prompt caching is `cachingPrompt` and Z.AI manages "
                          "cache lifetime"),
        (r"^rate_?limit", "OpenHands has no client-side rate limit; for HTTP 429 tune `numRetries`, "
                          "`retryMinWait`, `retryMaxWait`, `retryMultiplier` (limits at a proxy come with the "
                          "LiteLLM proxy)"),
        (r"^batch", "OpenHands sends one request per agent step and has no batching knob"),
    )

    # Before `model`: the catalogue check below reads it.
    allow_unknown_model: Flag = Field(False, description="Use a Z.AI model the catalogue does not know.")
    model: ModelName = Field(description=(
        "The Z.AI model (with or without zai/); another model needs allowUnknownModel: true."))
    # Z.AI's API reference: temperature within [0, 1], top_p within (0, 1].
    temperature: Annotated[Number | None, Field(ge=0, le=1)] = Field(None, description=(
        "Sampling temperature, in Z.AI's range (Z.AI advises tuning one of temperature and topP). Unset: "
        "OpenHands' default."))
    top_p: Annotated[Number | None, Field(gt=0, le=1)] = Field(None, description=(
        "Nucleus sampling. Unset: OpenHands' default."))
    max_input_tokens: Annotated[WholeNumber | None, Field(ge=1)] = Field(None, description=(
        "The most tokens sent; at most the model's context window (unset: the model's window)."))
    max_output_tokens: Annotated[WholeNumber | None, Field(ge=1)] = Field(None, description=(
        "The most tokens in a reply; at most the model's output limit."))
    thinking: Flag | None = Field(None, description=(
        "Z.AI's thinking: {type: enabled|disabled}; only on models with thinking (unset: Z.AI's default)."))
    # Z.AI's `reasoning_effort` (GLM-5.2 and later), sent in the body beside `thinking`.
    reasoning_effort: Annotated[Literal[REASONING_EFFORTS] | None,  # type: ignore[valid-type]
                                Hint(f"one of {', '.join(REASONING_EFFORTS)}")] = Field(None, description=(
        "Z.AI's reasoning_effort (GLM-5.2 and later; unset: Z.AI's default, max); not with thinking: "
        "false, but none."))
    # OpenHands does not turn native tool calling on for GLM by itself; GLM needs it.
    native_tool_calling: Flag = Field(True, description=(
        "Use the model's function calling (GLM needs it)."))
    num_retries: Annotated[WholeNumber | None, Field(ge=0)] = Field(None, description=(
        "Retries on a transient error (HTTP 429, 5xx)."))
    retry_multiplier: Annotated[Number | None, Field(ge=0)] = Field(None, description=(
        "The backoff multiplier between retries."))
    retry_max_wait: Annotated[WholeNumber | None, Field(ge=0)] = Field(None, description=(
        "The longest wait between retries, in seconds."))
    retry_min_wait: Annotated[WholeNumber | None, Field(ge=0)] = Field(None, description=(
        "The shortest wait between retries, in seconds; at most retryMaxWait."))
    timeout: Annotated[WholeNumber | None, Field(ge=1)] = Field(None, description=(
        "A request's timeout, in seconds."))
    caching_prompt: Flag | None = Field(None, description=(
        "Prompt caching on or off."))
    drop_params: Flag | None = Field(None, description=(
        "Let LiteLLM drop parameters the endpoint does not take."))
    extra_headers: Annotated[dict[str, str], AfterValidator(_no_key_in_headers),
                             Hint("a map of header name to string value")] = Field(default_factory=dict, description=(
        "More HTTP headers on each request (never Authorization: the key comes from "
        "openhands-zai:zaiApiKey)."))

    @field_validator("model")
    @classmethod
    def _known_model(cls, model: str, info: ValidationInfo) -> str:
        if model not in CATALOGUE and not info.data.get("allow_unknown_model"):
            raise problem(f"unknown model {model!r}; known: {', '.join(CATALOGUE)} "
                          "(set allowUnknownModel: true to use another Z.AI model)")
        return model

    @field_validator("max_input_tokens", "max_output_tokens", "thinking", "reasoning_effort")
    @classmethod
    def _within_the_model(cls, value: Any, info: ValidationInfo) -> Any:
        known = CATALOGUE.get(info.data.get("model", ""))
        if known is None or value is None:
            return value
        if info.field_name == "max_output_tokens" and value > known.max_output_tokens:
            raise problem(f"{value} is above {known.name}'s limit of {known.max_output_tokens}")
        if info.field_name == "max_input_tokens" and value > known.context_window:
            raise problem(f"{value} is above {known.name}'s context window of {known.context_window}")
        if info.field_name == "thinking" and value and not known.thinking:
            thinking = ", ".join(m.name for m in CATALOGUE.values() if m.thinking and not m.legacy)
            raise problem(f"{known.name} has no thinking mode; allowed: false or null (models with thinking: "
                          f"{thinking})")
        if info.field_name == "reasoning_effort" and value not in known.reasoning_efforts:
            with_effort = ", ".join(m.name for m in CATALOGUE.values() if m.reasoning_efforts)
            raise problem(f"{known.name} takes no reasoning_effort (Z.AI: GLM-5.2 and later); allowed: null "
                          f"(models with reasoning effort: {with_effort})")
        return value

    @field_validator("reasoning_effort")
    @classmethod
    def _effort_needs_thinking(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value not in (None, "none") and info.data.get("thinking") is False:
            raise problem(f"{value!r} has no effect with thinking: false (Z.AI applies reasoning_effort to "
                          "thinking only); allowed: none, or leave thinking unset")
        return value

    @field_validator("retry_min_wait")
    @classmethod
    def _min_below_max(cls, value: int | None, info: ValidationInfo) -> int | None:
        most = info.data.get("retry_max_wait")
        if value is not None and most is not None and value > most:
            raise problem(f"{value} is above retryMaxWait ({most})")
        return value


def merge_profiles(base: Mapping[str, Any], over: Any) -> Any:
    """`over`'s profiles merged over `base`'s, field by field; a `null` profile removes one.

    Anything that is not a map is returned as is, for the model to refuse with the key named.
    """
    if over is None:
        over = {}
    if not isinstance(over, Mapping):
        return over
    merged = {name: dict(body) if isinstance(body, Mapping) else body for name, body in base.items()}
    for name, body in over.items():
        if body is None:
            merged.pop(name, None)
        elif isinstance(body, Mapping) and isinstance(merged.get(name), dict):
            merged[name] = {**merged[name], **body}
        else:
            merged[name] = body
    return merged


def _at_most_openhands_cap(profiles: dict[str, LlmProfile]) -> dict[str, LlmProfile]:
    if not profiles:
        raise problem("leaves no profile; keep at least one (a built-in is removed by setting it to null)")
    if len(profiles) > MAX_PROFILES:
        raise problem(f"has {len(profiles)} profiles with the built-ins ({', '.join(BUILTIN_PROFILES)}); OpenHands "
                      f"keeps at most {MAX_PROFILES}: remove some, or drop a built-in by setting it to null")
    return profiles


Profiles = Annotated[dict[ProfileName, LlmProfile], BeforeValidator(lambda raw: merge_profiles(BUILTIN_PROFILES, raw)),
                     AfterValidator(_at_most_openhands_cap), Hint("a map of profile name to profile settings")]


def _endpoint(value: str) -> str:
    base_url, error = resolve_endpoint(value.strip())
    if error:
        raise problem(error)
    return value.strip()


Endpoint = Annotated[str, AfterValidator(_endpoint),
                     Hint(f"one of {', '.join(ENDPOINTS)} or an https:// URL")]


class ProfileChoice(SettingsModel):
    """Which profiles exist, which one the server starts with, which are fallbacks."""

    profiles: Profiles = Field(
        {}, validate_default=True,
        description="Named LLM profiles, merged over the built-ins field by field: a profile named like a built-in "
                    "changes only the fields it sets, null removes a built-in, any other profile needs model; at "
                    f"most {MAX_PROFILES} in all (OpenHands' cap). Built-ins: " + "; ".join(
                        f"{name}: " + ", ".join(f"{key} {value}" for key, value in body.items())
                        for name, body in BUILTIN_PROFILES.items()) + ".")
    default_profile: ProfileName = Field(DEFAULT_PROFILE, validate_default=True,
                                         description="The profile the server starts with.")
    fallback_profiles: Annotated[tuple[ProfileName, ...], Hint("a list of profile names")] = Field(
        (), description="Profile names tried in order on transient errors.")

    @field_validator("default_profile")
    @classmethod
    def _default_is_a_profile(cls, name: str, info: ValidationInfo) -> str:
        profiles = info.data.get("profiles")
        if profiles is not None and name not in profiles:
            raise problem(f"{name!r} is not a profile; defined: {', '.join(sorted(profiles)) or 'none'}")
        return name

    @field_validator("fallback_profiles")
    @classmethod
    def _fallbacks_are_other_profiles(cls, names: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        profiles, default = info.data.get("profiles"), info.data.get("default_profile")
        found: list[tuple[tuple[str | int, ...], str]] = []
        for index, name in enumerate(names):
            if profiles is not None and name not in profiles:
                found.append(((index,), f"{name!r} is not a profile; defined: {', '.join(sorted(profiles))}"))
            elif name == default:
                found.append(((index,), f"{name!r} is the default profile; a fallback must be another profile"))
            elif name in names[:index]:
                found.append(((index,), f"{name!r} is listed twice"))
        if found:
            raise problems_at(cls.__name__, found)
        return names

    @property
    def default(self) -> LlmProfile:
        return self.profiles[self.default_profile]

    def model_notes(self, where: tuple[str, ...] = ()) -> list[str]:
        """Legacy models in use: still served, superseded (a note, not an error)."""
        return [f"{config_key(*where, 'profiles', name, 'model')}: {profile.model} is a legacy model (still served); "
                f"current: {', '.join(CURRENT)}"
                for name, profile in self.profiles.items()
                if profile.model in CATALOGUE and CATALOGUE[profile.model].legacy]

    def model_warnings(self, endpoint: str, where: tuple[str, ...] = ()) -> list[str]:
        """Models the endpoint's plan does not list. A warning, not a refusal: Z.AI's lists move faster
        than this bundle's releases."""
        base_url, _ = resolve_endpoint(endpoint)
        plan = plan_of(base_url) if base_url else None
        if plan is None:
            return []
        found = []
        for name, profile in self.profiles.items():
            known = CATALOGUE.get(profile.model)
            if known is None or plan in known.plans:
                continue
            served = [m.name for m in CATALOGUE.values() if plan in m.plans and not m.legacy]
            if plan == CODING_PLAN:
                why = "Z.AI's docs do not list it for the GLM Coding Plan (expect error 1211 or 1220)"
            else:
                why = "Z.AI serves it on the GLM Coding Plan only, not on the pay-as-you-go API (expect 1211)"
            found.append(f"{config_key(*where, 'profiles', name, 'model')}: {profile.model} on "
                         f"{endpoint}: {why}; served there: {', '.join(served)}")
        return found


class LlmSettings(ProfileChoice):
    """The whole LLM description of a stack (`openhands-zai:zaiEndpoint`, `profiles`,
    `defaultProfile`, `fallbackProfiles`): everything the renderers need."""

    zai_endpoint: Endpoint = Field(
        "coding-plan", description="Z.AI endpoint: coding-plan (GLM Coding Plan keys), general (pay-as-you-go API "
                                   "keys), china and china-coding-plan (open.bigmodel.cn: mainland keys, which "
                                   "work only there), or an https:// base URL (http:// only for a loopback host).")

    @property
    def base_url(self) -> str:
        base_url, _ = resolve_endpoint(self.zai_endpoint)
        assert base_url is not None  # validated
        return base_url

    @property
    def plan(self) -> str | None:
        """The plan the endpoint serves (coding-plan, general), or None for a URL we cannot tell."""
        return plan_of(self.base_url)

class DebugSettings(SettingsModel):
    """The server's log toggles, rendered into its environment beside the LLM's."""

    debug: Flag = Field(False, description=(
        "DEBUG: the server's debug logging."))
    log_all_events: Flag = Field(True, description=(
        "LOG_ALL_EVENTS: log every agent event (as upstream's documented docker run does)."))
    debug_llm: Flag = Field(False, description=(
        "DEBUG_LLM: log whole prompts and completions (the plan warns: they hold your code)."))
