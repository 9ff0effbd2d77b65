"""What the bundle renders, read by the pinned OpenHands' own code (Python 3.12 virtualenv).

`FIDELITY_RENDERED` names the file written by `fidelity/export_rendered.py` (the real
program under the mock engine, for every stack file and every profile as the default).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from importlib.metadata import version
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("OPENHANDS_SUPPRESS_BANNER", "1")

import litellm  # noqa: E402
from openhands.app_server.file_store.local import LocalFileStore  # noqa: E402
from openhands.app_server.settings.file_settings_store import FileSettingsStore  # noqa: E402
from openhands.app_server.settings.llm_profiles import StrictLLM  # noqa: E402
from openhands.sdk.llm import LLM  # noqa: E402
from openhands.sdk.llm.utils.model_features import get_features  # noqa: E402
from openhands.sdk.settings.model import AGENT_SETTINGS_SCHEMA_VERSION  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RENDERED = json.loads(Path(os.environ["FIDELITY_RENDERED"]).read_text())
# The app server's stacks (the Agent Canvas ones have no settings.json: fidelity/canvas/ checks them).
VARIANTS = [v for v in RENDERED["variants"] if "settings" in v]
IDS = [variant["stack"] for variant in VARIANTS]

# Fields the bundle writes into both forms (settings and env).
ENV_COMPARED = ("model", "base_url", "temperature", "top_p", "max_input_tokens", "max_output_tokens",
                "native_tool_calling", "num_retries", "retry_multiplier", "retry_min_wait", "retry_max_wait",
                "timeout", "caching_prompt", "drop_params", "extra_headers")
# Settings only: LLM.load_from_env() of SDK 1.34 cannot parse LLM_LITELLM_EXTRA_BODY.
COMPARED = ENV_COMPARED + ("litellm_extra_body",)


def load_through_file_store(tmp_path: Path, variant: dict):
    """The GUI server's own path: FileSettingsStore reads settings.json from its file store."""
    store_root = tmp_path / "state"
    store_root.mkdir()
    (store_root / Path(variant["settings_path"]).name).write_text(json.dumps(variant["settings"]))
    return asyncio.run(FileSettingsStore(LocalFileStore(root=str(store_root))).load())


