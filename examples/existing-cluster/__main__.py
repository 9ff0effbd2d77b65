"""OpenHands on an existing cluster: key in Secrets Manager, egress allow-listed, from the components."""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from openhands_zai import (
    EgressAllowList,
    EgressAllowListArgs,
    OpenHandsCluster,
    OpenHandsClusterArgs,
    ZaiApiKeySecret,
    ZaiApiKeySecretArgs,
    read_stack_config,
)

stack = pulumi.get_stack()
raw = read_stack_config()  # the openhands-zai:* keys, in any project
settings = raw.parse()  # raises ConfigError (each problem names its openhands-zai:* key)
tags = {"environment": stack, **settings.tags}

key = ZaiApiKeySecret("zai-api-key", ZaiApiKeySecretArgs(settings=settings.secret, environment=stack,
                                                          api_key=raw.api_key, tags=tags))
egress = EgressAllowList("egress", EgressAllowListArgs(settings=settings.egress, environment=stack, tags=tags))

cluster = k8s.Provider("cluster", context=settings.kubernetes.context)
openhands = OpenHandsCluster(
    "openhands",
    OpenHandsClusterArgs(
        settings=settings.kubernetes, llm=settings.llm, release=settings.release.pinned, debug=settings.debug,
        secret_name=key.secret_name, region=aws.config.region,  # the External Secrets Operator reads it
        service_account_role_arn=key.reader_role_arn, egress=settings.egress,
    ),
    opts=pulumi.ResourceOptions(providers=[cluster]),
)

pulumi.export("url", openhands.url)
pulumi.export("secretArn", key.secret_arn)
pulumi.export("securityGroupId", egress.security_group_id)
pulumi.export("prefixListId", egress.prefix_list_id)
pulumi.export("allowCidrs", list(settings.egress.allow_cidrs))
pulumi.export("expectedEgress", egress.expected_egress)  # what `openhands-zai verify` compares the group with
