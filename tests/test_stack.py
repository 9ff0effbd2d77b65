"""The stack's settings as a whole: defaults, every problem named by its key, the checks across
concerns, the warnings."""

import pytest

from openhands_zai import ConfigError, parse_stack_settings


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


@pytest.mark.parametrize("raw,needle", [
    ({"target": "kubernetes"}, "openhands-zai:kubernetes.secretSync: external-secrets reads the key from AWS Secrets Manager"),
    ({"target": "ecs"}, "openhands-zai:target: must be one of docker, kubernetes"),
    ({"release": {"version": "0.62"}}, "openhands-zai:release.version: '0.62' is not supported"),
    ({"release": {"version": 0.62}}, "openhands-zai:release.version: '0.62' is not supported"),
    ({"openhandsVersion": "1.11.0"}, "openhands-zai:openhandsVersion: moved in 0.7.0: set openhands-zai:release.version"),
    ({"zaiEndpoint": "ftp://x"}, "openhands-zai:zaiEndpoint:"),
    ({"docker": {"host": "tcp://1.2.3.4:2375"}}, "openhands-zai:docker.host: must be a local socket"),
    ({"docker": {"listenAddress": "everywhere"}}, "openhands-zai:docker.listenAddress:"),
    ({"docker": {"stateVolume": "bad name"}}, "openhands-zai:docker.stateVolume:"),
    ({"release": {"imageDigest": "latest"}}, "openhands-zai:release.imageDigest: must be sha256:"),
    ({"docker": {"imageDigest": "sha256:" + "0" * 64}}, "openhands-zai:docker.imageDigest: unknown key"),
    ({"target": "kubernetes", "kubernetes": {"secretSync": "direct"}, "docker": {"port": 3001}},
     "openhands-zai:docker: is set, but openhands-zai:target is kubernetes"),
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


def test_every_problem_of_a_stack_is_reported_at_once():
    found = errors(docker={"port": 0, "listenAddress": "x"}, defaultProfile="ghost", fallbackProfiles=["nope"],
                   profiles={"latest": {"temperature": 2}}, secret={"recoveryWindowInDays": 3},
                   egress={"vpcId": "vpc-1", "allowCidrs": ["10.0.0.1/8"]}, tags={"aws:x": "y"})
    keys = [line.split(": ", 1)[0] for line in found]
    assert len(keys) == len(set(keys))  # one line per problem
    assert set(keys) == {
        "openhands-zai:profiles.latest.temperature", "openhands-zai:tags.aws:x", "openhands-zai:docker.port",
        "openhands-zai:docker.listenAddress", "openhands-zai:secret.recoveryWindowInDays", "openhands-zai:egress.vpcId",
        "openhands-zai:egress.allowCidrs[0]"}


def test_references_between_concerns_are_checked_beside_the_other_keys():
    # A wrong default profile is reported although another concern is wrong too.
    found = errors(defaultProfile="ghost", docker={"port": 0})
    assert any(line.startswith("openhands-zai:defaultProfile: 'ghost' is not a profile") for line in found)
    assert any(line.startswith("openhands-zai:docker.port:") for line in found)


def test_a_kubernetes_stack_has_no_docker_settings_and_shares_the_release():
    stack = parse_stack_settings({"target": "kubernetes", "kubernetes": {"secretSync": "direct"},
                                  "release": {"imageDigest": "sha256:" + "a" * 64}})
    assert stack.docker is None and stack.kubernetes is not None
    assert stack.release.pinned.image == "docker.openhands.dev/openhands/openhands:1.11.0@sha256:" + "a" * 64


def test_snake_case_keys_are_typos_in_a_stack_file():
    found = errors(docker={"listen_address": "0.0.0.0"})
    assert found == ["openhands-zai:docker.listen_address: unknown key; did you mean `listenAddress`? allowed: host, "
                     "port, listenAddress, sandboxGateway, stateVolume, containerName, extraEnv"]
