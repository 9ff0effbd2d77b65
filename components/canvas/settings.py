"""The Agent Canvas release the bundle pins, read from its own files.

One all-in-one image (OpenHands/OpenHands `docker/Dockerfile`, `docker/entrypoint.sh`): FROM the
agent-server image, plus `openhands-automation` and the Canvas frontend served by Node; one port
(8000) where `/api/automation/*` goes to the automation service, `/api/*` and `/sockets` to the
agent server, everything else to the UI under `/canvas`. Which agent server and automation a
Canvas release runs is its `config/defaults.json` (npm `@openhands/agent-canvas`, same file).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from ..docker.settings import DockerName
from ..errors import Hint
from ..fields import SettingsModel, text_from_number
from ..images import reference
from ..release import supported_in


@dataclass(frozen=True)
class CanvasRelease:
    version: str
    # config/defaults.json `versions.agentServer` / `versions.automation` of that release.
    agent_server_version: str
    automation_version: str
    image_repository: str = "ghcr.io/openhands/agent-canvas"
    image_digest: str | None = None
    # The unified entry point (defaults.json `ports.proxy`); the agent server listens on 18000 inside.
    port: int = 8000
    # The image's user `openhands` (the agent-server image's, UID 10001, HOME /home/openhands).
    uid: int = 10001
    # Volumes: settings, profiles, secrets, conversations, the automation DB; the user's code.
    state_dir: str = "/home/openhands/.openhands"
    projects_dir: str = "/projects"
    # agent_server/server_details_router.py: GET /alive -> {"status": "ok"}, routed by the ingress.
    alive_path: str = "/alive"
    # The UI's mount (defaults.json `paths.canvasBasePath`, baked into the frontend build).
    ui_path: str = "/canvas"

    @property
    def image(self) -> str:
        return reference(self.image_repository, self.version, self.image_digest)


# @openhands/agent-canvas 1.20.0 (npm `latest` on 2026-12-07): config/defaults.json pins agent
# server 1.49.1 and automation 1.13.1.
CANVAS = CanvasRelease(version="1.20.0", agent_server_version="1.49.1", automation_version="1.13.1")


# The bundle's own variables; `docker.extraEnv` may not set them (they would shadow the typed settings).
OWNED_ENV = ("OH_SECRET_KEY", "LOCAL_BACKEND_API_KEY", "OH_SESSION_API_KEYS_0", "DO_NOT_TRACK", "VITE_DO_NOT_TRACK",
             "AGENT_CANVAS_ALLOW_LAN_SESSION_KEY", "LITELLM_LOCAL_MODEL_COST_MAP", "OH_PERSISTENCE_DIR")

RELEASES: dict[str, CanvasRelease] = {CANVAS.version: CANVAS}
DEFAULT_VERSION = CANVAS.version


_supported = supported_in(RELEASES)


class CanvasSettings(SettingsModel):
    """`openhands-zai:canvas`: the Agent Canvas release and its choices (distribution agent-canvas)."""

    version: Annotated[str, BeforeValidator(text_from_number), AfterValidator(_supported)] = Field(
        DEFAULT_VERSION, description=f"The pinned Agent Canvas release; supported: {', '.join(RELEASES)}.")
    image_digest: Annotated[str | None, Field(pattern=r"^sha256:[0-9a-f]{64}$"), Hint("sha256:<64 hex digits>")] = Field(
        None, description="The all-in-one image's digest you verified (sha256:...), pinned in the image reference.")
    telemetry: bool = Field(False, description=(
        "Let Canvas send product analytics to PostHog (upstream's default). Off here: DO_NOT_TRACK=1 and "
        "VITE_DO_NOT_TRACK=1, and an egress allow-list would block it anyway."))
    projects_volume: DockerName = Field("openhands-projects", description=(
        "Docker target: the named volume mounted at /projects, the code the agent reads and edits; kept by "
        "`pulumi destroy` like the state volume."))

    @property
    def pinned(self) -> CanvasRelease:
        return replace(RELEASES[self.version], image_digest=self.image_digest)
