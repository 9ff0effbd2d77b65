"""`openhands-zai verify`: after `pulumi up`, prove the live network is what the stack asked for.

Reads the stack's outputs (`pulumi stack output --json`, or a file of it with `--outputs`) and
checks the account with boto3:
- the peering connection is `active`;
- every expected route exists in its table and points at that connection (the peer side's
  through the peer role and region the stack used);
- the workload security group's egress rules equal the allow-list exactly: a missing rule and an
  extra one are both failures;
- the managed prefix list holds exactly the allowed IPv4 CIDRs;
- the Network Firewall exists, is attached to the expected policy;
- the traffic goes through it: each protected subnet and the internet gateway sit on the bundle's
  route table (read back from EC2), and each of its routes points at the expected firewall endpoint.
One line per check, exit 0 only when all pass. A check never passes over nothing: an expectation
the outputs lack (expectedEgress, peeringRoutes, allowCidrs, firewallPolicyArn, firewallRouting) or
a resource that does not exist fails, saying what is missing.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .. import aws_session
from ..network.plan import association_key, route_target
from .arguments import UsageError
from .aws import AWS_ERRORS, client, describe
from .files import UnreadableFile, read_text


@dataclass
class Result:
    check: str
    ok: bool
    detail: str


def load_outputs(args: Any) -> dict[str, Any]:
    if args.outputs:
        try:
            outputs = json.loads(read_text(Path(args.outputs), "a file of stack outputs"))
        except UnreadableFile as error:
            raise UsageError(f"--outputs: {error}") from None
        except ValueError:
            raise UsageError(f"--outputs: {args.outputs} is not the JSON of `pulumi stack output --json`") from None
        if not isinstance(outputs, dict):
            raise UsageError(f"--outputs: {args.outputs} is not the JSON of `pulumi stack output --json` (a map)")
        return outputs
    if shutil.which("pulumi") is None:
        raise UsageError("--stack: needs the pulumi CLI to read the outputs; or save them with "
                         "`pulumi stack output --json > outputs.json` and pass --outputs outputs.json")
    run = subprocess.run(["pulumi", "stack", "output", "--json", "--stack", args.stack], capture_output=True, text=True)
    if run.returncode != 0:
        raise UsageError(f"--stack: `pulumi stack output` failed: {run.stderr.strip().splitlines()[-1:]}")
    return json.loads(run.stdout)


def peer_ec2(outputs: dict[str, Any], region: str | None) -> Any:
    """EC2 on the peer side: the peer region, through the role the stack's peer provider assumed."""
    peer_region = outputs.get("peerRegion") or region
    role = outputs.get("peerRoleArn")
    if not role:
        return client("ec2", peer_region)
    sts = client("sts", region)
    creds = sts.assume_role(RoleArn=role, RoleSessionName="openhands-zai-verify")["Credentials"]
    return aws_session.session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], region_name=peer_region).client("ec2")


def check_peering(ec2: Any, peer: Any, outputs: dict[str, Any]) -> list[Result]:
    pcx = outputs["peeringConnectionId"]
    found = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"]
    status = found[0]["Status"]["Code"] if found else "missing"
    results = [Result("peering active", status == "active", f"{pcx} is {status}")]
    if not outputs.get("peeringRoutes"):
        results.append(Result("peering routes", False, "the outputs have no peeringRoutes: nothing to compare the "
                                                       "route tables with (export VpcPeering.routes as peeringRoutes)"))
    for route in outputs.get("peeringRoutes") or []:
        side_ec2 = peer if route["side"] == "peer" else ec2
        table, cidr = route["routeTableId"], route["destinationCidr"]
        name = f"route {route['side']} {table} -> {cidr}"
        tables = side_ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"]
        match = [r for t in tables for r in t.get("Routes", []) if r.get("DestinationCidrBlock") == cidr]
        if not match:
            results.append(Result(name, False, "missing"))
        elif match[0].get("VpcPeeringConnectionId") != pcx:
            results.append(Result(name, False, f"points at {route_target(match[0]) or 'nothing'}, not {pcx}"))
        elif match[0].get("State") == "blackhole":
            results.append(Result(name, False, f"via {pcx} but blackholed (the connection is not usable)"))
        else:
            results.append(Result(name, True, f"via {pcx}"))
    return results


