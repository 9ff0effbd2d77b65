"""`openhands-zai verify` against moto: a matching account passes; each kind of drift is named.

The account is built the way `pulumi up` leaves it (the default allow-all egress removed, the
peer side in another account and region, reached through the peer role), and the expected
values come from the stack's real planner, as the program exports them.
"""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from openhands_zai.cli.verify import verify
from openhands_zai.network.plan import egress_rules, peering_routes
from openhands_zai.network.routing import RouteTableTakeoverProvider
from tests.aws_fixtures import FAKE_CREDENTIALS, REGION, moto_server, shared_moto  # noqa: F401
from tests.cli.test_aws_commands import ops
from tests.helpers import egress_settings, peering_settings

PEER_ACCOUNT, PEER_REGION = "210987654321", "eu-central-1"
PEER_ROLE = f"arn:aws:iam::{PEER_ACCOUNT}:role/openhands-zai-peering"


def build_account(factory) -> tuple[dict, dict]:
    """Create what `pulumi up` would have, in moto; return (the stack's outputs, the clients/ids)."""
    local = factory("ec2", REGION)
    creds = factory("sts", REGION).assume_role(RoleArn=PEER_ROLE, RoleSessionName="setup")["Credentials"]
    peer = factory("ec2", PEER_REGION, creds)
    vpc = local.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    tables = [local.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"] for _ in range(2)]
    peer_vpc = peer.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    peer_table = peer.create_route_table(VpcId=peer_vpc)["RouteTable"]["RouteTableId"]
    peering = peering_settings({
        "vpcId": vpc, "vpcCidr": "10.20.0.0/16", "routeTableIds": tables, "peerVpcId": peer_vpc,
        "peerCidr": "10.90.0.0/16", "peerRouteTableIds": [peer_table], "peerOwnerId": PEER_ACCOUNT,
        "peerRegion": PEER_REGION, "peerRoleArn": PEER_ROLE})
    pcx = local.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer_vpc, PeerOwnerId=PEER_ACCOUNT,
                                              PeerRegion=PEER_REGION)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    peer.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    routes = peering_routes(peering)
    for route in routes:
        (peer if route.side == "peer" else local).create_route(
            RouteTableId=route.route_table_id, DestinationCidrBlock=route.destination_cidr, VpcPeeringConnectionId=pcx)

    egress = egress_settings({"vpcId": vpc, "allowCidrs": ["203.0.113.0/24"], "dnsResolverCidr": "10.20.0.2/32"},
                             peer_cidr="10.90.0.0/16")
    prefix_list = local.create_managed_prefix_list(
        PrefixListName=f"allow-{uuid.uuid4().hex[:6]}", MaxEntries=10, AddressFamily="IPv4",
        Entries=[{"Cidr": c} for c in egress.allow_cidrs])["PrefixList"]["PrefixListId"]
    group = local.create_security_group(GroupName=f"workloads-{uuid.uuid4().hex[:6]}", Description="w",
                                        VpcId=vpc)["GroupId"]
    local.revoke_security_group_egress(GroupId=group, IpPermissions=[{"IpProtocol": "-1",
                                                                      "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    planned = egress_rules(egress)
    for rule in planned:
        target = ({"PrefixListIds": [{"PrefixListId": prefix_list}]} if rule.target == "prefix-list"
                  else {"IpRanges": [{"CidrIp": rule.target}]})
        local.authorize_security_group_egress(GroupId=group, IpPermissions=[
            {"IpProtocol": rule.protocol, "FromPort": rule.port, "ToPort": rule.port, **target}])
    subnet = local.create_subnet(VpcId=vpc, CidrBlock="10.20.9.0/24")["Subnet"]["SubnetId"]
    routing = firewall_routing(local, vpc, subnet)
    policy_arn = f"arn:aws:network-firewall:{REGION}:123456789012:firewall-policy/openhands-zai-test-egress"
    firewall = factory("network-firewall", REGION).create_firewall(
        FirewallName=f"fw-{uuid.uuid4().hex[:6]}", FirewallPolicyArn=policy_arn, VpcId=vpc,
        SubnetMappings=[{"SubnetId": subnet}])["Firewall"]["FirewallArn"]
    outputs = {
        "peeringConnectionId": pcx, "peerRegion": PEER_REGION, "peerRoleArn": PEER_ROLE,
        "peeringRoutes": [{"side": r.side, "routeTableId": r.route_table_id, "destinationCidr": r.destination_cidr}
                          for r in routes],
        "securityGroupId": group, "prefixListId": prefix_list, "allowCidrs": list(egress.allow_cidrs),
        "expectedEgress": [rule.as_dict(prefix_list) for rule in planned],
        "firewallArn": firewall, "firewallPolicyArn": policy_arn, "firewallRouting": routing,
    }
    return outputs, {"local": local, "peer": peer, "tables": tables, "peer_table": peer_table, "pcx": pcx,
                     "group": group, "prefix_list": prefix_list, "vpc": vpc, "peer_vpc": peer_vpc}


def firewall_routing(ec2, vpc: str, firewall_subnet: str) -> list[dict]:
    """A NAT subnet and the internet gateway moved onto the firewall's tables as `pulumi up` does
    (the takeover's own code), from the public table with its default route to the gateway."""
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    nat = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.0.0/24")["Subnet"]["SubnetId"]
    ec2.associate_route_table(RouteTableId=public, SubnetId=nat)
    endpoint = ec2.create_vpc_endpoint(  # moto's Network Firewall makes no endpoints; the same kind of target
        VpcId=vpc, VpcEndpointType="GatewayLoadBalancer", SubnetIds=[firewall_subnet],
        ServiceName=f"com.amazonaws.vpce.{REGION}.vpce-svc-0123456789abcdef0")["VpcEndpoint"]["VpcEndpointId"]
    routing = []
    for target, destination in ((igw, "10.20.0.0/24"), (nat, "0.0.0.0/0")):
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock=destination, VpcEndpointId=endpoint)
        RouteTableTakeoverProvider().create({"target_id": target, "route_table_id": table, "vpc_id": vpc,
                                             "region": REGION, "profile": None})
        routing.append({"target": target, "vpcId": vpc, "routeTableId": table,
                        "routes": [{"destination": destination, "endpointId": endpoint}]})
    return routing


def in_process(service, region, creds=None):
    # One client per service, region and identity for the module: botocore builds EC2's client class
    # from a large model each time (most of a test's setup), and moto answers a kept client the same.
    key = (service, region, tuple(sorted(creds.items())) if creds else None)
    if key not in _CLIENTS:
        _CLIENTS[key] = _client(service, region, creds)
    return _CLIENTS[key]


_CLIENTS: dict = {}


def _client(service, region, creds=None):
    extra = {}
    if creds:
        extra = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
                 "aws_session_token": creds["SessionToken"]}
    return boto3.client(service, region_name=region, **extra)


@pytest.fixture
def account(shared_moto):
    return build_account(in_process)  # a VPC, peer and group of its own: drifts made by one test stay there


def failures(outputs):
    return {r.check: r.detail for r in verify(outputs, REGION) if not r.ok}


def test_a_matching_account_passes_every_check(account):
    outputs, _ = account
    results = verify(outputs, REGION)
    assert [r for r in results if not r.ok] == []
    checks = [r.check for r in results]
    assert checks[0] == "peering active" and "security group egress" in checks and "prefix list entries" in checks
    assert "firewall policy" in checks
    assert sum(c.startswith("route ") for c in checks) == 5  # two local tables, one peer table, two firewall
    assert sum(c.startswith("route igw-") or c.startswith("route subnet-") for c in checks) == 2


def test_an_extra_egress_rule_is_named(account):
    outputs, world = account
    world["local"].authorize_security_group_egress(GroupId=world["group"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert failures(outputs) == {"security group egress": "extra: tcp 22 -> 0.0.0.0/0"}


def test_a_missing_egress_rule_is_named(account):
    outputs, world = account
    world["local"].revoke_security_group_egress(GroupId=world["group"], IpPermissions=[
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.20.0.2/32"}]}])
    assert failures(outputs) == {"security group egress": "missing: udp 53 -> 10.20.0.2/32"}


def test_a_missing_route_is_named_on_either_side(account):
    outputs, world = account
    world["local"].delete_route(RouteTableId=world["tables"][1], DestinationCidrBlock="10.90.0.0/16")
    world["peer"].delete_route(RouteTableId=world["peer_table"], DestinationCidrBlock="10.20.0.0/16")
    assert failures(outputs) == {f"route local {world['tables'][1]} -> 10.90.0.0/16": "missing",
                                 f"route peer {world['peer_table']} -> 10.20.0.0/16": "missing"}


def test_a_pending_peering_is_named(account):
    outputs, world = account
    other = world["local"].create_vpc_peering_connection(
        VpcId=world["vpc"], PeerVpcId=world["peer_vpc"], PeerOwnerId=PEER_ACCOUNT,
        PeerRegion=PEER_REGION)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    found = failures({**outputs, "peeringConnectionId": other})
    assert found["peering active"].endswith("is pending-acceptance")
    # Routes point at the accepted connection, not at the pending one.
    routes = {check: detail for check, detail in found.items() if check.startswith("route ")}
    assert len(routes) == 3 and all("points at" in detail for detail in routes.values()), found


def test_an_extra_prefix_list_entry_is_named(account):
    outputs, world = account
    version = world["local"].describe_managed_prefix_lists(PrefixListIds=[world["prefix_list"]])["PrefixLists"][0]["Version"]
    world["local"].modify_managed_prefix_list(PrefixListId=world["prefix_list"], CurrentVersion=version,
                                              AddEntries=[{"Cidr": "198.51.100.0/24"}])
    assert failures(outputs) == {"prefix list entries": "extra: 198.51.100.0/24"}


def test_a_firewall_on_another_policy_is_named(account):
    outputs, _ = account
    found = failures({**outputs, "firewallPolicyArn": outputs["firewallPolicyArn"] + "-v2"})
    assert list(found) == ["firewall policy"] and "expected" in found["firewall policy"]


def test_cli_end_to_end_against_moto_server(moto_server, tmp_path, monkeypatch):
    # The route-table takeover makes its own boto3 client (as under `pulumi up`): it finds the
    # server, and test credentials, in the environment as it would find real ones.
    for name, value in {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": moto_server}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    def server(service, region, creds=None):
        keys = ({"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
                 "aws_session_token": creds["SessionToken"]} if creds else
                {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
        return boto3.client(service, region_name=region, endpoint_url=moto_server, **keys)

    outputs, world = build_account(server)
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    result = ops("verify", "--outputs", str(path), endpoint=moto_server)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("OK:")

    world["local"].delete_route(RouteTableId=world["tables"][0], DestinationCidrBlock="10.90.0.0/16")
    result = ops("verify", "--outputs", str(path), "--format", "json", endpoint=moto_server)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert [r["check"] for r in report["results"] if not r["ok"]] == [f"route local {world['tables'][0]} -> 10.90.0.0/16"]


@pytest.mark.parametrize("args,expected", [
    (["--outputs", "/nonexistent.json"], "error: --outputs:"),
    (["--stack", "prod"], "error: --stack:"),
])
def test_verify_usage_errors_exit_2(moto_server, args, expected, tmp_path):
    result = ops("verify", *args, endpoint=moto_server, env_extra={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and result.stderr.startswith(expected), result.stderr


def test_outputs_without_network_are_a_usage_error(moto_server, tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"url": "http://127.0.0.1:3000"}))
    result = ops("verify", "--outputs", str(path), endpoint=moto_server)
    assert result.returncode == 2 and "no peering, security group or firewall" in result.stderr


@pytest.mark.parametrize("make, expected", [
    (lambda path: path.mkdir(), ": is a directory, not a file of stack outputs"),
    (lambda path: path.write_bytes(b"\xff\xfe\x00binary"), ": is not a text file (a file of stack outputs is UTF-8 text)"),
    (lambda path: path.write_text("not json"), " is not the JSON of `pulumi stack output --json`"),
    (lambda path: path.write_text("[1, 2]"), " is not the JSON of `pulumi stack output --json` (a map)"),
])
def test_outputs_that_are_no_outputs_file_exit_2_in_one_line(moto_server, tmp_path, make, expected):
    path = tmp_path / "outputs.json"
    make(path)
    result = ops("verify", "--outputs", str(path), endpoint=moto_server)
    assert result.returncode == 2 and result.stderr == f"error: --outputs: {path}{expected}\n", result.stderr


@pytest.mark.parametrize("missing, check, needle", [
    ("expectedEgress", "security group egress", "no expectedEgress, nothing to compare"),
    ("peeringRoutes", "peering routes", "no peeringRoutes: nothing to compare"),
    ("allowCidrs", "prefix list entries", "no IPv4 allowCidrs, nothing to compare"),
    ("firewallPolicyArn", "firewall policy", "no firewallPolicyArn, nothing to compare"),
    ("firewallRouting", "firewall routing", "no firewallRouting: nothing shows traffic reaching the firewall"),
])
def test_a_missing_expectation_fails_instead_of_passing_empty(account, missing, check, needle):
    outputs, _ = account
    found = failures({k: v for k, v in outputs.items() if k != missing})
    assert list(found) == [check] and needle in found[check], found
    if missing in ("expectedEgress", "firewallRouting", "allowCidrs"):  # an empty list is no expectation either
        assert list(failures({**outputs, missing: []})) == [check]


def test_a_subnet_back_on_the_internet_gateway_is_named(account):
    # Someone put the NAT subnet back on a table that goes straight out: the firewall is bypassed.
    outputs, world = account
    ec2, entry = world["local"], outputs["firewallRouting"][1]
    table = next(t for t in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [world["vpc"]]}])[
        "RouteTables"] for a in t["Associations"] if a.get("SubnetId") == entry["target"])
    association = next(a for a in table["Associations"] if a.get("SubnetId") == entry["target"])
    ec2.replace_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock="0.0.0.0/0",
                      GatewayId=outputs["firewallRouting"][0]["target"])
    assert failures(outputs) == {f"route {entry['target']} 0.0.0.0/0": (
        f"{entry['routeTableId']}: via {outputs['firewallRouting'][0]['target']}, expected "
        f"{entry['routes'][0]['endpointId']}")}
    other = ec2.create_route_table(VpcId=world["vpc"])["RouteTable"]["RouteTableId"]
    ec2.replace_route_table_association(AssociationId=association["RouteTableAssociationId"], RouteTableId=other)
    assert failures(outputs) == {f"routing {entry['target']}": f"on {other}, expected the firewall's "
                                                                f"{entry['routeTableId']}"}


def test_a_security_group_that_does_not_exist_fails(account):
    # Filtering rules by a missing group answers none, which once compared equal to no expectation.
    outputs, _ = account
    found = failures({"securityGroupId": "sg-0123456789abcdef0", "expectedEgress": outputs["expectedEgress"]})
    assert list(found) == ["egress"] and "InvalidGroup.NotFound" in found["egress"], found
    found = failures({"securityGroupId": "sg-0123456789abcdef0"})
    assert list(found) == ["security group egress"]


def test_the_shipped_examples_export_what_verify_reads():
    import ast
    import dataclasses

    from openhands_zai.outputs import GROUPS, camel
    from tests.conftest import ROOT

    seen: set[str] = set()
    # The bundle's program exports StackOutputs: each group whole, when the stack has that concern.
    groups = [{camel(f.name) for f in dataclasses.fields(group)} for group in GROUPS]
    example = ROOT / "examples" / "existing-cluster" / "__main__.py"
    examples = [{node.args[0].value for node in ast.walk(ast.parse(example.read_text()))
                 if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "export"
                 and isinstance(node.args[0], ast.Constant)}]
    for program, exported in [*(("__main__.py", names) for names in groups), *((example, n) for n in examples)]:
        if "securityGroupId" in exported:
            assert {"expectedEgress", "prefixListId", "allowCidrs"} <= exported, program
        if "firewallArn" in exported:
            assert {"firewallPolicyArn", "firewallRouting"} <= exported, program
        if "peeringConnectionId" in exported:
            assert "peeringRoutes" in exported, program
        seen |= exported
    assert {"securityGroupId", "firewallArn", "peeringConnectionId"} <= seen  # the checks above compared something
