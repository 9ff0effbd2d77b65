"""What the network layer creates, as plain data (pure; no Pulumi, no AWS).

In the VPC: peering routes, security-group egress rules, the Network Firewall's targets and
endpoints, the protected subnets by zone; the components turn each item into exactly one
resource, `openhands-zai verify` compares the live account with the same items. How to read
route tables as EC2 describes them (where a route goes, what a table switch would drop) is here
too: the route-table takeover and `verify` share it. In a cluster: the same egress intent as
Kubernetes objects, which the cluster target applies:
- `default-deny-egress`: every pod of the namespace, egress denied unless another policy allows it.
- `openhands-egress`: the OpenHands pods may resolve names through kube-dns and open the allowed
  ports to the allowed CIDRs (`NetworkPolicy` has no host names).
- With Cilium, `openhands-egress-fqdn` (`CiliumNetworkPolicy`): the allowed domains by name
  (`toFQDNs`), plus the DNS rule Cilium needs to see the lookups it matches names against.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from ..guardrails.labels import EGRESS_EXCEPTION_FIREWALL, EGRESS_EXCEPTION_INSECURE
from ..kube import MANAGED_BY, dns_rule
from .settings import HTTPS, EgressSettings, FirewallSettings, PeeringSettings

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
        """The rule as `openhands-zai verify` compares it with `describe_security_group_rules`."""
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


# Zones the VPC's own machinery resolves (AWS service endpoints, EKS, EC2 private names). Their
# answers come from AWS's authoritative servers, never from one a tunnel could run: a name
# there cannot carry data out. The connections themselves are still the Network Firewall's to allow.
DNS_PLATFORM_ZONES = ("amazonaws.com", "amazonaws.com.cn", "api.aws", "compute.internal", "ec2.internal")


def dns_firewall_domains(settings: EgressSettings) -> list[str]:
    """What the VPC's resolver answers (Route 53 Resolver DNS Firewall syntax): the allowed domains
    as the Network Firewall takes them (`.z.ai` is the domain and its subdomains), the platform
    zones, and `dnsAllowDomains`; everything else gets NXDOMAIN."""
    names: list[str] = []
    for domain in (*(settings.allow_domains or ()), *settings.dns_allow_domains):
        names += [domain[1:], f"*{domain}"] if domain.startswith(".") else [domain]
    for zone in DNS_PLATFORM_ZONES:
        names += [zone, f"*.{zone}"]
    return sorted(set(names))


def firewall_rule_group_capacity(domains: tuple[str, ...] | list[str]) -> int:
    # A domain list consumes about one unit per target per protocol; leave room to grow without
    # replacing the rule group (capacity cannot change in place).
    return max(100, 4 * len(domains) * 2)


def protected_by_zone(firewall: FirewallSettings) -> dict[str, list[str]]:
    """The protected subnets by zone: one route table of the bundle's per zone (its default
    route goes to that zone's firewall endpoint), in the order the stack lists them."""
    zones: dict[str, list[str]] = {}
    for subnet in firewall.protected_subnets:
        zones.setdefault(subnet.availability_zone, []).append(subnet.subnet_id)
    return zones


# -- route tables as EC2 describes them (the takeover and `verify` read them) ----------------------

def association_key(target_id: str) -> str:
    """The field of a route-table association that names `target_id`: a gateway or a subnet."""
    return "GatewayId" if target_id.startswith(("igw-", "vgw-")) else "SubnetId"


def route_destination(route: dict[str, Any]) -> str:
    """A route's destination as describe_route_tables gives it: CIDR, IPv6 CIDR or prefix list."""
    return str(route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
               or route.get("DestinationPrefixListId"))


def route_target(route: dict[str, Any]) -> str | None:
    """Where a route sends traffic (a firewall endpoint shows under VpcEndpointId or GatewayId)."""
    for key in ("VpcEndpointId", "GatewayId", "NatGatewayId", "TransitGatewayId", "VpcPeeringConnectionId",
                "NetworkInterfaceId", "EgressOnlyInternetGatewayId", "InstanceId", "CarrierGatewayId",
                "LocalGatewayId", "CoreNetworkArn"):
        if route.get(key):
            return str(route[key])
    return None


def dropped_routes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What a subnet or gateway would lose moving from table `old` to `new`: each destination
    `old` routes that `new` does not (the VPC's local routes are in every table)."""
    kept = {route_destination(r) for r in new.get("Routes", [])}
    return [f"{route_destination(r)} -> {route_target(r) or 'blackhole'}" for r in old.get("Routes", [])
            if r.get("GatewayId") != "local" and route_destination(r) not in kept]


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
                     "(openhands-zai:egress.firewall.subnets)")


# -- in a cluster ------------------------------------------------------------------------------

DEFAULT_POD_LABELS = {"app.kubernetes.io/name": "openhands"}
# The instance metadata service and the EKS Pod Identity agent, IPv4 and IPv6: what a pod could
# trade for the node's role, or another pod's. Cut out of every range a policy here opens.
METADATA_CIDRS = ("169.254.169.254/32", "169.254.170.23/32", "fd00:ec2::254/128", "fd00:ec2::23/128")