def test_pinned_versions_are_installed():
    assert version("openhands-ai") == "1.11.0"
    assert version("openhands-sdk") == "1.34.0"
    assert version("litellm") == RENDERED["pins"]["release_litellm"] == "1.84.1"
    assert len(VARIANTS) >= 7


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_settings_load_with_no_profile_dropped(variant, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    settings = load_through_file_store(tmp_path, variant)
    rendered = variant["settings"]["llm_profiles"]
    # LLMProfiles silently drops a profile that fails validation: count the survivors.
    assert set(settings.llm_profiles.profiles) == set(rendered["profiles"])
    assert settings.llm_profiles.active == rendered["active"]
    assert not [r for r in caplog.records if "Skipping invalid LLM profile" in r.getMessage()]
    llm = settings.agent_settings.llm
    assert llm.model == variant["env"]["LLM_MODEL"]
    assert llm.api_key.get_secret_value() == variant["api_key"]
    assert settings.agent_settings.schema_version == AGENT_SETTINGS_SCHEMA_VERSION


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_every_rendered_field_is_an_llm_field(variant):
    # The SDK's LLM ignores unknown keys; the stricter API model catches a misspelt one.
    for body in variant["settings"]["llm_profiles"]["profiles"].values():
        StrictLLM.model_validate(body)
    agent_llm = dict(variant["settings"]["agent_settings"]["llm"])
    StrictLLM.model_validate(agent_llm)


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_profiles_keep_every_knob(variant, tmp_path):
    settings = load_through_file_store(tmp_path, variant)
    for name, body in variant["settings"]["llm_profiles"]["profiles"].items():
        loaded = settings.llm_profiles.profiles[name]
        for field in COMPARED:
            if field in body:
                assert getattr(loaded, field) == body[field], (name, field)


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_fallbacks_are_in_the_sdk_form_and_the_pinned_server_drops_them(variant, tmp_path):
    rendered = variant["settings"]["agent_settings"]["llm"].get("fallback_strategy")
    if rendered is None:
        return
    # The SDK accepts exactly this form...
    llm = LLM.model_validate(variant["settings"]["agent_settings"]["llm"])
    assert llm.fallback_strategy.fallback_llms == rendered["fallback_llms"]
    assert set(rendered["fallback_llms"]) <= set(variant["settings"]["llm_profiles"]["profiles"])
    # ...and OpenHands 1.11's settings load drops it (the bundle warns in the plan). When a
    # release keeps it, this fails: set keeps_fallbacks for that release in components/release.py.
    settings = load_through_file_store(tmp_path, variant)
    assert settings.agent_settings.llm.fallback_strategy is None


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_env_loads_to_the_default_profile(variant, monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("LLM_"):
            monkeypatch.delenv(key)
    for key, value in variant["env"].items():
        monkeypatch.setenv(key, value)
    from_env = LLM.load_from_env()
    from_settings = load_through_file_store(tmp_path, variant).agent_settings.llm
    for field in ENV_COMPARED:
        assert getattr(from_env, field) == getattr(from_settings, field), field
    assert from_env.api_key.get_secret_value() == variant["api_key"]


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_litellm_routes_every_profile_to_zai_or_the_gateway_at_the_base_url(variant):
    gateway = variant["gateway_config"] is not None
    for body in variant["settings"]["llm_profiles"]["profiles"].values():
        model, provider, _key, api_base = litellm.get_llm_provider(body["model"], api_base=body["base_url"])
        assert provider == ("litellm_proxy" if gateway else "zai")
        assert api_base == body["base_url"]
        assert f"{provider}/{model}" == body["model"]
        if gateway:
            # The gateway's names must make the SDK treat the model as GLM (tool results as plain
            # strings, which LiteLLM's zai path needs); an alias such as "coding" would not.
            assert get_features(body["model"]).force_string_serializer, body["model"]
            assert "litellm_extra_body" not in body  # thinking is the gateway model's own


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_agent_server_image_is_the_one_this_release_starts(variant, monkeypatch, caplog):
    from openhands.app_server.sandbox import sandbox_spec_service

    if variant.get("runtime") == "process":
        # The cluster target's process runtime runs the agent-server from the app image itself.
        assert variant["image"].endswith(":" + version("openhands-ai"))
        assert "AGENT_SERVER_IMAGE_REPOSITORY" not in variant["env"]
        return

    monkeypatch.setenv("AGENT_SERVER_IMAGE_REPOSITORY", variant["env"]["AGENT_SERVER_IMAGE_REPOSITORY"])
    monkeypatch.setenv("AGENT_SERVER_IMAGE_TAG", variant["env"]["AGENT_SERVER_IMAGE_TAG"])
    sandbox_spec_service.get_agent_server_image.cache_clear()
    caplog.set_level(logging.WARNING)
    image = sandbox_spec_service.get_agent_server_image()
    # No auto-correction warning: the tag we render is the bundled SDK's.
    assert image == f"{variant['env']['AGENT_SERVER_IMAGE_REPOSITORY']}:{variant['env']['AGENT_SERVER_IMAGE_TAG']}"
    assert not [r for r in caplog.records if "does not match" in r.getMessage()]
    assert variant["image"].endswith(":" + version("openhands-ai"))


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_settings_land_where_the_server_reads_them(variant, monkeypatch, tmp_path):
    from openhands.app_server import config as app_config

    state = tmp_path / "persist"
    monkeypatch.setenv("OH_PERSISTENCE_DIR", str(state))
    assert app_config.get_default_persistence_dir() == state
    assert variant["settings_path"] == f"{variant['env']['OH_PERSISTENCE_DIR']}/settings.json"
    # The provider base-URL fallback the server uses for profiles without a base URL.
    monkeypatch.setenv("OPENHANDS_PROVIDER_BASE_URL", variant["env"]["OPENHANDS_PROVIDER_BASE_URL"])
    assert app_config.get_openhands_provider_base_url() == variant["env"]["LLM_BASE_URL"]


RUNTIME_VARIANTS = [v for v in VARIANTS if v.get("runtime")]


@pytest.mark.parametrize("variant", RUNTIME_VARIANTS, ids=[v["stack"] for v in RUNTIME_VARIANTS])
def test_the_cluster_env_selects_the_sidecar_sandbox_service(variant, monkeypatch, tmp_path):
    # The pod's env, read by the pinned server's own config: OH_SANDBOX_KIND imports the bundle's
    # sandbox service from the ConfigMap's folder (PYTHONPATH in the pod), its fields come from
    # OH_SANDBOX_*, and RUNTIME=process presets the sandbox spec.
    from openhands.app_server import config as app_config
    from openhands.app_server.sandbox.process_sandbox_spec_service import ProcessSandboxSpecServiceInjector

    monkeypatch.syspath_prepend(str(ROOT / "components" / "kubernetes" / "sandbox"))
    for key, value in variant["env"].items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("OH_PERSISTENCE_DIR", str(tmp_path))
    config = app_config.config_from_env()
    assert type(config.sandbox).__name__ == "PodAgentServerSandboxServiceInjector"
    assert config.sandbox.agent_server_url == "http://127.0.0.1:8000"
    assert config.sandbox.session_api_key == variant["env"]["OH_SANDBOX_SESSION_API_KEY"]
    assert isinstance(config.sandbox_spec, ProcessSandboxSpecServiceInjector)


def _sidecar_service(alive: bool):
    import sys

    import httpx

    sys.path.insert(0, str(ROOT / "components" / "kubernetes" / "sandbox"))
    from openhands_zai_sandbox import PodAgentServerSandboxService

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url == httpx.URL("http://127.0.0.1:8000/alive")
        return httpx.Response(200, json={"status": "ok"}) if alive else httpx.Response(503)

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return PodAgentServerSandboxService(user_id=None, agent_server_url="http://127.0.0.1:8000",
                                        session_api_key="session-key", health_check_path="/alive",
                                        httpx_client=client)


def test_the_sidecar_sandbox_is_running_only_while_its_agent_server_answers():
    # The cluster target's sandbox service, with the pinned server's models: what the app sees.
    from openhands.app_server.sandbox.sandbox_models import AGENT_SERVER, SandboxStatus

    async def run():
        up, down = _sidecar_service(alive=True), _sidecar_service(alive=False)
        started = await up.start_sandbox()
        assert started.status == SandboxStatus.RUNNING and started.session_api_key == "session-key"
        assert [(u.name, u.url) for u in started.exposed_urls] == [(AGENT_SERVER, "http://127.0.0.1:8000")]
        assert (await up.get_sandbox(started.id)).id == started.id
        assert await up.get_sandbox("another") is None
        assert (await up.get_sandbox_by_session_api_key("session-key")).id == started.id
        assert await up.get_sandbox_by_session_api_key("wrong") is None
        assert [s.id for s in (await up.search_sandboxes()).items] == [started.id]
        waiting = await down.start_sandbox()
        # Not answering yet: STARTING (kubelet starts it), and no key or URL handed out.
        assert waiting.status == SandboxStatus.STARTING
        assert waiting.session_api_key is None and waiting.exposed_urls is None

    asyncio.run(run())
