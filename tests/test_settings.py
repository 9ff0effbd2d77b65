import subprocess
import sys

import pytest
import yaml

from components.config_errors import ConfigError
from components.settings import CONFIG_SCHEMA, parse_stack_settings
from ops.schema import project_config_block
from tests.conftest import ROOT


def errors(**raw):
    with pytest.raises(ConfigError) as caught:
        parse_stack_settings(raw)
    return [str(p) for p in caught.value.problems]


def test_defaults_give_the_dev_setup():
    stack = parse_stack_settings({})
    assert stack.target == "docker"
    assert stack.llm.base_url == "https://api.z.ai/api/coding/paas/v4"
    assert stack.llm.default_profile == "latest"
    assert stack.docker.listen_address == "127.0.0.1"
    assert stack.release.version == "1.11.0"


def test_pulumi_yaml_declares_every_key_with_the_same_defaults():
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert declared == project_config_block()
    assert set(declared) == set(CONFIG_SCHEMA)
    # Every declared default passes the program's own validation.
    defaults = {key: spec["default"] for key, spec in declared.items() if "default" in spec}
    parse_stack_settings(defaults)


def test_schema_check_command_passes_on_the_committed_file():
    result = subprocess.run([sys.executable, "-m", "ops", "schema"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("raw,needle", [
    ({"target": "kubernetes"}, "openhands-zai:kubernetes.secretSync: external-secrets reads the key from AWS Secrets Manager"),
    ({"target": "ecs"}, "openhands-zai:target: must be one of docker, kubernetes"),
    ({"openhandsVersion": "0.62"}, "openhands-zai:openhandsVersion: '0.62' is not supported"),
    ({"zaiEndpoint": "ftp://x"}, "openhands-zai:zaiEndpoint:"),
    ({"docker": {"host": "tcp://1.2.3.4:2375"}}, "openhands-zai:docker.host: must be a local socket"),
    ({"docker": {"listenAddress": "everywhere"}}, "openhands-zai:docker.listenAddress:"),
    ({"docker": {"stateVolume": "bad name"}}, "openhands-zai:docker.stateVolume:"),
    ({"docker": {"imageDigest": "latest"}}, "openhands-zai:docker.imageDigest: must be sha256:"),
    ({"docker": {"extraEnv": {"LLM_API_KEY": "x"}}}, "openhands-zai:docker.extraEnv.LLM_API_KEY: is set by the bundle"),
    ({"docker": {"prot": 1}}, "openhands-zai:docker.prot: unknown key; did you mean `port`?"),
    ({"debug": {"debugLLM": True}}, "openhands-zai:debug.debugLLM: unknown key; did you mean `debugLlm`?"),
    ({"debug": {"debug": "yes"}}, "openhands-zai:debug.debug: must be true or false"),
    ({"fallbackProfiles": ["latest"]}, "openhands-zai:fallbackProfiles[0]: 'latest' is the default profile"),
    ({"fallbackProfiles": ["coding", "coding"]}, "openhands-zai:fallbackProfiles[1]: 'coding' is listed twice"),
    ({"fallbackProfiles": "coding"}, "openhands-zai:fallbackProfiles: must be a list"),
    ({"zaiEndpiont": "general"}, "openhands-zai:zaiEndpiont: unknown key; did you mean `zaiEndpoint`?"),
])
def test_invalid_settings_name_the_key(raw, needle):
    assert any(needle in line for line in errors(**raw)), errors(**raw)


def test_missing_and_plaintext_key():
    with pytest.raises(ConfigError) as caught:
        parse_stack_settings({}, api_key_set=False)
    assert "openhands-zai:zaiApiKey: is not set; run `pulumi config set --secret" in str(caught.value.problems[0])
    with pytest.raises(ConfigError) as caught:
        parse_stack_settings({}, api_key_plaintext=True)
    assert "stored in plaintext" in str(caught.value.problems[0])


def test_warnings_for_risky_but_valid_choices():
    stack = parse_stack_settings({"debug": {"debugLlm": True}, "docker": {"listenAddress": "0.0.0.0"}})
    assert any("debugLlm" in w for w in stack.warnings)
    assert any("no login" in w for w in stack.warnings)
    assert parse_stack_settings({}).warnings == ()


def test_fallbacks_warn_that_the_pinned_release_ignores_them():
    stack = parse_stack_settings({"fallbackProfiles": ["coding"]})
    assert stack.llm.fallback_profiles == ("coding",)
    assert any(w.startswith("openhands-zai:fallbackProfiles: OpenHands 1.11.0 drops") for w in stack.warnings)


def test_port_from_config_set_path_is_a_string_and_still_an_integer():
    assert parse_stack_settings({"docker": {"port": "3001"}}).docker.port == 3001
    assert any("openhands-zai:docker.port" in line for line in errors(docker={"port": True}))
