"""The VPC resolver's own allow-list: a Route 53 Resolver DNS Firewall (needs pulumi-aws).

Security groups and the Network Firewall decide where connections go; neither sees DNS to the
VPC's resolver, so without this an agent could carry data out in the names it looks up (a
tunnel through any authoritative server it runs). The rule group answers the allowed names
(`plan.dns_firewall_domains`: the Network Firewall's domains, AWS's own zones, `dnsAllowDomains`)
and gives NXDOMAIN for everything else; the VPC's resolver fails closed if it cannot ask it.
It covers every resolver query of the VPC, not only OpenHands'.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .plan import dns_firewall_domains
from .settings import EgressSettings

ALLOW_PRIORITY, BLOCK_PRIORITY = 100, 200
# Among other rule groups on the VPC: early, so another group's ALLOW of `*` cannot come first.
ASSOCIATION_PRIORITY = 101


def resolver_firewall(name: str, settings: EgressSettings, prefix: str, tags: dict[str, str],
                      child: pulumi.ResourceOptions) -> aws.route53.ResolverFirewallRuleGroupAssociation:
    """Allow the allowed names (priority 100), block `*` (200), on `settings.vpc_id`."""
    allowed = aws.route53.ResolverFirewallDomainList(
        f"{name}-dns-allowed", name=f"{prefix}-allowed", domains=dns_firewall_domains(settings), tags=tags,
        opts=child)
    everything = aws.route53.ResolverFirewallDomainList(
        f"{name}-dns-everything", name=f"{prefix}-everything", domains=["*"], tags=tags, opts=child)
    group = aws.route53.ResolverFirewallRuleGroup(f"{name}-dns", name=f"{prefix}-dns", tags=tags, opts=child)
    aws.route53.ResolverFirewallRule(
        f"{name}-dns-allow", name="allow-listed", action="ALLOW", priority=ALLOW_PRIORITY,
        firewall_domain_list_id=allowed.id, firewall_rule_group_id=group.id, opts=child)
    aws.route53.ResolverFirewallRule(
        f"{name}-dns-block", name="everything-else", action="BLOCK", block_response="NXDOMAIN",
        priority=BLOCK_PRIORITY, firewall_domain_list_id=everything.id, firewall_rule_group_id=group.id, opts=child)
    # If the DNS Firewall cannot answer, the resolver refuses rather than answering unfiltered.
    aws.route53.ResolverFirewallConfig(f"{name}-dns-config", resource_id=settings.vpc_id,
                                       firewall_fail_open="DISABLED", opts=child)
    return aws.route53.ResolverFirewallRuleGroupAssociation(
        f"{name}-dns", name=f"{prefix}-dns", firewall_rule_group_id=group.id, vpc_id=settings.vpc_id,
        priority=ASSOCIATION_PRIORITY, mutation_protection="ENABLED", tags=tags, opts=child)
