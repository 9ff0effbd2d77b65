"""What the network components create, as plain data (pure; no Pulumi, no AWS).

The components turn each item into exactly one resource, `ops verify` compares the live
account with the same items, and the tests read them directly.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from components.network.settings import HTTPS, EgressSettings, PeeringSettings
from components.policy_labels import EGRESS_EXCEPTION_FIREWALL, EGRESS_EXCEPTION_INSECURE

INTERNET_V4, INTERNET_V6 = "0.0.0.0/0", "::/0"


@dataclass(frozen=True)
class PeeringRoute:
    side: str  # "local" (default provider) or "peer" (the peer provider)
    route_table_id: str
    destination_cidr: str

    @property
    def name(self) -> str:
        return f"{self.side}-{self.route_table_id}"


def peering_routes(settings: PeeringSettings) -> list[PeeringRoute]:
    """Every local route table to the peer range, every peer route table to the local range."""
    return ([PeeringRoute("local", table, settings.peer_cidr) for table in settings.route_table_ids]
            + [PeeringRoute("peer", table, settings.vpc_cidr) for table in settings.peer_route_table_ids])


@dataclass(frozen=True)
class EgressRule:
    name: str  # the resource's role in its name
    protocol: str  # tcp | udp
    port: int
    target: str  # "prefix-list" or a CIDR
    description: str
    # Why this flow may reach the whole internet (the policy pack's egress-exception tag), if it does.
    exception: str | None = None

    def as_dict(self, prefix_list_id: str) -> dict[str, Any]:
        """The rule as `ops verify` compares it with `describe_security_group_rules`."""
        rule: dict[str, Any] = {"protocol": self.protocol, "fromPort": self.port, "toPort": self.port}
        if self.target == "prefix-list":
            rule["prefixListId"] = prefix_list_id
        elif ipaddress.ip_network(self.target).version == 6:
            rule["cidrIpv6"] = self.target
        else:
            rule["cidrIpv4"] = self.target
        return rule


def prefix_list_cidrs(settings: EgressSettings) -> list[str]:
    """IPv4 CIDRs go in the managed prefix list (IPv4 family); IPv6 ones get their own rules."""
    return [c for c in settings.allow_cidrs if ipaddress.ip_network(c).version == 4]


def open_to_internet(cidrs: list[str] | tuple[str, ...]) -> bool:
    return any(ipaddress.ip_network(cidr).prefixlen == 0 for cidr in cidrs)


def egress_rules(settings: EgressSettings) -> list[EgressRule]:
    rules = []
    # Only `allowInsecureEgress` lets 0.0.0.0/0 or ::/0 into allowCidrs (settings refuse it otherwise).
    insecure = EGRESS_EXCEPTION_INSECURE
    if prefix_list_cidrs(settings):
        rules += [EgressRule(f"tcp-{port}-allow-list", "tcp", port, "prefix-list",
                             f"TCP {port} to the allow-listed CIDRs (prefix list)",
                             insecure if open_to_internet(prefix_list_cidrs(settings)) else None)
                  for port in settings.ports]
    for cidr in settings.allow_cidrs:
        if ipaddress.ip_network(cidr).version == 6:
            safe = cidr.replace("/", "-").replace(":", "x")  # resource names: no "/" or ":"
            rules += [EgressRule(f"tcp-{port}-{safe}", "tcp", port, cidr, f"TCP {port} to {cidr}",
                                 insecure if open_to_internet([cidr]) else None)
                      for port in settings.ports]
    if (settings.firewall is not None and settings.firewall.allow_https_to_firewall
            and INTERNET_V4 not in settings.allow_cidrs):
        # Security groups only know addresses, and Z.AI's are a CDN's: with the domain firewall on
        # the internet path, the group lets HTTPS out and the firewall enforces allowDomains.
        rules.append(EgressRule("tcp-443-via-firewall", "tcp", HTTPS, INTERNET_V4,
                                "HTTPS to the internet, filtered by the Network Firewall domain allow-list",
                                EGRESS_EXCEPTION_FIREWALL))
    rules += [EgressRule(f"{proto}-53-dns", proto, 53, settings.dns_resolver_cidr, f"DNS ({proto.upper()}) to the resolver")
              for proto in ("udp", "tcp")]
    return rules


def firewall_rule_targets(domains: tuple[str, ...] | list[str]) -> list[str]:
    """Network Firewall domain targets: `api.z.ai` exactly, `.z.ai` for the domain and its subdomains."""
    return sorted(set(domains))


def firewall_rule_group_capacity(domains: tuple[str, ...] | list[str]) -> int:
    # A domain list consumes about one unit per target per protocol; leave room to grow without
    # replacing the rule group (capacity cannot change in place).
    return max(100, 4 * len(domains) * 2)


def firewall_endpoint(statuses: Any, availability_zone: str) -> str:
    """The firewall endpoint id in one zone, from the Firewall's `firewall_statuses` output."""
    for status in statuses or []:
        for state in status.get("sync_states") or status.get("syncStates") or []:
            zone = state.get("availability_zone") or state.get("availabilityZone")
            if zone == availability_zone:
                for attachment in state.get("attachments") or []:
                    endpoint = attachment.get("endpoint_id") or attachment.get("endpointId")
                    if endpoint:
                        return endpoint
    raise ValueError(f"the firewall has no endpoint in {availability_zone}: add a firewall subnet in that zone "
                     "(openhands-zai:egress.firewall.subnetIds)")
