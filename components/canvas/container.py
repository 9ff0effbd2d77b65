"""CanvasContainer: Agent Canvas as one all-in-one container on a Docker host, its LLM seeded.

Equivalent to upstream's documented `docker run` of the pinned image (port 8000, the volumes
`/home/openhands/.openhands` and `/projects`), with: the port published on `docker.listenAddress`
(loopback by default), `OH_SECRET_KEY` and the session API key from `random.RandomPassword`
(secrets in the state, stable across updates), a healthcheck on `/alive`, log rotation, labels,
restart `unless-stopped`. No Docker socket: Canvas's agent works inside this container.

The LLM is seeded by a one-shot container of the same image in the server's network namespace
(`network_mode: container:<server>`, so it reaches the server's loopback wherever the host is):
`seed.py` with the seed document and the session key uploaded as files, the state volume for
its record. pulumi-docker waits for it (`attach`) and reports its exit code; `seed_outcome` turns a
refusal into a failed `pulumi up` with the seeder's one line. A change of the LLM settings changes
the uploaded document, which replaces the seeder (it runs again), not the server.

Expects a `docker` provider in `opts.providers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_docker as docker

from ..containers import LOG_DRIVER, LOG_OPTS, http_probe
from ..docker.plan import browser_url
from ..docker.settings import DockerSettings
from ..llm.plan import LlmRoute, direct_route
from ..llm.settings import LlmSettings
from ..remote_image import pull_image
from ..server_keys import random_key
from .plan import (
    SEED_FILE,
    SEED_SCRIPT,
    SESSION_KEY_FILE,
    seed_fingerprint,
    seed_json,
    seed_outcome,
    seed_script,
    seeder_env,
    server_env,
)
from .settings import CanvasSettings


@dataclass
class CanvasContainerArgs:
    llm: LlmSettings
    canvas: CanvasSettings
    docker: DockerSettings
    # What the agent server sends with its LLM calls: the gateway's key with `route`, else the Z.AI key.
    api_key: pulumi.Input[str]
    labels: dict[str, str] = field(default_factory=dict)
    # The stack's tags, on the containers only (a Docker volume cannot be relabelled).
    tags: dict[str, str] = field(default_factory=dict)
    # The LLM gateway's URL and model names (`LlmGateway.route`); None: Z.AI directly.
    route: LlmRoute | None = None


class CanvasContainer(pulumi.ComponentResource):
    """The pinned Agent Canvas image, its two volumes, the server container and its LLM seeder."""

    url: pulumi.Output[str]
    container_id: pulumi.Output[str]
    active_model: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    seeded_profiles: pulumi.Output[list[str]]
    session_api_key: pulumi.Output[str]

    def __init__(self, name: str, args: CanvasContainerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("openhands-zai:canvas:CanvasContainer", name, None, opts)
        release, settings = args.canvas.pinned, args.docker
        child = pulumi.ResourceOptions(parent=self)
        stable_labels = {"app.kubernetes.io/name": "agent-canvas", **args.labels}
        labels = {**args.tags, **stable_labels, "openhands-zai.canvas-version": release.version}

        image = pull_image(f"{name}-image", release.image, child)
        # Both hold what a user would lose (profiles, conversations, their code): `pulumi destroy`
        # leaves them, and Docker re-adopts a volume of the same name on the next `up`.
        volumes = {}
        for role, volume_name, path in (("state", settings.state_volume, release.state_dir),
                                        ("projects", args.canvas.projects_volume, release.projects_dir)):
            volumes[path] = docker.Volume(
                f"{name}-{role}", name=volume_name,
                labels=[docker.VolumeLabelArgs(label=k, value=v) for k, v in sorted(stable_labels.items())],
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True))

        secret_key = random_key(f"{name}-secret-key", self)
        session_key = random_key(f"{name}-session-api-key", self)
        envs = pulumi.Output.all(secret_key, session_key).apply(
            lambda keys: server_env(args.canvas, settings, keys[0], keys[1]))

        server = docker.Container(
            f"{name}-server",
            name=settings.container_name,
            image=image.image_id,
            envs=envs,
            ports=[docker.ContainerPortArgs(internal=release.port, external=settings.port,
                                            ip=settings.listen_address)],
            volumes=[docker.ContainerVolumeArgs(volume_name=volume.name, container_path=path)
                     for path, volume in volumes.items()],
            # The gateway publishes on the bridge gateway, host.docker.internal from a container.
            hosts=[docker.ContainerHostArgs(host="host.docker.internal", ip="host-gateway")] if args.route else None,
            restart="unless-stopped",
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=http_probe(release.port, release.alive_path),
                # The chart probes /alive every 10 s for readiness; 60 s covers the agent server,
                # the automation service and the UI starting on a slow host.
                interval="10s", timeout="5s", retries=3, start_period="60s"),
            log_driver=LOG_DRIVER,
            log_opts=LOG_OPTS,
            labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in sorted(labels.items())],
            must_run=True,
            # The fixed name and host port: the old container must go first.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )

        route = args.route or direct_route(args.llm)
        document = pulumi.Output.secret(args.api_key).apply(lambda key: seed_json(args.llm, key, args.route))
        seeder = docker.Container(
            f"{name}-seed",
            name=f"{settings.container_name}-seed",
            image=image.image_id,
            entrypoints=["python3", SEED_SCRIPT],
            envs=seeder_env(release),
            # The server's network namespace: its 127.0.0.1:8000, wherever the Docker host is. A new
            # server container is a new namespace, so the seeder runs again with it.
            network_mode=server.id.apply(lambda server_id: f"container:{server_id}"),
            volumes=[docker.ContainerVolumeArgs(volume_name=volumes[release.state_dir].name,
                                                container_path=release.state_dir)],
            uploads=[docker.ContainerUploadArgs(file=SEED_SCRIPT, content=seed_script()),
                     docker.ContainerUploadArgs(file=SEED_FILE, content=document),
                     docker.ContainerUploadArgs(file=SESSION_KEY_FILE, content=session_key)],
            restart="no",
            attach=True,
            logs=True,
            must_run=False,
            log_driver=LOG_DRIVER,
            log_opts=LOG_OPTS,
            labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in sorted({
                **labels, "openhands-zai.seed-sha256": seed_fingerprint(args.llm, args.route)}.items())],
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=[server]),
        )

        self.url = pulumi.Output.from_input(browser_url(settings))
        self.container_id = server.id
        self.active_model = pulumi.Output.from_input(route.model(args.llm.default_profile, args.llm.default))
        self.endpoint = pulumi.Output.from_input(args.llm.base_url)
        names = sorted(args.llm.profiles)
        self.seeded_profiles = pulumi.Output.all(seeder.exit_code, seeder.container_logs).apply(
            lambda outcome: seed_outcome(outcome[0], outcome[1], names))
        # For a UI that does not get it in its page (published beyond loopback) and for the API.
        self.session_api_key = session_key
        self.register_outputs({
            "url": self.url,
            "containerId": self.container_id,
            "activeModel": self.active_model,
            "endpoint": self.endpoint,
            "seededProfiles": self.seeded_profiles,
            "sessionApiKey": self.session_api_key,
        })
