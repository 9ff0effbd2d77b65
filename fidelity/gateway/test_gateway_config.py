"""The rendered gateway config.yaml, loaded by the pinned LiteLLM proxy's own config loader.

Runs in its own Python 3.12 environment with litellm[proxy]==1.108.7 (`make fidelity`), over the
variants `fidelity/export_rendered.py` wrote: every shipped stack with the gateway on, and
fidelity/stacks/Pulumi.all-gateway-knobs.yaml. What the proxy makes of the file is what is
checked: its router's models, fallbacks, retry policy and limits, the Z.AI key read from the
environment, the master key, drop_params.
"""

from __future__ import annotations

import asyncio
import json
import os
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # as the proxy container runs: no fetch

import litellm  # noqa: E402
from litellm.proxy import proxy_server  # noqa: E402
from litellm.proxy._types import ConfigYAML  # noqa: E402

RENDERED = json.loads(Path(os.environ["FIDELITY_RENDERED"]).read_text())
VARIANTS = [v for v in RENDERED["variants"] if v.get("gateway_config")]
IDS = [v["stack"] for v in VARIANTS]
ZAI_KEY, MASTER_KEY = "zai-fidelity-key", "sk-fidelity-master-key"


def test_the_pinned_proxy_is_installed_and_there_are_gateway_stacks():
    assert version("litellm") == RENDERED["pins"]["gateway_litellm"]
    # prod, build-host, all-gateway-knobs, and each one's other profiles as the default.
    assert {"prod", "build-host", "all-gateway-knobs"} <= set(IDS), IDS


def load(variant, tmp_path, monkeypatch):
    """ProxyConfig.load_config, as `litellm --config` runs it at start, with the proxy's environment."""
    monkeypatch.setenv("ZAI_API_KEY", ZAI_KEY)
    monkeypatch.setenv("LITELLM_MASTER_KEY", MASTER_KEY)
    path = tmp_path / "config.yaml"
    path.write_text(variant["gateway_config"])
    router, model_list, general_settings = asyncio.run(
        proxy_server.ProxyConfig().load_config(router=None, config_file_path=str(path)))
    return router, model_list, general_settings


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_config_is_the_documented_schema(variant):
    ConfigYAML.model_validate(yaml.safe_load(variant["gateway_config"]))


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_the_proxy_serves_every_profile_at_the_name_openhands_asks_for(variant, tmp_path, monkeypatch):
    router, _models, general_settings = load(variant, tmp_path, monkeypatch)
    served = set(router.get_model_names())
    # What the app server's settings.json asks for, or what Agent Canvas's seeded profiles do.
    bodies = variant["settings"]["llm_profiles"]["profiles"].values() if "settings" in variant else [
        entry["request"]["llm"] for entry in variant["canvas_seed"]["profiles"]]
    asked = {body["model"].removeprefix("litellm_proxy/") for body in bodies}
    assert served == asked
    assert proxy_server.master_key == MASTER_KEY  # os.environ/LITELLM_MASTER_KEY resolved
    assert litellm.drop_params is True
    endpoint = variant["outputs"].get("endpoint")
    for deployment in router.get_model_list():
        params = deployment["litellm_params"]
        assert params["api_key"] == ZAI_KEY  # read from the proxy's environment, not the file
        model, provider, _key, api_base = litellm.get_llm_provider(params["model"], api_base=params["api_base"])
        assert provider == "zai" and api_base.startswith("https://api.z.ai/api/")
        if endpoint:
            assert api_base == endpoint
        assert params["max_retries"] == 0


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_fallbacks_retries_and_limits_are_the_routers_own(variant, tmp_path, monkeypatch):
    config = yaml.safe_load(variant["gateway_config"])
    router, _models, _general = load(variant, tmp_path, monkeypatch)
    wanted = config["router_settings"]
    assert router.num_retries == wanted["num_retries"]
    assert router.retry_after == wanted["retry_after"]
    assert router.retry_policy.RateLimitErrorRetries == wanted["num_retries"]
    assert router.retry_policy.BadRequestErrorRetries == 0
    assert (router.fallbacks or []) == wanted.get("fallbacks", [])
    for deployment in router.get_model_list():
        params = deployment["litellm_params"]
        entry = next(m for m in config["model_list"] if m["model_name"] == deployment["model_name"])
        for key in ("rpm", "tpm", "max_parallel_requests", "timeout", "temperature", "top_p", "max_tokens",
                    "extra_body"):
            assert params.get(key) == entry["litellm_params"].get(key), (deployment["model_name"], key)
        # The router's limit on requests in flight: from LiteLLM 1.108 one past it is refused at once
        # (a RateLimitError the router retries, then falls back on), where 1.84 queued it.
        limit = router._get_client(deployment=deployment, kwargs={}, client_type="max_parallel_requests")
        allowed = entry["litellm_params"]["max_parallel_requests"]
        assert limit.max_parallel_requests == allowed
        for _ in range(allowed):
            limit.acquire()
        with pytest.raises(litellm.RateLimitError):
            limit.acquire()
        for _ in range(allowed):
            limit.release()
    if "rpm" in config["model_list"][0]["litellm_params"]:
        # The check that makes rpm/tpm hold (not only weigh deployments) is on the router's callbacks.
        assert "ModelRateLimitingCheck" in {type(cb).__name__ for cb in router.optional_callbacks or []}


