"""The server's own keys, generated once per stack by Pulumi and kept in its state as secrets.

OpenHands 1.11 signs sessions and encrypts stored secrets with `JWT_SECRET`; without it the app
server writes a random key into `<state dir>/.keys`, lost with the state and different on every
pod. The agent servers keep a conversation's secrets with `OH_SECRET_KEY` (else their random
session key, so secrets do not survive a sandbox restart). Both come from `random.RandomPassword`:
stable across updates (no keepers), replaced only when the resource is, never shown in plain text.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random


@dataclass(frozen=True)
class ServerKeys:
    jwt_secret: pulumi.Output[str]
    agent_secret_key: pulumi.Output[str]
    # The cluster target's app and its agent-server sidecar share it (the Docker sandboxes get a
    # random one from the app per sandbox).
    sandbox_session_key: pulumi.Output[str] | None = None


def server_keys(name: str, parent: pulumi.Resource, sandbox_session: bool = False) -> ServerKeys:
    """Random 48-character keys, children of `parent` (letters and digits: safe in env and JSON)."""
    def key(suffix: str) -> pulumi.Output[str]:
        password = random.RandomPassword(f"{name}-{suffix}", length=48, special=False,
                                         opts=pulumi.ResourceOptions(parent=parent))
        return pulumi.Output.secret(password.result)
    return ServerKeys(jwt_secret=key("jwt-secret"), agent_secret_key=key("agent-secret-key"),
                      sandbox_session_key=key("sandbox-session-key") if sandbox_session else None)
