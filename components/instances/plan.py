"""What each instance runs with (pure): the stack's Docker settings with its own port, container
and volume, and the stack's LLM description with its own choice of profiles."""

from __future__ import annotations

from ..docker.settings import DockerSettings
from ..llm.settings import LlmSettings
from .settings import InstanceSettings


def docker_for(instance: InstanceSettings, docker: DockerSettings) -> DockerSettings:
    """`docker.containerName`/`stateVolume` + `-<name>`, and the instance's port."""
    return docker.model_copy(update={"port": instance.port, "container_name": f"{docker.container_name}-{instance.name}",
                                     "state_volume": f"{docker.state_volume}-{instance.name}"})


def llm_for(instance: InstanceSettings, stack: LlmSettings) -> LlmSettings:
    """The stack's endpoint with the instance's profiles, default and fallbacks."""
    return LlmSettings.model_construct(zai_endpoint=stack.zai_endpoint, profiles=instance.profiles,
                                       default_profile=instance.default_profile,
                                       fallback_profiles=instance.fallback_profiles)
