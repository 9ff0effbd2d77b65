"""OpenHands for one team on a Docker host, settings in code, through openhands-zai's components."""

import pulumi
import pulumi_docker as docker

from openhands_zai import OpenHandsContainer, OpenHandsContainerArgs, parse_stack_settings

config = pulumi.Config()
team = config.require("team")

# The same validated description as the bundle's stack files, written as a dict: a bad value
# raises ConfigError naming the key (e.g. openhands-zai:profiles.review.temperature).
settings = parse_stack_settings({
    "zaiEndpoint": "coding-plan",
    "profiles": {  # merged over the built-ins: coding stays as built in, review is added
        "latest": None, "large-context": None,  # this team needs neither built-in
        "review": {"model": "glm-5.2", "temperature": 0.1, "thinking": True},
    },
    "defaultProfile": "coding",
    "fallbackProfiles": ["review"],
    "docker": {"host": config.get("dockerHost") or "unix:///var/run/docker.sock", "port": 3000,
               "containerName": f"openhands-{team}", "stateVolume": f"openhands-{team}-state"},
})
api_key = pulumi.Config("openhands-zai").require_secret("zaiApiKey")  # stays a Pulumi secret

host = docker.Provider("docker-host", host=settings.docker.host)
openhands = OpenHandsContainer(
    "openhands",
    OpenHandsContainerArgs(llm=settings.llm, release=settings.release.pinned, docker=settings.docker, api_key=api_key,
                           labels={"team": team}, tags={"owner": team, "zai-key-plan": "coding-plan"}),
    opts=pulumi.ResourceOptions(providers=[host]),
)

pulumi.export("url", openhands.url)
pulumi.export("activeModel", openhands.active_model)
