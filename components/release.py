"""Facts about the pinned OpenHands release, read from its code (openhands-ai wheel).

Each supported version is one row; the fidelity suite (`fidelity/`) installs that exact
version and checks the rendered settings and environment against its own models.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpenHandsRelease:
    version: str
    # openhands-ai pins this SDK; the agent-server sandbox image is tagged `<sdk>-python`
    # (app_server/sandbox/sandbox_spec_service.py: get_agent_server_image).
    sdk_version: str
    litellm_version: str
    # openhands.sdk.settings.model.AGENT_SETTINGS_SCHEMA_VERSION of that SDK.
    agent_settings_schema_version: int
    # Whether the server keeps `agent_settings.llm.fallback_strategy` when it loads
    # settings.json. 1.11 does not: Settings._normalize_inputs round-trips agent settings
    # through model_dump, and the SDK marks fallback_strategy exclude=True.
    keeps_fallbacks: bool = False
    image_repository: str = "docker.openhands.dev/openhands/openhands"
    agent_server_repository: str = "ghcr.io/openhands/agent-server"
    # The server reads settings.json from OH_PERSISTENCE_DIR (app_server/config.py).
    state_dir: str = "/.openhands"
    port: int = 3000
    # app_server/status/status_router.py: /alive -> {"status":"ok"}, /health and /ready -> "OK".
    health_path: str = "/health"
    ready_path: str = "/ready"

    @property
    def agent_server_tag(self) -> str:
        return f"{self.sdk_version}-python"

    @property
    def settings_path(self) -> str:
        return f"{self.state_dir}/settings.json"

    def image(self, digest: str | None = None) -> str:
        ref = f"{self.image_repository}:{self.version}"
        return f"{ref}@{digest}" if digest else ref


RELEASES: dict[str, OpenHandsRelease] = {
    "1.11.0": OpenHandsRelease(
        version="1.11.0", sdk_version="1.34.0", litellm_version="1.84.1", agent_settings_schema_version=4
    ),
}
DEFAULT_VERSION = "1.11.0"
