"""openhands-zai: wiring only. Read the stack's settings, build the components, export."""

import pulumi
import pulumi_docker as docker

from components.container import OpenHandsContainer, OpenHandsContainerArgs
from components.settings import read_stack_config

stack_config = read_stack_config(pulumi.Config())
settings = stack_config.parse()
for warning in settings.warnings:
    pulumi.log.warn(warning)
stack = pulumi.get_stack()

api_key = stack_config.api_key
if settings.secret is not None:
    # Imported only here: a stack without `secret` needs neither AWS credentials nor the provider.
    from components.secret import ZaiApiKeySecret, ZaiApiKeySecretArgs

    zai_key = ZaiApiKeySecret("zai-api-key", ZaiApiKeySecretArgs(
        settings=settings.secret, environment=stack, api_key=stack_config.api_key))
    api_key = zai_key.api_key  # AWSCURRENT, read back: a rotated key reaches OpenHands on the next `up`
    pulumi.export("secretArn", zai_key.secret_arn)
    pulumi.export("secretName", zai_key.secret_name)
    pulumi.export("kmsKeyArn", zai_key.kms_key_arn)
    pulumi.export("readerPolicyArn", zai_key.reader_policy_arn)
    pulumi.export("readerRoleArn", zai_key.reader_role_arn)
    pulumi.export("instanceProfileName", zai_key.instance_profile_name)

docker_host = docker.Provider("docker-host", host=settings.docker.host)
openhands = OpenHandsContainer(
    "openhands",
    OpenHandsContainerArgs(
        llm=settings.llm,
        release=settings.release,
        docker=settings.docker,
        api_key=api_key,
        debug=settings.debug,
        labels={"openhands-zai.stack": stack},
    ),
    opts=pulumi.ResourceOptions(providers=[docker_host]),
)

pulumi.export("url", openhands.url)
pulumi.export("containerId", openhands.container_id)
pulumi.export("activeModel", openhands.active_model)
pulumi.export("endpoint", openhands.endpoint)
pulumi.export("openhandsVersion", settings.release.version)
