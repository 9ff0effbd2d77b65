"""The network plan (routes, rules, firewall targets) and the Kubernetes egress policies."""

import kubernetes_validate
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openhands_zai.network.plan import egress_policies, egress_rules, firewall_endpoint, peering_routes, prefix_list_cidrs
from tests.helpers import egress_settings, peering_settings
from tests.network.test_settings import EGRESS, PEERING

# The oldest Kubernetes the cluster target supports, and the newest schemas kubernetes-validate bundles.
K8S_VERSIONS = ["1.30.0", kubernetes_validate.utils.latest_version()]
FIREWALL = {"enabled": True, "subnets": [{"subnetId": "subnet-0a1b2c3d", "availabilityZone": "us-east-1a"},
                                              {"subnetId": "subnet-0a1b2c3e", "availabilityZone": "us-east-1b"}]}


def egress(**change):
    return egress_settings({**EGRESS, **change})


table_ids = st.lists(st.from_regex(r"rtb-[0-9a-f]{8}", fullmatch=True), min_size=1, max_size=5, unique=True)


@given(local=table_ids, peer=table_ids)
def test_every_route_table_gets_one_route_to_the_other_side(local, peer):
    settings = peering_settings({**PEERING, "routeTableIds": local, "peerRouteTableIds": peer})
    routes = peering_routes(settings)
    assert len(routes) == len(local) + len(peer)
    assert {(r.route_table_id, r.destination_cidr) for r in routes if r.side == "local"} == \
        {(t, "10.90.0.0/16") for t in local}
    assert {(r.route_table_id, r.destination_cidr) for r in routes if r.side == "peer"} == \
        {(t, "10.20.0.0/16") for t in peer}
    assert len({r.name for r in routes}) == len(routes)  # resource names are unique


def test_rules_are_443_to_the_prefix_list_and_dns_only():
    rules = egress_rules(egress())
    assert [(r.protocol, r.port, r.target) for r in rules] == [
        ("tcp", 443, "prefix-list"), ("udp", 53, "169.254.169.253/32"), ("tcp", 53, "169.254.169.253/32")]
    assert all(r.description for r in rules)
    assert rules[0].as_dict("pl-1") == {"protocol": "tcp", "fromPort": 443, "toPort": 443, "prefixListId": "pl-1"}


def test_ipv6_cidrs_get_their_own_rules_and_stay_out_of_the_ipv4_prefix_list():
    settings = egress(allowCidrs=["203.0.113.0/24", "2001:db8::/32"])
    assert prefix_list_cidrs(settings) == ["203.0.113.0/24"]
    ipv6 = [r for r in egress_rules(settings) if r.target == "2001:db8::/32"]
    assert len(ipv6) == 1 and ipv6[0].as_dict("pl-1")["cidrIpv6"] == "2001:db8::/32"


def test_with_the_firewall_https_leaves_for_the_firewall_to_filter():
    rules = egress_rules(egress(firewall=FIREWALL))
    (via,) = [r for r in rules if r.name == "tcp-443-via-firewall"]
    assert via.target == "0.0.0.0/0" and "Network Firewall" in via.description


def test_firewall_endpoint_per_zone():
    statuses = [{"sync_states": [
        {"availability_zone": "eu-west-1a", "attachments": [{"endpoint_id": "vpce-a", "subnet_id": "subnet-a"}]},
        {"availability_zone": "eu-west-1b", "attachments": [{"endpoint_id": "vpce-b", "subnet_id": "subnet-b"}]}]}]
    assert firewall_endpoint(statuses, "eu-west-1b") == "vpce-b"
    with pytest.raises(ValueError, match="no endpoint in eu-west-1c"):
        firewall_endpoint(statuses, "eu-west-1c")


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("settings", [egress(), egress(firewall=FIREWALL), egress(allowCidrs=["2001:db8::/32"])],
                         ids=["cidrs", "firewall", "ipv6"])
def test_network_policies_validate_strictly(settings, version):
    for policy in egress_policies(settings, "openhands", cilium=False):
        kubernetes_validate.validate(policy, version, strict=True)


def test_default_deny_then_dns_and_443_to_the_allowed_cidrs():
    deny, allow = egress_policies(egress(), "openhands", cilium=False)
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Egress"]}
    dns, https = allow["spec"]["egress"]
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert {p["port"] for p in dns["ports"]} == {53}
    assert https == {"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"protocol": "TCP", "port": 443}]}


def test_cilium_names_the_domains_and_keeps_the_internet_closed():
    policies = egress_policies(egress(firewall=FIREWALL, allowDomains=["api.z.ai", ".bigmodel.cn"]), "openhands",
                               cilium=True)
    kinds = [p["kind"] for p in policies]
    assert kinds == ["NetworkPolicy", "NetworkPolicy", "CiliumNetworkPolicy"]
    for policy in policies[:2]:
        kubernetes_validate.validate(policy, K8S_VERSIONS[0], strict=True)
    # The FQDN policy is the domain filter: the NetworkPolicy must not also open 0.0.0.0/0.
    assert "0.0.0.0/0" not in str(policies[1])
    dns, fqdn = policies[2]["spec"]["egress"]
    assert dns["toPorts"][0]["rules"] == {"dns": [{"matchPattern": "*"}]}
    assert fqdn["toFQDNs"] == [{"matchName": "api.z.ai"}, {"matchPattern": "*.bigmodel.cn"},
                               {"matchName": "bigmodel.cn"}]
    assert fqdn["toPorts"] == [{"ports": [{"port": "443", "protocol": "TCP"}]}]


def test_without_cilium_the_firewall_case_allows_https_out_for_the_vpc_firewall():
    _, allow = egress_policies(egress(firewall=FIREWALL), "openhands", cilium=False)
    # The internet, but never the metadata addresses (169.254.169.254: the node's role).
    assert {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32", "169.254.170.23/32"]}} in \
        allow["spec"]["egress"][1]["to"]


def test_the_group_can_stay_closed_to_the_internet_with_the_firewall_behind_it():
    rules = egress_rules(egress(firewall={**FIREWALL, "allowHttpsToFirewall": False}))
    assert [(r.protocol, r.port, r.target) for r in rules] == [
        ("tcp", 443, "prefix-list"), ("udp", 53, "169.254.169.253/32"), ("tcp", 53, "169.254.169.253/32")]
    _, allow = egress_policies(egress(firewall={**FIREWALL, "allowHttpsToFirewall": False}), "oh", cilium=False)
    assert "0.0.0.0/0" not in str(allow)
