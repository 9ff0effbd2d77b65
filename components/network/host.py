"""The Docker host's launch template (the Docker target on EC2; needs pulumi-aws).

The bundle does not start the host; it gives the template to start it from (output
`launchTemplateId`): the egress allow-list's security group on its interface, which carries the
containers' traffic too, and the instance metadata service with IMDSv2 only and a hop limit of
1, so a container, whose packets take a second hop, cannot reach it (and with it whatever role
the host has). No instance profile: nothing on the host reads the Z.AI key, the deployer's
`pulumi up` does and hands it to the gateway container.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..aws_ids import IMDSV2_ONE_HOP


def host_launch_template(name: str, security_group_id: pulumi.Input[str], tags: dict[str, str],
                         child: pulumi.ResourceOptions) -> aws.ec2.LaunchTemplate:
    return aws.ec2.LaunchTemplate(
        name,
        description="The openhands-zai Docker host: the egress group, IMDSv2 with hop limit 1, no role",
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(**IMDSV2_ONE_HOP),
        vpc_security_group_ids=[security_group_id],
        tag_specifications=[aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="instance", tags=tags)],
        tags=tags,
        opts=child,
    )
