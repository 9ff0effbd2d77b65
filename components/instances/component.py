"""OpenHandsInstances: several named OpenHands servers on one Docker host, sharing key and image.

Each instance (`openhands-zai:instances`) is an `OpenHandsContainer` with its own profile set,
port, container and state volume, labelled `openhands-zai.instance=<name>`; the image is
pulled once. Expects a `docker` provider in `opts.providers`, as OpenHandsContainer does.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from ..docker.component import DockerServerArgs, OpenHandsContainer, OpenHandsContainerArgs
from ..remote_image import pull_image
from .plan import docker_for, llm_for
from .settings import InstanceSettings

COMPONENT_TYPE = "openhands-zai:container:OpenHandsInstances"


@dataclass(kw_only=True)
class OpenHandsInstancesArgs(DockerServerArgs):
    """The stack's server settings (`llm`: its endpoint, and the profiles the instances start
    from) and the instances."""

    instances: tuple[InstanceSettings, ...]


class OpenHandsInstances(pulumi.ComponentResource):
    """One OpenHandsContainer per instance; `urls` and `container_ids` are keyed by instance name."""

    urls: pulumi.Output[dict[str, str]]
    container_ids: pulumi.Output[dict[str, str]]
    servers: dict[str, OpenHandsContainer]

    def __init__(self, name: str, args: OpenHandsInstancesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(COMPONENT_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        image = pull_image(f"{name}-image", args.release.image, child)
        self.servers = {
            instance.name: OpenHandsContainer(
                f"{name}-{instance.name}",
                OpenHandsContainerArgs(
                    llm=llm_for(instance, args.llm), release=args.release, docker=docker_for(instance, args.docker),
                    api_key=args.api_key, debug=args.debug, image=image, tags=args.tags,
                    labels={**args.labels, "openhands-zai.instance": instance.name},
                ),
                opts=child,
            )
            for instance in args.instances
        }
        self.urls = pulumi.Output.all(**{n: s.url for n, s in self.servers.items()})
        self.container_ids = pulumi.Output.all(**{n: s.container_id for n, s in self.servers.items()})
        self.register_outputs({"urls": self.urls, "containerIds": self.container_ids})
