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


def random_key(name: str, parent: pulumi.Resource, prefix: str = "", length: int = 48) -> pulumi.Output[str]:
    """A random key of `length` letters and digits (safe in env and JSON), a child of `parent`, secret."""
    password = random.RandomPassword(name, length=length, special=False, opts=pulumi.ResourceOptions(parent=parent))
    return pulumi.Output.secret(password.result.apply(lambda value: prefix + value) if prefix else password.result)


def gateway_key(name: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    """An LLM gateway's master key: what OpenHands holds instead of the Z.AI key ("sk-" as LiteLLM expects)."""
    return random_key(f"{name}-key", parent, prefix="sk-")


def server_keys(name: str, parent: pulumi.Resource, sandbox_session: bool = False) -> ServerKeys:
    """The server's keys, children of `parent`."""
    return ServerKeys(jwt_secret=random_key(f"{name}-jwt-secret", parent),
                      agent_secret_key=random_key(f"{name}-agent-secret-key", parent),
                      sandbox_session_key=random_key(f"{name}-sandbox-session-key", parent) if sandbox_session else None)
