"""OpenHandsContainer under Pulumi's mock engine (preview=False, Outputs awaited)."""

import json

import pulumi
import pytest

from openhands_zai import OpenHandsContainer, OpenHandsContainerArgs
from tests.helpers import SENTINEL_KEY, settings
from tests.mock_engine import MOCKS, OPTIONS, unwrap


def build(name="oh", **raw):
    stack = settings(**raw)
    return stack, OpenHandsContainer(name, OpenHandsContainerArgs(
        llm=stack.llm, release=stack.release.pinned, docker=stack.docker, api_key=SENTINEL_KEY, debug=stack.debug))


def env_of(container_args):
    envs, _ = unwrap(container_args.inputs["envs"])
    return dict(entry.split("=", 1) for entry in envs)


@pulumi.runtime.test
def test_container_matches_documented_docker_run():
    stack, component = build("run")

    def check(_):
        server = MOCKS.created["run-server"]
        inputs = server.inputs
        assert inputs["image"].startswith("sha256:")  # the pulled image's id, not a floating tag
        assert MOCKS.created["run-image"].inputs["name"] == "docker.openhands.dev/openhands/openhands:1.11.0"
        # The browser's address, and the bridge gateway where sandboxes call the app back.
        assert inputs["ports"] == [{"internal": 3000, "external": 3000, "ip": "127.0.0.1"},
                                   {"internal": 3000, "external": 3000, "ip": "172.17.0.1"}]
        assert {"hostPath": "/var/run/docker.sock", "containerPath": "/var/run/docker.sock"} in inputs["volumes"]
        assert {"volumeName": "openhands-state", "containerPath": "/.openhands"} in inputs["volumes"]
        assert inputs["hosts"] == [{"host": "host.docker.internal", "ip": "host-gateway"}]
        assert inputs["restart"] == "unless-stopped"
        assert "/health" in " ".join(inputs["healthcheck"]["tests"])
        assert inputs["logOpts"] == {"max-size": "20m", "max-file": "5"}
        env = env_of(server)
        assert env["AGENT_SERVER_IMAGE_REPOSITORY"] == "ghcr.io/openhands/agent-server"
        assert env["AGENT_SERVER_IMAGE_TAG"] == "1.34.0-python"
        assert env["OH_PERSISTENCE_DIR"] == "/.openhands"
        assert env["LLM_MODEL"] == "zai/glm-5.3"
        assert env["LLM_API_KEY"] == SENTINEL_KEY
        upload = unwrap(inputs["uploads"])[0][0]
        assert upload["file"] == "/.openhands/settings.json"
        saved = json.loads(unwrap(upload["content"])[0])
        assert set(saved["llm_profiles"]["profiles"]) == {"latest", "coding", "large-context"}

    return pulumi.Output.all(component.container_id, component.url).apply(check)


@pulumi.runtime.test
def test_outputs_name_model_endpoint_and_url():
    _, component = build("out", zaiEndpoint="china", defaultProfile="coding", docker={"port": 3100})

    def check(values):
        url, model, endpoint, container_id = values
        assert url == "http://127.0.0.1:3100"
        assert model == "zai/glm-4.7"
        assert endpoint == "https://open.bigmodel.cn/api/paas/v4"
        assert len(container_id) == 64

    return pulumi.Output.all(component.url, component.active_model, component.endpoint,
                             component.container_id).apply(check)


@pulumi.runtime.test
def test_key_bearing_values_reach_the_engine_as_secrets():
    _, component = build("sec")

    def check(_):
        inputs = MOCKS.created["sec-server"].inputs
        envs, envs_secret = unwrap(inputs["envs"])
        uploads, uploads_secret = unwrap(inputs["uploads"])
        content, content_secret = unwrap(uploads[0]["content"])
        assert envs_secret and (uploads_secret or content_secret)
        assert f"LLM_API_KEY={SENTINEL_KEY}" in envs
        assert SENTINEL_KEY in content
        # Nothing else carries the key, in the clear or otherwise.
        for name, created in MOCKS.created.items():
            if name.startswith("sec-") and name != "sec-server":
                assert SENTINEL_KEY not in json.dumps(created.inputs), name

    return component.container_id.apply(check)


@pulumi.runtime.test
def test_every_child_is_parented_and_the_container_is_replaced_cleanly():
    _, component = build("opt")

    def check(_):
        for child in ("opt-image", "opt-state", "opt-server"):
            assert OPTIONS[child].parent is component, child
        assert OPTIONS["opt-server"].delete_before_replace is True  # fixed name and port
        assert OPTIONS["opt-state"].retain_on_delete is True  # conversations survive destroy

    return component.container_id.apply(check)


@pytest.mark.parametrize("change", [
    {"profiles": {"latest": {"temperature": 0.3}}},
    {"zaiEndpoint": "general"},
    {"debug": {"debug": True}},
])
def test_llm_change_changes_container_replacement_inputs(change):
    # The docker provider replaces a container when envs, uploads or labels change; each LLM
    # change must move at least the settings label and the env/settings text.
    from openhands_zai.docker.plan import container_env
    from openhands_zai.llm.plan import settings_fingerprint, settings_json

    before, after = settings(), settings(**change)
    assert settings_fingerprint(before.llm, before.release.pinned, before.debug) != \
        settings_fingerprint(after.llm, after.release.pinned, after.debug)
    assert (container_env(before.llm, before.debug, before.release.pinned, before.docker, "k", "j", "a"),
            settings_json(before.llm, before.release.pinned, "k")) != \
           (container_env(after.llm, after.debug, after.release.pinned, after.docker, "k", "j", "a"),
            settings_json(after.llm, after.release.pinned, "k"))


@pulumi.runtime.test
def test_the_release_digest_pins_the_pulled_image():
    digest = "sha256:" + "c" * 64
    _, component = build("dig", release={"imageDigest": digest})

    def check(_):
        assert MOCKS.created["dig-image"].inputs["name"] == f"docker.openhands.dev/openhands/openhands:1.11.0@{digest}"

    return component.container_id.apply(check)
