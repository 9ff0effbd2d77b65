"""The LLM gateway on its own, as planned for e2e/stacks/Pulumi.gateway-limits.yaml, against the
stand-in Z.AI: who it lets in, what it sends on, fallbacks and limits that hold, and how it fails
when misconfigured or bypassed. (The conversations through it are in test_conversation.py.)"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from e2e import realise
from e2e.openhands_api import OpenHandsApp
from tests.fake_zai import CODING_BASE, GENERAL_BASE, FakeZai

STACK = Path(__file__).parent / "stacks" / "Pulumi.gateway-limits.yaml"


@dataclass(repr=False)
class Gateway:
    url: str
    key: str  # the gateway's own (what OpenHands holds)
    zai_key: str
    config: dict
    fake: FakeZai
    started: realise.Started
    workdir: Path

    def stop(self) -> None:
        self.started.remove()
        self.fake.__exit__(None, None, None)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __repr__(self) -> str:  # pytest prints a failing test's arguments: never a key
        return f"Gateway({self.url})"

    def complete(self, model: str, key: str | None = None) -> httpx.Response:
        return httpx.post(f"{self.url}/chat/completions", timeout=30,
                          headers={"Authorization": f"Bearer {key or self.key}"},
                          json={"model": model, "messages": [{"role": "user", "content": "Say OK."}]})

    def params(self, profile: str) -> dict:
        """The planned litellm_params of a profile's model."""
        (params,) = [m["litellm_params"] for m in self.config["model_list"] if m["model_name"] == self.name_of(profile)]
        return params

    def name_of(self, profile: str) -> str:
        (name,) = [m["model_name"] for m in self.config["model_list"] if m["model_name"].endswith(f"-{profile}")]
        return name


def start(client, zai_base: str, stack: Path = STACK) -> Gateway:
    zai_key = "zai-e2e-" + secrets.token_hex(16)
    fake = FakeZai(coding_plan_keys=[zai_key], models=["glm-5.3", "glm-4.7", "glm-5.2"]).__enter__()
    planned = realise.plan_stack(stack, zai_key, fake.url(zai_base), stack=stack.stem.split(".", 1)[1])
    workdir = Path(tempfile.mkdtemp(prefix="openhands-zai-e2e-gateway-"))
    started = realise.Started(client)
    container_id = realise.start_gateway(planned, started, {}, workdir)
    path, port = realise.gateway_readiness(planned)
    OpenHandsApp(f"http://127.0.0.1:{port}").wait_ready(path, container=client.containers.get(container_id))
    spec = planned.named("docker:index/container:Container")["gateway-proxy"]
    env = dict(item.split("=", 1) for item in spec["envs"])
    config = yaml.safe_load(spec["uploads"][0]["content"])
    return Gateway(f"http://127.0.0.1:{port}", env["LITELLM_MASTER_KEY"], zai_key, config, fake, started, workdir)


@pytest.fixture(scope="module")
def gateway(client):
    found = start(client, CODING_BASE)
    yield found
    found.stop()


def test_probes_need_no_key_and_everything_else_needs_the_gateways(gateway):
    for path in ("/health/liveliness", "/health/readiness"):
        assert httpx.get(gateway.url + path, timeout=10).status_code == 200, path
    before = len(gateway.fake.completions)
    assert httpx.get(f"{gateway.url}/v1/models", timeout=10).status_code == 401
    # Without the proxy's database a wrong key is refused as 400 "No connected db." (LiteLLM 1.84.1).
    assert gateway.complete(gateway.name_of("latest"), key="sk-wrong").status_code in (400, 401)
    # Nor does the Z.AI key itself open the gateway.
    assert gateway.complete(gateway.name_of("latest"), key=gateway.zai_key).status_code in (400, 401)
    assert len(gateway.fake.completions) == before, "a refused request reached Z.AI"


