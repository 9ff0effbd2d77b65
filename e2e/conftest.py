"""Deployments for the conversation suite: each stack planned by the real program, realised on the
local Docker engine, against a stand-in Z.AI on loopback; removed by id afterwards."""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import pytest

from e2e import realise
from e2e.openhands_api import Conversation, OpenHandsApp
from tests.fake_zai import CODING_BASE, FakeZai

ROOT = Path(__file__).resolve().parent.parent
# The shipped stacks whose target runs here: the Docker target for real, the cluster target as
# its pod emulated on the Docker engine (see realise.py).
STACKS = {
    "dev": ROOT / "Pulumi.dev.yaml",
    "build-host": ROOT / "examples" / "stacks" / "Pulumi.build-host.yaml",
    "staging": ROOT / "examples" / "stacks" / "Pulumi.staging.yaml",
    "prod": ROOT / "examples" / "stacks" / "Pulumi.prod.yaml",
}


@dataclass(repr=False)
class Deployment:
    stack: str
    target: str  # docker | kubernetes
    planned: realise.Planned
    fake: FakeZai
    api_key: str
    app: OpenHandsApp
    started: realise.Started
    workdir: Path
    server_id: str
    timings: dict[str, float] = field(default_factory=dict)
    first_conversation: Conversation | None = None  # set by the first-conversation test

    @property
    def settings_file(self) -> dict[str, Any]:
        """The settings.json the plan renders (uploaded into the container, or in the pod's Secret)."""
        if self.target == "docker":
            (upload,) = self.planned.one("docker:index/container:Container")["uploads"]
            return json.loads(upload["content"])
        return json.loads(realise.cluster_secrets(self.planned, self.remote)["openhands-llm"]["settings.json"])

    @property
    def remote(self) -> dict[str, str]:
        """What Secrets Manager holds for the ExternalSecret: the key under the planned secret's name."""
        names = {item["remoteRef"]["key"] for e in self.planned.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
                 for item in e["spec"]["data"]}
        return {name: self.api_key for name in names}

    def secret_values(self) -> list[str]:
        """Every secret value of this deployment: the key and the server keys the plan generated."""
        values = [self.api_key]
        if self.target == "docker":
            env = dict(e.split("=", 1) for e in self.planned.one("docker:index/container:Container")["envs"])
            values += [env["JWT_SECRET"], json.loads(env["OH_AGENT_SERVER_ENV"])["OH_SECRET_KEY"]]
        else:
            values += list(realise.cluster_secrets(self.planned, self.remote)["openhands-server-keys"].values())
        return values

    def start_server(self, keep_state: bool = False) -> str:
        if self.target == "docker":
            return realise.docker_container(self.planned, self.started)
        state = realise.claim_folder(self.workdir) if keep_state else None
        return realise.cluster_pod(self.planned, self.started, self.remote, self.workdir, state)

    def __repr__(self) -> str:
        # pytest prints a failing test's arguments: never the key, the plan or the fake's requests.
        return f"Deployment({self.stack!r}, {self.target})"

    def server(self):
        return self.started.client.containers.get(self.server_id)


@pytest.fixture(scope="session")
def client():
    try:
        engine = docker.from_env(timeout=120)
        engine.ping()
    except docker.errors.DockerException as error:
        pytest.exit(f"no Docker engine: {error} (run the suite with `make e2e`)", returncode=2)
    return engine


def _models(settings_file: dict[str, Any]) -> list[str]:
    llms = [settings_file["agent_settings"]["llm"], *settings_file["llm_profiles"]["profiles"].values()]
    return sorted({llm["model"].split("/", 1)[1] for llm in llms})


def deploy(stack: str, client) -> Deployment:
    api_key = "zai-e2e-" + secrets.token_hex(16)
    workdir = Path(tempfile.mkdtemp(prefix=f"openhands-zai-e2e-{stack}-"))
    fake = FakeZai(coding_plan_keys=[api_key]).__enter__()
    planned = realise.plan_stack(STACKS[stack], api_key, fake.url(CODING_BASE), stack=stack)
    target = "kubernetes" if planned.of_type("kubernetes:apps/v1:StatefulSet") else "docker"
    path, port = realise.readiness(planned)
    deployment = Deployment(stack, target, planned, fake, api_key, OpenHandsApp(f"http://127.0.0.1:{port}"),
                            realise.Started(client), workdir, server_id="")
    fake.models = _models(deployment.settings_file)
    start = time.monotonic()
    deployment.server_id = deployment.start_server()
    deployment.timings["ready"] = deployment.app.wait_ready(path, container=deployment.server())
    deployment.timings["started_at"] = start
    return deployment


def undeploy(deployment: Deployment) -> None:
    deployment.started.sandboxes |= deployment.app.sandbox_ids
    deployment.started.remove()
    deployment.fake.__exit__(None, None, None)
    shutil.rmtree(deployment.workdir, ignore_errors=True)


@pytest.fixture(scope="module", params=sorted(STACKS))
def deployment(request, client):
    deployed = deploy(request.param, client)
    yield deployed
    undeploy(deployed)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
