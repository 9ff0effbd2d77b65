"""The gateway's pure planning: the proxy's config.yaml, the route OpenHands takes, the cluster objects.

The fidelity suite loads the same config.yaml with the pinned proxy's own loader; these check
what the bundle decides (names, limits, where the key comes from)."""

import json

import kubernetes_validate
import yaml

from openhands_zai.gateway import plan
from openhands_zai.kubernetes.plan import container_security
from openhands_zai.llm.plan import render_env, render_settings
from tests.helpers import SENTINEL_KEY, settings


def test_every_profile_is_a_model_named_after_its_glm_model():
    stack = settings(gateway={}, profiles={"glm-4.5-air": {"model": "glm-4.5-air"}})
    names = plan.model_names(stack.llm)
    assert names == {"latest": "glm-5.3-latest", "coding": "glm-4.7-coding",
                     "large-context": "glm-5.2-large-context", "glm-4.5-air": "glm-4.5-air"}
    # OpenHands sends tool results as plain strings only when the model name contains "glm".
    assert all("glm" in name for name in names.values())


def test_config_takes_the_key_from_the_environment_and_the_endpoint_from_the_stack():
    stack = settings(gateway={}, zaiEndpoint="coding-plan")
    text = plan.config_yaml(stack.llm, stack.llm_gateway)
    config = yaml.safe_load(text)
    for entry in config["model_list"]:
        params = entry["litellm_params"]
        assert params["api_key"] == "os.environ/ZAI_API_KEY"
        # The zai/ provider's default base is the general endpoint: the Coding Plan URL is explicit.
        assert params["api_base"] == "https://api.z.ai/api/coding/paas/v4"
        assert params["model"].startswith("zai/glm-")
        assert params["drop_params"] is True and params["max_parallel_requests"] == 2
    assert config["general_settings"] == {"master_key": "os.environ/LITELLM_MASTER_KEY"}
    assert config["litellm_settings"]["drop_params"] is True
    assert config["litellm_settings"]["cache"] is False


def test_profile_sampling_thinking_and_limits_become_the_models_own():
    stack = settings(gateway={"rpm": 30, "tpm": 100000, "timeout": 300, "numRetries": 3},
                     profiles={"latest": {"thinking": True, "reasoningEffort": "high", "timeout": 120,
                                          "maxOutputTokens": 4096, "topP": 0.95},
                               "coding": {"thinking": False}})
    config = plan.proxy_config(stack.llm, stack.llm_gateway)
    models = {m["model_name"]: m for m in config["model_list"]}
    latest = models["glm-5.3-latest"]["litellm_params"]
    # Z.AI's own fields in the body: the zai provider takes neither as a parameter.
    assert latest["extra_body"] == {"thinking": {"type": "enabled"}, "reasoning_effort": "high"}
    assert (latest["temperature"], latest["top_p"], latest["max_tokens"], latest["timeout"]) == (0.6, 0.95, 4096, 120)
    assert (latest["rpm"], latest["tpm"]) == (30, 100000)
    assert models["glm-4.7-coding"]["litellm_params"]["extra_body"] == {"thinking": {"type": "disabled"}}
    assert models["glm-4.7-coding"]["litellm_params"]["timeout"] == 300
    assert "extra_body" not in models["glm-5.2-large-context"]["litellm_params"]
    assert models["glm-5.3-latest"]["model_info"] == {"max_input_tokens": 1000000, "max_output_tokens": 4096}
    router = config["router_settings"]
    # Without the pre-call check rpm/tpm only weigh deployments; with it they hold.
    assert router["optional_pre_call_checks"] == ["enforce_model_rate_limits"]
    assert router["retry_policy"]["RateLimitErrorRetries"] == 3
    assert router["retry_policy"]["BadRequestErrorRetries"] == 0
    assert router["retry_after"] == 5


def test_fallback_profiles_become_router_fallbacks_of_the_default():
    stack = settings(gateway={}, fallbackProfiles=["coding", "large-context"])
    router = plan.proxy_config(stack.llm, stack.llm_gateway)["router_settings"]
    assert router["fallbacks"] == [{"glm-5.3-latest": ["glm-4.7-coding", "glm-5.2-large-context"]}]
    assert "optional_pre_call_checks" not in router  # no limits asked for


