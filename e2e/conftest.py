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
import yaml

from e2e import realise
from e2e.openhands_api import Conversation, OpenHandsApp
from openhands_zai.llm.catalogue import CODING_PLAN
from openhands_zai.llm.endpoints import plan_of, resolve_endpoint
from tests.fake_zai import CODING_BASE, GENERAL_BASE, FakeZai

ROOT = Path(__file__).resolve().parent.parent
# The shipped stacks whose target runs here: the Docker target for real, the cluster target as
# its pod emulated on the Docker engine (see realise.py).
STACKS = {
    "dev": ROOT / "Pulumi.dev.yaml",
    "build-host": ROOT / "examples" / "stacks" / "Pulumi.build-host.yaml",
    "staging": ROOT / "examples" / "stacks" / "Pulumi.staging.yaml",
    "prod": ROOT / "examples" / "stacks" / "Pulumi.prod.yaml",
    # The cluster target without the gateway (OpenHands holds the Z.AI key, synced into openhands-llm).
    "existing-cluster": ROOT / "examples" / "existing-cluster" / "Pulumi.staging.yaml",
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
    zai_base: str = CODING_BASE  # the stand-in's base for the stack's own plan (Coding Plan or general)
    timings: dict[str, float] = field(default_factory=dict)
    first_conversation: Conversation | None = None  # set by the first-conversation test
    gateway: OpenHandsApp | None = None  # the LLM gateway's base URL (wait_ready), when the stack has one

    @property
    def settings_file(self) -> dict[str, Any]:
        """The settings.json the plan renders (uploaded into the container, or in the pod's Secret)."""
        if self.target == "docker":
            (upload,) = self.planned.named("docker:index/container:Container")["openhands-server"]["uploads"]
            return json.loads(upload["content"])
        return json.loads(realise.cluster_secrets(self.planned, self.remote)["openhands-llm"]["settings.json"])

    @property
    def settings_path(self) -> str:
        """Where the server reads settings.json (the upload's path, or the init container's copy)."""
        if self.target == "docker":
            (upload,) = self.planned.named("docker:index/container:Container")["openhands-server"]["uploads"]
            return upload["file"]
        (workload,) = self.planned.of_type("kubernetes:apps/v1:StatefulSet")
        return workload["spec"]["template"]["spec"]["initContainers"][0]["command"][-1].split()[2]

    @property
    def remote(self) -> dict[str, str]:
        """What Secrets Manager holds for the ExternalSecret: the key under the planned secret's name."""
        names = {item["remoteRef"]["key"] for e in self.planned.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
                 for item in e["spec"]["data"]}
        return {name: self.api_key for name in names}

    def secret_values(self) -> list[str]:
        """Every secret value of this deployment: the key and the keys the plan generated."""
        values = [self.api_key]
        if self.target == "docker":
            env = self.container_env("openhands-server")
            values += [env["JWT_SECRET"], json.loads(env["OH_AGENT_SERVER_ENV"])["OH_SECRET_KEY"]]
        else:
            values += list(realise.cluster_secrets(self.planned, self.remote)["openhands-server-keys"].values())
        if self.planned.has_gateway:
            values.append(self.gateway_key)
        return values

    def container_env(self, resource: str) -> dict[str, str]:
        """A planned Docker container's environment (`openhands-server`, `gateway-proxy`)."""
        return dict(e.split("=", 1) for e in self.planned.named("docker:index/container:Container")[resource]["envs"])

    @property
    def gateway_key(self) -> str:
        """The key OpenHands holds behind the gateway (the gateway's master key)."""
        if self.target == "docker":
            return self.container_env("gateway-proxy")["LITELLM_MASTER_KEY"]
        return realise.cluster_secrets(self.planned, self.remote)["openhands-gateway"]["master-key"]

    @property
    def gateway_config(self) -> dict[str, Any] | None:
        """The gateway's config.yaml as planned (None: OpenHands calls Z.AI itself)."""
        if not self.planned.has_gateway:
            return None
        if self.target == "docker":
            (upload,) = self.planned.named("docker:index/container:Container")["gateway-proxy"]["uploads"]
            return yaml.safe_load(upload["content"])
        maps = {m["metadata"]["name"]: m["data"] for m in self.planned.of_type("kubernetes:core/v1:ConfigMap")}
        return yaml.safe_load(maps["openhands-gateway"]["config.yaml"])

    def wire(self, llm: dict[str, Any]) -> dict[str, Any]:
        """What Z.AI receives for an OpenHands LLM setting: its model, sampling and thinking, as the
        gateway's model entry sets them when there is a gateway."""
        name = llm["model"].split("/", 1)[1]
        config = self.gateway_config
        if config is None:
            return {"model": name, "temperature": llm.get("temperature"), "top_p": llm.get("top_p"),
                    **(llm.get("litellm_extra_body") or {})}
        (params,) = [m["litellm_params"] for m in config["model_list"] if m["model_name"] == name]
        return {"model": params["model"].split("/", 1)[1], "temperature": params.get("temperature"),
                "top_p": params.get("top_p"), **(params.get("extra_body") or {})}

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


def _models(deployment: Deployment) -> list[str]:
    """The Z.AI models the stack's profiles call (through the gateway's entries when it has one)."""
    settings_file = deployment.settings_file
    llms = [settings_file["agent_settings"]["llm"], *settings_file["llm_profiles"]["profiles"].values()]
    return sorted({deployment.wire(llm)["model"] for llm in llms})


def stack_plan(stack: str) -> str | None:
    """The plan the stack file's own endpoint serves (coding-plan, general)."""
    config = yaml.safe_load(STACKS[stack].read_text())["config"]
    base_url, _ = resolve_endpoint(config.get("openhands-zai:zaiEndpoint", "coding-plan"))
    return plan_of(base_url) if base_url else None


def deploy(stack: str, client) -> Deployment:
    api_key = "zai-e2e-" + secrets.token_hex(16)
    workdir = Path(tempfile.mkdtemp(prefix=f"openhands-zai-e2e-{stack}-"))
    # The stand-in answers as Z.AI does on the stack's own plan: a Coding Plan key works on the
    # Coding Plan base only (1113 elsewhere); a pay-as-you-go key on the general base.
    coding_plan = stack_plan(stack) == CODING_PLAN
    zai_base = CODING_BASE if coding_plan else GENERAL_BASE
    fake = (FakeZai(coding_plan_keys=[api_key]) if coding_plan else FakeZai(valid_keys=[api_key])).__enter__()
    planned = realise.plan_stack(STACKS[stack], api_key, fake.url(zai_base), stack=stack)
    target = "kubernetes" if planned.of_type("kubernetes:apps/v1:StatefulSet") else "docker"
    path, port = realise.readiness(planned)
    deployment = Deployment(stack, target, planned, fake, api_key, OpenHandsApp(f"http://127.0.0.1:{port}"),
                            realise.Started(client), workdir, server_id="", zai_base=zai_base)
    fake.models = _models(deployment)
    if planned.has_gateway:
        # Before OpenHands, as `pulumi up` orders nothing but a user's first prompt needs it up.
        gateway_id = realise.start_gateway(planned, deployment.started, deployment.remote, workdir)
        gateway_path, gateway_port = realise.gateway_readiness(planned)
        deployment.gateway = OpenHandsApp(f"http://127.0.0.1:{gateway_port}")
        deployment.timings["gateway_ready"] = deployment.gateway.wait_ready(
            gateway_path, container=client.containers.get(gateway_id))
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
