"""CanvasContainer under Pulumi's mock engine (preview=False, Outputs awaited), and the seeder's outcome."""

from __future__ import annotations

import json

import pulumi
import pytest

from openhands_zai.canvas.container import CanvasContainer, CanvasContainerArgs
from openhands_zai.canvas.plan import SEED_FILE, SEED_SCRIPT, SESSION_KEY_FILE, SeedError, seed_outcome
from openhands_zai.gateway.plan import route
from tests.helpers import SENTINEL_KEY, problems, settings
from tests.mock_engine import MOCKS, OPTIONS, unwrap

GATEWAY_URL = "http://host.docker.internal:4000"


def build(name, gateway=False, **raw):
    stack = settings(distribution="agent-canvas", **raw)
    return stack, CanvasContainer(name, CanvasContainerArgs(
        llm=stack.llm, canvas=stack.canvas, docker=stack.docker, api_key="sk-gateway-key" if gateway else SENTINEL_KEY,
        route=route(stack.llm, GATEWAY_URL) if gateway else None))


def env_of(resource):
    envs, _ = unwrap(resource.inputs["envs"])
    return dict(entry.split("=", 1) for entry in envs)


def uploads_of(resource):
    """{file: (content, whether the engine got it as a secret)}: the list is a secret when any item is."""
    items, whole = unwrap(resource.inputs["uploads"])
    return {u["file"]: (unwrap(u["content"])[0], whole or unwrap(u["content"])[1]) for u in items}


@pulumi.runtime.test
def test_the_server_is_upstreams_docker_run_with_generated_keys_and_no_provider_key():
    _, component = build("cv")

    def check(_):
        server = MOCKS.created["cv-server"]
        assert MOCKS.created["cv-image"].inputs["name"] == "ghcr.io/openhands/agent-canvas:1.20.0"
        assert server.inputs["ports"] == [{"internal": 8000, "external": 3000, "ip": "127.0.0.1"}]
        assert {(v["volumeName"], v["containerPath"]) for v in server.inputs["volumes"]} == {
            ("openhands-state", "/home/openhands/.openhands"), ("openhands-projects", "/projects")}
        # No Docker socket: the agent works inside this container.
        assert not [v for v in server.inputs["volumes"] if "hostPath" in v]
        assert "/alive" in " ".join(server.inputs["healthcheck"]["tests"])
        assert server.inputs["logOpts"] == {"max-size": "20m", "max-file": "5"}
        env = env_of(server)
        assert unwrap(server.inputs["envs"])[1], "the environment carries keys: it must be a secret"
        assert len(env["OH_SECRET_KEY"]) == 48 and len(env["LOCAL_BACKEND_API_KEY"]) == 48
        assert env["OH_SECRET_KEY"] != env["LOCAL_BACKEND_API_KEY"]
        assert env["DO_NOT_TRACK"] == "1" and env["AGENT_CANVAS_ALLOW_LAN_SESSION_KEY"] == "true"
        assert SENTINEL_KEY not in json.dumps(env) and not [n for n in env if n.startswith("LLM_")]
        for volume in ("cv-state", "cv-projects"):
            assert OPTIONS[volume].retain_on_delete
        assert OPTIONS["cv-server"].delete_before_replace

    return component.container_id.apply(check)


@pulumi.runtime.test
def test_the_seeder_runs_once_in_the_servers_namespace_with_its_inputs_as_secret_files():
    stack, component = build("sd")

    def check(outputs):
        container_id, seeded = outputs
        seeder = MOCKS.created["sd-seed"].inputs
        assert seeder["networkMode"] == f"container:{container_id}"
        assert seeder["attach"] is True and seeder["mustRun"] is False and seeder["restart"] == "no"
        assert seeder["entrypoints"] == ["python3", SEED_SCRIPT]
        files = uploads_of(MOCKS.created["sd-seed"])
        document, secret = files[SEED_FILE]
        assert secret and json.loads(document)["active"] == stack.llm.default_profile
        key, secret = files[SESSION_KEY_FILE]
        assert secret and key == env_of(MOCKS.created["sd-server"])["LOCAL_BACKEND_API_KEY"]
        assert "import openhands_zai" not in files[SEED_SCRIPT][0] and "def main" in files[SEED_SCRIPT][0]
        # No key in the seeder's own environment: both are files.
        assert not [e for e in seeder["envs"] if key in e or SENTINEL_KEY in e]
        assert seeded == sorted(stack.llm.profiles)

    return pulumi.Output.all(component.container_id, component.seeded_profiles).apply(check)


