"""VpcPeering and EgressAllowList under Pulumi's mock engine (preview=False, registrations settled)."""

import pulumi
import pulumi_aws as aws
import pytest

from openhands_zai import EgressAllowList, EgressAllowListArgs, VpcPeering, VpcPeeringArgs
from tests.helpers import egress_settings, peering_settings
from tests.mock_engine import MOCKS, OPTIONS, deploy
from tests.network.test_settings import CROSS, EGRESS, PEERING

FIREWALL = {"enabled": True, "subnets": [{"subnetId": "subnet-0a1b2c3d", "availabilityZone": "us-east-1a"},
                                              {"subnetId": "subnet-0a1b2c3e", "availabilityZone": "us-east-1b"}],
            "protectedSubnets": [{"subnetId": "subnet-0000000a", "availabilityZone": "us-east-1a"},
                                 {"subnetId": "subnet-0000000b", "availabilityZone": "us-east-1b"},
                                 {"subnetId": "subnet-0000000c", "availabilityZone": "us-east-1a"}],
            "internetGatewayId": "igw-000000ff"}


def children(name):
    return {n: a for n, a in MOCKS.created.items() if n.startswith(f"{name}-")}


def of_type(name, typ):
    return [a for a in children(name).values() if a.typ == typ]


def test_cross_account_peering_puts_the_peer_side_on_the_peer_provider():
    settings = peering_settings({**PEERING, **CROSS, "routeTableIds": ["rtb-0000001a", "rtb-0000001b"]})
    made = {}

    def program():
        made["peer"] = aws.Provider("xpeer", region="eu-central-1")
        made["peering"] = VpcPeering("xacct", VpcPeeringArgs(settings=settings, peer_provider=made["peer"]))
        return made["peering"].connection_id

    connection_id = deploy(program)
    peer, component = made["peer"], made["peering"]
    (connection,) = of_type("xacct", "aws:ec2/vpcPeeringConnection:VpcPeeringConnection")
    assert connection.inputs["autoAccept"] is False
    assert connection.inputs["peerOwnerId"] == "210987654321" and connection.inputs["peerRegion"] == "eu-central-1"
    assert connection_id.startswith("pcx-")
    # The peer side runs with the peer provider; the local side with the default one.
    for name in ("xacct-accepter", "xacct-accepter-options", "xacct-route-peer-rtb-0f1e2d3c"):
        assert OPTIONS[name].provider is peer, name
    for name in ("xacct-connection", "xacct-requester-options", "xacct-route-local-rtb-0000001a",
                 "xacct-route-local-rtb-0000001b"):
        assert OPTIONS[name].provider is None, name
    for name in children("xacct"):
        assert OPTIONS[name].parent is component, name
    assert MOCKS.created["xacct-accepter"].inputs["autoAccept"] is True
    assert MOCKS.created["xacct-requester-options"].inputs["requester"] == {"allowRemoteVpcDnsResolution": True}
    assert MOCKS.created["xacct-accepter-options"].inputs["accepter"] == {"allowRemoteVpcDnsResolution": True}
    routes = {(a.inputs["routeTableId"], a.inputs["destinationCidrBlock"], a.inputs["vpcPeeringConnectionId"])
              for a in of_type("xacct", "aws:ec2/route:Route")}
    assert routes == {("rtb-0000001a", "10.90.0.0/16", connection_id), ("rtb-0000001b", "10.90.0.0/16", connection_id),
                      ("rtb-0f1e2d3c", "10.20.0.0/16", connection_id)}
    assert component.routes[0] == {"side": "local", "routeTableId": "rtb-0000001a", "destinationCidr": "10.90.0.0/16"}


