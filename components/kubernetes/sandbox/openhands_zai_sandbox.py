"""The pod's agent-server sidecar as OpenHands' sandbox: the cluster target's sandbox service.

Loaded by the OpenHands server (openhands-ai 1.11), not by the bundle: the cluster target mounts
this file from a ConfigMap, puts its folder on PYTHONPATH and names the injector in
`OH_SANDBOX_KIND` (OpenHands' plug-in point: a dotted class path is imported and registered);
`OH_SANDBOX_AGENT_SERVER_URL` and `OH_SANDBOX_SESSION_API_KEY` fill its fields.

Why: in 1.11 the Docker sandbox needs a Docker daemon (privileged in a pod), the remote one the
closed-source runtime API, and the process one runs the agent inside the app container, where it
fails (it health-checks host.docker.internal, never leaves STARTING, and the app image has no
Chromium for the browser tools the server always enables). Here the sandbox is the pod's second
container, the upstream agent-server image: its own user and file system, Chromium included,
no privilege. One agent server per pod serves every conversation of the (single-user) server.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from fastapi import Request
from openhands.app_server.sandbox.sandbox_models import (
    AGENT_SERVER,
    ExposedUrl,
    SandboxInfo,
    SandboxPage,
    SandboxRecord,
    SandboxStatus,
)
from openhands.app_server.sandbox.sandbox_service import SandboxService, SandboxServiceInjector
from openhands.app_server.sandbox.sandbox_spec_service import get_agent_server_image
from openhands.app_server.services.injector import InjectorState
from pydantic import Field

_logger = logging.getLogger(__name__)
SANDBOX_ID = "pod-agent-server"
_STARTED = datetime.now(UTC)


@dataclass
class PodAgentServerSandboxService(SandboxService):
    user_id: str | None
    agent_server_url: str
    session_api_key: str
    health_check_path: str
    httpx_client: httpx.AsyncClient

    async def _info(self) -> SandboxInfo:
        try:
            response = await self.httpx_client.get(f"{self.agent_server_url}{self.health_check_path}", timeout=5.0)
            alive = response.status_code == 200
        except httpx.HTTPError:
            alive = False
        port = urlsplit(self.agent_server_url).port or 80
        return SandboxInfo(
            id=SANDBOX_ID,
            created_by_user_id=self.user_id,
            # The spec RUNTIME=process presets (the agent-server image; working dir ".", which is
            # the sidecar's working directory).
            sandbox_spec_id=get_agent_server_image(),
            # The sidecar is started by kubelet, so "not answering yet" is STARTING, never MISSING.
            status=SandboxStatus.RUNNING if alive else SandboxStatus.STARTING,
            session_api_key=self.session_api_key if alive else None,
            exposed_urls=[ExposedUrl(name=AGENT_SERVER, url=self.agent_server_url, port=port)] if alive else None,
            created_at=_STARTED,
        )

    async def search_sandboxes(self, page_id: str | None = None, limit: int = 100) -> SandboxPage:
        return SandboxPage(items=[await self._info()] if not page_id else [], next_page_id=None)

    async def get_sandbox(self, sandbox_id: str) -> SandboxInfo | None:
        return await self._info() if sandbox_id == SANDBOX_ID else None

    async def get_sandbox_by_session_api_key(self, session_api_key: str) -> SandboxInfo | None:
        return await self._info() if session_api_key == self.session_api_key else None

    async def get_sandbox_record_by_session_api_key(self, session_api_key: str) -> SandboxRecord | None:
        if session_api_key != self.session_api_key:
            return None
        return SandboxRecord(id=SANDBOX_ID, created_by_user_id=self.user_id)

    async def start_sandbox(self, sandbox_spec_id: str | None = None, sandbox_id: str | None = None) -> SandboxInfo:
        # The sidecar always exists; a new conversation is a new conversation on it.
        return await self._info()

    async def resume_sandbox(self, sandbox_id: str) -> bool:
        return sandbox_id == SANDBOX_ID

    async def pause_sandbox(self, sandbox_id: str) -> bool:
        # kubelet owns the sidecar's life: nothing to pause (other conversations share it).
        return sandbox_id == SANDBOX_ID

    async def delete_sandbox(self, sandbox_id: str) -> bool:
        return sandbox_id == SANDBOX_ID


class PodAgentServerSandboxServiceInjector(SandboxServiceInjector):
    """`OH_SANDBOX_KIND=openhands_zai_sandbox.PodAgentServerSandboxServiceInjector`."""

    agent_server_url: str = Field(default="http://127.0.0.1:8000", description="The sidecar, on the pod's loopback")
    session_api_key: str = Field(description="The key the sidecar accepts (OH_SESSION_API_KEYS_0 there)")
    health_check_path: str = Field(default="/alive")

    async def inject(self, state: InjectorState, request: Request | None = None
                     ) -> AsyncGenerator[SandboxService, None]:
        from openhands.app_server.config import get_httpx_client, get_user_context

        async with (
            get_httpx_client(state, request) as httpx_client,
            get_user_context(state, request) as user_context,
        ):
            yield PodAgentServerSandboxService(
                user_id=await user_context.get_user_id(),
                agent_server_url=self.agent_server_url,
                session_api_key=self.session_api_key,
                health_check_path=self.health_check_path,
                httpx_client=httpx_client,
            )