def test_all_knobs_turn_caching_on_in_memory(tmp_path, monkeypatch):
    (variant,) = [v for v in VARIANTS if v["stack"] == "all-gateway-knobs"]
    load(variant, tmp_path, monkeypatch)
    assert litellm.cache is not None and type(litellm.cache.cache).__name__ == "InMemoryCache"


# The catalogue against the gateway's LiteLLM model map (the dev suite checks it against OpenHands'
# 1.84.1): where this LiteLLM knows a model, the limits are its own (the lower of its and models.dev's).
CATALOGUE = RENDERED["catalogue"]
# Newer than this LiteLLM's map (their limits come from Z.AI's pages and models.dev): when an upgrade
# learns one, this list shrinks and its limits get checked.
NOT_IN_THE_MAP = {"glm-5.4", "glm-5-turbo", "glm-5v-turbo"}


# The map as the package ships it: loading a proxy config registers each model's model_info into
# litellm.model_cost, so the live map holds what the bundle rendered, not what LiteLLM knows.
SHIPPED_MAP = json.loads((Path(litellm.__file__).parent / "model_prices_and_context_window_backup.json").read_text())


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_the_catalogue_matches_the_gateways_litellm(name):
    info = SHIPPED_MAP.get(f"zai/{name}")
    if name in NOT_IN_THE_MAP:
        assert info is None, f"LiteLLM {version('litellm')} now knows {name}: check its limits and drop it here"
        return
    assert info is not None, f"LiteLLM {version('litellm')} does not know {name}"
    model = CATALOGUE[name]
    assert (model["context_window"], model["max_output_tokens"]) == (info["max_input_tokens"], info["max_output_tokens"])
    if info.get("supports_reasoning"):
        assert model["thinking"]


def test_reasoning_effort_reaches_zai_only_in_the_body(monkeypatch):
    """The gateway's zai provider refuses reasoning_effort as a parameter (so the bundle sends it in the
    model's extra_body; the e2e suite sees it arrive in the body Z.AI gets)."""
    from litellm.llms.zai.chat.transformation import ZAIChatConfig

    config = ZAIChatConfig()
    assert "reasoning_effort" not in config.get_supported_openai_params("glm-5.3")
    monkeypatch.setattr(litellm, "drop_params", False)  # a loaded proxy config sets it for the process
    with pytest.raises(litellm.UnsupportedParamsError):
        litellm.completion(model="zai/glm-5.3", messages=[{"role": "user", "content": "x"}], reasoning_effort="max",
                           api_key="k", api_base="http://127.0.0.1:9", mock_response="ok", drop_params=False)
