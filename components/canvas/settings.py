"""The Agent Canvas release the bundle pins, read from its own files.

One all-in-one image (OpenHands/OpenHands `docker/Dockerfile`, `docker/entrypoint.sh`): FROM the
agent-server image, plus `openhands-automation` and the Canvas frontend served by Node; one port
(8000) where `/api/automation/*` goes to the automation service, `/api/*` and `/sockets` to the
agent server, everything else to the UI under `/canvas`. Which agent server and automation a
Canvas release runs is its `config/defaults.json` (npm `@openhands/agent-canvas`, same file).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..images import reference


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
