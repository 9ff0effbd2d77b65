"""Whole-program scenarios: the real program planned from a stack file (templates, secret, network,
firewall routing, the cluster objects, the region), read from the plan's JSON. The command line's
own behaviour (formats, exit codes, pipes, leaks) is tests/cli/test_plan.py."""

import json
import subprocess
import sys

import pytest
import yaml

from tests.cli.test_plan import NET_PEERING, dev_plan, write_stack  # noqa: F401 (dev_plan: a fixture)
from tests.conftest import ROOT
from tests.helpers import SENTINEL_KEY, planned, run_cli

pytestmark = pytest.mark.cli


def test_warnings_reach_the_plan(tmp_path):
    stack = write_stack(tmp_path, {"openhands-zai:docker": {"listenAddress": "0.0.0.0"}})
    result = run_cli("plan", "--stack", "case", "--config-file", str(stack), "--format", "json")
    warnings = json.loads(result.stdout)["warnings"]
    assert any("no login" in w for w in warnings)


@pytest.mark.parametrize("stack_file", sorted((ROOT / "examples" / "stacks").glob("Pulumi.*.yaml")),
                         ids=lambda p: p.name)
def test_example_stacks_plan_cleanly(stack_file):
    result = planned(stack_file.stem.split(".", 1)[1], stack_file)
    assert result.returncode == 0, result.stderr
    # A template carries no warning: each firewall has the subnets it protects.
    assert json.loads(result.stdout)["warnings"] == []


SECRET_STACK = {
    "aws:region": "eu-west-1",
    "openhands-zai:secret": {"readerRoleArns": ["arn:aws:iam::210987654321:role/openhands-host"],
                             "createReaderRole": {"ec2": True}, "rotationManaged": True},
}


def test_secret_stack_plans_key_secret_version_and_policies_under_the_component(tmp_path):
    stack = write_stack(tmp_path, SECRET_STACK)
    result = run_cli("plan", "--stack", "case", "--config-file", str(stack), "--format", "json",
                     env_extra={"ZAI_API_KEY": SENTINEL_KEY})
    assert result.returncode == 0, result.stderr
    assert SENTINEL_KEY not in result.stdout + result.stderr
    plan = json.loads(result.stdout)
    (component,) = [r for r in plan["resources"] if r["type"] == "openhands-zai:secret:ZaiApiKeySecret"]
    children = {r["type"]: r for r in plan["resources"] if r["parent"] == component["urn"]}
    expected = {"aws:kms/key:Key", "aws:kms/alias:Alias", "aws:secretsmanager/secret:Secret",
                "aws:secretsmanager/secretVersion:SecretVersion", "aws:secretsmanager/secretPolicy:SecretPolicy",
                "aws:iam/policy:Policy", "aws:iam/role:Role", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "aws:iam/instanceProfile:InstanceProfile"}
    assert set(children) == expected
    # Nothing AWS sits outside the component.
    assert all(r["parent"] == component["urn"] for r in plan["resources"] if r["type"].startswith("aws:"))
    key = children["aws:kms/key:Key"]["inputs"]
    assert key["enableKeyRotation"] is True
    secret = children["aws:secretsmanager/secret:Secret"]["inputs"]
    assert secret["kmsKeyId"].startswith("arn:aws:kms:eu-west-1:") and secret["name"] == "openhands-zai/case/zai-api-key"
    assert children["aws:secretsmanager/secretVersion:SecretVersion"]["inputs"]["secretString"] == "[secret]"
    reader = json.loads(children["aws:iam/policy:Policy"]["inputs"]["policy"])
    assert reader["Statement"][0]["Resource"].startswith("arn:aws:secretsmanager:eu-west-1:123456789012:secret:")
    assert children["aws:secretsmanager/secretPolicy:SecretPolicy"]["inputs"]["blockPublicPolicy"] is True
    outputs = plan["outputs"]
    assert {"secretArn", "secretName", "kmsKeyArn", "readerPolicyArn", "readerRoleArn"} <= set(outputs)
    # The container's key is the secret's AWSCURRENT, kept secret all the way.
    (server,) = [r for r in plan["resources"] if r["type"] == "docker:index/container:Container"]
    assert "LLM_API_KEY=[secret]" in server["inputs"]["envs"]


