"""The LLM profiles seeded into Agent Canvas's agent server (pure: no resources).

Canvas keeps no `LLM_*` environment and no settings file a deployer writes: its agent server holds
named LLM profiles in its state directory (encrypted with `OH_SECRET_KEY`) and an active one whose
LLM is the agent's. The seeder (`seed.py`, run where the server runs) saves each profile through
the server's own API and activates the default:

    POST /api/profiles/{name}            {"llm": <openhands.sdk.llm.LLM fields>, "include_secrets": true}
    POST /api/profiles/{name}/activate   (copies the profile's LLM into agent_settings.llm)

(openhands/agent_server/profiles_router.py, agent server 1.49.1; header `X-Session-API-Key`.)
The profiles are the same `LlmSettings` the app server's settings.json renders, through the same
`llm_fields`: behind the gateway each points at `litellm_proxy/<the gateway's model>` with the
gateway's key, else at Z.AI with the Z.AI key.

Fallbacks: the SDK excludes `LLM.fallback_strategy` from serialization, so a saved profile cannot
carry one; behind the gateway the gateway's router falls back instead.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..llm.plan import LlmRoute, direct_route, llm_fields
from ..llm.settings import LlmSettings

# The document `seed.py` reads; bump when its shape changes (the script refuses other versions).
SEED_FORMAT = 1


@dataclass(frozen=True)
class SeedPlan:
    profiles: dict[str, dict[str, Any]]  # name -> the LLM fields saved under it
    active: str

    def document(self) -> dict[str, Any]:
        """What the seeder reads: every profile saved (secrets included), then the default activated."""
        return {
            "format": SEED_FORMAT,
            "profiles": [{"name": name, "request": {"llm": llm, "include_secrets": True}}
                         for name, llm in sorted(self.profiles.items())],
            "active": self.active,
        }


def seed_plan(config: LlmSettings, api_key: str, route: LlmRoute | None = None) -> SeedPlan:
    """Every profile of `config` as the agent server saves it, and the default to activate.

    `api_key` is what the server sends with its LLM calls: the gateway's key with `route`, else
    the Z.AI key. Callers pass it inside `Output.apply` of a secret."""
    route = route or direct_route(config)
    return SeedPlan(profiles={name: llm_fields(name, profile, route, api_key)
                              for name, profile in config.profiles.items()},
                    active=config.default_profile)


def seed_json(config: LlmSettings, api_key: str, route: LlmRoute | None = None) -> str:
    return json.dumps(seed_plan(config, api_key, route).document(), indent=2, sort_keys=True) + "\n"


def seed_fingerprint(config: LlmSettings, route: LlmRoute | None = None) -> str:
    """Changes with any seeded setting and never with the key: what re-runs the seeder."""
    document = seed_plan(config, "<key>", route).document()
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