def _rule_key(rule: dict[str, Any]) -> tuple:
    target = (rule.get("prefixListId") or rule.get("PrefixListId") or rule.get("cidrIpv4") or rule.get("CidrIpv4")
              or rule.get("cidrIpv6") or rule.get("CidrIpv6")
              or (rule.get("ReferencedGroupInfo") or {}).get("GroupId") or "?")
    protocol = str(rule.get("protocol") or rule.get("IpProtocol"))
    return protocol, rule.get("fromPort", rule.get("FromPort")), rule.get("toPort", rule.get("ToPort")), target


def _show(key: tuple) -> str:
    protocol, low, high, target = key
    ports = "all ports" if protocol == "-1" else f"{protocol} {low}" + (f"-{high}" if high != low else "")
    return f"{ports} -> {target}"


def check_egress(ec2: Any, outputs: dict[str, Any]) -> list[Result]:
    group = outputs["securityGroupId"]
    if not outputs.get("expectedEgress"):
        # An absent allow-list is not an empty one: a stack's allow-list always has rules.
        return [Result("security group egress", False, f"{group}: the outputs have no expectedEgress, nothing to "
                                                       "compare its rules with (export EgressAllowList.expected_egress "
                                                       "as expectedEgress)")]
    # Filtering rules by a group that does not exist answers an empty list: ask for the group itself.
    ec2.describe_security_groups(GroupIds=[group])
    rules = [r for page in ec2.get_paginator("describe_security_group_rules").paginate(
        Filters=[{"Name": "group-id", "Values": [group]}]) for r in page["SecurityGroupRules"] if r.get("IsEgress")]
    live = {_rule_key(r) for r in rules}
    expected = {_rule_key(r) for r in outputs["expectedEgress"]}
    missing, extra = sorted(expected - live, key=str), sorted(live - expected, key=str)
    problems = [f"extra: {_show(k)}" for k in extra] + [f"missing: {_show(k)}" for k in missing]
    results = [Result("security group egress", not problems,
                      "; ".join(problems) or f"{group}: exactly the {len(expected)} allowed rules")]
    prefix_list = outputs.get("prefixListId")
    if prefix_list and not [c for c in outputs.get("allowCidrs") or [] if ipaddress.ip_network(c).version == 4]:
        # The program makes a prefix list only for IPv4 CIDRs: none means nothing to compare with.
        results.append(Result("prefix list entries", False, f"{prefix_list}: the outputs have no IPv4 allowCidrs, "
                                                             "nothing to compare its entries with"))
    elif prefix_list:
        entries = {e["Cidr"] for page in ec2.get_paginator("get_managed_prefix_list_entries").paginate(
            PrefixListId=prefix_list) for e in page["Entries"]}
        wanted = {c for c in outputs.get("allowCidrs") or [] if ipaddress.ip_network(c).version == 4}
        problems = ([f"extra: {c}" for c in sorted(entries - wanted)]
                    + [f"missing: {c}" for c in sorted(wanted - entries)])
        results.append(Result("prefix list entries", not problems,
                              "; ".join(problems) or f"{prefix_list}: {', '.join(sorted(entries))}"))
    return results


def check_firewall(network_firewall: Any, outputs: dict[str, Any]) -> list[Result]:
    arn = outputs["firewallArn"]
    if not outputs.get("firewallPolicyArn"):
        return [Result("firewall policy", False, f"{arn}: the outputs have no firewallPolicyArn, nothing to compare "
                                                 "the firewall's policy with")]
    firewall = network_firewall.describe_firewall(FirewallArn=arn)["Firewall"]
    policy = firewall.get("FirewallPolicyArn")
    ok = policy == outputs.get("firewallPolicyArn")
    detail = f"{firewall.get('FirewallName')} uses {policy}" + ("" if ok else f", expected {outputs.get('firewallPolicyArn')}")
    return [Result("firewall policy", ok, detail)]


