"""openhands-zai:peering and openhands-zai:egress: parsing, CIDR logic (property-tested), errors by key."""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from openhands_zai import ConfigError, EgressSettings, parse_stack_settings
from openhands_zai.fields import network
from tests.helpers import problems

PEERING = {
    "vpcId": "vpc-0a1b2c3d4e5f60718", "vpcCidr": "10.20.0.0/16", "routeTableIds": ["rtb-0a1b2c3d4e5f60701"],
    "peerVpcId": "vpc-0f1e2d3c4b5a69788", "peerCidr": "10.90.0.0/16", "peerRouteTableIds": ["rtb-0f1e2d3c"],
}
CROSS = {"peerOwnerId": "210987654321", "peerRegion": "eu-central-1",
         "peerRoleArn": "arn:aws:iam::210987654321:role/openhands-zai-peering"}
ONE_SUBNET = [{"subnetId": "subnet-0a1b2c3d", "availabilityZone": "eu-west-1a"}]
EGRESS = {"vpcId": "vpc-0a1b2c3d4e5f60718", "allowCidrs": ["203.0.113.0/24"]}


problems_of = problems


def test_same_account_peering_needs_no_peer_provider():
    peering = parse_stack_settings({"peering": PEERING}).peering
    assert peering.needs_peer_provider is False and peering.allow_remote_dns_resolution is True
    cross = parse_stack_settings({"peering": {**PEERING, **CROSS}}).peering
    assert cross.needs_peer_provider and cross.peer_region == "eu-central-1"
    assert parse_stack_settings({"peering": {**PEERING, "peerRegion": "us-east-1"}}).peering.needs_peer_provider


@pytest.mark.parametrize("change,key", [
    ({"peerCidr": "10.20.128.0/17"}, "peerCidr"),
    ({"peerCidr": "10.20.0.0/16"}, "peerCidr"),
    ({"peerCidr": "10.0.0.0/8"}, "peerCidr"),
    ({"peerCidr": "10.90.0.1/16"}, "peerCidr"),
    ({"vpcCidr": "10.20.0.0/33"}, "vpcCidr"),
    ({"vpcCidr": "fd00::/64"}, "vpcCidr"),
    ({"vpcId": "vpc-123"}, "vpcId"),
    ({"peerVpcId": "vpc-0a1b2c3d4e5f60718"}, "peerVpcId"),
    ({"routeTableIds": ["rtb-zz"]}, "routeTableIds[0]"),
    ({"routeTableIds": []}, "routeTableIds"),
    ({"peerRouteTableIds": ["rtb-0f1e2d3c", "rtb-0f1e2d3c"]}, "peerRouteTableIds[1]"),
    ({"peerOwnerId": "21098765432", "peerRoleArn": CROSS["peerRoleArn"]}, "peerOwnerId"),
    ({"peerOwnerId": "210987654321"}, "peerRoleArn"),
    ({"peerOwnerId": "111111111111", "peerRoleArn": CROSS["peerRoleArn"]}, "peerRoleArn"),
    ({"peerRoleArn": CROSS["peerRoleArn"]}, "peerRoleArn"),
    ({"peerRegion": "Frankfurt"}, "peerRegion"),
    ({"allowRemoteDnsResolution": "maybe"}, "allowRemoteDnsResolution"),
    ({"peerCIDR": "10.1.0.0/16"}, "peerCIDR"),
])
def test_bad_peering_values_name_their_key(change, key):
    found = problems_of(peering={**PEERING, **change})
    assert f"openhands-zai:peering.{key}" in found, found


ipv4_networks = st.builds(
    lambda address, length: ipaddress.ip_network(f"{ipaddress.IPv4Address(address)}/{length}", strict=False),
    st.integers(0, 2**32 - 1), st.integers(8, 28))


@given(local=ipv4_networks, peer=ipv4_networks)
def test_peering_is_refused_exactly_when_the_ranges_overlap(local, peer):
    try:
        parsed, found = parse_stack_settings({"peering": {**PEERING, "vpcCidr": str(local), "peerCidr": str(peer)}}), []
    except ConfigError as error:
        parsed, found = None, [p.key for p in error.problems]
    assert ("openhands-zai:peering.peerCidr" in found) == local.overlaps(peer)
    assert (parsed is None) == local.overlaps(peer)


@given(address=st.integers(0, 2**32 - 1), length=st.integers(0, 32))
def test_a_cidr_is_accepted_only_in_canonical_form(address, length):
    text = f"{ipaddress.IPv4Address(address)}/{length}"
    canonical = str(ipaddress.ip_network(text, strict=False)) == text
    try:
        assert network(text, ipv6=False) == text and canonical
    except PydanticCustomError as error:
        assert not canonical and "did you mean" in error.message()


def test_egress_defaults_the_domain_to_the_endpoint_host_and_adds_the_peer_range():
    stack = parse_stack_settings({"zaiEndpoint": "china", "peering": PEERING, "egress": EGRESS})
    assert stack.egress.allow_domains == ("open.bigmodel.cn",)
    assert stack.egress.allow_cidrs == ("203.0.113.0/24", "10.90.0.0/16")
    assert stack.egress.ports == (443,) and stack.egress.firewall is None


