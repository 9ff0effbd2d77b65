"""The OpenHands release both targets run: the facts about each supported version, read from its
code (openhands-ai wheel), and the settings that choose one (`openhands-zai:release`).

Each supported version is one row; the fidelity suite (`fidelity/`) installs that exact
version and checks the rendered settings and environment against its own models.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from .errors import Hint
from .fields import SettingsModel, problem, text_from_number
from .images import reference


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
    # The image digests the operator verified (`openhands-zai:release.imageDigest`,
    # `release.agentServerImageDigest`), if any.
    image_digest: str | None = None
    agent_server_image_digest: str | None = None

    @property
    def agent_server_tag(self) -> str:
        return f"{self.sdk_version}-python"

    @property
    def settings_path(self) -> str:
        return f"{self.state_dir}/settings.json"

    @property
    def agent_server_image(self) -> str:
        """The sandbox image (the cluster target's sidecar): the SDK's tag, and the digest when pinned."""
        return reference(self.agent_server_repository, self.agent_server_tag, self.agent_server_image_digest)

    @property
    def image(self) -> str:
        """The server image: the release tag, and the digest when one is pinned."""
        return reference(self.image_repository, self.version, self.image_digest)


# The server keys' variables (`server_keys.py` makes the values).
JWT_SECRET = "JWT_SECRET"
AGENT_SECRET_KEY = "OH_SECRET_KEY"
# LiteLLM fetches its model price list from the internet at start unless told to use its own copy;
# under a default-deny egress that fetch stalls the server and every agent server.
OFFLINE_COST_MAP = {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}


def agent_server_env(agent_secret_key: str) -> str:
    """`OH_AGENT_SERVER_ENV`: what the Docker target's app adds to every sandbox's environment (JSON).

    The sandboxes get the app's `LLM_*` anyway; these are the rest.
    """
    return json.dumps({**OFFLINE_COST_MAP, AGENT_SECRET_KEY: agent_secret_key}, sort_keys=True)


RELEASES: dict[str, OpenHandsRelease] = {
    "1.11.0": OpenHandsRelease(
        version="1.11.0", sdk_version="1.34.0", litellm_version="1.84.1", agent_settings_schema_version=4
    ),
}
DEFAULT_VERSION = "1.11.0"


def supported_in(releases: Mapping[str, object]) -> Callable[[str], str]:
    """A validator: the version, if `releases` has it (one line naming the supported ones, else)."""
    def supported(version: str) -> str:
        if version not in releases:
            raise problem(f"{version!r} is not supported; supported: {', '.join(releases)}")
        return version
    return supported


_supported = supported_in(RELEASES)


class ReleaseSettings(SettingsModel):
    """Which OpenHands release both targets run (`openhands-zai:release`)."""

    version: Annotated[str, BeforeValidator(text_from_number), AfterValidator(_supported)] = Field(
        DEFAULT_VERSION, description=f"Pinned OpenHands release; supported: {', '.join(RELEASES)}.")
    image_digest: Annotated[str | None, Field(pattern=r"^sha256:[0-9a-f]{64}$"), Hint("sha256:<64 hex digits>")] = Field(
        None, description="The server image's digest you verified (sha256:...), pinned on both targets.")
    agent_server_image_digest: Annotated[str | None, Field(pattern=r"^sha256:[0-9a-f]{64}$"),
                                         Hint("sha256:<64 hex digits>")] = Field(
        None, description="The agent-server (sandbox) image's digest you verified, pinned on the cluster target's "
                          "sidecar.")

    @property
    def pinned(self) -> OpenHandsRelease:
        """The release's facts, with the digest when one is set."""
        return replace(RELEASES[self.version], image_digest=self.image_digest,
                       agent_server_image_digest=self.agent_server_image_digest)

