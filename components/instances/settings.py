"""`openhands-zai:instances`: several named OpenHands servers on one Docker host (e.g. one per
team), sharing the key, endpoint, secret, network and image.

Each instance chooses its own profiles (merged over the stack's, field by field), default and
fallbacks, and gets its own port (default `docker.port` + its index), container and volume.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import Field

from ..errors import Hint
from ..fields import Port, problems_at
from ..llm.settings import ProfileChoice, merge_profiles

InstanceName = Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$"),
                         Hint("1-32 lowercase letters, digits or '-', starting and ending with a letter or digit")]
# The stack's LLM keys an instance inherits unless it sets its own.
INHERITED = ("profiles", "defaultProfile", "fallbackProfiles")


class InstanceSettings(ProfileChoice):
    """One instance: a name, a port, and its choice of profiles."""

    unknown_key_hints = ((r"^zaiEndpoint$", "the endpoint is the stack's (openhands-zai:zaiEndpoint) and "
                                            "shared by every instance"),)

    name: InstanceName = Field(description=(
        "The instance's name: its container is <docker.containerName>-<name>, its volume "
        "<docker.stateVolume>-<name>."))
    port: Port | None = Field(None, description=(
        "The instance's port (unset: docker.port plus its index)."))


def with_stack_choice(instance: Any, stack: Mapping[str, Any]) -> Any:
    """An instance as written, completed with the stack's profiles, default and fallbacks
    (its own profiles merged over the stack's). Not a map: returned as is, to be refused."""
    if not isinstance(instance, Mapping):
        return instance
    completed = {**{key: stack[key] for key in INHERITED if key in stack}, **instance}
    if isinstance(stack.get("profiles"), Mapping) and "profiles" in instance:
        completed["profiles"] = merge_profiles(stack["profiles"], instance["profiles"])
    return completed


def with_ports(instances: Sequence[InstanceSettings], base_port: int) -> tuple[InstanceSettings, ...]:
    """Every instance with its port (`base_port` + its index unless set); names and ports unique."""
    placed: list[InstanceSettings] = []
    found: list[tuple[tuple[str | int, ...], str]] = []
    for index, instance in enumerate(instances):
        port = instance.port if instance.port is not None else base_port + index
        if any(other.name == instance.name for other in placed):
            found.append(((index, "name"), f"{instance.name!r} is used by another instance"))
        if any(other.port == port for other in placed):
            found.append(((index, "port"), f"{port} is used by another instance"))
        placed.append(instance.model_copy(update={"port": port}))
    if found:
        raise problems_at("InstanceSettings", found)
    return tuple(placed)
