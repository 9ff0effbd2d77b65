"""The whole LLM description of a stack: endpoint, profiles, default and fallbacks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.config_errors import Problems, config_key
from components.llm.endpoints import ENDPOINTS, resolve_endpoint
from components.llm.profiles import DEFAULT_PROFILE, LlmProfile, parse_profiles


@dataclass(frozen=True)
class LlmConfig:
    endpoint: str  # as written: coding-plan | general | china | URL
    base_url: str
    profiles: dict[str, LlmProfile]
    default_profile: str
    fallback_profiles: tuple[str, ...] = ()

    @property
    def default(self) -> LlmProfile:
        return self.profiles[self.default_profile]


def _string_list(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def parse_llm_config(raw: dict[str, Any], problems: Problems) -> LlmConfig | None:
    """`raw` holds the stack's values keyed without the project prefix (`zaiEndpoint`, ...)."""
    start = len(problems.items)

    endpoint = raw.get("zaiEndpoint", "coding-plan")
    base_url = None
    if not isinstance(endpoint, str):
        problems.add(config_key("zaiEndpoint"), f"must be one of {', '.join(ENDPOINTS)} or an https:// URL")
    else:
        base_url, error = resolve_endpoint(endpoint.strip())
        if error:
            problems.add(config_key("zaiEndpoint"), error)

    profiles = parse_profiles(raw.get("profiles"), problems)
    profile_names = set(profiles) | set((raw.get("profiles") or {}) if isinstance(raw.get("profiles"), dict) else ())

    default = raw.get("defaultProfile", DEFAULT_PROFILE)
    if not isinstance(default, str) or default not in profile_names:
        problems.add(config_key("defaultProfile"),
                     f"{default!r} is not a profile; defined: {', '.join(sorted(profile_names)) or 'none'}")

    fallbacks = raw.get("fallbackProfiles", [])
    names = _string_list(fallbacks)
    if names is None:
        problems.add(config_key("fallbackProfiles"), "must be a list of profile names")
        names = []
    seen: set[str] = set()
    for index, name in enumerate(names):
        key = config_key(f"fallbackProfiles[{index}]")
        if name not in profile_names:
            problems.add(key, f"{name!r} is not a profile; defined: {', '.join(sorted(profile_names))}")
        elif name == default:
            problems.add(key, f"{name!r} is the default profile; a fallback must be another profile")
        elif name in seen:
            problems.add(key, f"{name!r} is listed twice")
        seen.add(name)

    if len(problems.items) > start or base_url is None:
        return None
    return LlmConfig(
        endpoint=endpoint.strip(),
        base_url=base_url,
        profiles=profiles,
        default_profile=default,
        fallback_profiles=tuple(names),
    )
