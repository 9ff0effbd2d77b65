"""The stack's settings as a whole: defaults, every problem named by its key, the checks across
concerns, the warnings."""

import pytest

from openhands_zai import ConfigError, parse_stack_settings
from openhands_zai.llm.catalogue import CURRENT


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


# -- one key, one person; models on the endpoint's plan; legacy notes --------------------------------

SEAT = "is the GLM Coding Plan and"
CLUSTER = {"target": "kubernetes", "kubernetes": {"secretSync": "direct"}}
CLUSTER_WHY = "the cluster target serves its UI to whoever reaches the Ingress or Service"


@pytest.mark.parametrize("raw,why", [
    (CLUSTER, CLUSTER_WHY),
    ({"instances": [{"name": "a"}, {"name": "b"}]}, "2 instances share it"),
    ({"docker": {"listenAddress": "0.0.0.0"}}, "the UI listens on 0.0.0.0"),
    ({**CLUSTER, "zaiEndpoint": "china-coding-plan"}, CLUSTER_WHY),
])
def test_a_coding_plan_key_serving_more_than_one_person_is_warned_about(raw, why):
    (warning,) = [w for w in parse_stack_settings(raw).warnings if SEAT in w]
    assert warning.startswith(f"openhands-zai:zaiEndpoint {SEAT} {why}: Z.AI's usage policy says the plan "
                              "\"is intended for individual use by the subscriber\"")
    assert "zaiEndpoint: general with a pay-as-you-go API key, or one Coding Plan key per person" in warning


@pytest.mark.parametrize("raw", [
    {},  # one person's server on loopback
    {"instances": [{"name": "solo"}]},
    {**CLUSTER, "zaiEndpoint": "general"},  # a team on the pay-as-you-go API
    {"docker": {"listenAddress": "0.0.0.0"}, "zaiEndpoint": "https://llm-proxy.example.com/v1"},  # plan unknown
])
def test_no_seat_warning_for_one_person_or_the_pay_as_you_go_api(raw):
    assert not [w for w in parse_stack_settings(raw).warnings if SEAT in w]


def test_a_model_the_endpoints_plan_does_not_list_is_a_warning_not_an_error():
    stack = parse_stack_settings({"zaiEndpoint": "general", "profiles": {"next": {"model": "glm-5.4"}}})
    assert stack.profiles["next"].model == "glm-5.4"
    (warning,) = stack.warnings
    assert warning.startswith("openhands-zai:profiles.next.model: glm-5.4 on general: Z.AI serves it on the GLM "
                              "Coding Plan only, not on the pay-as-you-go API (expect 1211); served there: glm-5.3,")
    (warning,) = parse_stack_settings({"profiles": {"free": {"model": "glm-4.7-flash"}}}).warnings
    assert warning.startswith("openhands-zai:profiles.free.model: glm-4.7-flash on coding-plan: Z.AI's docs do not "
                              "list it for the GLM Coding Plan (expect error 1211 or 1220); served there: glm-5.4,")
    # An instance's own profile is named where it is written.
    stack = parse_stack_settings({"instances": [{"name": "a", "profiles": {"free": {"model": "glm-4.7-flash"}}}]})
    assert [w.split(":", 2)[1] for w in stack.warnings] == ["instances[0].profiles.free.model"]


def test_legacy_models_are_a_note_and_current_ones_say_nothing():
    assert parse_stack_settings({}).notes == () and parse_stack_settings({}).warnings == ()
    stack = parse_stack_settings({"profiles": {"old": {"model": "glm-4.6"}, "older": {"model": "glm-4-32b-0414-128k"}}})
    assert [n.split(" is a legacy")[0] for n in stack.notes] == [
        "openhands-zai:profiles.old.model: glm-4.6", "openhands-zai:profiles.older.model: glm-4-32b-0414-128k"]
    assert all(n.endswith("current: " + ", ".join(CURRENT)) for n in stack.notes)


def test_the_plan_prints_notes_apart_from_warnings(tmp_path):
    from tests.helpers import SENTINEL_KEY, run_cli

    path = tmp_path / "Pulumi.case.yaml"
    path.write_text("config:\n  openhands-zai:profiles:\n    old: {model: glm-4.5}\n")
    result = run_cli("plan", "--stack", "case", "--config-file", str(path), env_extra={"ZAI_API_KEY": SENTINEL_KEY})
    assert result.returncode == 0, result.stderr
    notes = result.stdout.split("\nNotes:\n", 1)[1]
    assert notes.startswith("    - openhands-zai:profiles.old.model: glm-4.5 is a legacy model (still served)")
    assert "Warnings:" not in result.stdout
