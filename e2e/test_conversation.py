"""A user's first prompt reaches GLM and comes back, on each target, as the bundle deploys it.

Every expectation is read from the plan (the rendered settings.json, the planned env), never
written here, so a wrong rendering fails the request-shape checks below.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from urllib.parse import urlsplit

import docker
import httpx
import pytest
import websocket

from e2e import realise


def _summary(info: dict) -> dict:
    """A conversation for a failure message: never its session key."""
    return {key: info.get(key) for key in ("id", "execution_status", "sandbox_status", "sandbox_id", "title")}


def _expected_llm(deployment, profile: str | None = None) -> dict:
    settings = deployment.settings_file
    return settings["agent_settings"]["llm"] if profile is None else settings["llm_profiles"]["profiles"][profile]


def _check_requests(deployment, calls: list[dict], llm: dict) -> None:
    """What reached the stand-in Z.AI: the stack's plan's path, the key, the profile's model, sampling,
    thinking and reasoning effort."""
    assert calls, "no completion reached the stand-in Z.AI"
    # The agent's turns carry its tools; the app's own calls (the conversation title) do not.
    assert [call for call in calls if call["body"].get("tools")], "no agent turn reached the stand-in Z.AI"
    for call in calls:
        assert call["path"] == f"{deployment.zai_base}/chat/completions"
        # Compared apart: an assertion on the values would print them.
        key_is_the_stacks = call["key"] == deployment.api_key
        assert key_is_the_stacks, "the Bearer key is not the stack's key"
        body = call["body"]
        wire = deployment.wire(llm)  # through the gateway: its model entry's model, sampling, thinking
        assert body["model"] == wire.pop("model")
        for name in ("temperature", "top_p"):
            assert body.get(name) == wire.pop(name), name
        for name, value in wire.items():
            assert body.get(name) == value, f"{name} (Z.AI's own request field) not sent as planned"
        tools = [t["function"]["name"] for t in body.get("tools", [])]
        if tools:  # native tool calling: the agent's tools, `finish` among them
            assert "finish" in tools and "terminal" in tools, tools


def test_settings_and_profiles_are_served_as_planned(deployment):
    planned = deployment.settings_file
    served = deployment.app.settings()
    llm = served["agent_settings"]["llm"]
    assert llm["model"] == planned["agent_settings"]["llm"]["model"]
    assert llm["base_url"] == planned["agent_settings"]["llm"]["base_url"]
    if deployment.gateway_config is None:
        assert llm["base_url"] == deployment.fake.url(deployment.zai_base)
    else:  # OpenHands calls the gateway, the gateway the stand-in Z.AI
        assert llm["model"].startswith("litellm_proxy/glm-")
        assert {m["litellm_params"]["api_base"] for m in deployment.gateway_config["model_list"]} == {
            deployment.fake.url(deployment.zai_base)}
    assert served["llm_api_key_set"] is True  # the key is there, and not shown
    profiles = deployment.app.profiles()
    names = sorted(p["name"] for p in profiles["profiles"])
    assert all(p["api_key_set"] for p in profiles["profiles"]), "a profile lost its key"
    # LLMProfiles drops a profile that fails to validate: count the survivors.
    assert names == sorted(planned["llm_profiles"]["profiles"])
    assert profiles["active_profile"] == planned["llm_profiles"]["active"]


def test_first_conversation_reaches_glm_and_finishes(deployment):
    before = len(deployment.fake.completions)
    conversation = deployment.app.converse("Reply with the word done, then finish.")
    deployment.timings["first_conversation"] = conversation.seconds
    deployment.timings["start_to_finished"] = time.monotonic() - deployment.timings["started_at"]
    assert conversation.info["execution_status"] == "finished", _summary(conversation.info)
    _check_requests(deployment, deployment.fake.completions[before:], _expected_llm(deployment))
    deployment.first_conversation = conversation
    gateway = f"gateway ready {deployment.timings['gateway_ready']:.1f} s; " if "gateway_ready" in deployment.timings else ""
    print(f"\n{deployment.stack}: {gateway}server ready {deployment.timings['ready']:.1f} s; first conversation "
          f"{conversation.seconds:.1f} s {conversation.phases}; start to finished "
          f"{deployment.timings['start_to_finished']:.1f} s")


def test_the_planned_health_checks_pass(deployment):
    """The Docker target's healthcheck, run by the engine inside the image; the pod's HTTP probes,
    every container's, on their ports. (oauth2-proxy, the cluster's login, is not run here: its image
    is a Go binary from quay.io, which this machine cannot pull or build; its Deployment is checked
    by kubernetes-validate and checkov in `make test` and `make scan`.)"""
    if deployment.target == "kubernetes":
        workloads = [*deployment.planned.of_type("kubernetes:apps/v1:StatefulSet"),
                     *deployment.planned.gateway_deployments]
        probes = []
        for workload in workloads:
            for container in workload["spec"]["template"]["spec"]["containers"]:
                ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
                for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                    if kind in container:
                        get = container[kind]["httpGet"]
                        probes.append((container["name"], kind, get["path"], ports.get(get["port"], get["port"])))
        # The server and its sidecar, liveness and readiness each; the gateway's three.
        assert len(probes) == (7 if deployment.planned.has_gateway else 4), probes
        for name, kind, path, port in probes:
            assert httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5).status_code == 200, (name, kind)
        return
    client = deployment.started.client
    for container in [deployment.server(), *(client.containers.get(i) for i in deployment.started.gateway)]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            container.reload()
            health = container.attrs["State"]["Health"]
            if health["Status"] != "starting":
                break
            time.sleep(0.5)
        assert health["Status"] == "healthy", (container.name, health["Log"][-1:] if health.get("Log") else health)


def test_the_browser_reaches_the_conversation_websocket(deployment, request):
    """V1's UI opens each conversation's events socket at the URL the app hands out."""
    conversation = deployment.first_conversation
    assert conversation, "no first conversation"
    url = conversation.info.get("conversation_url")
    assert url, _summary(conversation.info)
    parts = urlsplit(url)
    if deployment.target == "kubernetes":
        # A browser stands outside the pod and reaches it through the Ingress; the app hands out the
        # sidecar on the pod's loopback. Known gap (docs/kubernetes.md, "The sandbox"): flips when solved.
        request.applymarker(pytest.mark.xfail(strict=True, reason="V1's browser path through the Ingress "
                                                                  "is not solved on the cluster target"))
        assert parts.hostname not in ("127.0.0.1", "localhost"), f"the app hands out {parts.netloc}"
    conversation_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
    socket_url = f"ws://{parts.netloc}/sockets/events/{conversation_id}"
    ws = websocket.create_connection(socket_url, timeout=15)
    try:
        ws.send(json.dumps({"type": "auth", "session_api_key": conversation.info["session_api_key"]}))
        event = json.loads(ws.recv())
    finally:
        ws.close()
    assert event.get("kind"), event


def test_every_other_profile_uses_its_own_model_and_sampling(deployment):
    planned = deployment.settings_file
    active = planned["llm_profiles"]["active"]
    others = sorted(name for name in planned["llm_profiles"]["profiles"] if name != active)
    assert others, "the stack has no second profile to switch to"
    assert deployment.first_conversation, "no first conversation"
    sandbox = deployment.first_conversation.info["sandbox_id"]
    try:
        for profile in others:
            if deployment.target == "docker":
                # Host networking (this machine's substitution) gives every sandbox the same
                # agent-server port: close the last conversation's sandbox, as a user closing it would.
                deployment.app.delete_sandbox(sandbox)
            deployment.app.activate(profile)
            before = len(deployment.fake.completions)
            conversation = deployment.app.converse("Reply with the word done, then finish.")
            assert conversation.info["execution_status"] == "finished", (profile, _summary(conversation.info))
            _check_requests(deployment, deployment.fake.completions[before:], _expected_llm(deployment, profile))
            sandbox = conversation.info["sandbox_id"]
    finally:
        deployment.app.activate(active)


def _state_settings_text(deployment) -> str:
    """The settings file the server reads, from its state volume (the Docker volume, or the pod's claim)."""
    path = deployment.settings_path
    if deployment.target == "docker":
        stream, _ = deployment.server().get_archive(path)
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            member = archive.extractfile(path.rsplit("/", 1)[1])
            assert member is not None
            return member.read().decode()
    return (realise.claim_folder(deployment.workdir) / path.rsplit("/", 1)[1]).read_text()


def test_behind_the_gateway_the_zai_key_never_enters_openhands(deployment):
    """The Z.AI key is the gateway's alone: not in any OpenHands container's or sandbox's environment,
    not in its settings file, not in what an agent sees when it reads its environment, and not in
    what the gateway tells a holder of its key."""
    if deployment.gateway_config is None:
        pytest.skip(f"{deployment.stack} has no gateway: OpenHands holds the Z.AI key by design")
    key = deployment.api_key
    _close_sandboxes(deployment)
    # An agent that reads its environment: its first turn runs `env` where its commands run.
    deployment.fake.script = [("terminal", {"command": "env"})]
    before = len(deployment.fake.completions)
    try:
        conversation = deployment.app.converse("Show me your environment, then finish.")
    finally:
        deployment.fake.script = []
    assert conversation.info["execution_status"] == "finished", _summary(conversation.info)
    calls = deployment.fake.completions[before:]
    _check_requests(deployment, calls, _expected_llm(deployment))  # still the Z.AI key on the wire, from the gateway
    seen = " ".join(json.dumps(m.get("content")) for call in calls for m in call["body"].get("messages", [])
                    if m.get("role") == "tool")
    # Booleans only: an assertion on the text would print it.
    ran, key_seen, gateway_key_seen = "PATH=" in seen, key in seen, deployment.gateway_key in seen
    assert ran, "the agent's `env` output did not come back to the model"
    assert not key_seen, "the agent read the Z.AI key from its environment"
    if deployment.target == "docker":  # OpenHands forwards LLM_* into each sandbox: the gateway's key
        assert gateway_key_seen, "the sandbox did not get the gateway's key in LLM_API_KEY"
    client = deployment.started.client
    containers = [client.containers.get(i) for i in deployment.started.containers]
    containers += [client.containers.get(n) for n in deployment.app.sandbox_ids if _exists(client, n)]
    assert len(containers) >= 2, "no sandbox or sidecar to check"
    for container in containers:
        container.reload()
        in_env = any(key in entry for entry in container.attrs["Config"]["Env"] or [])
        assert not in_env, f"the Z.AI key is in the environment of {container.name}"
    in_settings = key in _state_settings_text(deployment)
    assert not in_settings, "the Z.AI key is in the settings file OpenHands reads"
    assert deployment.gateway is not None
    info = httpx.get(f"{deployment.gateway.base_url}/v1/model/info", timeout=10,
                     headers={"Authorization": f"Bearer {deployment.gateway_key}"})
    assert info.status_code == 200, info.status_code
    in_model_info = key in info.text
    assert not in_model_info, "the gateway's /v1/model/info hands out the Z.AI key"


def test_behind_the_gateway_a_busy_primary_model_falls_back(deployment):
    """Z.AI answers the default profile's model with 429/1302 (too many requests in flight): the
    gateway retries as planned, then its fallback (the stack's fallbackProfiles) answers, and the
    conversation finishes."""
    config = deployment.gateway_config
    if config is None:
        pytest.skip(f"{deployment.stack} has no gateway: fallbacks take no effect in OpenHands 1.11 without it")
    planned = deployment.settings_file
    served = planned["agent_settings"]["llm"]["model"].split("/", 1)[1]
    (fallbacks,) = [group[served] for group in config["router_settings"]["fallbacks"] if served in group]
    primary = deployment.wire(planned["agent_settings"]["llm"])["model"]
    fallback = deployment.wire({"model": "litellm_proxy/" + fallbacks[0]})["model"]
    _close_sandboxes(deployment)
    deployment.fake.busy_models = {primary}
    before = len(deployment.fake.completions)
    try:
        conversation = deployment.app.converse("Reply with the word done, then finish.")
    finally:
        deployment.fake.busy_models = set()
    assert conversation.info["execution_status"] == "finished", _summary(conversation.info)
    models = [call["body"]["model"] for call in deployment.fake.completions[before:]]
    assert primary in models, "the primary model was not tried"
    assert [m for m in models if m != primary] and set(models) <= {primary, fallback}, models
    finished_by = deployment.fake.completions[-1]["body"]["model"]
    assert finished_by == fallback, models


def _close_sandboxes(deployment) -> None:
    """Host networking gives every Docker sandbox the same port: close the earlier ones, as a user would."""
    if deployment.target == "docker":
        for sandbox in sorted(deployment.app.sandbox_ids):
            if _exists(deployment.started.client, sandbox):
                deployment.app.delete_sandbox(sandbox)


def _exists(client, name: str) -> bool:
    try:
        client.containers.get(name)
    except docker.errors.NotFound:
        return False
    return True


def test_no_secret_in_logs_or_command_lines(deployment):
    client = deployment.started.client
    containers = [client.containers.get(i) for i in [*deployment.started.containers, *deployment.started.gateway]]
    for name in deployment.app.sandbox_ids:  # the Docker target's sandboxes (the cluster's is the sidecar)
        try:
            containers.append(client.containers.get(name))
        except docker.errors.NotFound:
            pass
    assert len(containers) > 1, "no sandbox to check"
    for container in containers:
        container.reload()
        logs = container.logs().decode(errors="replace")
        attrs = container.attrs
        command_line = json.dumps([attrs["Path"], attrs["Args"], attrs["Config"].get("Cmd"),
                                   attrs["Config"].get("Entrypoint")])
        for value in deployment.secret_values():
            # Booleans, so a failure names the container and never prints the value.
            in_logs, in_command_line = value in logs, value in command_line
            assert not in_logs, f"a secret appears in the logs of {container.name}"
            assert not in_command_line, f"a secret appears in the command line of {container.name}"


def _essentials(app) -> dict:
    """What a user set up: the LLM, the profiles and which is active, the conversations."""
    llm = app.settings()["agent_settings"]["llm"]
    profiles = app.profiles()
    return {"llm": {k: llm.get(k) for k in ("model", "base_url", "temperature", "top_p")},
            "profiles": sorted(p["name"] for p in profiles["profiles"]), "active": profiles["active_profile"]}


def test_restart_keeps_settings_profiles_and_conversations(deployment):
    before = _essentials(deployment.app)
    conversations = {c["id"] for c in deployment.app.conversations()}
    assert conversations, "no conversation to keep"
    if deployment.target == "docker":
        deployment.server().restart(timeout=20)
    else:  # a pod restarts as a new pod on the same volume claim
        deployment.started.remove_containers()
        deployment.server_id = deployment.start_server(keep_state=True)
    path, _ = realise.readiness(deployment.planned)
    deployment.app.wait_ready(path, container=deployment.server())
    assert _essentials(deployment.app) == before
    assert conversations <= {c["id"] for c in deployment.app.conversations()}


@pytest.fixture(autouse=True)
def _dump_logs_on_failure(request, deployment):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        server = deployment.server()
        print(f"--- {server.name} (last 40 lines)\n{server.logs(tail=40).decode(errors='replace')}")
