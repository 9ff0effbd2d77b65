"""`openhands-zai plan` as a user runs it: real program, mock engine, exit codes, no leaks."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.helpers import COMMAND, SENTINEL_KEY, planned, run_cli

pytestmark = pytest.mark.cli


def write_stack(tmp_path: Path, config: dict) -> Path:
    path = tmp_path / "Pulumi.case.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return path


@pytest.fixture(scope="module")
def dev_plan():
    result = planned("dev")
    assert result.returncode == 0, result.stderr
    return result


def test_dev_plan_is_one_json_document(dev_plan):
    document = json.loads(dev_plan.stdout)
    assert set(document) == {"stack", "project", "resources", "outputs", "warnings", "notes", "policy"}
    assert document["policy"]["verdict"] in ("pass", "warn")
    assert not [v for v in document["policy"]["violations"] if v["level"] == "mandatory"]
    assert (document["stack"], document["project"]) == ("dev", "openhands-zai")


def test_dev_plan_shows_image_container_model_endpoint_and_redacted_key(dev_plan):
    document = json.loads(dev_plan.stdout)
    by_type = {r["type"]: r for r in document["resources"]}
    assert by_type["docker:index/remoteImage:RemoteImage"]["inputs"]["name"] == \
        "docker.openhands.dev/openhands/openhands:1.11.0"
    container = by_type["docker:index/container:Container"]
    env = dict(entry.split("=", 1) for entry in container["inputs"]["envs"])
    assert env["LLM_MODEL"] == "zai/glm-5.3"
    assert env["LLM_BASE_URL"] == "https://api.z.ai/api/coding/paas/v4"
    assert env["LLM_API_KEY"] == "[secret]"
    settings = json.loads(container["inputs"]["uploads"][0]["content"])
    assert set(settings["llm_profiles"]["profiles"]) == {"latest", "coding", "large-context"}
    assert {p["api_key"] for p in settings["llm_profiles"]["profiles"].values()} == {"[secret]"}
    assert settings["agent_settings"]["llm"]["api_key"] == "[secret]"


def test_resources_form_a_tree_of_urns(dev_plan):
    resources = json.loads(dev_plan.stdout)["resources"]
    urns = {r["urn"] for r in resources}
    roots = [r for r in resources if r["parent"] is None]
    assert [r["type"] for r in roots] == ["pulumi:pulumi:Stack"]
    assert all(r["parent"] in urns for r in resources if r["parent"] is not None)
    component = next(r for r in resources if r["type"] == "openhands-zai:container:OpenHandsContainer")
    children = {r["type"] for r in resources if r["parent"] == component["urn"]}
    assert children == {"docker:index/remoteImage:RemoteImage", "docker:index/volume:Volume",
                        "docker:index/container:Container", "random:index/randomPassword:RandomPassword"}


def test_outputs(dev_plan):
    outputs = json.loads(dev_plan.stdout)["outputs"]
    assert outputs["activeModel"] == "zai/glm-5.3"
    assert outputs["endpoint"] == "https://api.z.ai/api/coding/paas/v4"
    assert outputs["url"] == "http://127.0.0.1:3000"
    assert len(outputs["containerId"]) == 64


@pytest.mark.parametrize("fmt", ["text", "json", "mermaid"])
def test_no_format_ever_prints_the_key(fmt, tmp_path):
    stack = write_stack(tmp_path, {"openhands-zai:debug": {"debugLlm": True}})
    for extra in ([], ["--config-file", str(stack)]):
        result = run_cli("plan", "--stack", "dev", "--format", fmt, *extra, env_extra={"ZAI_API_KEY": SENTINEL_KEY})
        assert result.returncode == 0, result.stderr
        assert SENTINEL_KEY not in result.stdout + result.stderr
        assert SENTINEL_KEY[:12] not in result.stdout + result.stderr


def test_text_plan_shows_settings_and_env_around_the_redacted_key():
    result = run_cli("plan", "--stack", "dev", env_extra={"ZAI_API_KEY": SENTINEL_KEY})
    assert result.returncode == 0, result.stderr
    assert "LLM_API_KEY=[secret]" in result.stdout
    assert "LLM_MODEL=zai/glm-5.3" in result.stdout
    assert "llm_profiles" in result.stdout and "large-context" in result.stdout


def test_plaintext_key_in_a_stack_file_is_refused_and_not_echoed(tmp_path):
    stack = write_stack(tmp_path, {"openhands-zai:zaiApiKey": SENTINEL_KEY})
    result = run_cli("plan", "--stack", "case", "--config-file", str(stack))
    assert result.returncode == 2
    assert "openhands-zai:zaiApiKey: is stored in plaintext" in result.stderr
    assert SENTINEL_KEY not in result.stdout + result.stderr


def test_secure_blob_becomes_a_placeholder(tmp_path):
    stack = write_stack(tmp_path, {"openhands-zai:zaiApiKey": {"secure": "v1:AAAABBBBCCCC"}})
    result = run_cli("plan", "--stack", "case", "--config-file", str(stack), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "v1:AAAABBBBCCCC" not in result.stdout
    assert "LLM_API_KEY=[secret]" in result.stdout


def test_mermaid_is_a_graph(tmp_path):
    result = run_cli("plan", "--stack", "dev", "--format", "mermaid")
    assert result.returncode == 0
    assert result.stdout.startswith("graph TD")
    assert result.stdout.count("-->") == 7  # stack -> provider, component; component -> 5 children


NET_PEERING = {
    "vpcId": "vpc-0a1b2c3d4e5f60718", "vpcCidr": "10.20.0.0/16",
    "routeTableIds": ["rtb-0a1b2c3d4e5f60701", "rtb-0a1b2c3d4e5f60702"],
    "peerVpcId": "vpc-0f1e2d3c4b5a69788", "peerCidr": "10.90.0.0/16", "peerRouteTableIds": ["rtb-0f1e2d3c4b5a69701"],
    "peerOwnerId": "210987654321", "peerRegion": "eu-central-1",
    "peerRoleArn": "arn:aws:iam::210987654321:role/openhands-zai-peering",
}

BAD_INPUTS = [
    ({"openhands-zai:profiles": {"coding": {"temperature": 1.5}}}, "openhands-zai:profiles.coding.temperature"),
    ({"openhands-zai:profiles": {"coding": {"topP": 0}}}, "openhands-zai:profiles.coding.topP"),
    ({"openhands-zai:profiles": {"x": {"model": "glm-9"}}}, "openhands-zai:profiles.x.model"),
    ({"openhands-zai:profiles": {"latest": {"maxOutputTokens": 200000}}}, "openhands-zai:profiles.latest.maxOutputTokens"),
    ({"openhands-zai:profiles": {"latest": {"maxInputTokens": 1500000}}}, "openhands-zai:profiles.latest.maxInputTokens"),
    ({"openhands-zai:profiles": {"latest": {"temprature": 0.5}}}, "openhands-zai:profiles.latest.temprature"),
    ({"openhands-zai:profiles": {"latest": {"enable_caching": True}}}, "openhands-zai:profiles.latest.enable_caching"),
    ({"openhands-zai:profiles": {"latest": {"cache_ttl": 60}}}, "openhands-zai:profiles.latest.cache_ttl"),
    ({"openhands-zai:profiles": {"latest": {"rate_limit_rpm": 60}}}, "openhands-zai:profiles.latest.rate_limit_rpm"),
    ({"openhands-zai:profiles": {"latest": {"batch_size": 8}}}, "openhands-zai:profiles.latest.batch_size"),
    ({"openhands-zai:zaiEndpoint": "http://api.z.ai/api/paas/v4"}, "openhands-zai:zaiEndpoint"),
    ({"openhands-zai:defaultProfile": "ghost"}, "openhands-zai:defaultProfile"),
    ({"openhands-zai:fallbackProfiles": ["ghost"]}, "openhands-zai:fallbackProfiles[0]"),
    ({"openhands-zai:docker": {"port": 0}}, "openhands-zai:docker.port"),
    ({"openhands-zai:target": "ecs"}, "openhands-zai:target"),
    ({"zaiEndpiont": "general"}, "openhands-zai:zaiEndpiont"),
    ({"openhands-zai:secret": {"recoveryWindowInDays": 45}}, "openhands-zai:secret.recoveryWindowInDays"),
    ({"openhands-zai:secret": {"kmsKeyArn": "arn:aws:kms:eu-west-1:1234:key/x"}}, "openhands-zai:secret.kmsKeyArn"),
    ({"openhands-zai:secret": {"replicaRegions": ["europe-1"]}}, "openhands-zai:secret.replicaRegions[0]"),
    ({"openhands-zai:secret": {"readerRoleArns": ["arn:aws:iam::123:role/x"]}}, "openhands-zai:secret.readerRoleArns[0]"),
    ({"openhands-zai:secret": {"createReaderRole": {"lambda": True}}}, "openhands-zai:secret.createReaderRole.lambda"),
    ({"openhands-zai:peering": {**NET_PEERING, "peerCidr": "10.20.64.0/18"}}, "openhands-zai:peering.peerCidr"),
    ({"openhands-zai:peering": {**NET_PEERING, "peerVpcId": "vpc-12"}}, "openhands-zai:peering.peerVpcId"),
    ({"openhands-zai:peering": {**NET_PEERING, "peerOwnerId": "2109876543210"}}, "openhands-zai:peering.peerOwnerId"),
    ({"openhands-zai:peering": {**NET_PEERING, "routeTableIds": ["rt-1"]}}, "openhands-zai:peering.routeTableIds[0]"),
    ({"openhands-zai:egress": {"vpcId": "vpc-0a1b2c3d", "allowCidrs": ["0.0.0.0/0"]}},
     "openhands-zai:egress.allowCidrs[0]"),
    ({"openhands-zai:egress": {"vpcId": "vpc-0a1b2c3d", "allowCidrs": ["10.1.0.0/16"], "ports": [22]}},
     "openhands-zai:egress.ports[0]"),
    ({"openhands-zai:target": "kubernetes", "openhands-zai:kubernetes": {"secretSync": "direct", "replicas": 0}},
     "openhands-zai:kubernetes.replicas"),
    ({"openhands-zai:target": "kubernetes",
      "openhands-zai:kubernetes": {"secretSync": "direct", "ingress": {"host": "not a host"}}},
     "openhands-zai:kubernetes.ingress.host"),
    ({"openhands-zai:target": "kubernetes", "openhands-zai:kubernetes": {"secretSync": "sealed-secrets"}},
     "openhands-zai:kubernetes.secretSync"),
]


@pytest.mark.parametrize("config,key", BAD_INPUTS, ids=[key for _, key in BAD_INPUTS])
def test_bad_input_exits_2_naming_the_key_without_traceback(config, key, tmp_path):
    stack = write_stack(tmp_path, config)
    result = run_cli("plan", "--stack", "case", "--config-file", str(stack), "--format", "json")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith(f"error: {key}:") for line in lines), result.stderr
    assert all(line.startswith("error: openhands-zai:") for line in lines)
    assert "Traceback" not in result.stderr


def test_unreadable_stack_file_exits_2(tmp_path):
    broken = tmp_path / "Pulumi.broken.yaml"
    broken.write_text("config: [unclosed\n")
    result = run_cli("plan", "--stack", "broken", "--config-file", str(broken))
    assert result.returncode == 2 and "not valid YAML" in result.stderr and "Traceback" not in result.stderr
    result = run_cli("plan", "--stack", "missing")
    assert result.returncode == 2 and "no such file" in result.stderr


def test_usage_errors_exit_2():
    assert run_cli("plan").returncode == 2
    assert run_cli("plan", "--stack", "dev", "--format", "xml").returncode == 2


def test_a_secret_other_than_the_key_is_refused_and_not_printed(tmp_path):
    # `pulumi config set --path --secret 'openhands-zai:docker.extraEnv.TOKEN'` nests a blob.
    stack = write_stack(tmp_path, {"openhands-zai:docker": {"extraEnv": {"TOKEN": {"secure": "v1:ZZZZ"}}}})
    result = run_cli("plan", "--stack", "case", "--config-file", str(stack))
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: openhands-zai:docker: is stored as a secret, but only "
                                     "openhands-zai:zaiApiKey may be: the others are written into labels "
                                     "and the plan in the clear")
    assert "v1:ZZZZ" not in result.stdout + result.stderr


def test_an_unexpected_failure_exits_1_in_one_line_without_the_key(tmp_path):
    # A program that crashes with the key in its message: the plan must scrub it.
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.x.yaml").write_text("config: {openhands-zai:target: docker}\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi\nkey = pulumi.Config().require_secret('zaiApiKey')\n"
        "key.apply(lambda k: (_ for _ in ()).throw(RuntimeError('upstream said: bad key ' + k)))\n")
    result = run_cli("plan", "--stack", "x", "--project-dir", str(tmp_path),
                     env_extra={"ZAI_API_KEY": SENTINEL_KEY})
    assert result.returncode == 1
    assert result.stderr.startswith("error: plan failed unexpectedly: RuntimeError: upstream said: bad key [secret]")
    assert SENTINEL_KEY not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_manifests_out_writes_one_file_per_object(tmp_path):
    result = run_cli("plan", "--stack", "prod", "--config-file", str(ROOT / "examples" / "stacks" / "Pulumi.prod.yaml"),
                     "--format", "manifests", "--out", str(tmp_path / "m"))
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    # + the sandbox plug-in's ConfigMap and the server keys' Secret; prod runs the LLM gateway: its
    # ConfigMap, key Secret, Deployment, Service, PDB and NetworkPolicy, and openhands-llm becomes a
    # Secret of its own beside the ExternalSecret (now zai-api-key, for the gateway); the secret sync's
    # and the gateway's own ServiceAccounts; default-deny ingress and the UI's ingress policy (the ALB
    # authenticates: nothing of the login runs in the cluster)
    assert files[0] == "00-namespace-openhands.yaml" and len(files) == 23
    assert {"deployment-openhands-gateway", "externalsecret-zai-api-key", "secret-openhands-llm"} <= \
        {name.split("-", 1)[1].removesuffix(".yaml") for name in files}
    assert all(yaml.safe_load(p.read_text())["apiVersion"] for p in (tmp_path / "m").iterdir())


# -- what a new user runs into -------------------------------------------------------------------

def test_a_closed_pipe_ends_the_plan_quietly(tmp_path):
    # `openhands-zai plan | head -1`: the reader goes away after one line. Thirty instances make
    # more text than a pipe holds, so the plan is still writing when it does.
    stack = write_stack(tmp_path, {"openhands-zai:instances": [{"name": f"team-{i}"} for i in range(30)]})
    process = subprocess.Popen([COMMAND, "plan", "--stack", "case", "--config-file", str(stack)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "ZAI_API_KEY": SENTINEL_KEY})
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141 and first.startswith(b"Plan for stack case")
    assert stderr == "", stderr


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "is not a text file (a stack file is UTF-8 text)"),
    (None, "is a directory, not a stack file"),
])
def test_a_stack_file_that_is_no_stack_file_exits_2_in_one_line(tmp_path, content, message):
    path = tmp_path / "Pulumi.odd.yaml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    result = run_cli("plan", "--stack", "odd", "--config-file", str(path))
    assert result.returncode == 2 and result.stderr == f"error: {path}: {message}\n", result.stderr


def test_manifests_of_a_docker_stack_say_there_is_nothing_to_show():
    result = run_cli("plan", "--stack", "dev", "--format", "manifests")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: --format manifests: stack dev plans no Kubernetes objects")


def test_out_is_only_for_manifests(tmp_path):
    result = run_cli("plan", "--stack", "dev", "--out", str(tmp_path / "m"))
    assert result.returncode == 2 and result.stderr.startswith("error: --out:") and not (tmp_path / "m").exists()


def test_the_installed_command_plans_the_project_in_the_current_directory():
    # A platform team's own project: no --project-dir, as with the Pulumi CLI.
    result = run_cli("plan", "--stack", "dev", "--format", "json", cwd=ROOT / "examples" / "docker-host")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["project"] == "acme-openhands-docker"


def test_outside_a_project_the_plan_says_where_it_looked(tmp_path):
    result = run_cli("plan", "--stack", "dev", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (f"error: {tmp_path / 'Pulumi.yaml'}: no such file; run in a Pulumi project's folder or "
                             "pass --project-dir\n")


