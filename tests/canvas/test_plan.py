"""The profiles seeded into Agent Canvas's agent server, from the stack's typed LLM description."""

from __future__ import annotations

import ast
import json
import sys

from openhands_zai.canvas.plan import SEED_FORMAT, seed_fingerprint, seed_json, seed_plan
from openhands_zai.canvas.settings import CANVAS
from openhands_zai.gateway.plan import model_names, route
from openhands_zai.llm.catalogue import litellm_model_string
from tests.conftest import ROOT
from tests.helpers import SENTINEL_KEY, settings

GATEWAY_URL = "http://127.0.0.1:4000"


def test_every_profile_is_saved_with_its_key_and_the_default_activated():
    llm = settings().llm
    document = json.loads(seed_json(llm, SENTINEL_KEY))
    assert document["format"] == SEED_FORMAT and document["active"] == llm.default_profile
    assert [p["name"] for p in document["profiles"]] == sorted(llm.profiles)
    for entry in document["profiles"]:
        request = entry["request"]
        assert request["include_secrets"] is True and request["llm"]["api_key"] == SENTINEL_KEY
        profile = llm.profiles[entry["name"]]
        # Without the gateway: Z.AI itself, the endpoint of the stack's plan, thinking in the body.
        assert request["llm"]["model"] == litellm_model_string(profile.model)
        assert request["llm"]["base_url"] == llm.base_url
        if profile.thinking is not None:
            assert request["llm"]["litellm_extra_body"]["thinking"]["type"] in ("enabled", "disabled")


def test_behind_the_gateway_each_profile_is_the_gateways_model_with_the_gateways_key():
    llm = settings().llm
    plan = seed_plan(llm, "sk-gateway-key", route(llm, GATEWAY_URL))
    names = model_names(llm)
    assert set(plan.profiles) == set(llm.profiles)
    for name, fields in plan.profiles.items():
        assert fields["model"] == f"litellm_proxy/{names[name]}" and "glm" in fields["model"]
        assert (fields["api_key"], fields["base_url"]) == ("sk-gateway-key", GATEWAY_URL)
        # Thinking is the gateway model's own setting: the proxy fails a call carrying it.
        assert "litellm_extra_body" not in fields


def test_no_profile_carries_a_fallback_strategy_the_server_would_drop():
    llm = settings(**{"fallbackProfiles": ["coding"]}).llm
    assert llm.fallback_profiles == ("coding",)
    assert all("fallback_strategy" not in fields for fields in seed_plan(llm, SENTINEL_KEY).profiles.values())


def test_the_fingerprint_follows_the_settings_and_never_the_key():
    llm = settings().llm
    warmer = settings(**{"profiles": {llm.default_profile: {"temperature": "0.9"}}}).llm
    assert seed_fingerprint(llm) == seed_fingerprint(llm)
    assert seed_fingerprint(llm) != seed_fingerprint(warmer)
    assert seed_fingerprint(llm) != seed_fingerprint(llm, route(llm, GATEWAY_URL))
    assert SENTINEL_KEY not in seed_fingerprint(llm)


def test_the_pinned_release_is_the_one_its_defaults_name():
    # @openhands/agent-canvas 1.20.0's config/defaults.json: agent server 1.49.1, automation 1.13.1.
    assert (CANVAS.version, CANVAS.agent_server_version, CANVAS.automation_version) == ("1.20.0", "1.49.1", "1.13.1")
    assert CANVAS.image == "ghcr.io/openhands/agent-canvas:1.20.0"


def test_the_seeder_needs_only_the_standard_library():
    # It runs on the Canvas image's own Python, where the bundle is not installed.
    tree = ast.parse((ROOT / "components" / "canvas" / "seed.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and not node.level}
    assert imported and imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
