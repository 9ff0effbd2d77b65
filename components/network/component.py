"""The network components: VpcPeering and EgressAllowList (both need pulumi-aws).

VpcPeering: the OpenHands VPC peered with the VPC the LLM traffic goes to (a gateway, a proxy).
Creates the requester connection; the accepter, when the peer is in another account or region,
through the peer provider passed in (built by the caller from peerOwnerId/peerRegion/peerRoleArn;
same account and region auto-accept without one); DNS-resolution options on each side by that
side's provider; a route in every local route table to the peer range and in every peer route
table to the local range.

EgressAllowList: egress for the OpenHands workloads denied by default, allowed only where named.

Creates:
- a managed prefix list with the allowed IPv4 CIDRs (and the peer range when peered);
- a security group without the default allow-all egress, and one egress rule per allowed
  port to the prefix list (IPv6 CIDRs get their own rules), DNS to the resolver, each described;
- optionally an AWS Network Firewall domain allow-list: a stateful rule group (ALLOWLIST of
  `allowDomains` on TLS SNI and HTTP Host), a strict-order policy that drops established
  traffic nothing allowed, the firewall in the given subnets (each read from EC2 in its stated
  zone), and its endpoints put on the internet path without touching the VPC's own tables: a
  table per zone for the protected (NAT) subnets, 0.0.0.0/0 to that zone's endpoint, and an edge
  table for the internet gateway, each subnet's range back through the same endpoint; the
  subnets and the gateway move onto them by ReplaceRouteTableAssociation (`routing.py`: atomic);
- the VPC resolver's DNS Firewall (dns_firewall.py); a Docker host's launch template (host.py).

Peering traffic never passes the Network Firewall (AWS does not inspect it): the security group
alone restricts it. A Docker host starts from `launchTemplateId` (or gets `securityGroupId`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ..aws_ids import AwsCredentials, resource_tags
from ..guardrails.labels import EGRESS_EXCEPTION_INSECURE, EGRESS_EXCEPTION_TAG
from .dns_firewall import resolver_firewall
from .host import host_launch_template
from .plan import (
    egress_rules,
    firewall_endpoint,
    firewall_rule_group_capacity,
    firewall_rule_targets,
    open_to_internet,
    peering_routes,
    prefix_list_cidrs,
)
from .routing import route_through_firewall
from .settings import EgressSettings, FirewallSettings, PeeringSettings

PEERING_TYPE = "openhands-zai:network:VpcPeering"
EGRESS_TYPE = "openhands-zai:network:EgressAllowList"


@dataclass
class VpcPeeringArgs:
    settings: PeeringSettings
    peer_provider: aws.Provider | None = None  # required when settings.needs_peer_provider
    environment: str = "openhands-zai"  # the stack: the `environment` tag
    tags: dict[str, str] = field(default_factory=dict)


class VpcPeering(pulumi.ComponentResource):
    """The peering connection, its accepter and options on each side, and the routes both ways.
    A peer in another account or region needs `args.peer_provider`."""

    connection_id: pulumi.Output[str]
    routes: list[dict[str, str]]  # side, routeTableId, destinationCidr: what `openhands-zai verify` checks

    def __init__(self, name: str, args: VpcPeeringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(PEERING_TYPE, name, None, opts)
        settings = args.settings
        if settings.needs_peer_provider and args.peer_provider is None:
            raise ValueError("VpcPeering: a peer in another account or region needs args.peer_provider")
        tags = resource_tags(args.environment, {"Name": f"openhands-zai-{name}"}, args.tags)
        local = pulumi.ResourceOptions(parent=self)
        peer = pulumi.ResourceOptions(parent=self, provider=args.peer_provider) if args.peer_provider else local
        dns = settings.allow_remote_dns_resolution

        connection = aws.ec2.VpcPeeringConnection(
            f"{name}-connection",
            vpc_id=settings.vpc_id,
            peer_vpc_id=settings.peer_vpc_id,
            peer_owner_id=settings.peer_owner_id,
            peer_region=settings.peer_region,
            # AWS accepts automatically only inside one account and region.
            auto_accept=not settings.needs_peer_provider,
            tags={**tags, "Side": "requester"},
            opts=local,
        )
        if settings.needs_peer_provider:
            accepter = aws.ec2.VpcPeeringConnectionAccepter(
                f"{name}-accepter",
                vpc_peering_connection_id=connection.id,
                auto_accept=True,
                tags={**tags, "Side": "accepter"},
                opts=peer,
            )
            active_id = accepter.id  # options and routes need an active connection
            aws.ec2.PeeringConnectionOptions(
                f"{name}-requester-options", vpc_peering_connection_id=active_id,
                requester=aws.ec2.PeeringConnectionOptionsRequesterArgs(allow_remote_vpc_dns_resolution=dns),
                opts=local)
            aws.ec2.PeeringConnectionOptions(
                f"{name}-accepter-options", vpc_peering_connection_id=active_id,
                accepter=aws.ec2.PeeringConnectionOptionsAccepterArgs(allow_remote_vpc_dns_resolution=dns),
                opts=peer)
        else:
            active_id = connection.id
            aws.ec2.PeeringConnectionOptions(
                f"{name}-options", vpc_peering_connection_id=active_id,
                requester=aws.ec2.PeeringConnectionOptionsRequesterArgs(allow_remote_vpc_dns_resolution=dns),
                accepter=aws.ec2.PeeringConnectionOptionsAccepterArgs(allow_remote_vpc_dns_resolution=dns),
                opts=local)

        planned = peering_routes(settings)
        for route in planned:
            aws.ec2.Route(
                f"{name}-route-{route.name}",
                route_table_id=route.route_table_id,
                destination_cidr_block=route.destination_cidr,
                vpc_peering_connection_id=active_id,
                opts=peer if route.side == "peer" else local,
            )

        self.connection_id = active_id
        self.routes = [{"side": r.side, "routeTableId": r.route_table_id, "destinationCidr": r.destination_cidr}
                       for r in planned]
        self.register_outputs({"connectionId": self.connection_id, "routes": self.routes})


@dataclass
class EgressAllowListArgs:
    settings: EgressSettings
    environment: str  # names the firewall resources (their names are required and unique per account)
    tags: dict[str, str] = field(default_factory=dict)
    # How the firewall routing's takeover (boto3, beside the provider) reaches AWS: the profile and
    # assumed roles of the provider this component runs with (`AwsCredentials.from_config()`).
    credentials: AwsCredentials = field(default_factory=AwsCredentials)
    # The Docker target on an AWS host: a launch template to start that host from.
    host_launch_template: bool = False


class EgressAllowList(pulumi.ComponentResource):
    """The workloads' security group and prefix list, and the domain firewall when enabled.
    Takes settings resolved by the stack (`StackSettings.egress`: endpoint host and peer range in)."""

    security_group_id: pulumi.Output[str]
    prefix_list_id: pulumi.Output[str | None]
    firewall_arn: pulumi.Output[str | None]
    firewall_policy_arn: pulumi.Output[str | None]
    expected_egress: pulumi.Output[list[dict]]
    # Each protected subnet and the internet gateway: the bundle's table and the routes `verify` reads back.
    firewall_routing: pulumi.Output[list[dict[str, Any]]]
    launch_template_id: pulumi.Output[str | None]

    def __init__(self, name: str, args: EgressAllowListArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(EGRESS_TYPE, name, None, opts)
        settings = args.settings
        tags = resource_tags(args.environment, args.tags)
        child = pulumi.ResourceOptions(parent=self)

        cidrs = prefix_list_cidrs(settings)
        prefix_list = None
        if cidrs:
            prefix_list = aws.ec2.ManagedPrefixList(
                f"{name}-allow-list",
                address_family="IPv4",
                # Room to add entries later without replacing the list (and the rules that use it).
                max_entries=max(10, len(cidrs) + 5),
                entries=[aws.ec2.ManagedPrefixListEntryArgs(cidr=cidr, description="openhands-zai egress allow-list")
                         for cidr in cidrs],
                tags={**tags, "Name": f"{name}-allow-list",
                      **({EGRESS_EXCEPTION_TAG: EGRESS_EXCEPTION_INSECURE} if open_to_internet(cidrs) else {})},
                opts=child,
            )
        group = aws.ec2.SecurityGroup(
            f"{name}-workloads",
            vpc_id=settings.vpc_id,
            description="OpenHands workloads: egress only to the openhands-zai allow-list",
            # No inline rules: the provider removes AWS's default allow-all egress on create, and
            # each allowed flow below is its own resource.
            revoke_rules_on_delete=True,
            tags={**tags, "Name": f"{name}-workloads"},
            opts=child,
        )
        prefix_list_id: pulumi.Output[str] = prefix_list.id if prefix_list else pulumi.Output.from_input("")
        planned = egress_rules(settings)
        for rule in planned:
            target = ({"prefix_list_id": prefix_list_id} if rule.target == "prefix-list"
                      else {"cidr_ipv6": rule.target} if ":" in rule.target else {"cidr_ipv4": rule.target})
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-{rule.name}",
                security_group_id=group.id,
                ip_protocol=rule.protocol,
                from_port=rule.port,
                to_port=rule.port,
                description=rule.description,
                tags={**tags, "Name": f"{name}-{rule.name}",
                      **({EGRESS_EXCEPTION_TAG: rule.exception} if rule.exception else {})},
                opts=child,
                **target,
            )

        self.firewall_routing = pulumi.Output.from_input([])
        firewall_arn: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        policy_arn: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        if settings.firewall is not None:
            firewall_arn, policy_arn = self._firewall(name, args, settings.firewall, tags, child)

        if settings.dns_firewall:
            resolver_firewall(name, settings, f"openhands-zai-{args.environment}", tags, child)
        self.launch_template_id = host_launch_template(f"{name}-host", group.id, tags, child).id \
            if args.host_launch_template else pulumi.Output.from_input(None)

        self.security_group_id = group.id
        self.prefix_list_id = prefix_list.id if prefix_list else pulumi.Output.from_input(None)
        self.firewall_arn = firewall_arn
        self.firewall_policy_arn = policy_arn
        self.expected_egress = prefix_list_id.apply(lambda pl: [rule.as_dict(pl) for rule in planned])
        self.register_outputs({
            "securityGroupId": self.security_group_id,
            "prefixListId": self.prefix_list_id,
            "firewallArn": self.firewall_arn,
            "firewallPolicyArn": self.firewall_policy_arn,
            "firewallRouting": self.firewall_routing,
            "launchTemplateId": self.launch_template_id,
        })

    def _firewall(self, name: str, args: EgressAllowListArgs, firewall: FirewallSettings, tags: dict[str, str],
                  child: pulumi.ResourceOptions) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        settings = args.settings
        domains = settings.allow_domains or ()
        if not domains:
            raise ValueError("EgressAllowList: the firewall needs allow_domains; pass settings resolved with "
                             "EgressSettings.resolved(endpoint host, peer range) (StackSettings.egress is)")
        prefix = f"openhands-zai-{args.environment}"
        rule_group = aws.networkfirewall.RuleGroup(
            f"{name}-domains",
            name=f"{prefix}-domains",
            type="STATEFUL",
            capacity=firewall_rule_group_capacity(domains),
            description="Domains OpenHands may reach (the Z.AI endpoint unless configured)",
            rule_group=aws.networkfirewall.RuleGroupRuleGroupArgs(
                rules_source=aws.networkfirewall.RuleGroupRuleGroupRulesSourceArgs(
                    rules_source_list=aws.networkfirewall.RuleGroupRuleGroupRulesSourceRulesSourceListArgs(
                        generated_rules_type="ALLOWLIST",
                        target_types=["TLS_SNI", "HTTP_HOST"],
                        targets=firewall_rule_targets(domains),
                    )),
                stateful_rule_options=aws.networkfirewall.RuleGroupRuleGroupStatefulRuleOptionsArgs(
                    rule_order="STRICT_ORDER"),
            ),
            tags=tags,
            opts=child,
        )
        policy = aws.networkfirewall.FirewallPolicy(
            f"{name}-policy",
            name=f"{prefix}-egress",
            description="Strict order: the domain allow-list, then drop whatever it did not allow",
            firewall_policy=aws.networkfirewall.FirewallPolicyFirewallPolicyArgs(
                stateless_default_actions=["aws:forward_to_sfe"],
                stateless_fragment_default_actions=["aws:forward_to_sfe"],
                stateful_engine_options=aws.networkfirewall.FirewallPolicyFirewallPolicyStatefulEngineOptionsArgs(
                    rule_order="STRICT_ORDER"),
                # drop_established, not drop_strict: the TLS handshake must get far enough for the
                # SNI to be read before the allow-list can match it.
                stateful_default_actions=["aws:drop_established", "aws:alert_established"],
                stateful_rule_group_references=[
                    aws.networkfirewall.FirewallPolicyFirewallPolicyStatefulRuleGroupReferenceArgs(
                        resource_arn=rule_group.arn, priority=1)],
            ),
            tags=tags,
            opts=child,
        )
        # Each subnet read from EC2 with the zone the stack says it is in: at `pulumi up` a wrong zone
        # fails here ("no matching EC2 Subnet"), before any route points at an endpoint that is not there.
        subnets = [aws.ec2.get_subnet_output(id=subnet.subnet_id, availability_zone=subnet.availability_zone,
                                             vpc_id=settings.vpc_id, opts=pulumi.InvokeOptions(parent=self))
                   for subnet in firewall.subnets]
        network_firewall = aws.networkfirewall.Firewall(
            f"{name}-firewall",
            name=f"{prefix}-egress",
            vpc_id=settings.vpc_id,
            firewall_policy_arn=policy.arn,
            subnet_mappings=[aws.networkfirewall.FirewallSubnetMappingArgs(subnet_id=subnet.id) for subnet in subnets],
            delete_protection=firewall.delete_protection,
            tags=tags,
            opts=child,
        )
        statuses = network_firewall.firewall_statuses

        def endpoint_in(zone: str) -> pulumi.Output[str]:
            return statuses.apply(lambda s: firewall_endpoint(s, zone))

        self.firewall_routing = route_through_firewall(name, self, settings.vpc_id, firewall, endpoint_in, tags,
                                                       args.credentials)
        return network_firewall.arn, policy.arn
