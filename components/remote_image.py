"""The image a Docker host pulls for a container: shared by the OpenHands containers and the gateway."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker


def pull_image(name: str, reference: str, opts: pulumi.ResourceOptions) -> docker.RemoteImage:
    return docker.RemoteImage(
        name,
        name=reference,
        keep_locally=True,  # a replaced container must not delete the image under a running one
        opts=opts,
    )