def check_firewall_routing(ec2: Any, outputs: dict[str, Any]) -> list[Result]:
    routing = outputs.get("firewallRouting")
    if not routing:
        return [Result("firewall routing", False, (
            "the outputs have no firewallRouting" if routing is None else "firewallRouting is empty") +
            ": nothing shows traffic reaching the firewall (list the NAT subnets in "
            "openhands-zai:egress.firewall.protectedSubnets)")]
    results = []
    by_vpc: dict[str, list[dict[str, Any]]] = {}
    for entry in routing:
        who, table_id = entry["target"], entry["routeTableId"]
        key = association_key(who)
        if entry["vpcId"] not in by_vpc:
            pages = ec2.get_paginator("describe_route_tables").paginate(
                Filters=[{"Name": "vpc-id", "Values": [entry["vpcId"]]}])
            by_vpc[entry["vpcId"]] = [t for page in pages for t in page["RouteTables"]]
        tables = by_vpc[entry["vpcId"]]
        on = [t["RouteTableId"] for t in tables for a in t.get("Associations", []) if a.get(key) == who]
        if on != [table_id]:
            where = f"on {on[0]}" if on else "on no explicit route table" + (" (the main table)" if key == "SubnetId"
                                                                              else "")
            results.append(Result(f"routing {who}", False, f"{where}, expected the firewall's {table_id}"))
            continue
        routes = {str(r.get("DestinationCidrBlock")): route_target(r)
                  for t in tables if t["RouteTableId"] == table_id for r in t.get("Routes", [])}
        wanted = entry.get("routes") or []
        if not wanted:
            results.append(Result(f"routing {who}", False, f"{table_id}: the outputs list no route to compare"))
        for want in wanted:
            got = routes.get(want["destination"])
            results.append(Result(f"route {who} {want['destination']}", got == want["endpointId"],
                                  f"{table_id}: via {got or 'nothing'}" +
                                  ("" if got == want["endpointId"] else f", expected {want['endpointId']}")))
    return results


def verify(outputs: dict[str, Any], region: str | None) -> list[Result]:
    if not any(outputs.get(k) for k in ("peeringConnectionId", "securityGroupId", "firewallArn")):
        raise UsageError("the outputs name no peering, security group or firewall: is peering or egress configured "
                         "for this stack?")
    results: list[Result] = []
    ec2 = client("ec2", region)
    sections = []
    if outputs.get("peeringConnectionId"):
        sections.append(("peering", lambda: check_peering(ec2, peer_ec2(outputs, region), outputs)))
    if outputs.get("securityGroupId"):
        sections.append(("egress", lambda: check_egress(ec2, outputs)))
    if outputs.get("firewallArn"):
        sections.append(("firewall", lambda: check_firewall(client("network-firewall", region), outputs)))
        sections.append(("firewall routing", lambda: check_firewall_routing(ec2, outputs)))
    for name, run in sections:
        try:
            results.extend(run())
        except AWS_ERRORS as error:
            results.append(Result(name, False, describe(error)))
    return results


def main(args: Any) -> int:
    try:
        outputs = load_outputs(args)
        results = verify(outputs, args.region)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    failed = [r for r in results if not r.ok]
    if args.format == "json":
        print(json.dumps({"ok": not failed, "results": [asdict(r) for r in results]}, indent=2))
    else:
        width = max(len(r.check) for r in results)
        for result in results:
            print(f"  {'PASS' if result.ok else 'FAIL'}  {result.check:<{width}}  {result.detail}")
        print(f"{'OK' if not failed else 'FAILED'}: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
