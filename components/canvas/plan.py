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
import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..docker.settings import DockerSettings
from ..llm.plan import LlmRoute, direct_route, llm_fields
from ..llm.settings import LlmSettings
from ..release import OFFLINE_COST_MAP
from .settings import CanvasRelease, CanvasSettings

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


# -- the Docker target --------------------------------------------------------------------------------

# Where the seeder's files go in its container (uploaded by pulumi-docker before it starts) and
# where it records what it seeded (the state volume, so the record lives as long as the profiles).
SEED_DIR = "/run/openhands-zai"
SEED_SCRIPT = f"{SEED_DIR}/seed.py"
SEED_FILE = f"{SEED_DIR}/seed.json"
SESSION_KEY_FILE = f"{SEED_DIR}/session-api-key"
SEED_RECORD = "openhands-zai/seeded-profiles.json"  # under the state dir


def seed_script() -> str:
    """The seeder's source, uploaded into its container as it is (it imports nothing of the bundle)."""
    return (Path(__file__).with_name("seed.py")).read_text(encoding="utf-8")


def server_env(canvas: CanvasSettings, docker_settings: DockerSettings, secret_key: str, session_key: str) -> list[str]:
    """The Canvas container's sorted `KEY=value` list: its two keys and the bundle's choices, plus extraEnv.

    No LLM variable: the agent server reads none (its LLM is the active profile, seeded); the
    provider key is never in this environment. `LOCAL_BACKEND_API_KEY` is the image's documented
    session key (its entrypoint mirrors it into the agent server's OH_SESSION_API_KEYS_0 and the
    automation service's keys). The UI gets the key injected into its page only when the port is
    published on loopback (AGENT_CANVAS_ALLOW_LAN_SESSION_KEY; else the user pastes it).
    """
    env = {
        **docker_settings.extra_env,
        **OFFLINE_COST_MAP,
        "OH_SECRET_KEY": secret_key,
        "LOCAL_BACKEND_API_KEY": session_key,
        "AGENT_CANVAS_ALLOW_LAN_SESSION_KEY": "true" if on_loopback(docker_settings) else "false",
    }
    if not canvas.telemetry:
        env.update({"DO_NOT_TRACK": "1", "VITE_DO_NOT_TRACK": "1"})
    return [f"{name}={value}" for name, value in sorted(env.items())]


def on_loopback(docker_settings: DockerSettings) -> bool:
    return ipaddress.ip_address(docker_settings.listen_address).is_loopback


def seeder_env(release: CanvasRelease) -> list[str]:
    """The seeder's environment: where the server and the files are; no key (those are files)."""
    return sorted([f"CANVAS_URL=http://127.0.0.1:{release.port}", f"SEED_FILE={SEED_FILE}",
                   f"CANVAS_SESSION_API_KEY_FILE={SESSION_KEY_FILE}",
                   f"SEED_RECORD={release.state_dir}/{SEED_RECORD}"])


class SeedError(Exception):
    """The seeder exited non-zero: the deployment fails with its one-line reason."""


def seed_outcome(exit_code: int | None, logs: str | None, names: list[str]) -> list[str]:
    """`names` (the profiles seeded) when the seeder finished well, else SeedError with its reason.

    pulumi-docker reports a one-shot container's exit code without failing; this makes a refused
    seeding fail `pulumi up`. The seeder never prints a key, so its lines can be shown."""
    if exit_code == 0:
        return names
    lines = [line.strip() for line in (logs or "").splitlines() if line.strip()]
    reason = next((line for line in reversed(lines) if line.startswith("error:")), None)
    raise SeedError(reason or f"the Agent Canvas seeder exited {exit_code} without saying why "
                              f"(last line: {lines[-1] if lines else 'none'!r})")
