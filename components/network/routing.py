"""The Network Firewall on the internet path of a VPC that already has one.

`route_through_firewall`: tables of the bundle's own (never the VPC's, whose 0.0.0.0/0 to the
internet gateway AWS would refuse to duplicate: RouteAlreadyExists): one per zone for the
protected (NAT) subnets, 0.0.0.0/0 to that zone's firewall endpoint, and an edge table for the
internet gateway, each protected subnet's range back through the same endpoint (the stateful
rules must see both directions). Each table is filled before anything moves onto it; then the
gateway, then the subnets, move with RouteTableTakeover.

RouteTableTakeover: move a subnet or an internet gateway onto a route table the bundle owns,
atomically, and give it back on delete.

Why not `aws.ec2.RouteTableAssociation`: its create is `AssociateRouteTable`, which AWS refuses
for a subnet that already has an explicit association (Resource.AlreadyAssociated) — and a NAT
subnet nearly always has one, to the public table with its `0.0.0.0/0` to the internet gateway.
Deleting that association first would leave the subnet on the main table (often no internet
route) until the new one is in: an outage. `ReplaceRouteTableAssociation` swaps the table in one
call; pulumi-aws uses it only to update an association it already owns (after `pulumi import`).

So this dynamic resource, run by Pulumi in the program's own Python environment with boto3:
- create: reads the target's current table (its explicit association, else the VPC's main
  table), refuses when that table routes a destination the new table does not (the swap would
  drop it: a gateway endpoint's prefix list, a transit gateway, IPv6), then replaces the
  association (or associates, when there was none) and records the table it replaced;
- update (the bundle's table replaced): the same swap to the new table, the recorded table kept;
- delete: swaps back to the recorded table (or disassociates, when there was none: back to the
  main table, or no edge table for a gateway), only while the target still sits on the bundle's;
- read (`pulumi refresh`): a target no longer on the bundle's table reads as gone.

Credentials: as the AWS provider gets them from the stack's config (`AwsCredentials.from_config`):
boto3's default chain in the provider's region, with `aws:profile` when set, then each role of
`aws:assumeRoles` in turn. docs/network.md, "Firewall routing on a live VPC".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic
import pulumi_aws as aws

from .. import aws_session
from ..aws_ids import AwsCredentials
from .plan import INTERNET_V4, association_key, dropped_routes, protected_by_zone
from .settings import FirewallSettings

TYPE_NAME = "RouteTableTakeover"
SESSION_NAME = "openhands-zai-route-takeover"


@dataclass(frozen=True)
class Association:
    association_id: str
    route_table_id: str


class RouteTableTakeoverProvider(pulumi.dynamic.ResourceProvider):
    """The calls behind RouteTableTakeover (see the module docstring); tests run them on moto."""

    def _ec2(self, props: dict[str, Any]) -> Any:
        region = props.get("region") or None
        session = aws_session.session(profile_name=props.get("profile") or None, region_name=region)
        for role in props.get("assume_roles") or []:  # in turn, each from the one before (as the provider)
            extra = {"ExternalId": role["externalId"]} if role.get("externalId") else {}
            granted = session.client("sts").assume_role(
                RoleArn=role["roleArn"], RoleSessionName=role.get("sessionName") or SESSION_NAME, **extra)["Credentials"]
            session = aws_session.session(aws_access_key_id=granted["AccessKeyId"], region_name=region,
                                          aws_secret_access_key=granted["SecretAccessKey"],
                                          aws_session_token=granted["SessionToken"])
        return session.client("ec2")

    @staticmethod
    def _tables(ec2: Any, vpc_id: str) -> dict[str, dict[str, Any]]:
        pages = ec2.get_paginator("describe_route_tables").paginate(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
        return {t["RouteTableId"]: t for page in pages for t in page["RouteTables"]}

    @staticmethod
    def _current(tables: dict[str, dict[str, Any]], target_id: str) -> Association | None:
        """The target's explicit association, if it has one (implicit ones are the main table's)."""
        key = association_key(target_id)
        for table in tables.values():
            for association in table.get("Associations", []):
                if association.get(key) == target_id and association.get("AssociationState", {}).get(
                        "State", "associated") in ("associated", "associating"):
                    return Association(association["RouteTableAssociationId"], table["RouteTableId"])
        return None

    def _move(self, ec2: Any, props: dict[str, Any], tables: dict[str, dict[str, Any]],
              current: Association | None) -> str:
        target_id, table_id = props["target_id"], props["route_table_id"]
        if table_id not in tables:
            raise ValueError(f"{target_id}: route table {table_id} is not in {props['vpc_id']}")
        main = next((t for t in tables.values()
                     if any(a.get("Main") for a in t.get("Associations", []))), None)
        old = (tables[current.route_table_id] if current is not None
               else main if association_key(target_id) == "SubnetId" else None)
        if old is not None and old["RouteTableId"] != table_id:
            lost = dropped_routes(old, tables[table_id])
            if lost:
                raise ValueError(
                    f"{target_id}: its route table {old['RouteTableId']} routes {', '.join(lost)}, which "
                    f"{table_id} (the firewall's) does not; moving it would drop them, so nothing was changed. "
                    "Move those routes off the subnet's table first, or leave this subnet out of "
                    "firewall.protectedSubnets (docs/network.md: Firewall routing on a live VPC)")
        if current is not None:
            if current.route_table_id == table_id:
                return current.association_id
            return str(ec2.replace_route_table_association(
                AssociationId=current.association_id, RouteTableId=table_id)["NewAssociationId"])
        return str(ec2.associate_route_table(RouteTableId=table_id, **{association_key(target_id): target_id})["AssociationId"])

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        ec2 = self._ec2(props)
        tables = self._tables(ec2, props["vpc_id"])
        current = self._current(tables, props["target_id"])
        association_id = self._move(ec2, props, tables, current)
        previous = current.route_table_id if current and current.route_table_id != props["route_table_id"] else None
        return pulumi.dynamic.CreateResult(props["target_id"], {
            **props, "association_id": association_id, "previous_route_table_id": previous})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        replaces = [k for k in ("target_id", "vpc_id") if olds.get(k) != news.get(k)]
        changed = replaces or olds.get("route_table_id") != news.get("route_table_id")
        return pulumi.dynamic.DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=True)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        ec2 = self._ec2(news)
        tables = self._tables(ec2, news["vpc_id"])
        association_id = self._move(ec2, news, tables, self._current(tables, news["target_id"]))
        return pulumi.dynamic.UpdateResult({**news, "association_id": association_id,
                                            "previous_route_table_id": olds.get("previous_route_table_id")})

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        """`pulumi refresh`: a target moved off the bundle's table since reads as gone, so the
        next `pulumi up` moves it back (recording the table it found it on)."""
        ec2 = self._ec2(props)
        current = self._current(self._tables(ec2, props["vpc_id"]), props["target_id"])
        if current is None or current.route_table_id != props["route_table_id"]:
            return pulumi.dynamic.ReadResult("", {})
        return pulumi.dynamic.ReadResult(id_, {**props, "association_id": current.association_id})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        ec2 = self._ec2(props)
        tables = self._tables(ec2, props["vpc_id"])
        current = self._current(tables, props["target_id"])
        if current is None or current.route_table_id != props["route_table_id"]:
            return  # moved elsewhere since: not ours to move back
        previous = props.get("previous_route_table_id")
        if previous and previous in tables:
            ec2.replace_route_table_association(AssociationId=current.association_id, RouteTableId=previous)
        else:
            ec2.disassociate_route_table(AssociationId=current.association_id)


class RouteTableTakeover(pulumi.dynamic.Resource, module="openhands-zai", name=TYPE_NAME):
    """`target_id` (a subnet or an internet gateway) on `route_table_id`; outputs the association
    and the table it replaced."""

    association_id: pulumi.Output[str]
    previous_route_table_id: pulumi.Output[str | None]

    def __init__(self, name: str, *, target_id: str, route_table_id: pulumi.Input[str], vpc_id: str,
                 region: pulumi.Input[str], credentials: AwsCredentials = AwsCredentials(),  # noqa: B008 - frozen, no state
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(RouteTableTakeoverProvider(), name, {
            "target_id": target_id, "route_table_id": route_table_id, "vpc_id": vpc_id, "region": region,
            "profile": credentials.profile, "assume_roles": [dict(r) for r in credentials.assume_roles],
            "association_id": None, "previous_route_table_id": None}, opts)


def route_through_firewall(name: str, parent: pulumi.Resource, vpc_id: str, firewall: FirewallSettings,
                           endpoint_in: Callable[[str], pulumi.Output[str]], tags: dict[str, str],
                           credentials: AwsCredentials) -> pulumi.Output[list[dict[str, Any]]]:
    """The tables, routes and takeovers (children of `parent`); returns, per protected subnet and
    for the gateway, the table and routes `openhands-zai verify` reads back."""
    if not firewall.protected_subnets:
        return pulumi.Output.from_input([])
    assert firewall.internet_gateway_id is not None  # the settings require it with protectedSubnets
    child = pulumi.ResourceOptions(parent=parent)

    def after(*resources: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=list(resources)))

    # The takeover's boto3 runs in the region the AWS provider of `parent` resolves.
    region = aws.get_region_output(opts=pulumi.InvokeOptions(parent=parent)).region

    def move(target_id: str, table: aws.ec2.RouteTable, opts: pulumi.ResourceOptions) -> RouteTableTakeover:
        resource_name = f"{name}-edge-{target_id}" if target_id.startswith("igw-") else f"{name}-protect-{target_id}"
        return RouteTableTakeover(resource_name, target_id=target_id, route_table_id=table.id, vpc_id=vpc_id,
                                  region=region, credentials=credentials, opts=opts)

    subnets = {s.subnet_id: aws.ec2.get_subnet_output(id=s.subnet_id, availability_zone=s.availability_zone,
                                                      vpc_id=vpc_id, opts=pulumi.InvokeOptions(parent=parent))
               for s in firewall.protected_subnets}
    routing: list[pulumi.Output[dict[str, Any]]] = []

    def expect(target_id: str, table: aws.ec2.RouteTable, routes: list[aws.ec2.Route]) -> None:
        pairs = [pulumi.Output.all(r.destination_cidr_block, r.vpc_endpoint_id) for r in routes]
        routing.append(pulumi.Output.all(table.id, *pairs).apply(
            lambda got: {"target": target_id, "vpcId": vpc_id, "routeTableId": got[0],
                         "routes": [{"destination": d, "endpointId": e} for d, e in got[1:]]}))

    edge = aws.ec2.RouteTable(f"{name}-edge", vpc_id=vpc_id, tags={**tags, "Name": f"{name}-firewall-return"},
                              opts=child)
    returns = [aws.ec2.Route(f"{name}-edge-{subnet.subnet_id}", route_table_id=edge.id,
                             destination_cidr_block=subnets[subnet.subnet_id].cidr_block,
                             vpc_endpoint_id=endpoint_in(subnet.availability_zone), opts=child)
               for subnet in firewall.protected_subnets]
    # The way back first: once a subnet's traffic goes out through the firewall, its answers must too.
    gateway = move(firewall.internet_gateway_id, edge, after(*returns))
    expect(firewall.internet_gateway_id, edge, returns)
    for zone, subnet_ids in protected_by_zone(firewall).items():
        table = aws.ec2.RouteTable(f"{name}-internet-{zone}", vpc_id=vpc_id,
                                   tags={**tags, "Name": f"{name}-through-firewall-{zone}"}, opts=child)
        default = aws.ec2.Route(f"{name}-internet-{zone}-default", route_table_id=table.id,
                                destination_cidr_block=INTERNET_V4, vpc_endpoint_id=endpoint_in(zone), opts=child)
        for subnet_id in subnet_ids:
            move(subnet_id, table, after(default, gateway))
            expect(subnet_id, table, [default])
    return pulumi.Output.all(*routing).apply(list)