def test_same_account_and_region_auto_accepts_without_a_second_provider():
    settings = peering_settings(PEERING)
    deploy(lambda: VpcPeering("local", VpcPeeringArgs(settings=settings)).connection_id)
    (connection,) = of_type("local", "aws:ec2/vpcPeeringConnection:VpcPeeringConnection")
    assert connection.inputs["autoAccept"] is True and "peerOwnerId" not in connection.inputs
    assert not of_type("local", "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
    (options,) = of_type("local", "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions")
    assert options.inputs["requester"] == options.inputs["accepter"] == {"allowRemoteVpcDnsResolution": True}
    assert all(OPTIONS[name].provider is None for name in children("local"))


def test_a_cross_account_peer_without_a_provider_is_a_programming_error():
    settings = peering_settings({**PEERING, **CROSS})

    @pulumi.runtime.test
    def build():
        with pytest.raises(ValueError, match="peer_provider"):
            VpcPeering("noprov", VpcPeeringArgs(settings=settings))

    build()


def test_egress_group_has_only_the_allow_listed_flows():
    settings = egress_settings({**EGRESS, "allowCidrs": ["203.0.113.0/24", "10.90.0.0/16"]})

    def program():
        component = EgressAllowList("plain", EgressAllowListArgs(settings=settings, environment="test"))
        return pulumi.Output.all(component.security_group_id, component.prefix_list_id, component.expected_egress)

    group_id, prefix_list_id, expected = deploy(program)
    (group,) = of_type("plain", "aws:ec2/securityGroup:SecurityGroup")
    assert "egress" not in group.inputs and "ingress" not in group.inputs  # no inline (default) rules
    (prefix_list,) = of_type("plain", "aws:ec2/managedPrefixList:ManagedPrefixList")
    assert [e["cidr"] for e in prefix_list.inputs["entries"]] == ["203.0.113.0/24", "10.90.0.0/16"]
    assert prefix_list.inputs["addressFamily"] == "IPv4"
    rules = of_type("plain", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    seen = sorted((r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"],
                   r.inputs.get("prefixListId") or r.inputs.get("cidrIpv4")) for r in rules)
    assert seen == [("tcp", 53, 53, "169.254.169.253/32"), ("tcp", 443, 443, prefix_list_id),
                    ("udp", 53, 53, "169.254.169.253/32")]
    assert all(r.inputs["securityGroupId"] == group_id and r.inputs["description"] for r in rules)
    assert not of_type("plain", "aws:networkfirewall/firewall:Firewall")
    assert {"protocol": "tcp", "fromPort": 443, "toPort": 443, "prefixListId": prefix_list_id} in expected


def test_firewall_allow_list_policy_and_routes_through_its_endpoints():
    settings = egress_settings({**EGRESS, "firewall": FIREWALL})

    def program():
        component = EgressAllowList("fw", EgressAllowListArgs(settings=settings, environment="test"))
        return pulumi.Output.all(component.firewall_arn, component.firewall_policy_arn, component.firewall_routing)

    firewall_arn, policy_arn, routing = deploy(program)
    (group,) = of_type("fw", "aws:networkfirewall/ruleGroup:RuleGroup")
    source = group.inputs["ruleGroup"]["rulesSource"]["rulesSourceList"]
    assert source == {"generatedRulesType": "ALLOWLIST", "targetTypes": ["TLS_SNI", "HTTP_HOST"], "targets": ["api.z.ai"]}
    assert group.inputs["type"] == "STATEFUL"
    assert group.inputs["ruleGroup"]["statefulRuleOptions"] == {"ruleOrder": "STRICT_ORDER"}
    (policy,) = of_type("fw", "aws:networkfirewall/firewallPolicy:FirewallPolicy")
    body = policy.inputs["firewallPolicy"]
    assert body["statefulEngineOptions"] == {"ruleOrder": "STRICT_ORDER"}
    assert "aws:drop_established" in body["statefulDefaultActions"]
    assert body["statefulRuleGroupReferences"][0]["resourceArn"].endswith(":stateful-rulegroup/openhands-zai-test-domains")
    (firewall,) = of_type("fw", "aws:networkfirewall/firewall:Firewall")
    assert firewall.inputs["firewallPolicyArn"] == policy_arn and firewall_arn.endswith("firewall/openhands-zai-test-egress")
    assert [m["subnetId"] for m in firewall.inputs["subnetMappings"]] == ["subnet-0a1b2c3d", "subnet-0a1b2c3e"]
    assert firewall.inputs["deleteProtection"] is True
    # Tables of the component's own, never the VPC's: one per zone for the protected subnets, one edge table.
    tables = {MOCKS.ids[n]: n for n, a in children("fw").items() if a.typ == "aws:ec2/routeTable:RouteTable"}
    assert sorted(tables.values()) == ["fw-edge", "fw-internet-us-east-1a", "fw-internet-us-east-1b"]
    assert all(MOCKS.created[n].inputs["vpcId"] == EGRESS["vpcId"] for n in tables.values())
    routes = [r.inputs for r in of_type("fw", "aws:ec2/route:Route")]
    assert all(r["routeTableId"] in tables for r in routes)
    default = {tables[r["routeTableId"]]: r["vpcEndpointId"] for r in routes if r["destinationCidrBlock"] == "0.0.0.0/0"}
    endpoint = {"us-east-1a": default["fw-internet-us-east-1a"], "us-east-1b": default["fw-internet-us-east-1b"]}
    assert len(set(endpoint.values())) == 2 and all(e.startswith("vpce-") for e in endpoint.values())
    # The answers to each protected subnet come back through the endpoint of its zone (symmetric).
    cidr = {answer["id"]: answer["cidrBlock"] for call, answer in MOCKS.answers
            if call.token == "aws:ec2/getSubnet:getSubnet"}
    back = {r["destinationCidrBlock"]: r["vpcEndpointId"] for r in routes if tables[r["routeTableId"]] == "fw-edge"}
    assert back == {cidr["subnet-0000000a"]: endpoint["us-east-1a"], cidr["subnet-0000000b"]: endpoint["us-east-1b"],
                    cidr["subnet-0000000c"]: endpoint["us-east-1a"]}
    # Each protected subnet, and the gateway, moved onto its table; what verify reads back says the same.
    moved = {a.inputs["target_id"]: tables[a.inputs["route_table_id"]]
             for a in of_type("fw", "pulumi-python:dynamic/openhands-zai:RouteTableTakeover")}
    assert moved == {"igw-000000ff": "fw-edge", "subnet-0000000a": "fw-internet-us-east-1a",
                     "subnet-0000000c": "fw-internet-us-east-1a", "subnet-0000000b": "fw-internet-us-east-1b"}
    assert {e["target"]: (tables[e["routeTableId"]], [r["endpointId"] for r in e["routes"]]) for e in routing} == {
        "igw-000000ff": ("fw-edge", [endpoint["us-east-1a"], endpoint["us-east-1b"], endpoint["us-east-1a"]]),
        "subnet-0000000a": ("fw-internet-us-east-1a", [endpoint["us-east-1a"]]),
        "subnet-0000000b": ("fw-internet-us-east-1b", [endpoint["us-east-1b"]]),
        "subnet-0000000c": ("fw-internet-us-east-1a", [endpoint["us-east-1a"]])}
    # Each subnet was read from EC2 with the zone the stack gives it (AWS refuses a wrong one), in the VPC.
    lookups = [c.args for c in MOCKS.calls if c.token == "aws:ec2/getSubnet:getSubnet"
               and c.args.get("id") in ("subnet-0a1b2c3d", "subnet-0a1b2c3e")]
    assert sorted((c["id"], c["availabilityZone"], c["vpcId"]) for c in lookups) == [
        ("subnet-0a1b2c3d", "us-east-1a", EGRESS["vpcId"]), ("subnet-0a1b2c3e", "us-east-1b", EGRESS["vpcId"])]


def test_the_mocked_firewall_keys_its_endpoints_by_the_zones_of_its_subnets_not_their_order():
    from openhands_zai.testing import ProviderLikeMocks

    mocks = ProviderLikeMocks()
    for subnet, zone in (("subnet-0000000c", "eu-west-1c"), ("subnet-0000000a", "eu-west-1a")):
        mocks.call(pulumi.runtime.MockCallArgs("aws:ec2/getSubnet:getSubnet",
                                               {"id": subnet, "availabilityZone": zone}, ""))
    _, state = mocks.new_resource(pulumi.runtime.MockResourceArgs(
        "aws:networkfirewall/firewall:Firewall", "fw", {"name": "fw", "region": "eu-west-1", "subnetMappings": [
            {"subnetId": "subnet-0000000c"}, {"subnetId": "subnet-0000000a"}]}, None, None, True))
    states = state["firewallStatuses"][0]["syncStates"]
    assert [(s["availabilityZone"], s["attachments"][0]["subnetId"]) for s in states] == [
        ("eu-west-1c", "subnet-0000000c"), ("eu-west-1a", "subnet-0000000a")]


def test_the_mocks_refuse_what_ec2_refuses_twice():
    from openhands_zai.testing import ProviderLikeMocks

    mocks = ProviderLikeMocks()

    def route(name):
        return mocks.new_resource(pulumi.runtime.MockResourceArgs(
            "aws:ec2/route:Route", name, {"routeTableId": "rtb-0000000a", "destinationCidrBlock": "0.0.0.0/0"},
            None, None, True))

    def rule(name):
        return mocks.new_resource(pulumi.runtime.MockResourceArgs(
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", name,
            {"securityGroupId": "sg-0000000a", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
             "cidrIpv4": "203.0.113.0/24"}, None, None, True))

    route("first"), rule("first")
    with pytest.raises(Exception, match="RouteAlreadyExists"):
        route("second")
    with pytest.raises(Exception, match="InvalidPermission.Duplicate"):
        rule("second")


def test_the_mocks_move_a_subnet_onto_one_table_and_give_subnets_ranges_that_never_overlap():
    from openhands_zai.testing import TAKEOVER, ProviderLikeMocks

    mocks = ProviderLikeMocks()

    def takeover(name, table):
        return mocks.new_resource(pulumi.runtime.MockResourceArgs(
            TAKEOVER, name, {"target_id": "subnet-0000000a", "route_table_id": table}, None, None, True))

    target_id, state = takeover("first", "rtb-0000000a")
    assert target_id == "subnet-0000000a" and state["association_id"].startswith("rtbassoc-")
    with pytest.raises(Exception, match="Resource.AlreadyAssociated"):
        takeover("second", "rtb-0000000b")
    subnets = [f"subnet-{n:08x}" for n in range(600)]  # past 256: the old ranges had one byte to differ in
    ranges = [mocks.call(pulumi.runtime.MockCallArgs("aws:ec2/getSubnet:getSubnet", {"id": s}, ""))[0]["cidrBlock"]
              for s in subnets]
    assert len(set(ranges)) == len(subnets) and all(r.startswith("10.") and r.endswith(".0/24") for r in ranges)
    again = mocks.call(pulumi.runtime.MockCallArgs("aws:ec2/getSubnet:getSubnet", {"id": subnets[0]}, ""))[0]
    assert again["cidrBlock"] == ranges[0]


def test_the_mocks_refuse_an_invoke_they_do_not_know_instead_of_answering_nothing():
    from openhands_zai.testing import ProviderLikeMocks

    with pytest.raises(NotImplementedError, match="aws:ec2/getVpc:getVpc"):
        ProviderLikeMocks().call(pulumi.runtime.MockCallArgs("aws:ec2/getVpc:getVpc", {"id": "vpc-0000000a"}, ""))
