"""`openhands-zai:peering` and `openhands-zai:egress`, typed and validated (pure).

Every problem is reported with the key as the user writes it
(`openhands-zai:peering.peerCidr`), and CIDR overlaps are caught here, before AWS would
reject a route half-way through `pulumi up`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from components.aws_ids import (
    ACCOUNT_ID,
    AVAILABILITY_ZONE,
    IAM_ROLE_ARN,
    REGION,
    ROUTE_TABLE_ID,
    SUBNET_ID,
    VPC_ID,
    account_of_arn,
)
from components.config_errors import Problems, checked_map, config_key
from components.config_values import as_bool, as_int

PEERING_KEYS = ("vpcId", "vpcCidr", "routeTableIds", "peerVpcId", "peerCidr", "peerRouteTableIds", "peerOwnerId",
                "peerRegion", "peerRoleArn", "allowRemoteDnsResolution")
EGRESS_KEYS = ("vpcId", "allowCidrs", "allowDomains", "ports", "dnsResolverCidr", "allowInsecureEgress", "firewall")
FIREWALL_KEYS = ("enabled", "subnetIds", "internetRoutes", "returnRoutes", "deleteProtection", "allowHttpsToFirewall")
INTERNET_ROUTE_KEYS = ("routeTableId", "availabilityZone")
RETURN_ROUTE_KEYS = ("routeTableId", "destinationCidr", "availabilityZone")
# The Amazon-provided DNS address every Nitro instance can use. Security groups do not filter
# traffic to Amazon DNS; the rule states the intent and matters for a custom resolver CIDR.
AMAZON_DNS = "169.254.169.253/32"
HTTPS = 443
_DOMAIN = re.compile(r"^\.?(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.ASCII)
_WIDE = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


@dataclass(frozen=True)
class PeeringSettings:
    vpc_id: str
    vpc_cidr: str
    route_table_ids: tuple[str, ...]
    peer_vpc_id: str
    peer_cidr: str
    peer_route_table_ids: tuple[str, ...]
    peer_owner_id: str | None = None  # None: the same account
    peer_region: str | None = None  # None: the same region
    peer_role_arn: str | None = None  # the role the peer-side provider assumes (cross-account)
    allow_remote_dns_resolution: bool = True

    @property
    def needs_peer_provider(self) -> bool:
        """Same account and region auto-accept; anything else is accepted from the peer side."""
        return self.peer_owner_id is not None or self.peer_region is not None


@dataclass(frozen=True)
class InternetRoute:
    route_table_id: str
    availability_zone: str


@dataclass(frozen=True)
class ReturnRoute:
    route_table_id: str
    destination_cidr: str
    availability_zone: str


@dataclass(frozen=True)
class FirewallSettings:
    subnet_ids: tuple[str, ...]
    internet_routes: tuple[InternetRoute, ...] = ()
    return_routes: tuple[ReturnRoute, ...] = ()
    delete_protection: bool = True
    # The security group lets HTTPS out to 0.0.0.0/0 for the firewall to filter by name. False
    # keeps the group to allowCidrs too (both layers must agree: list the API's addresses).
    allow_https_to_firewall: bool = True


@dataclass(frozen=True)
class EgressSettings:
    vpc_id: str
    allow_cidrs: tuple[str, ...]
    allow_domains: tuple[str, ...]
    ports: tuple[int, ...] = (HTTPS,)
    dns_resolver_cidr: str = AMAZON_DNS
    allow_insecure_egress: bool = False
    firewall: FirewallSettings | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)




def _id(value: Any, key: str, pattern: re.Pattern, example: str, problems: Problems) -> str | None:
    if not isinstance(value, str) or not pattern.match(value):
        problems.add(key, f"must look like {example}, got {value!r}")
        return None
    return value


def _ids(value: Any, key: str, pattern: re.Pattern, example: str, problems: Problems,
         *, required: bool = True) -> tuple[str, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, list) or (required and not value):
        problems.add(key, f"must be a list of ids like {example}" + (" (at least one)" if required else ""))
        return ()
    found = []
    for index, item in enumerate(value):
        checked = _id(item, f"{key}[{index}]", pattern, example, problems)
        if checked and checked in found:
            problems.add(f"{key}[{index}]", f"{checked} is listed twice")
        elif checked:
            found.append(checked)
    return tuple(found)


def parse_cidr(value: Any, key: str, problems: Problems, *, ipv6: bool = False):
    """A network in canonical form; host bits set is an error with the likely intent shown."""
    if not isinstance(value, str):
        problems.add(key, f"must be a CIDR such as 10.0.0.0/16, got {value!r}")
        return None
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        problems.add(key, f"must be a CIDR such as 10.0.0.0/16, got {value!r}")
        return None
    if network.version == 6 and not ipv6:
        problems.add(key, f"must be an IPv4 CIDR, got {value!r}")
        return None
    if str(network) != value:
        problems.add(key, f"{value!r} has host bits set or is not canonical; did you mean {network}?")
        return None
    return network


def _flag(raw: dict, name: str, key: str, default: bool, problems: Problems) -> bool:
    value = as_bool(raw.get(name, default))
    if value is None:
        problems.add(key, f"must be true or false, got {raw.get(name)!r}")
    return bool(value)


def parse_peering_settings(raw: Any, problems: Problems) -> PeeringSettings | None:
    if raw is None:
        return None
    key = lambda name: config_key("peering", name)  # noqa: E731
    values = checked_map(raw, config_key("peering"), PEERING_KEYS, problems)
    if values is None:
        return None
    start = len(problems.items)
    vpc_id = _id(values.get("vpcId"), key("vpcId"), VPC_ID, "vpc-0123456789abcdef0", problems)
    peer_vpc_id = _id(values.get("peerVpcId"), key("peerVpcId"), VPC_ID, "vpc-0123456789abcdef0", problems)
    if vpc_id and vpc_id == peer_vpc_id:
        problems.add(key("peerVpcId"), "is the same VPC as vpcId; a VPC cannot peer with itself")
    local = parse_cidr(values.get("vpcCidr"), key("vpcCidr"), problems)
    peer = parse_cidr(values.get("peerCidr"), key("peerCidr"), problems)
    if local and peer and local.overlaps(peer):
        what = "is the same as" if local == peer else "overlaps"
        problems.add(key("peerCidr"), f"{peer} {what} vpcCidr {local}: peered VPCs need disjoint ranges")
    tables = _ids(values.get("routeTableIds"), key("routeTableIds"), ROUTE_TABLE_ID, "rtb-0123456789abcdef0", problems)
    peer_tables = _ids(values.get("peerRouteTableIds"), key("peerRouteTableIds"), ROUTE_TABLE_ID,
                       "rtb-0123456789abcdef0", problems)
    owner = values.get("peerOwnerId")
    if owner is not None:
        owner = _id(str(owner) if isinstance(owner, int) else owner, key("peerOwnerId"), ACCOUNT_ID,
                    "a 12-digit account id (quote it in YAML)", problems)
    region = values.get("peerRegion")
    if region is not None:
        region = _id(region, key("peerRegion"), REGION, "eu-west-1", problems)
    role = values.get("peerRoleArn")
    if role is not None:
        role = _id(role, key("peerRoleArn"), IAM_ROLE_ARN, "arn:aws:iam::<peer account>:role/<name>", problems)
    if owner and not role and values.get("peerRoleArn") is None:
        problems.add(key("peerRoleArn"), "is required with peerOwnerId: the accepter side runs in the peer account "
                                         "through this role")
    if role and owner and account_of_arn(role) != owner:
        problems.add(key("peerRoleArn"), f"is in account {account_of_arn(role)}, but peerOwnerId is {owner}")
    if role and values.get("peerOwnerId") is None:
        problems.add(key("peerRoleArn"), "needs peerOwnerId (the account the role is in)")
    dns = _flag(values, "allowRemoteDnsResolution", key("allowRemoteDnsResolution"), True, problems)
    if len(problems.items) > start:
        return None
    return PeeringSettings(vpc_id=vpc_id, vpc_cidr=str(local), route_table_ids=tables, peer_vpc_id=peer_vpc_id,
                           peer_cidr=str(peer), peer_route_table_ids=peer_tables, peer_owner_id=owner,
                           peer_region=region, peer_role_arn=role, allow_remote_dns_resolution=dns)


def _parse_firewall(raw: Any, problems: Problems) -> FirewallSettings | None:
    key = lambda *names: config_key("egress", "firewall", *names)  # noqa: E731
    values = checked_map(raw, key(), FIREWALL_KEYS, problems)
    if values is None or not _flag(values, "enabled", key("enabled"), False, problems):
        return None
    subnets = _ids(values.get("subnetIds"), key("subnetIds"), SUBNET_ID, "subnet-0123456789abcdef0", problems)
    internet, returns = [], []
    for index, item in enumerate(values.get("internetRoutes") or []):
        item_key = key(f"internetRoutes[{index}]")
        route = checked_map(item, item_key, INTERNET_ROUTE_KEYS, problems)
        if route is None:
            continue
        table = _id(route.get("routeTableId"), f"{item_key}.routeTableId", ROUTE_TABLE_ID, "rtb-0123456789abcdef0",
                    problems)
        zone = _id(route.get("availabilityZone"), f"{item_key}.availabilityZone", AVAILABILITY_ZONE, "eu-west-1a",
                   problems)
        if table and zone:
            internet.append(InternetRoute(table, zone))
    for index, item in enumerate(values.get("returnRoutes") or []):
        item_key = key(f"returnRoutes[{index}]")
        route = checked_map(item, item_key, RETURN_ROUTE_KEYS, problems)
        if route is None:
            continue
        table = _id(route.get("routeTableId"), f"{item_key}.routeTableId", ROUTE_TABLE_ID, "rtb-0123456789abcdef0",
                    problems)
        cidr = parse_cidr(route.get("destinationCidr"), f"{item_key}.destinationCidr", problems)
        zone = _id(route.get("availabilityZone"), f"{item_key}.availabilityZone", AVAILABILITY_ZONE, "eu-west-1a",
                   problems)
        if table and cidr and zone:
            returns.append(ReturnRoute(table, str(cidr), zone))
    if internet and not returns:
        problems.add(key("returnRoutes"), "are needed with internetRoutes: without them the answers bypass the "
                                          "firewall and its stateful rules drop the flows")
    return FirewallSettings(
        subnet_ids=subnets, internet_routes=tuple(internet), return_routes=tuple(returns),
        delete_protection=_flag(values, "deleteProtection", key("deleteProtection"), True, problems),
        allow_https_to_firewall=_flag(values, "allowHttpsToFirewall", key("allowHttpsToFirewall"), True, problems))


def parse_egress_settings(raw: Any, problems: Problems, *, endpoint_host: str | None,
                          peer_cidr: str | None = None) -> EgressSettings | None:
    """`allowDomains` defaults to the Z.AI endpoint's host; the peer CIDR joins the allowed CIDRs."""
    if raw is None:
        return None
    key = lambda name: config_key("egress", name)  # noqa: E731
    values = checked_map(raw, config_key("egress"), EGRESS_KEYS, problems)
    if values is None:
        return None
    start = len(problems.items)
    vpc_id = _id(values.get("vpcId"), key("vpcId"), VPC_ID, "vpc-0123456789abcdef0", problems)
    insecure = _flag(values, "allowInsecureEgress", key("allowInsecureEgress"), False, problems)

    cidrs: list[str] = []
    raw_cidrs = values.get("allowCidrs", [])
    if not isinstance(raw_cidrs, list):
        problems.add(key("allowCidrs"), "must be a list of CIDRs")
        raw_cidrs = []
    for index, item in enumerate(raw_cidrs):
        network = parse_cidr(item, f"{key('allowCidrs')}[{index}]", problems, ipv6=True)
        if network is None:
            continue
        if network in _WIDE and not insecure:
            problems.add(f"{key('allowCidrs')}[{index}]",
                         f"{network} allows the whole internet; name the destinations (the firewall's "
                         "allowDomains covers hostnames), or set allowInsecureEgress: true")
        elif str(network) in cidrs:
            problems.add(f"{key('allowCidrs')}[{index}]", f"{network} is listed twice")
        else:
            cidrs.append(str(network))
    if peer_cidr and peer_cidr not in cidrs:
        cidrs.append(peer_cidr)

    ports: list[int] = []
    raw_ports = values.get("ports", [HTTPS])
    for index, item in enumerate(raw_ports if isinstance(raw_ports, list) else [raw_ports]):
        port = as_int(item)
        if port is None or not 1 <= port <= 65535:
            problems.add(f"{key('ports')}[{index}]", f"must be a TCP port from 1 to 65535, got {item!r}")
        elif port != HTTPS and not insecure:
            problems.add(f"{key('ports')}[{index}]", f"port {port} is not allowed: the Z.AI API is HTTPS (443); "
                                                     "set allowInsecureEgress: true to open other ports")
        elif port not in ports:
            ports.append(port)

    domains: list[str] = []
    raw_domains = values.get("allowDomains", [endpoint_host] if endpoint_host else [])
    for index, item in enumerate(raw_domains if isinstance(raw_domains, list) else [raw_domains]):
        domain = item.lower() if isinstance(item, str) else item
        if not isinstance(domain, str) or not _DOMAIN.match(domain):
            problems.add(f"{key('allowDomains')}[{index}]", f"must be a host name (api.z.ai) or a leading-dot "
                                                             f"domain for its subdomains (.z.ai), got {item!r}")
        elif domain not in domains:
            domains.append(domain)

    resolver = parse_cidr(values.get("dnsResolverCidr", AMAZON_DNS), key("dnsResolverCidr"), problems)
    firewall = _parse_firewall(values["firewall"], problems) if values.get("firewall") is not None else None
    if firewall is not None and not domains:
        problems.add(key("allowDomains"), "is empty but the firewall is on: it would drop everything")
    if not cidrs and (firewall is None or not firewall.allow_https_to_firewall):
        problems.add(key("allowCidrs"), "is empty and no HTTPS goes to the firewall: nothing could be reached; "
                                        "list the destinations or enable the firewall (allowHttpsToFirewall)")
    if len(problems.items) > start:
        return None
    warnings = []
    if insecure:
        warnings.append(f"{key('allowInsecureEgress')} is true: egress may reach "
                        f"{', '.join(c for c in cidrs if ipaddress.ip_network(c) in _WIDE) or 'the listed CIDRs'} "
                        f"on ports {', '.join(map(str, ports))}; OpenHands runs model-written code")
    return EgressSettings(vpc_id=vpc_id, allow_cidrs=tuple(cidrs), allow_domains=tuple(domains), ports=tuple(ports),
                          dns_resolver_cidr=str(resolver), allow_insecure_egress=insecure, firewall=firewall,
                          warnings=tuple(warnings))