@pulumi.runtime.test
def test_behind_the_gateway_the_server_reaches_it_on_host_gateway_and_holds_only_its_key():
    _, component = build("gw", gateway=True)

    def check(_):
        server = MOCKS.created["gw-server"].inputs
        assert server["hosts"] == [{"host": "host.docker.internal", "ip": "host-gateway"}]
        document = json.loads(uploads_of(MOCKS.created["gw-seed"])[SEED_FILE][0])
        assert {p["request"]["llm"]["api_key"] for p in document["profiles"]} == {"sk-gateway-key"}
        assert {p["request"]["llm"]["base_url"] for p in document["profiles"]} == {GATEWAY_URL}

    return component.seeded_profiles.apply(check)


@pulumi.runtime.test
def test_a_change_of_llm_settings_re_runs_the_seeder_and_leaves_the_server():
    _, one = build("one", defaultProfile="latest")
    _, two = build("two", defaultProfile="coding")

    def check(_):
        one, two = MOCKS.created["one-seed"].inputs, MOCKS.created["two-seed"].inputs
        label = "openhands-zai.seed-sha256"
        assert {x["value"] for x in one["labels"] if x["label"] == label} != {
            x["value"] for x in two["labels"] if x["label"] == label}
        assert env_of(MOCKS.created["one-server"]).keys() == env_of(MOCKS.created["two-server"]).keys()
        assert MOCKS.created["one-server"].inputs["labels"] == [
            {**x} for x in MOCKS.created["two-server"].inputs["labels"]]

    return pulumi.Output.all(one.seeded_profiles, two.seeded_profiles).apply(check)


def test_a_refused_seeding_fails_with_the_seeders_own_line():
    logs = "waiting\nerror: seeding Agent Canvas's LLM profiles: the server refused the session key (HTTP 401)\n"
    with pytest.raises(SeedError, match="refused the session key"):
        seed_outcome(1, logs, ["latest"])
    with pytest.raises(SeedError, match="exited 137 without saying why"):
        seed_outcome(137, "", ["latest"])
    assert seed_outcome(0, "seeded 1 LLM profiles (latest); active: latest", ["latest"]) == ["latest"]


@pytest.mark.parametrize(("raw", "key", "says"), [
    ({"target": "kubernetes"}, "openhands-zai:canvas", "Docker target in this release"),
    ({"docker": {"extraEnv": {"LOCAL_BACKEND_API_KEY": "x"}}}, "openhands-zai:docker.extraEnv.LOCAL_BACKEND_API_KEY",
     "set by the bundle for Agent Canvas"),
    ({"instances": [{"name": "a"}]}, "openhands-zai:instances", "not supported with distribution agent-canvas"),
])
def test_canvas_refuses_what_it_cannot_run(raw, key, says):
    found = problems(distribution="agent-canvas", **raw)
    assert says in found[key], found


def test_canvas_settings_belong_to_the_canvas_distribution():
    assert "distribution is app-server" in problems(canvas={"telemetry": True})["openhands-zai:canvas"]
    assert "1.20.0" in problems(distribution="agent-canvas", canvas={"version": "1.19.0"})[
        "openhands-zai:canvas.version"]


def test_canvas_without_the_gateway_warns_that_the_agent_can_read_the_key():
    direct = settings(distribution="agent-canvas")
    assert [w for w in direct.warnings if "can read it" in w]
    behind = settings(distribution="agent-canvas", gateway={})
    assert not [w for w in behind.warnings if "can read it" in w]
    assert [n for n in behind.notes if "never read the Z.AI key" in n]
    assert not [n for n in behind.notes if "Docker socket (root on the host)" in n]