@pytest.mark.parametrize("change,key", [
    ({"allowCidrs": ["0.0.0.0/0"]}, "allowCidrs[0]"),
    ({"allowCidrs": ["::/0"]}, "allowCidrs[0]"),
    ({"allowCidrs": ["203.0.113.7/24"]}, "allowCidrs[0]"),
    ({"allowCidrs": ["203.0.113.0/24", "203.0.113.0/24"]}, "allowCidrs[1]"),
    ({"ports": [80]}, "ports[0]"),
    ({"ports": [70000]}, "ports[0]"),
    ({"allowDomains": ["*.z.ai"]}, "allowDomains[0]"),
    ({"allowDomains": ["https://api.z.ai"]}, "allowDomains[0]"),
    ({"vpcId": "vpc-xyz"}, "vpcId"),
    ({"allowCidrs": []}, "allowCidrs"),
    ({"dnsResolverCidr": "10.0.0.2"}, "dnsResolverCidr"),
    ({"firewall": {"enabled": True, "subnets": [{"subnetId": "sub-1", "availabilityZone": "eu-west-1a"}]}},
     "firewall.subnets[0].subnetId"),
    ({"firewall": {"enabled": True, "subnetIds": ["subnet-0a1b2c3d"]}}, "firewall.subnetIds"),  # moved in 0.9.0
    ({"firewall": {"enabled": True, "subnets": ONE_SUBNET, "internetGatewayId": "igw-0a1b2c3d",
                   "protectedSubnets": [{"subnetId": "subnet-0a1b2c3e", "availabilityZone": "eu-west-1"}]}},
     "firewall.protectedSubnets[0].availabilityZone"),
    ({"firewall": {"enabled": True, "subnets": ONE_SUBNET, "internetGatewayId": "igw-0a1b2c3d",
                   "protectedSubnets": [{"subnetId": "subnet-0a1b2c3e", "availabilityZone": "eu-west-1b"}]}},
     "firewall.protectedSubnets[0].availabilityZone"),  # no firewall endpoint in that zone
    ({"firewall": {"enabled": True, "subnets": ONE_SUBNET, "internetGatewayId": "igw-0a1b2c3d",
                   "protectedSubnets": [{"subnetId": "subnet-0a1b2c3e", "availabilityZone": "eu-west-1a"}] * 2}},
     "firewall.protectedSubnets[1].subnetId"),
    ({"firewall": {"enabled": True, "subnets": ONE_SUBNET, "internetGatewayId": "igw-0a1b2c3d",
                   "protectedSubnets": ONE_SUBNET}},
     "firewall.protectedSubnets[0].subnetId"),  # the firewall's own subnet
    ({"firewall": {"enabled": True, "subnets": ONE_SUBNET,
                   "protectedSubnets": [{"subnetId": "subnet-0a1b2c3e", "availabilityZone": "eu-west-1a"}]}},
     "firewall.internetGatewayId"),
    ({"firewall": {"enabled": True, "subnets": ONE_SUBNET, "internetGatewayId": "rtb-0a1b2c3d"}},
     "firewall.internetGatewayId"),
    ({"firewall": {"enabled": True, "subnets": ONE_SUBNET,
                   "internetRoutes": [{"routeTableId": "rtb-0a1b2c3d", "availabilityZone": "eu-west-1a"}]}},
     "firewall.internetRoutes"),  # replaced in 0.9.0
    ({"firewall": {"enabled": True, "subnets": ONE_SUBNET}, "allowDomains": []}, "allowDomains"),
    ({"firewal": {}}, "firewal"),
    ({"allowCidrs": [], "firewall": {"enabled": True, "subnets": ONE_SUBNET,
                                     "allowHttpsToFirewall": False}}, "allowCidrs"),
])
def test_bad_egress_values_name_their_key(change, key):
    found = problems_of(egress={**EGRESS, **change})
    assert f"openhands-zai:egress.{key}" in found, found


def test_the_override_opens_the_internet_and_warns():
    stack = parse_stack_settings({"egress": {**EGRESS, "allowCidrs": ["0.0.0.0/0"], "ports": [443, 80],
                                             "allowInsecureEgress": True}})
    assert stack.egress.allow_cidrs == ("0.0.0.0/0",) and stack.egress.ports == (443, 80)
    assert any("allowInsecureEgress is true" in w and "0.0.0.0/0" in w for w in stack.warnings)


def test_firewall_alone_may_carry_the_allow_list():
    egress = EgressSettings.model_validate({"vpcId": "vpc-0a1b2c3d", "allowDomains": [".z.ai", "API.Z.AI"],
                                            "firewall": {"enabled": True, "subnets": ONE_SUBNET}},
                                           ).resolved("api.z.ai", None)
    assert egress.allow_cidrs == () and egress.allow_domains == (".z.ai", "api.z.ai")
    assert egress.firewall.delete_protection is True


def test_bad_cidrs_are_named_without_a_second_problem_about_an_empty_list():
    found = problems_of(egress={**EGRESS, "allowCidrs": ["10.0.0.1/8", "192.168.1.1/16"]})
    assert found == {"openhands-zai:egress.allowCidrs[0]": "'10.0.0.1/8' has host bits set or is not canonical; did "
                                                           "you mean 10.0.0.0/8?",
                     "openhands-zai:egress.allowCidrs[1]": "'192.168.1.1/16' has host bits set or is not canonical; "
                                                           "did you mean 192.168.0.0/16?"}
