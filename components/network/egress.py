"""EgressAllowList: egress for the OpenHands workloads denied by default, allowed only where named.

Creates:
- a managed prefix list with the allowed IPv4 CIDRs (and the peer range when peered);
- a security group without the default allow-all egress, and one egress rule per allowed
  port to the prefix list (IPv6 CIDRs get their own rules), DNS to the resolver, each described;
- optionally an AWS Network Firewall domain allow-list: a stateful rule group (ALLOWLIST of
  `allowDomains` on TLS SNI and HTTP Host), a strict-order policy that drops established
  traffic nothing allowed, the firewall in the given subnets, and the routes that put its
  endpoints on the internet path (NAT subnets' default route, and the return route from the
  internet gateway's edge route table).

Peering traffic never passes the Network Firewall (AWS does not inspect VPC-peering traffic), so
the peered path is restricted by the security group alone: the peer range is in the prefix list,
on the allowed ports only.

The Docker target on an AWS host: attach the group (output `securityGroupId`) to the instance
that runs Docker; containers leave through the instance's interface, so the group applies to
OpenHands and to the agent sandboxes it starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.network.plan import (
    INTERNET_V4,
    egress_rules,
    firewall_endpoint,
    firewall_rule_group_capacity,
    firewall_rule_targets,
    open_to_internet,
    prefix_list_cidrs,
)
from components.network.settings import EgressSettings
from components.policy_labels import EGRESS_EXCEPTION_INSECURE, EGRESS_EXCEPTION_TAG

COMPONENT_TYPE = "openhands-zai:network:EgressAllowList"


@dataclass
class EgressAllowListArgs:
    settings: EgressSettings
    environment: str  # names the firewall resources (their names are required and unique per account)
    tags: dict[str, str] = field(default_factory=dict)


class EgressAllowList(pulumi.ComponentResource):
    security_group_id: pulumi.Output[str]
    prefix_list_id: pulumi.Output[str | None]
    firewall_arn: pulumi.Output[str | None]
    firewall_policy_arn: pulumi.Output[str | None]
    expected_egress: pulumi.Output[list[dict]]

    def __init__(self, name: str, args: EgressAllowListArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(COMPONENT_TYPE, name, None, opts)
        settings = args.settings
        tags = {"environment": args.environment, "app": "openhands-zai", "managed-by": "pulumi", **args.tags}
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
        prefix_list_id = prefix_list.id if prefix_list else pulumi.Output.from_input(None)
        planned = egress_rules(settings)
        for rule in planned:
            target = ({"prefix_list_id": prefix_list.id} if rule.target == "prefix-list"
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

        firewall_arn: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        policy_arn: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        if settings.firewall is not None:
            firewall_arn, policy_arn = self._firewall(name, args, tags, child)

        self.security_group_id = group.id
        self.prefix_list_id = prefix_list_id
        self.firewall_arn = firewall_arn
        self.firewall_policy_arn = policy_arn
        self.expected_egress = prefix_list_id.apply(lambda pl: [rule.as_dict(pl) for rule in planned])
        self.register_outputs({
            "securityGroupId": self.security_group_id,
            "prefixListId": self.prefix_list_id,
            "firewallArn": self.firewall_arn,
            "firewallPolicyArn": self.firewall_policy_arn,
        })

    def _firewall(self, name: str, args: EgressAllowListArgs, tags: dict[str, str],
                  child: pulumi.ResourceOptions) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        settings, firewall = args.settings, args.settings.firewall
        prefix = f"openhands-zai-{args.environment}"
        rule_group = aws.networkfirewall.RuleGroup(
            f"{name}-domains",
            name=f"{prefix}-domains",
            type="STATEFUL",
            capacity=firewall_rule_group_capacity(settings.allow_domains),
            description="Domains OpenHands may reach (the Z.AI endpoint unless configured)",
            rule_group=aws.networkfirewall.RuleGroupRuleGroupArgs(
                rules_source=aws.networkfirewall.RuleGroupRuleGroupRulesSourceArgs(
                    rules_source_list=aws.networkfirewall.RuleGroupRuleGroupRulesSourceRulesSourceListArgs(
                        generated_rules_type="ALLOWLIST",
                        target_types=["TLS_SNI", "HTTP_HOST"],
                        targets=firewall_rule_targets(settings.allow_domains),
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
        network_firewall = aws.networkfirewall.Firewall(
            f"{name}-firewall",
            name=f"{prefix}-egress",
            vpc_id=settings.vpc_id,
            firewall_policy_arn=policy.arn,
            subnet_mappings=[aws.networkfirewall.FirewallSubnetMappingArgs(subnet_id=subnet)
                             for subnet in firewall.subnet_ids],
            delete_protection=firewall.delete_protection,
            tags=tags,
            opts=child,
        )
        statuses = network_firewall.firewall_statuses

        def endpoint_in(zone: str) -> pulumi.Output[str]:
            return statuses.apply(lambda s: firewall_endpoint(s, zone))

        for route in firewall.internet_routes:
            aws.ec2.Route(f"{name}-internet-{route.route_table_id}", route_table_id=route.route_table_id,
                          destination_cidr_block=INTERNET_V4, vpc_endpoint_id=endpoint_in(route.availability_zone),
                          opts=child)
        for back in firewall.return_routes:
            # "/" is not welcome in a resource name: 10.20.0.0/24 -> 10.20.0.0-24.
            aws.ec2.Route(f"{name}-return-{back.route_table_id}-{back.destination_cidr.replace('/', '-')}",
                          route_table_id=back.route_table_id, destination_cidr_block=back.destination_cidr,
                          vpc_endpoint_id=endpoint_in(back.availability_zone), opts=child)
        return network_firewall.arn, policy.arn
