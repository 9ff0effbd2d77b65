"""The app server's REST API as the web UI drives it (OpenHands 1.11, `/api/v1`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx


class Timeout(AssertionError):
    pass


@dataclass(repr=False)
class Conversation:
    id: str
    start_task: dict[str, Any]
    info: dict[str, Any]
    seconds: float  # from the start request to the finished state
    phases: dict[str, float]  # when each start-task status (then "finished") was first seen, in seconds

    def __repr__(self) -> str:  # the info carries the sandbox's session key
        return f"Conversation({self.id}, {self.info.get('execution_status')})"


class OpenHandsApp:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.sandbox_ids: set[str] = set()  # every sandbox the app handed out, to be removed by name

    def wait_ready(self, path: str, timeout: float = 120, container=None) -> float:
        """Seconds until `path` answers 200 (the readiness probe's path)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            try:
                if self.http.get(path, timeout=2).status_code == 200:
                    return time.monotonic() - start
            except httpx.HTTPError:
                pass
            if container is not None:
                container.reload()
                if container.status == "exited":
                    raise AssertionError(f"the server exited: {container.logs(tail=30).decode(errors='replace')}")
            time.sleep(0.2)
        raise Timeout(f"{self.base_url}{path} not ready after {timeout} s")

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: Any = None) -> Any:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def settings(self) -> dict[str, Any]:
        return self.get("/api/v1/settings")

    def profiles(self) -> dict[str, Any]:
        return self.get("/api/v1/settings/profiles")

    def activate(self, profile: str) -> Any:
        return self.post(f"/api/v1/settings/profiles/{profile}/activate")

    def delete_sandbox(self, sandbox_id: str) -> Any:
        # The route is /{id} but the handler reads `sandbox_id` from the query (1.11).
        response = self.http.delete(f"/api/v1/sandboxes/{sandbox_id}", params={"sandbox_id": sandbox_id})
        response.raise_for_status()
        return response.json()

    def conversations(self) -> list[dict[str, Any]]:
        return self.get("/api/v1/app-conversations/search", limit=100)["items"]

    def converse(self, prompt: str, timeout: float = 180) -> Conversation:
        """Start a conversation with `prompt` and wait until the agent finishes it."""
        start = time.monotonic()
        task = self.post("/api/v1/app-conversations", {
            "initial_message": {"role": "user", "content": [{"type": "text", "text": prompt}], "run": True}})
        phases: dict[str, float] = {}
        while True:
            phases.setdefault(task["status"], round(time.monotonic() - start, 2))
            if task["status"] in ("READY", "ERROR"):
                break
            if time.monotonic() - start > timeout:
                raise Timeout(f"start task still {task['status']} after {timeout} s")
            time.sleep(0.25)
            (task,) = self.get("/api/v1/app-conversations/start-tasks", ids=task["id"])
        if task["status"] == "ERROR":
            raise AssertionError(f"the conversation did not start: {task.get('detail')}")
        conversation_id = task["app_conversation_id"]
        if task.get("sandbox_id"):
            self.sandbox_ids.add(task["sandbox_id"])
        while True:
            (info,) = self.get("/api/v1/app-conversations", ids=conversation_id)
            if info and info.get("execution_status") in ("finished", "error", "stuck"):
                break
            if time.monotonic() - start > timeout:
                raise Timeout(f"conversation still {info and info.get('execution_status')} after {timeout} s")
            time.sleep(0.25)
        phases[info["execution_status"]] = round(time.monotonic() - start, 2)
        return Conversation(conversation_id, task, info, time.monotonic() - start, phases)