def test_doctor_finds_the_gateway_ready_and_a_completion_through_it(gateway):
    """The operator's check, against the real proxy: Z.AI (the stand-in) with the Z.AI key, then
    the gateway with its own key (from the environment, never the command line)."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "openhands-zai"), "doctor", "--stack", "gateway-limits", "--config-file",
         str(STACK), "--endpoint", gateway.fake.url(CODING_BASE), "--gateway-url", gateway.url, "--format", "json"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "ZAI_API_KEY": gateway.zai_key, "OPENHANDS_ZAI_GATEWAY_KEY": gateway.key})
    assert result.returncode == 0, result.stdout[-1500:] + result.stderr[-500:]
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["gateway ready"]["status"] == "pass"
    assert checks["gateway completion"]["status"] == "pass", checks["gateway completion"]
    leaked = gateway.key in result.stdout or gateway.zai_key in result.stdout
    assert not leaked, "doctor printed a key"


def test_the_gateway_calls_the_coding_plan_with_the_zai_key(gateway):
    before = len(gateway.fake.completions)
    response = gateway.complete(gateway.name_of("latest"))
    assert response.status_code == 200, response.text[:300]
    assert response.json()["choices"][0]["message"]["content"] == "OK"
    (call,) = gateway.fake.completions[before:]
    params = gateway.params("latest")
    assert call["path"] == f"{CODING_BASE}/chat/completions" and call["body"]["model"] == params["model"].split("/")[1]
    key_is_zai = call["key"] == gateway.zai_key  # compared apart: an assertion on it would print it
    assert key_is_zai, "the gateway did not send the Z.AI key"
    assert (call["body"].get("temperature"), call["body"].get("top_p")) == (params.get("temperature"), params.get("top_p"))
    assert params.get("temperature") is not None  # the built-in's sampling, not nothing against nothing


def test_a_429_from_zai_on_the_primary_is_answered_by_the_fallback(gateway):
    primary, fallback = gateway.name_of("latest"), gateway.name_of("coding")
    assert gateway.config["router_settings"]["fallbacks"] == [{primary: [fallback]}]
    gateway.fake.busy_models = {"glm-5.3"}
    before = len(gateway.fake.completions)
    try:
        response = gateway.complete(primary)
    finally:
        gateway.fake.busy_models = set()
    assert response.status_code == 200, response.text[:300]
    assert response.headers.get("x-litellm-model-group") == fallback
    models = [call["body"]["model"] for call in gateway.fake.completions[before:]]
    assert models[0] == "glm-5.3" and models[-1] == "glm-4.7", models


def test_past_max_parallel_requests_the_fallback_answers_at_once(client):
    """LiteLLM 1.108 refuses a request past maxParallelRequests (its own 429) where 1.84 queued it:
    with the primary's slots held by slow calls, the next request goes to the fallback."""
    gateway = start(client, CODING_BASE, STACK.parent / "Pulumi.gateway-parallel.yaml")
    try:
        _past_the_limit(gateway)
    finally:
        gateway.stop()


def _past_the_limit(gateway) -> None:
    primary, fallback = gateway.name_of("latest"), gateway.name_of("coding")
    allowed = gateway.params("latest")["max_parallel_requests"]
    model = gateway.params("latest")["model"].split("/")[1]
    gateway.fake.slow_models = {model: 3.0}
    try:
        with ThreadPoolExecutor(allowed + 1) as pool:
            held = [pool.submit(gateway.complete, primary) for _ in range(allowed)]
            time.sleep(1.0)  # the held calls are in flight at the stand-in
            started = time.monotonic()
            extra = gateway.complete(primary)
            waited = time.monotonic() - started
            groups = [f.result().headers.get("x-litellm-model-group") for f in held]
    finally:
        gateway.fake.slow_models = {}
    assert extra.status_code == 200, extra.text[:300]
    assert extra.headers.get("x-litellm-model-group") == fallback
    assert groups == [primary] * allowed, groups
    assert waited < 2.0, f"the extra request waited {waited:.1f} s for a slot"


def test_an_rpm_limit_of_n_lets_n_through_and_refuses_the_next(gateway):
    (params,) = [m["litellm_params"] for m in gateway.config["model_list"]
                 if m["model_name"] == gateway.name_of("large-context")]
    limit = params["rpm"]
    assert limit == 5
    before = len(gateway.fake.completions)
    answers = [gateway.complete(gateway.name_of("large-context")).status_code for _ in range(limit + 1)]
    # No fallback is configured for this model: past the limit the gateway answers 429 itself.
    assert answers == [200] * limit + [429], answers
    assert len(gateway.fake.completions) - before == limit, "the refused request reached Z.AI"


def test_the_key_openhands_holds_is_worthless_at_zai(gateway):
    """Bypassing the gateway: an agent that calls Z.AI with the key it can read is refused."""
    response = httpx.post(gateway.fake.url(CODING_BASE) + "/chat/completions", timeout=10,
                          headers={"Authorization": f"Bearer {gateway.key}"},
                          json={"model": "glm-5.3", "messages": [{"role": "user", "content": "Say OK."}]})
    assert response.status_code == 401


def test_a_gateway_on_the_general_endpoint_fails_with_1113(client, gateway):
    """Misconfigured: the general endpoint (no /coding) with a Coding Plan key. Z.AI answers 1113
    (insufficient balance); the gateway passes the failure on instead of answering. LiteLLM keeps
    Z.AI's message but not its business code, so the message is what names it."""
    gateway.stop()  # the last test: the port is the stack's, so the module's gateway makes way
    wrong = start(client, GENERAL_BASE)
    try:
        before = len(wrong.fake.completions)
        response = wrong.complete(wrong.name_of("coding"))
        assert response.status_code == 429, response.status_code
        assert "余额不足" in response.text  # 1113's message: insufficient balance
        paths = {call["path"] for call in wrong.fake.completions[before:]}
        assert paths == {f"{GENERAL_BASE}/chat/completions"}, paths
    finally:
        wrong.stop()
