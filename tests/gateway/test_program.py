"""The shipped gateway stacks, planned by the real program: the Z.AI key and every reference to it
stay with the gateway (and the Secrets Manager secret it comes from); OpenHands' container, pod,
settings.json and environment hold the gateway's key and URL only."""

import json
import os

import pytest

from tests.conftest import ROOT
from tests.helpers import SENTINEL_KEY, in_server

STACKS = {"build-host": "docker", "prod": "kubernetes"}
# Where the Z.AI key itself may be: the Secrets Manager secret's version, and the gateway.
KEY_HOLDERS = {"aws:secretsmanager/secretVersion:SecretVersion", "docker:index/container:Container#gateway-proxy"}


@pytest.fixture(scope="module", params=sorted(STACKS))
def program(request):
    env = {**os.environ, "ZAI_API_KEY": SENTINEL_KEY}
    stack_file = ROOT / "examples" / "stacks" / f"Pulumi.{request.param}.yaml"
    result = in_server([str(ROOT), request.param, str(stack_file)], env, ROOT, call="tests.helpers:record_program")
    assert result.returncode == 0, result.stderr[-2000:]
    return request.param, json.loads(result.stdout)


def _holder(resource):
    return resource["type"] if resource["type"] != "docker:index/container:Container" else \
        f"{resource['type']}#{resource['name']}"


def test_the_zai_key_is_held_by_the_gateway_alone(program):
    stack, planned = program
    holders = {_holder(r) for r in planned["resources"] if SENTINEL_KEY in json.dumps(r["inputs"])}
    assert holders, "the key is nowhere: the check compared nothing"
    assert holders <= KEY_HOLDERS, holders
    assert SENTINEL_KEY not in json.dumps(planned["outputs"])


def test_openhands_holds_the_gateways_key_and_url_only(program):
    stack, planned = program
    gateway_key = planned["outputs"]["gatewayKey"]
    gateway_url = planned["outputs"]["gatewayUrl"]
    assert gateway_key.startswith("sk-") and gateway_url.startswith("http://")
    if STACKS[stack] == "docker":
        (app,) = [r["inputs"] for r in planned["resources"] if r["name"] == "openhands-server"]
        env = dict(item.split("=", 1) for item in app["envs"])
        settings_file = json.loads(app["uploads"][0]["content"])
        key_refs = []
    else:
        objects = [r["inputs"] for r in planned["resources"] if r["type"].startswith("kubernetes:")]
        (client,) = [o for o in objects if o.get("metadata", {}).get("name") == "openhands-llm" and "stringData" in o]
        (workload,) = [o for o in objects if o.get("spec", {}).get("serviceName") == "openhands"]
        app = {"statefulset": workload, "secret": client}
        env = {e["name"]: e.get("value") for e in workload["spec"]["template"]["spec"]["containers"][0]["env"]}
        env["LLM_API_KEY"] = client["stringData"]["api-key"]
        settings_file = json.loads(client["stringData"]["settings.json"])
        # Every object that names the Secret the Z.AI key is synced into: the ExternalSecret, the gateway.
        key_refs = sorted(o["metadata"]["name"] for o in objects if '"zai-api-key"' in json.dumps(o))
        assert key_refs == ["openhands-gateway", "zai-api-key"], key_refs
    assert env["LLM_API_KEY"] == gateway_key
    assert env["LLM_BASE_URL"] == gateway_url and env["LLM_MODEL"].startswith("litellm_proxy/glm-")
    for profile in [settings_file["agent_settings"]["llm"], *settings_file["llm_profiles"]["profiles"].values()]:
        assert (profile["api_key"], profile["base_url"]) == (gateway_key, gateway_url)
    # Nothing of Z.AI on the OpenHands side: not its key, not its address.
    assert SENTINEL_KEY not in json.dumps(app) and "api.z.ai" not in json.dumps(app)