def test_stack_without_secret_registers_nothing_in_aws(dev_plan):
    plan = json.loads(dev_plan.stdout)
    assert not [r for r in plan["resources"] if r["type"].startswith("aws:")]
    assert "secretArn" not in plan["outputs"]


NET_STACK = {
    "aws:region": "eu-west-1",
    "openhands-zai:peering": NET_PEERING,
    "openhands-zai:egress": {
        "vpcId": "vpc-0a1b2c3d4e5f60718", "dnsResolverCidr": "10.20.0.2/32",
        "firewall": {"enabled": True, "subnets": [{"subnetId": "subnet-0a1b2c3d4e5f60731", "availabilityZone": "eu-west-1a"},
                                             {"subnetId": "subnet-0a1b2c3d4e5f60732", "availabilityZone": "eu-west-1b"}],
                     "protectedSubnets": [{"subnetId": "subnet-0a1b2c3d4e5f60741", "availabilityZone": "eu-west-1a"},
                                          {"subnetId": "subnet-0a1b2c3d4e5f60742", "availabilityZone": "eu-west-1b"}],
                     "internetGatewayId": "igw-0a1b2c3d4e5f60750"},
    },
}


def test_network_stack_plans_peering_on_both_sides_and_the_egress_layers(tmp_path):
    result = run_cli("plan", "--stack", "case", "--config-file", str(write_stack(tmp_path, NET_STACK)),
                     "--format", "json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    by_name = {r["name"]: r for r in plan["resources"]}
    (peer,) = [r for r in plan["resources"] if r["type"] == "pulumi:providers:aws" and r["name"] == "peer"]
    assert peer["inputs"]["region"] == "eu-central-1"
    assert "arn:aws:iam::210987654321:role/openhands-zai-peering" in peer["inputs"]["assumeRoles"]
    # Accepter and the peer side's options and routes run under the peer provider; the rest does not.
    assert {r["name"] for r in plan["resources"] if r["provider"] == peer["urn"]} == {
        "peering-accepter", "peering-accepter-options", "peering-route-peer-rtb-0f1e2d3c4b5a69701"}
    assert by_name["peering-connection"]["inputs"]["peerOwnerId"] == "210987654321"
    assert by_name["peering-connection"]["provider"] is None
    routes = {(r["inputs"]["routeTableId"], r["inputs"]["destinationCidrBlock"]) for r in plan["resources"]
              if r["name"].startswith("peering-route-")}
    assert routes == {("rtb-0a1b2c3d4e5f60701", "10.90.0.0/16"), ("rtb-0a1b2c3d4e5f60702", "10.90.0.0/16"),
                      ("rtb-0f1e2d3c4b5a69701", "10.20.0.0/16")}
    rules = [r["inputs"] for r in plan["resources"] if r["type"] == "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"]
    assert sorted((r["ipProtocol"], r["fromPort"], r.get("prefixListId", r.get("cidrIpv4"))) for r in rules) == sorted([
        ("tcp", 443, plan["outputs"]["prefixListId"]), ("tcp", 443, "0.0.0.0/0"),
        ("udp", 53, "10.20.0.2/32"), ("tcp", 53, "10.20.0.2/32")])
    assert [e["cidr"] for e in by_name["egress-allow-list"]["inputs"]["entries"]] == ["10.90.0.0/16"]
    rule_group = by_name["egress-domains"]["inputs"]["ruleGroup"]["rulesSource"]["rulesSourceList"]
    assert rule_group["targets"] == ["api.z.ai"] and "TLS_SNI" in rule_group["targetTypes"]
    assert by_name["egress-policy"]["inputs"]["firewallPolicy"]["statefulEngineOptions"] == {"ruleOrder": "STRICT_ORDER"}
    assert by_name["egress-firewall"]["inputs"]["vpcId"] == "vpc-0a1b2c3d4e5f60718"
    assert by_name["egress-internet-eu-west-1a-default"]["inputs"]["vpcEndpointId"].startswith("vpce-")
    assert by_name["egress-protect-subnet-0a1b2c3d4e5f60741"]["inputs"]["route_table_id"] == (
        by_name["egress-internet-eu-west-1a-default"]["inputs"]["routeTableId"])
    for name in ("peering", "egress"):
        component = by_name[name]
        assert all(r["parent"] == component["urn"] for r in plan["resources"] if r["name"].startswith(f"{name}-"))
    assert {"peeringConnectionId", "peeringRoutes", "securityGroupId", "prefixListId", "expectedEgress",
            "firewallArn", "firewallPolicyArn", "firewallRouting", "allowCidrs"} <= set(plan["outputs"])


def test_insecure_override_plans_with_a_warning(tmp_path):
    stack = {"aws:region": "eu-west-1",
             "openhands-zai:egress": {"vpcId": "vpc-0a1b2c3d", "allowCidrs": ["0.0.0.0/0"], "allowInsecureEgress": True}}
    result = run_cli("plan", "--stack", "case", "--config-file", str(write_stack(tmp_path, stack)), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert any("allowInsecureEgress is true" in w for w in json.loads(result.stdout)["warnings"])


STAGING = ROOT / "examples" / "stacks" / "Pulumi.staging.yaml"


def _firewall_routes(plan: dict) -> dict[str, str]:
    """Protected subnet -> the firewall endpoint the default route of the table it moves onto targets."""
    defaults = {r["inputs"]["routeTableId"]: r["inputs"]["vpcEndpointId"] for r in plan["resources"]
                if r["type"] == "aws:ec2/route:Route" and r["inputs"]["destinationCidrBlock"] == "0.0.0.0/0"}
    return {r["inputs"]["target_id"]: defaults[r["inputs"]["route_table_id"]] for r in plan["resources"]
            if r["type"].endswith(":RouteTableTakeover") and r["inputs"]["target_id"].startswith("subnet-")}


def test_the_staging_template_with_firewall_subnets_in_1a_and_1c_plans(tmp_path):
    import yaml

    config = yaml.safe_load(STAGING.read_text())["config"]
    zones = [s["availabilityZone"] for s in config["openhands-zai:egress"]["firewall"]["subnets"]]
    assert zones == ["eu-west-1a", "eu-west-1c"]  # not a, b in order: the mock must read the zones
    result = run_cli("plan", "--stack", "staging", "--config-file", str(STAGING), "--format", "json")
    assert result.returncode == 0, result.stderr
    routes = _firewall_routes(json.loads(result.stdout))
    # Each zone's NAT subnet goes to the endpoint in its own zone: two subnets, two endpoints.
    assert len(set(routes.values())) == 2 and routes["subnet-0a1b2c3d4e5f60741"] != routes["subnet-0a1b2c3d4e5f60742"]


def test_a_route_in_a_zone_without_a_firewall_subnet_is_a_config_error(tmp_path):
    text = STAGING.read_text().replace("subnet-0a1b2c3d4e5f60742, availabilityZone: eu-west-1c",
                                       "subnet-0a1b2c3d4e5f60742, availabilityZone: eu-west-1b")
    path = tmp_path / "Pulumi.zone.yaml"
    path.write_text(text)
    result = run_cli("plan", "--stack", "zone", "--config-file", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: openhands-zai:egress.firewall.protectedSubnets[1].availabilityZone: "
                                    "eu-west-1b has no firewall subnet"), result.stderr


def test_the_region_comes_from_aws_region_or_the_environment_as_pulumi_aws_resolves_it(tmp_path):
    path = tmp_path / "Pulumi.noregion.yaml"
    path.write_text("\n".join(line for line in STAGING.read_text().splitlines() if "aws:region" not in line))
    args = ("plan", "--stack", "noregion", "--config-file", str(path), "--format", "json")
    result = run_cli(*args, drop=("ZAI_API_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: aws:region: is not set, nor AWS_REGION or AWS_DEFAULT_REGION"), result.stderr
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        result = run_cli(*args, env_extra={variable: "eu-west-1"}, drop=("ZAI_API_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"))
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["outputs"]["secretArn"].startswith("arn:aws:secretsmanager:eu-west-1:")
    result = run_cli(*args, env_extra={"AWS_REGION": "us-east-2"}, drop=("ZAI_API_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"))
    assert result.returncode == 2
    assert "openhands-zai:egress.firewall.subnets[0].availabilityZone: eu-west-1a is not a zone of the region the " \
           "stack deploys to (us-east-2)" in result.stderr


def test_with_allow_https_to_firewall_off_the_group_has_only_443_to_the_prefix_list_and_dns(tmp_path):
    egress = {**NET_STACK["openhands-zai:egress"]}
    egress["firewall"] = {**egress["firewall"], "allowHttpsToFirewall": False}
    stack = {**NET_STACK, "openhands-zai:egress": egress}
    result = run_cli("plan", "--stack", "case", "--config-file", str(write_stack(tmp_path, stack)), "--format", "json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    rules = [r["inputs"] for r in plan["resources"] if r["type"] == "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"]
    assert sorted((r["ipProtocol"], r["fromPort"], r.get("prefixListId", r.get("cidrIpv4"))) for r in rules) == sorted([
        ("tcp", 443, plan["outputs"]["prefixListId"]), ("udp", 53, "10.20.0.2/32"), ("tcp", 53, "10.20.0.2/32")])
    assert any(r["type"] == "aws:networkfirewall/firewall:Firewall" for r in plan["resources"])


def test_staging_plans_the_cluster_objects_with_the_key_only_by_reference():
    result = planned("staging", ROOT / "examples" / "stacks" / "Pulumi.staging.yaml")
    assert result.returncode == 0, result.stderr
    assert SENTINEL_KEY not in result.stdout
    plan = json.loads(result.stdout)
    (component,) = [r for r in plan["resources"] if r["type"] == "openhands-zai:cluster:OpenHandsCluster"]
    children = [r for r in plan["resources"] if r["parent"] == component["urn"]]
    kinds = {r["inputs"]["kind"] for r in children if r["type"].startswith("kubernetes:")}
    # oauth2-proxy is the Deployment among the cluster's own children (the gateway has its component).
    assert kinds == {"Namespace", "ServiceAccount", "SecretStore", "ExternalSecret", "StatefulSet", "Service", "Ingress",
                     "PodDisruptionBudget", "NetworkPolicy", "ConfigMap", "Secret", "Deployment"}
    # The server's own keys and the login's cookie secret: generated by Pulumi, kept secret.
    assert sorted(r["name"] for r in children if r["type"] == "random:index/randomPassword:RandomPassword") == [
        "openhands-agent-secret-key", "openhands-jwt-secret", "openhands-oauth2-proxy-cookie",
        "openhands-sandbox-session-key"]
    (provider,) = [r for r in plan["resources"] if r["type"] == "pulumi:providers:kubernetes"]
    assert provider["inputs"]["context"] == "staging"
    assert all(r["provider"] == provider["urn"] for r in plan["resources"] if r["type"].startswith("kubernetes:"))
    # The key: by template in the ExternalSecret (into the gateway's Secret); the Secrets Pulumi writes
    # hold generated keys (the server's, the gateway's, the login's cookie), each redacted.
    secrets = {r["inputs"]["metadata"]["name"]: r for r in plan["resources"] if r["type"] == "kubernetes:core/v1:Secret"}
    assert set(secrets) == {"openhands-server-keys", "openhands-gateway", "openhands-llm", "oauth2-proxy-cookie"}
    for secret in secrets.values():
        assert all("[secret]" in value for value in secret["inputs"]["stringData"].values()), secret["name"]
    (workload,) = [r for r in plan["resources"] if r["type"] == "kubernetes:apps/v1:StatefulSet"]
    env = workload["inputs"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "LLM_API_KEY", "valueFrom": {"secretKeyRef": {"name": "openhands-llm", "key": "api-key"}}} in env
    assert all("value" not in e or "plan-placeholder" not in e["value"] for e in env)


def test_prod_reader_role_trusts_the_new_eks_clusters_oidc_provider():
    result = planned("prod", ROOT / "examples" / "stacks" / "Pulumi.prod.yaml")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    (role,) = [r for r in plan["resources"] if r["name"] == "zai-api-key-reader-role"]
    (statement,) = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Federated": plan["outputs"]["oidcProviderArn"]}


def test_an_empty_stack_file_plans_the_defaults_and_says_so(tmp_path):
    path = tmp_path / "Pulumi.empty.yaml"
    path.write_text("config: {}\n")
    result = run_cli("plan", "--stack", "empty", "--config-file", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("note: the stack file of empty sets no openhands-zai:* key: planning the "
                                    "defaults of")
    assert "note:" not in run_cli("plan", "--stack", "dev", "--format", "json").stderr


def test_setting_one_field_of_a_builtin_profile_as_the_readme_shows_keeps_the_stack_working(tmp_path):
    # What `pulumi config set --path 'openhands-zai:profiles.coding.temperature' 0.2` writes.
    stack = write_stack(tmp_path, {"openhands-zai:profiles": {"coding": {"temperature": "0.2"}}})
    result = run_cli("plan", "--stack", "case", "--config-file", str(stack), "--format", "json")
    assert result.returncode == 0, result.stderr
    container = next(r for r in json.loads(result.stdout)["resources"] if r["type"].endswith(":Container"))
    profiles = json.loads(container["inputs"]["uploads"][0]["content"])["llm_profiles"]["profiles"]
    assert set(profiles) == {"latest", "coding", "large-context"} and profiles["coding"]["temperature"] == 0.2


def test_a_docker_stack_plans_without_the_aws_and_kubernetes_providers():
    # A Docker-only install has neither (the extras): the program and the command must not import them.
    code = ("import sys; from openhands_zai.cli.main import main; code = main(['plan', '--stack', 'dev', '--format', "
            "'json']); loaded = [m for m in ('pulumi_aws', 'pulumi_kubernetes', 'boto3') if m in sys.modules]; "
            "sys.exit(f'imported {loaded}' if loaded else code)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_firewall_routing_takeover_acts_with_the_providers_profile_and_roles(tmp_path):
    stack = yaml.safe_load(STAGING.read_text())["config"]
    role = {"roleArn": "arn:aws:iam::210987654321:role/deployer", "externalId": "x-1", "duration": "1h"}
    result = run_cli("plan", "--stack", "case", "--config-file", str(write_stack(tmp_path, {
        **stack, "aws:profile": "platform", "aws:assumeRoles": [role]})), "--format", "json")
    assert result.returncode == 0, result.stderr
    takeovers = [r["inputs"] for r in json.loads(result.stdout)["resources"] if r["type"].endswith(":RouteTableTakeover")]
    assert len(takeovers) == 3  # the internet gateway and both NAT subnets
    assert all((t["profile"], t["assume_roles"], t["region"]) == (
        "platform", [{"roleArn": role["roleArn"], "externalId": "x-1"}], "eu-west-1") for t in takeovers)
