"""openhands-zai: wiring only. Read the stack's settings, build the components, export."""

import pulumi
import pulumi_docker as docker

from components.container import OpenHandsContainer, OpenHandsContainerArgs
from components.settings import read_stack_config

stack_config = read_stack_config(pulumi.Config())
settings = stack_config.parse()
for warning in settings.warnings:
    pulumi.log.warn(warning)

docker_host = docker.Provider("docker-host", host=settings.docker.host)
openhands = OpenHandsContainer(
    "openhands",
    OpenHandsContainerArgs(
        llm=settings.llm,
        release=settings.release,
        docker=settings.docker,
        api_key=stack_config.api_key,
        debug=settings.debug,
        labels={"openhands-zai.stack": pulumi.get_stack()},
    ),
    opts=pulumi.ResourceOptions(providers=[docker_host]),
)

pulumi.export("url", openhands.url)
pulumi.export("containerId", openhands.container_id)
pulumi.export("activeModel", openhands.active_model)
pulumi.export("endpoint", openhands.endpoint)
pulumi.export("openhandsVersion", settings.release.version)