def ip_block(cidr: str) -> dict[str, Any]:
    """An `ipBlock` for `cidr`, the metadata addresses it contains excepted."""
    network = ipaddress.ip_network(cidr)
    cut = [m for m in METADATA_CIDRS if ipaddress.ip_network(m).version == network.version
           and ipaddress.ip_network(m).subnet_of(network)]  # type: ignore[arg-type]  # same version, checked
    return {"cidr": cidr, **({"except": cut} if cut else {})}


def allowed_egress(settings: EgressSettings, *, cilium: bool = False) -> list[dict[str, Any]]:
    """The allow-list as NetworkPolicy egress rules: DNS, and the allowed ranges on the allowed ports."""
    egress: list[dict[str, Any]] = [dns_rule()]
    cidrs = list(settings.allow_cidrs)
    if (settings.firewall is not None and settings.firewall.allow_https_to_firewall and not cilium
            and "0.0.0.0/0" not in cidrs):
        # As in the security group: the VPC's firewall filters by domain. With Cilium the FQDN
        # policy does that in the cluster, and policies add up, so the internet stays closed here.
        cidrs.append("0.0.0.0/0")
    if cidrs:
        egress.append({"to": [{"ipBlock": ip_block(cidr)} for cidr in cidrs],
                       "ports": [{"protocol": "TCP", "port": port} for port in settings.ports]})
    return egress


def network_policies(settings: EgressSettings, namespace: str, pod_labels: dict[str, str] | None = None,
                     *, cilium: bool = False, extra_egress: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Default-deny egress for the namespace, and the allow-list for the pods with `pod_labels`
    (plus `extra_egress`, e.g. OpenHands' way to the LLM gateway)."""
    labels = dict(pod_labels or DEFAULT_POD_LABELS)
    meta = lambda name: {"name": name, "namespace": namespace,  # noqa: E731
                         "labels": dict(MANAGED_BY)}
    deny = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("default-deny-egress"),
            "spec": {"podSelector": {}, "policyTypes": ["Egress"]}}
    egress = allowed_egress(settings, cilium=cilium) + list(extra_egress or ())
    allow = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("openhands-egress"),
             "spec": {"podSelector": {"matchLabels": labels}, "policyTypes": ["Egress"], "egress": egress}}
    return [deny, allow]


def baseline_policies(namespace: str, pod_labels: dict[str, str] | None = None,
                      extra_egress: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Without an allow-list (`openhands-zai:egress` unset) the pods still may not reach the metadata
    addresses: default-deny egress for the namespace, and for the pods with `pod_labels` every
    address but those (and the cluster DNS)."""
    labels = dict(pod_labels or DEFAULT_POD_LABELS)
    meta = lambda name: {"name": name, "namespace": namespace,  # noqa: E731
                         "labels": dict(MANAGED_BY)}
    deny = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("default-deny-egress"),
            "spec": {"podSelector": {}, "policyTypes": ["Egress"]}}
    egress = [dns_rule(), {"to": [{"ipBlock": ip_block(INTERNET_V4)}, {"ipBlock": ip_block(INTERNET_V6)}]},
              *(extra_egress or ())]
    allow = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("openhands-egress"),
             "spec": {"podSelector": {"matchLabels": labels}, "policyTypes": ["Egress"], "egress": egress}}
    return [deny, allow]


def _fqdn_selector(domain: str) -> dict[str, str]:
    # Network Firewall's ".z.ai" (domain and subdomains) is two Cilium selectors.
    return {"matchPattern": f"*{domain}"} if domain.startswith(".") else {"matchName": domain}


def cilium_policy(settings: EgressSettings, namespace: str, pod_labels: dict[str, str] | None = None,
                  also_apps: tuple[str, ...] = ()) -> dict[str, Any]:
    """The domain allow-list for the pods with `pod_labels`, and for the apps named in `also_apps`
    (`app.kubernetes.io/name`, e.g. the LLM gateway, which is what calls Z.AI behind it)."""
    labels = dict(pod_labels or DEFAULT_POD_LABELS)
    selector: dict[str, Any] = {"matchLabels": labels}
    if also_apps and set(labels) == {"app.kubernetes.io/name"}:
        selector = {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In",
                                          "values": [labels["app.kubernetes.io/name"], *also_apps]}]}
    fqdns: list[dict[str, str]] = []
    for domain in settings.allow_domains or ():
        fqdns.append(_fqdn_selector(domain))
        if domain.startswith("."):
            fqdns.append({"matchName": domain[1:]})
    ports = [{"port": str(port), "protocol": "TCP"} for port in settings.ports]
    egress: list[dict[str, Any]] = [{
        "toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                         "k8s:k8s-app": "kube-dns"}}],
        # Cilium learns name -> address from the DNS answers it proxies: without this rule toFQDNs matches nothing.
        "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": [{"matchPattern": "*"}]}}],
    }]
    if fqdns:
        egress.append({"toFQDNs": fqdns, "toPorts": [{"ports": ports}]})
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": "openhands-egress-fqdn", "namespace": namespace,
                         "labels": dict(MANAGED_BY)},
            "spec": {"endpointSelector": selector, "egress": egress}}


def egress_policies(settings: EgressSettings, namespace: str, *, cilium: bool,
                    pod_labels: dict[str, str] | None = None, extra_egress: list[dict[str, Any]] | None = None,
                    also_apps: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    policies = network_policies(settings, namespace, pod_labels, cilium=cilium, extra_egress=extra_egress)
    if cilium:
        policies.append(cilium_policy(settings, namespace, pod_labels, also_apps))
    return policies
