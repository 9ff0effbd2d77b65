"""The gateway under Pulumi's mock engine (preview=False, registrations settled): the Z.AI key
reaches the proxy alone, as a secret; OpenHands gets the proxy's key and route."""

import json

import pulumi
import pulumi_docker as docker
import yaml

from openhands_zai import LlmGateway, LlmGatewayArgs, OpenHandsContainer, OpenHandsContainerArgs
from openhands_zai import deploy as deploy_stack
from tests.helpers import SENTINEL_KEY, settings
from tests.mock_engine import MOCKS, OPTIONS, deploy, unwrap


def created_under(prefix):
    return {n: a for n, a in MOCKS.created.items() if n.startswith(f"{prefix}-")}


def test_docker_gateway_holds_the_key_and_openhands_only_the_gateways():
    stack = settings(gateway={"rpm": 20}, fallbackProfiles=["coding"],
                     docker={"containerName": "gw-app", "listenAddress": "0.0.0.0"})
    made = {}

    def program():
        host = docker.Provider("gwd-host", host="unix:///var/run/docker.sock")
        on_host = pulumi.ResourceOptions(providers=[host])
        gateway = LlmGateway("gwd-gateway", LlmGatewayArgs(
            settings=stack.llm_gateway, llm=stack.llm, zai_api_key=SENTINEL_KEY,
            app_container_name=stack.docker.container_name, sandbox_gateway=stack.docker.sandbox_gateway), opts=on_host)
        server = OpenHandsContainer("gwd-openhands", OpenHandsContainerArgs(
            llm=stack.llm, release=stack.release.pinned, docker=stack.docker, api_key=gateway.key,
            debug=stack.debug, route=gateway.route), opts=on_host)
        made.update(gateway=gateway, server=server)
        return pulumi.Output.all(gateway.key, gateway.url, server.active_model, server.endpoint)

    key, url, model, endpoint = deploy(program)
    assert key.startswith("sk-") and len(key) == 51 and key != SENTINEL_KEY
    assert (url, model, endpoint) == ("http://host.docker.internal:4000", "litellm_proxy/glm-5.3-latest",
                                      "https://api.z.ai/api/coding/paas/v4")
    proxy = MOCKS.created["gwd-gateway-proxy"].inputs
    envs, secret = unwrap(proxy["envs"])
    env = dict(item.split("=", 1) for item in envs)
    assert secret and env["ZAI_API_KEY"] == SENTINEL_KEY and env["LITELLM_MASTER_KEY"] == key
    assert env["LITELLM_LOCAL_MODEL_COST_MAP"] == "True" and env["DISABLE_ADMIN_UI"] == "True"
    assert proxy["name"] == "gw-app-gateway"
    assert proxy["command"][:2] == ["--config", "/etc/litellm/config.yaml"]
    assert proxy["ports"] == [{"internal": 4000, "external": 4000, "ip": "127.0.0.1"},
                              {"internal": 4000, "external": 4000, "ip": "172.17.0.1"}]
    assert "/health/liveliness" in " ".join(proxy["healthcheck"]["tests"])
    assert MOCKS.created["gwd-gateway-image"].inputs["name"] == "ghcr.io/berriai/litellm-non_root:1.108.7"
    (upload,) = proxy["uploads"]
    config = yaml.safe_load(upload["content"])
    assert config["router_settings"]["fallbacks"] == [{"glm-5.3-latest": ["glm-4.7-coding"]}]
    assert SENTINEL_KEY not in upload["content"]
    # OpenHands: no trace of the Z.AI key or endpoint; the gateway's key, as a secret.
    app = MOCKS.created["gwd-openhands-server"].inputs
    app_envs, app_secret = unwrap(app["envs"])
    app_env = dict(item.split("=", 1) for item in app_envs)
    assert app_secret and app_env["LLM_API_KEY"] == key
    assert app_env["LLM_BASE_URL"] == "http://host.docker.internal:4000"
    settings_file = unwrap(unwrap(app["uploads"])[0][0]["content"])[0]
    assert json.loads(settings_file)["agent_settings"]["llm"]["api_key"] == key
    app_children = created_under("gwd-openhands")
    assert len(app_children) >= 3, sorted(app_children)  # image, volume, container at least: something was read
    for name, args in app_children.items():
        assert SENTINEL_KEY not in json.dumps(args.inputs), name
        assert "api.z.ai" not in json.dumps(args.inputs), name
    for name in created_under("gwd-gateway"):
        assert OPTIONS[name].parent is made["gateway"], name


def test_cluster_gateway_gets_the_key_by_reference_and_openhands_the_gateways():
    # Composed as every stack composes it: by the program, the gateway beside OpenHandsCluster.
    stack = settings(target="kubernetes", gateway={"replicas": 2},
                     egress={"vpcId": "vpc-0a1b2c3d", "allowCidrs": ["10.90.0.0/16"]},
                     kubernetes={"secretSync": "direct"})

    def program():
        outputs = deploy_stack(stack, api_key=SENTINEL_KEY, stack="gwc")
        return pulumi.Output.all(outputs.gateway.gateway_key, outputs.gateway.gateway_url)

    key, url = deploy(program)
    assert url == "http://openhands-gateway.openhands.svc.cluster.local:4000"
    created = {**created_under("openhands"), "openhands": MOCKS.created["openhands"]}
    zai, secret = unwrap(created["openhands-llm"].inputs["stringData"])
    assert secret and zai == {"api-key": SENTINEL_KEY}
    assert created["openhands-llm"].inputs["metadata"]["name"] == "zai-api-key"
    client, secret = unwrap(created["openhands-gateway-client"].inputs["stringData"])
    assert secret and client["api-key"] == key
    assert json.loads(client["settings.json"])["agent_settings"]["llm"]["base_url"] == url
    master, secret = unwrap(created["openhands-gateway-key"].inputs["stringData"])
    assert secret and master == {"master-key": key}
    for name, args in created.items():
        if name != "openhands-llm":
            assert SENTINEL_KEY not in json.dumps(args.inputs), name
    assert created["openhands-gateway-proxy"].inputs["spec"]["replicas"] == 2
    assert created["openhands-gateway-disruption-budget"].inputs["spec"]["minAvailable"] == 1
    # The gateway's objects are in the namespace OpenHandsCluster made.
    assert created["openhands-gateway-config"].inputs["metadata"]["namespace"] == "openhands"
    # OpenHands' egress allow-list lets it reach the gateway; the gateway's own reaches DNS and the allow-list.
    (allow,) = [a for n, a in created.items() if a.inputs.get("metadata", {}).get("name") == "openhands-egress"]
    assert {"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "openhands-gateway"}}}],
            "ports": [{"protocol": "TCP", "port": 4000}]} in allow.inputs["spec"]["egress"]
    policy = created["openhands-gateway-network-policy"].inputs["spec"]
    assert [rule["to"][0]["ipBlock"]["cidr"] for rule in policy["egress"] if "ipBlock" in rule["to"][0]] == \
        ["10.90.0.0/16"]
    # Beside the cluster, not under it: a stack root's child (its old place is its alias, tests/program).
    assert OPTIONS["openhands-gateway"].parent is None