def test_openhands_side_points_at_the_gateway_with_its_key_only():
    stack = settings(gateway={}, fallbackProfiles=["coding"], profiles={"latest": {"thinking": True}})
    route = plan.route(stack.llm, plan.docker_url(stack.llm_gateway))
    rendered = render_settings(stack.llm, stack.release.pinned, "gateway-key", route)
    llm = rendered["agent_settings"]["llm"]
    assert (llm["model"], llm["base_url"], llm["api_key"]) == (
        "litellm_proxy/glm-5.3-latest", "http://host.docker.internal:4000", "gateway-key")
    # The gateway does thinking and fallbacks; sent by OpenHands they would fail inside the proxy
    # or be dropped by the server.
    assert "litellm_extra_body" not in llm and "fallback_strategy" not in llm
    assert {p["model"] for p in rendered["llm_profiles"]["profiles"].values()} == {
        "litellm_proxy/glm-5.3-latest", "litellm_proxy/glm-4.7-coding", "litellm_proxy/glm-5.2-large-context"}
    env = render_env(stack.llm, stack.debug, "gateway-key", route)
    assert env["LLM_BASE_URL"] == env["OPENHANDS_PROVIDER_BASE_URL"] == "http://host.docker.internal:4000"
    assert env["LLM_MODEL"] == "litellm_proxy/glm-5.3-latest"
    assert "z.ai" not in json.dumps([rendered, env])


def test_no_key_in_any_rendered_gateway_object():
    stack = settings(gateway={"imageDigest": "sha256:" + "a" * 64}, target="kubernetes",
                     kubernetes={"secretSync": "direct"})
    objects = [plan.config_map("openhands", stack.llm, stack.llm_gateway),
               plan.deployment("openhands", stack.llm, stack.llm_gateway, container_security(False, plan.USER_ID)),
               plan.service("openhands", stack.llm_gateway), plan.disruption_budget("openhands", stack.llm_gateway),
               plan.network_policy("openhands", stack.llm_gateway, {"app.kubernetes.io/name": "openhands"}, None)]
    for obj in objects:
        kubernetes_validate.validate(obj, kubernetes_validate.utils.latest_version(), strict=True)
    assert SENTINEL_KEY not in json.dumps(objects)
    deployment = objects[1]
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith("@sha256:" + "a" * 64)
    assert "checkov.io/skip3" not in deployment["metadata"]["annotations"]  # the digest skip goes once pinned
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/readiness"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/liveliness"


def test_network_policy_lets_only_openhands_in_and_only_https_to_public_addresses_out():
    stack = settings(gateway={}, target="kubernetes", kubernetes={"secretSync": "direct"})
    policy = plan.network_policy("openhands", stack.llm_gateway, {"app.kubernetes.io/name": "openhands"}, None)
    spec = policy["spec"]
    assert spec["ingress"] == [{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "openhands"}}}],
                                "ports": [{"protocol": "TCP", "port": 4000}]}]
    (public,) = [rule for rule in spec["egress"] if "ipBlock" in rule["to"][0]]
    assert public["ports"] == [{"protocol": "TCP", "port": 443}]
    assert "10.0.0.0/8" in public["to"][0]["ipBlock"]["except"] and "169.254.0.0/16" in public["to"][0]["ipBlock"]["except"]


def test_a_settings_change_changes_the_config_fingerprint():
    a, b = settings(gateway={}), settings(gateway={"rpm": 10})
    assert plan.config_fingerprint(a.llm, a.llm_gateway) != plan.config_fingerprint(b.llm, b.llm_gateway)


def test_with_cilium_the_domain_allow_list_covers_the_gateway_too():
    # Behind the gateway the gateway calls Z.AI: the FQDN policy must select its pods as well.
    from openhands_zai.network.plan import egress_policies
    from tests.helpers import egress_settings

    policies = egress_policies(egress_settings({"vpcId": "vpc-0a1b2c3d", "allowCidrs": ["10.90.0.0/16"]}), "openhands",
                               cilium=True, pod_labels={"app.kubernetes.io/name": "openhands"},
                               also_apps=(plan.NAME,))
    (fqdn,) = [p for p in policies if p["kind"] == "CiliumNetworkPolicy"]
    assert fqdn["spec"]["endpointSelector"] == {"matchExpressions": [
        {"key": "app.kubernetes.io/name", "operator": "In", "values": ["openhands", "openhands-gateway"]}]}
    assert {"matchName": "api.z.ai"} in fqdn["spec"]["egress"][1]["toFQDNs"]
    without = egress_policies(egress_settings({"vpcId": "vpc-0a1b2c3d", "allowCidrs": ["10.90.0.0/16"]}), "openhands",
                              cilium=True,
                              pod_labels={"app.kubernetes.io/name": "openhands"})
    assert without[-1]["spec"]["endpointSelector"] == {"matchLabels": {"app.kubernetes.io/name": "openhands"}}


def test_the_docker_gateway_is_published_on_loopback_and_the_bridge_gateway_only():
    # Whatever listenAddress the UI has: only OpenHands, its sandboxes and the operator call it.
    assert plan.docker_addresses("172.17.0.1") == ["127.0.0.1", "172.17.0.1"]
    assert plan.docker_addresses("127.0.0.1") == ["127.0.0.1"]
