"""Whole-program scenarios: the real program planned from a stack file (templates, secret, network,
firewall routing, the cluster objects, the region), read from the plan's JSON. The command line's
own behaviour (formats, exit codes, pipes, leaks) is tests/cli/test_plan.py.

Each scenario is a row of SCENARIOS: the stack (config keys, a shipped file, or a shipped file
edited), the environment it plans in, and what its plan must show. Adding one is adding a row.
"""

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.cli.test_plan import NET_PEERING, dev_plan, write_stack  # noqa: F401 (dev_plan: a fixture)
from tests.conftest import ROOT
from tests.helpers import SENTINEL_KEY, planned, run_cli

pytestmark = pytest.mark.cli

STACKS = ROOT / "examples" / "stacks"
STAGING = STACKS / "Pulumi.staging.yaml"
NO_REGION = ("ZAI_API_KEY", "AWS_REGION", "AWS_DEFAULT_REGION")


@dataclass(frozen=True)
class Scenario:
    name: str
    # The stack: its config keys, a shipped stack file, or a shipped file's text as edited.
    stack: dict | Path | Callable[[], str]
    check: Callable[[subprocess.CompletedProcess], None]
    env: dict[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ("ZAI_API_KEY",)
    stack_name: str = "case"


def plan_of(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refused(start: str) -> Callable[[subprocess.CompletedProcess], None]:
    def check(result):
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert start in result.stderr.splitlines()[0] or result.stderr.startswith(start), result.stderr
    return check


def warns(text: str) -> Callable[[subprocess.CompletedProcess], None]:
    def check(result):
        assert any(text in w for w in plan_of(result)["warnings"]), result.stdout[-2000:]
    return check


# -- the secret --------------------------------------------------------------------------------

SECRET_STACK = {
    "aws:region": "eu-west-1",
    "openhands-zai:secret": {"readerRoleArns": ["arn:aws:iam::210987654321:role/openhands-host"],
                             "createReaderRole": {"ec2": True}, "rotationManaged": True},
}


def secret_under_its_component(result):
    assert SENTINEL_KEY not in result.stdout + result.stderr
    plan = plan_of(result)
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


# -- the network -------------------------------------------------------------------------------

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
NET_NO_HTTPS_TO_FIREWALL = {**NET_STACK, "openhands-zai:egress": {
    **NET_STACK["openhands-zai:egress"],
    "firewall": {**NET_STACK["openhands-zai:egress"]["firewall"], "allowHttpsToFirewall": False}}}


def _egress_rules(plan: dict) -> list[tuple]:
    rules = [r["inputs"] for r in plan["resources"] if r["type"] == "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"]
    return sorted((r["ipProtocol"], r["fromPort"], r.get("prefixListId", r.get("cidrIpv4"))) for r in rules)


def peering_both_sides_and_the_egress_layers(result):
    plan = plan_of(result)
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
    assert _egress_rules(plan) == sorted([
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


def only_443_to_the_prefix_list_and_dns(result):
    plan = plan_of(result)
    assert _egress_rules(plan) == sorted([
        ("tcp", 443, plan["outputs"]["prefixListId"]), ("udp", 53, "10.20.0.2/32"), ("tcp", 53, "10.20.0.2/32")])
    assert any(r["type"] == "aws:networkfirewall/firewall:Firewall" for r in plan["resources"])


def _firewall_routes(plan: dict) -> dict[str, str]:
    """Protected subnet -> the firewall endpoint the default route of the table it moves onto targets."""
    defaults = {r["inputs"]["routeTableId"]: r["inputs"]["vpcEndpointId"] for r in plan["resources"]
                if r["type"] == "aws:ec2/route:Route" and r["inputs"]["destinationCidrBlock"] == "0.0.0.0/0"}
    return {r["inputs"]["target_id"]: defaults[r["inputs"]["route_table_id"]] for r in plan["resources"]
            if r["type"].endswith(":RouteTableTakeover") and r["inputs"]["target_id"].startswith("subnet-")}


def each_zone_to_its_own_endpoint(result):
    zones = [s["availabilityZone"] for s in yaml.safe_load(STAGING.read_text())["config"][
        "openhands-zai:egress"]["firewall"]["subnets"]]
    assert zones == ["eu-west-1a", "eu-west-1c"]  # not a, b in order: the mock must read the zones
    routes = _firewall_routes(plan_of(result))
    # Each zone's NAT subnet goes to the endpoint in its own zone: two subnets, two endpoints.
    assert len(set(routes.values())) == 2 and routes["subnet-0a1b2c3d4e5f60741"] != routes["subnet-0a1b2c3d4e5f60742"]


def takeovers_act_with_the_providers_profile_and_roles(result):
    takeovers = [r["inputs"] for r in plan_of(result)["resources"] if r["type"].endswith(":RouteTableTakeover")]
    assert len(takeovers) == 3  # the internet gateway and both NAT subnets
    assert all((t["profile"], t["assume_roles"], t["region"]) == (
        "platform", [{"roleArn": ROLE["roleArn"], "externalId": "x-1"}], "eu-west-1") for t in takeovers)


ROLE = {"roleArn": "arn:aws:iam::210987654321:role/deployer", "externalId": "x-1", "duration": "1h"}


def _staging(**keys) -> dict:
    return {**yaml.safe_load(STAGING.read_text())["config"], **keys}


def _staging_text(edit: Callable[[str], str]) -> Callable[[], str]:
    return lambda: edit(STAGING.read_text())


def _without_region(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "aws:region" not in line)


def secret_in(region: str) -> Callable[[subprocess.CompletedProcess], None]:
    def check(result):
        assert plan_of(result)["outputs"]["secretArn"].startswith(f"arn:aws:secretsmanager:{region}:")
    return check


# -- the cluster -------------------------------------------------------------------------------

def cluster_objects_with_the_key_by_reference(result):
    assert SENTINEL_KEY not in result.stdout
    plan = plan_of(result)
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


def reader_role_trusts_the_new_clusters_oidc_provider(result):
    plan = plan_of(result)
    (role,) = [r for r in plan["resources"] if r["name"] == "zai-api-key-reader-role"]
    (statement,) = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Federated": plan["outputs"]["oidcProviderArn"]}


# -- defaults and profiles ---------------------------------------------------------------------

def defaults_said_so(result):
    plan_of(result)
    assert result.stderr.startswith("note: the stack file of case sets no openhands-zai:* key: planning the "
                                    "defaults of"), result.stderr


def the_coding_profile_keeps_its_other_fields(result):
    container = next(r for r in plan_of(result)["resources"] if r["type"].endswith(":Container"))
    profiles = json.loads(container["inputs"]["uploads"][0]["content"])["llm_profiles"]["profiles"]
    assert set(profiles) == {"latest", "coding", "large-context"} and profiles["coding"]["temperature"] == 0.2


SCENARIOS = [
    Scenario("a warning reaches the plan", {"openhands-zai:docker": {"listenAddress": "0.0.0.0"}}, warns("no login")),
    Scenario("the secret plans its key, version and policies under its component", SECRET_STACK,
             secret_under_its_component, env={"ZAI_API_KEY": SENTINEL_KEY}),
    Scenario("peering on both sides and the egress layers", NET_STACK, peering_both_sides_and_the_egress_layers),
    Scenario("without allowHttpsToFirewall the group has 443 to the prefix list and DNS only",
             NET_NO_HTTPS_TO_FIREWALL, only_443_to_the_prefix_list_and_dns),
    Scenario("the insecure egress override plans with a warning",
             {"aws:region": "eu-west-1", "openhands-zai:egress": {
                 "vpcId": "vpc-0a1b2c3d", "allowCidrs": ["0.0.0.0/0"], "allowInsecureEgress": True}},
             warns("allowInsecureEgress is true")),
    Scenario("staging's firewall subnets in 1a and 1c route each zone to its endpoint", STAGING,
             each_zone_to_its_own_endpoint, stack_name="staging"),
    Scenario("a protected subnet in a zone without a firewall subnet is refused",
             _staging_text(lambda text: text.replace("subnet-0a1b2c3d4e5f60742, availabilityZone: eu-west-1c",
                                                     "subnet-0a1b2c3d4e5f60742, availabilityZone: eu-west-1b")),
             refused("error: openhands-zai:egress.firewall.protectedSubnets[1].availabilityZone: "
                     "eu-west-1b has no firewall subnet")),
    # The region as pulumi-aws resolves it: aws:region, else AWS_REGION, else AWS_DEFAULT_REGION.
    Scenario("no region anywhere is refused", _staging_text(_without_region),
             refused("error: aws:region: is not set, nor AWS_REGION or AWS_DEFAULT_REGION"), drop=NO_REGION),
    *(Scenario(f"the region from {variable}", _staging_text(_without_region), secret_in("eu-west-1"),
               env={variable: "eu-west-1"}, drop=NO_REGION) for variable in ("AWS_REGION", "AWS_DEFAULT_REGION")),
    Scenario("a zone outside the region from the environment is refused", _staging_text(_without_region),
             refused("openhands-zai:egress.firewall.subnets[0].availabilityZone: eu-west-1a is not a zone of the "
                     "region the stack deploys to (us-east-2)"), env={"AWS_REGION": "us-east-2"}, drop=NO_REGION),
    Scenario("the firewall routing takeover acts with the provider's profile and roles",
             lambda: yaml.safe_dump({"config": _staging(**{"aws:profile": "platform", "aws:assumeRoles": [ROLE]})}),
             takeovers_act_with_the_providers_profile_and_roles),
    Scenario("staging plans the cluster objects with the key only by reference", STAGING,
             cluster_objects_with_the_key_by_reference, stack_name="staging"),
    Scenario("prod's reader role trusts the new EKS cluster's OIDC provider", STACKS / "Pulumi.prod.yaml",
             reader_role_trusts_the_new_clusters_oidc_provider, stack_name="prod"),
    Scenario("an empty stack file plans the defaults and says so", lambda: "config: {}\n", defaults_said_so),
    # What `pulumi config set --path 'openhands-zai:profiles.coding.temperature' 0.2` writes.
    Scenario("one field of a built-in profile, set as the docs show", {
        "openhands-zai:profiles": {"coding": {"temperature": "0.2"}}}, the_coding_profile_keeps_its_other_fields),
]


def _stack_file(scenario: Scenario, tmp_path: Path) -> Path:
    if isinstance(scenario.stack, Path):
        return scenario.stack
    if isinstance(scenario.stack, dict):
        return write_stack(tmp_path, scenario.stack)
    path = tmp_path / f"Pulumi.{scenario.stack_name}.yaml"
    path.write_text(scenario.stack())
    return path


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario(scenario, tmp_path):
    stack_file = _stack_file(scenario, tmp_path)
    if isinstance(scenario.stack, Path) and not scenario.env and scenario.drop == ("ZAI_API_KEY",):
        result = planned(scenario.stack_name, stack_file)  # a shipped file: planned once per worker
    else:
        result = run_cli("plan", "--stack", scenario.stack_name, "--config-file", str(stack_file), "--format", "json",
                         env_extra=scenario.env, drop=scenario.drop)
    scenario.check(result)


def test_the_scenario_names_are_unique():
    assert len({s.name for s in SCENARIOS}) == len(SCENARIOS)


@pytest.mark.parametrize("stack_file", sorted(STACKS.glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_example_stacks_plan_cleanly(stack_file):
    result = planned(stack_file.stem.split(".", 1)[1], stack_file)
    assert result.returncode == 0, result.stderr
    # A template carries no warning: each firewall has the subnets it protects.
    assert json.loads(result.stdout)["warnings"] == []


def test_stack_without_secret_registers_nothing_in_aws(dev_plan):
    plan = json.loads(dev_plan.stdout)
    assert not [r for r in plan["resources"] if r["type"].startswith("aws:")]
    assert "secretArn" not in plan["outputs"]


def test_a_shipped_stack_that_sets_keys_plans_without_the_defaults_note():
    assert "note:" not in run_cli("plan", "--stack", "dev", "--format", "json").stderr


def test_a_docker_stack_plans_without_the_aws_and_kubernetes_providers():
    # A Docker-only install has neither (the extras): the program and the command must not import them.
    code = ("import sys; from openhands_zai.cli.main import main; code = main(['plan', '--stack', 'dev', '--format', "
            "'json']); loaded = [m for m in ('pulumi_aws', 'pulumi_kubernetes', 'boto3') if m in sys.modules]; "
            "sys.exit(f'imported {loaded}' if loaded else code)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
