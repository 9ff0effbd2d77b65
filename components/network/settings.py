"""`openhands-zai:peering` and `openhands-zai:egress` (pure).

CIDR overlaps, malformed ids and accounts are caught here, with the key as the user writes it
(`openhands-zai:peering.peerCidr`), before AWS would reject a route half-way through `pulumi up`.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from ..aws_ids import (
    AccountId,
    AvailabilityZone,
    IamRoleArn,
    InternetGatewayId,
    Region,
    RouteTableId,
    SubnetId,
    VpcId,
    account_of_arn,
)
from ..errors import Hint
from ..fields import Cidr, Flag, Ipv4Cidr, Port, SettingsModel, problem, problems_at, unique

# The Amazon-provided DNS address every Nitro instance can use. Security groups do not filter
# traffic to Amazon DNS; the rule states the intent and matters for a custom resolver CIDR.
AMAZON_DNS = "169.254.169.253/32"
HTTPS = 443
_WIDE = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))

RouteTableIds = Annotated[tuple[RouteTableId, ...], Field(min_length=1),
                          Hint("a list of ids like rtb-0123456789abcdef0 (at least one)")]


def _each_once(values: tuple[Any, ...]) -> tuple[Any, ...]:
    unique(values, "list")
    return values


class PeeringSettings(SettingsModel):
    """The OpenHands VPC, the peer VPC (another account or region when named), and their routes."""

    vpc_id: VpcId = Field(description=(
        "The VPC OpenHands runs in."))
    vpc_cidr: Ipv4Cidr = Field(description=(
        "That VPC's range."))
    route_table_ids: Annotated[RouteTableIds, AfterValidator(_each_once)] = Field(description=(
        "That VPC's route tables that get a route to the peer."))
    peer_vpc_id: VpcId = Field(description=(
        "The peer VPC (where your services or a proxy run)."))
    peer_cidr: Ipv4Cidr = Field(description=(
        "The peer VPC's range; must not overlap vpcCidr."))
    peer_route_table_ids: Annotated[RouteTableIds, AfterValidator(_each_once)] = Field(description=(
        "The peer VPC's route tables that get a route back."))
    peer_owner_id: AccountId | None = Field(None, description=(
        "The peer's AWS account, quoted (unset: the same account)."))
    peer_region: Region | None = Field(None, description=(
        "The peer's region (unset: the same region)."))
    # The role the peer-side provider assumes (cross-account); checked even when unset.
    peer_role_arn: IamRoleArn | None = Field(None, validate_default=True, description=(
        "A role in the peer account that accepts the peering and routes back; required with peerOwnerId."))
    allow_remote_dns_resolution: Flag = Field(True, description=(
        "Let each side resolve the other's private DNS names."))

    @field_validator("peer_vpc_id")
    @classmethod
    def _not_itself(cls, peer: str, info: ValidationInfo) -> str:
        if peer == info.data.get("vpc_id"):
            raise problem("is the same VPC as vpcId; a VPC cannot peer with itself")
        return peer

    @field_validator("peer_cidr")
    @classmethod
    def _disjoint(cls, peer: str, info: ValidationInfo) -> str:
        local = info.data.get("vpc_cidr")
        if local is not None and ipaddress.ip_network(local).overlaps(ipaddress.ip_network(peer)):
            what = "is the same as" if local == peer else "overlaps"
            raise problem(f"{peer} {what} vpcCidr {local}: peered VPCs need disjoint ranges")
        return peer

    @field_validator("peer_role_arn")
    @classmethod
    def _role_in_the_peer_account(cls, role: str | None, info: ValidationInfo) -> str | None:
        if "peer_owner_id" not in info.data:
            return role  # the owner is wrong already
        owner = info.data["peer_owner_id"]
        if owner and not role:
            raise problem("is required with peerOwnerId: the accepter side runs in the peer account through this role")
        if role and not owner:
            raise problem("needs peerOwnerId (the account the role is in)")
        if role and owner and account_of_arn(role) != owner:
            raise problem(f"is in account {account_of_arn(role)}, but peerOwnerId is {owner}")
        return role

    @property
    def needs_peer_provider(self) -> bool:
        """Same account and region auto-accept; anything else is accepted from the peer side."""
        return self.peer_owner_id is not None or self.peer_region is not None


class FirewallSubnet(SettingsModel):
    """A subnet and its zone (checked against the subnet at `pulumi up`): one of the firewall's
    endpoints, or one whose internet traffic goes through the endpoint in its zone."""

    subnet_id: SubnetId = Field(description=(
        "The subnet."))
    availability_zone: AvailabilityZone = Field(description=(
        "Its availability zone (checked against the subnet at pulumi up)."))


def _one_per_zone(subnets: tuple[FirewallSubnet, ...]) -> tuple[FirewallSubnet, ...]:
    # Network Firewall takes one subnet per zone: its endpoint there serves the whole zone.
    found: list[tuple[tuple[str | int, ...], str]] = []
    for index, subnet in enumerate(subnets):
        earlier = [s for s in subnets[:index] if s.subnet_id == subnet.subnet_id]
        if earlier:
            found.append(((index, "subnetId"), f"{subnet.subnet_id} is listed twice"))
        elif subnet.availability_zone in [s.availability_zone for s in subnets[:index]]:
            found.append(((index, "availabilityZone"), f"{subnet.availability_zone} has a firewall subnet already: "
                                                       "Network Firewall takes one subnet per zone"))
    if found:
        raise problems_at("FirewallSettings", found)
    return subnets


class FirewallSettings(SettingsModel):
    """An AWS Network Firewall domain allow-list on the internet path."""

    unknown_key_hints = (
        (r"^subnetIds$", "moved in 0.9.0: firewall.subnets: [{subnetId, availabilityZone}], so the plan knows "
                         "which zone each firewall endpoint serves"),
        (r"^(internetRoutes|returnRoutes)$", "replaced in 0.9.0: list the NAT subnets in firewall.protectedSubnets "
                                             "[{subnetId, availabilityZone}] and the VPC's internetGatewayId; the "
                                             "bundle routes them through its own route tables (docs/network.md: Firewall "
                                             "routing on a live VPC)"),
    )

    enabled: Flag = Field(False, description=(
        "Create the AWS Network Firewall with the domain allow-list."))
    subnets: Annotated[tuple[FirewallSubnet, ...], AfterValidator(_one_per_zone),
                       Hint("a list of {subnetId, availabilityZone}")] = Field((), validate_default=True, description=(
        "The firewall's own subnets, one per availability zone."))
    # The subnets whose internet traffic the firewall inspects (the NAT gateways'): each moves onto
    # a route table of the bundle's, 0.0.0.0/0 to the endpoint in its zone; the internet gateway
    # gets an edge table sending their answers back the same way.
    protected_subnets: Annotated[tuple[FirewallSubnet, ...], Hint("a list of {subnetId, availabilityZone}")] = Field(
        (), description=(
        "The subnets whose internet traffic the firewall inspects (the NAT gateways'), each in a zone "
        "with a firewall subnet; the bundle moves them onto its own route tables. Empty: nothing is "
        "routed through the firewall (the plan warns)."))
    internet_gateway_id: InternetGatewayId | None = Field(None, validate_default=True, description=(
        "The VPC's internet gateway, which gets an edge route table sending answers back through the "
        "firewall; required with protectedSubnets."))
    delete_protection: Flag = Field(True, description=(
        "Protect the firewall from deletion."))
    # The security group lets HTTPS out to 0.0.0.0/0 for the firewall to filter by name. False
    # keeps the group to allowCidrs too (both layers must agree: list the API's addresses).
    allow_https_to_firewall: Flag = Field(True, description=(
        "The security group lets HTTPS out to any address for the firewall to filter by name; false keeps "
        "the group to allowCidrs too (then list the API's addresses)."))

    @field_validator("subnets")
    @classmethod
    def _somewhere_to_run(cls, subnets: tuple[FirewallSubnet, ...], info: ValidationInfo) -> tuple:
        if info.data.get("enabled") and not subnets:
            raise problem("must list at least one {subnetId, availabilityZone} for the firewall's endpoints (one per "
                          "zone it serves)")
        return subnets

    @field_validator("protected_subnets")
    @classmethod
    def _protected_in_served_zones(cls, protected: tuple[FirewallSubnet, ...],
                                   info: ValidationInfo) -> tuple[FirewallSubnet, ...]:
        # A subnet's traffic goes to the firewall's endpoint in the subnet's zone: there must be one.
        subnets = info.data.get("subnets") or ()
        served = sorted(s.availability_zone for s in subnets)
        firewall_ids = {s.subnet_id for s in subnets}
        found: list[tuple[tuple[str | int, ...], str]] = []
        for index, subnet in enumerate(protected):
            if subnet.subnet_id in [s.subnet_id for s in protected[:index]]:
                found.append(((index, "subnetId"), f"{subnet.subnet_id} is listed twice"))
            elif subnet.subnet_id in firewall_ids:
                found.append(((index, "subnetId"), f"{subnet.subnet_id} is a firewall subnet: its own traffic "
                                                   "cannot be sent through its own endpoint"))
            elif served and subnet.availability_zone not in served:
                found.append(((index, "availabilityZone"), (
                    f"{subnet.availability_zone} has no firewall subnet, so no firewall endpoint (subnets in "
                    f"{', '.join(served)}): add one there to firewall.subnets")))
        if found:
            raise problems_at(cls.__name__, found)
        return protected

    @field_validator("internet_gateway_id")
    @classmethod
    def _answers_come_back_through_it(cls, gateway: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("protected_subnets") and gateway is None:
            raise problem("is needed with protectedSubnets: the internet gateway's edge route table sends the "
                          "answers back through the firewall (without it its stateful rules drop the flows)")
        return gateway


Domain = Annotated[str, BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v),
                   Field(pattern=r"^\.?(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"),
                   Hint("a host name (api.z.ai) or a leading-dot domain for its subdomains (.z.ai)")]


class EgressSettings(SettingsModel):
    """What the OpenHands workloads may reach: CIDRs and ports (security group, prefix list),
    domains (the Network Firewall, Cilium), the DNS resolver."""

    vpc_id: VpcId = Field(description=(
        "The VPC whose OpenHands workloads are allow-listed."))
    # Before the lists it loosens: their checks read it.
    allow_insecure_egress: Flag = Field(False, description=(
        "Allow ports other than 443 and the whole internet (0.0.0.0/0, ::/0) in allowCidrs."))
    allow_cidrs: Annotated[tuple[Cidr, ...], Hint("a list of CIDRs")] = Field((), description=(
        "Ranges the workloads may reach (security group and prefix list); the peer's range is added."))
    allow_domains: tuple[Domain, ...] | None = Field(None, description=(
        "Host names (or leading-dot domains) the firewalls let through (unset: the Z.AI endpoint's host)."))
    ports: Annotated[tuple[Port, ...], BeforeValidator(lambda v: [v] if isinstance(v, (int, str)) else v)] = Field(
        (HTTPS,), description=(
        "The ports allowed out."))
    dns_resolver_cidr: Ipv4Cidr = Field(AMAZON_DNS, description=(
        "The DNS resolver the workloads may query (the VPC's Amazon-provided resolver)."))
    firewall: FirewallSettings | None = Field(None, description=(
        "The AWS Network Firewall on the internet path (unset: none)."))
    # A Route 53 Resolver DNS Firewall on the VPC: the resolver answers only the allowed domains
    # (and AWS's own zones), so DNS cannot carry data out. It covers the whole VPC.
    dns_firewall: Flag = Field(True, description=(
        "A Route 53 Resolver DNS Firewall on the VPC: the resolver answers only the allowed domains, so "
        "DNS cannot carry data out; false plans with a warning."))
    dns_allow_domains: Annotated[tuple[Domain, ...], Hint("a list of host names or leading-dot domains")] = Field(
        (), description=(
        "More names the VPC's resolver answers (beyond allowDomains and AWS's own zones)."))

    @field_validator("allow_cidrs")
    @classmethod
    def _named_destinations(cls, cidrs: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        insecure = info.data.get("allow_insecure_egress", False)
        found: list[tuple[tuple[str | int, ...], str]] = []
        for index, cidr in enumerate(cidrs):
            if ipaddress.ip_network(cidr) in _WIDE and not insecure:
                found.append(((index,), f"{cidr} allows the whole internet; name the destinations (the firewall's "
                                        "allowDomains covers hostnames), or set allowInsecureEgress: true"))
            elif cidr in cidrs[:index]:
                found.append(((index,), f"{cidr} is listed twice"))
        if found:
            raise problems_at(cls.__name__, found)
        return cidrs

    @field_validator("allow_domains")
    @classmethod
    def _each_domain_once(cls, domains: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return tuple(dict.fromkeys(domains)) if domains is not None else None

    @field_validator("ports")
    @classmethod
    def _https_unless_insecure(cls, ports: tuple[int, ...], info: ValidationInfo) -> tuple[int, ...]:
        if not info.data.get("allow_insecure_egress", False):
            found = [((index,), f"port {port} is not allowed: the Z.AI API is HTTPS (443); set allowInsecureEgress: "
                                "true to open other ports") for index, port in enumerate(ports) if port != HTTPS]
            if found:
                raise problems_at(cls.__name__, found)
        return tuple(dict.fromkeys(ports))

    @field_validator("firewall")
    @classmethod
    def _only_when_enabled(cls, firewall: FirewallSettings | None) -> FirewallSettings | None:
        return firewall if firewall is not None and firewall.enabled else None

    @model_validator(mode="after")
    def _firewall_has_domains(self) -> EgressSettings:
        if self.firewall is not None and self.allow_domains == ():
            raise problems_at(type(self).__name__, [(("allowDomains",), "is empty but the firewall is on: it would "
                                                                         "drop everything")])
        return self

    def resolved(self, endpoint_host: str | None, peer_cidr: str | None,
                 also_domains: tuple[str, ...] = ()) -> EgressSettings:
        """The effective allow-list: the peer range joins the CIDRs, the endpoint's host is the
        default domain, `also_domains` (what the bundle's own pieces must reach, such as the identity
        provider oauth2-proxy signs users in with) join the domains. Raises when nothing could be
        reached at all."""
        cidrs = self.allow_cidrs + ((peer_cidr,) if peer_cidr and peer_cidr not in self.allow_cidrs else ())
        if not cidrs and (self.firewall is None or not self.firewall.allow_https_to_firewall):
            raise problems_at(type(self).__name__, [(("allowCidrs",), (
                "is empty and no HTTPS goes to the firewall: nothing could be reached; list the destinations or "
                "enable the firewall (allowHttpsToFirewall)"))])
        domains = self.allow_domains if self.allow_domains is not None else (
            (endpoint_host,) if endpoint_host else ())
        domains = tuple(dict.fromkeys((*domains, *also_domains)))
        return self.model_copy(update={"allow_cidrs": cidrs, "allow_domains": domains})

    @property
    def warnings(self) -> tuple[str, ...]:
        found = []
        if self.firewall is not None and not self.firewall.protected_subnets:
            found.append("openhands-zai:egress.firewall.protectedSubnets is empty: no traffic is routed through the "
                         "firewall unless you route it yourself (list the NAT gateways' subnets)")
        if not self.dns_firewall:
            found.append("openhands-zai:egress.dnsFirewall is false: the VPC's resolver answers any name, so an agent "
                         "can carry data out in DNS queries whatever the firewall allows")
        if self.allow_insecure_egress:
            wide = ", ".join(c for c in self.allow_cidrs if ipaddress.ip_network(c) in _WIDE) or "the listed CIDRs"
            found.append(f"openhands-zai:egress.allowInsecureEgress is true: egress may reach {wide} on ports "
                         f"{', '.join(map(str, self.ports))}; OpenHands runs model-written code")
        return tuple(found)
