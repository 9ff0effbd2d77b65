"""The firewall's routing applied to a VPC that already routes to the internet, on moto.

The VPC is built as AWS has it before the bundle arrives: an internet gateway, the public route
table with its 0.0.0.0/0 to it, the NAT subnets explicitly associated with that table (one zone's
NAT subnet on the main table instead, which routes to the gateway too), the firewall's subnets
and, standing in for its endpoints (moto's Network Firewall makes none), a Gateway Load Balancer
endpoint per zone: the same kind of vpce- target.

What runs on it is the component's own plan: EgressAllowList under the mock engine, then each
route table, route and takeover it registered, in the order the engine registered them, made in
moto (pulumi-aws's CreateRouteTable/CreateRoute; the takeover's own provider code), with the
mock's ids swapped for moto's. moto is made as strict as AWS where it is lenient: a subnet that
has an association refuses a second one (AWS: Resource.AlreadyAssociated; moto answers the old
association) — the reason the bundle does not use `aws.ec2.RouteTableAssociation`.
"""

from __future__ import annotations

import boto3
import botocore.exceptions
import pytest
from moto.ec2.exceptions import ResourceAlreadyAssociatedError
from moto.ec2.models.route_tables import RouteBackend

from openhands_zai import EgressAllowList, EgressAllowListArgs
from openhands_zai.cli.verify import verify
from openhands_zai.network.plan import dropped_routes
from openhands_zai.network.routing import AwsCredentials, RouteTableTakeoverProvider
from openhands_zai.testing import plain
from tests.aws_fixtures import REGION, shared_moto  # noqa: F401
from tests.helpers import egress_settings
from tests.mock_engine import MOCKS, deploy

ZONES = (f"{REGION}a", f"{REGION}b")
TAKEOVER = "pulumi-python:dynamic/openhands-zai:RouteTableTakeover"


@pytest.fixture(scope="module")
def strict(shared_moto):
    """AssociateRouteTable as AWS answers it: a subnet or gateway with an association refuses another."""
    lenient = RouteBackend.associate_route_table

    def associate(self, route_table_id, gateway_id=None, subnet_id=None):
        target = gateway_id or subnet_id
        for table in self.route_tables.values():
            if target in table._associations.values():
                raise ResourceAlreadyAssociatedError(target)
        return lenient(self, route_table_id, gateway_id=gateway_id, subnet_id=subnet_id)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RouteBackend, "associate_route_table", associate)
        yield


@pytest.fixture
def vpc(strict):
    """A VPC as it is before the bundle: every NAT subnet reaches the internet through the gateway."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    public = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                              {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    ec2.create_route(RouteTableId=main["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    world = {"ec2": ec2, "vpc": vpc_id, "igw": igw, "public": public, "main": main["RouteTableId"],
             "nat": {}, "firewall": {}, "endpoint": {}, "cidr": {}}
    for index, zone in enumerate(ZONES):
        nat = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.20.{index}.0/24", AvailabilityZone=zone)["Subnet"]
        firewall = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.20.{100 + index}.0/28",
                                     AvailabilityZone=zone)["Subnet"]["SubnetId"]
        ec2.associate_route_table(RouteTableId=public, SubnetId=firewall)  # the firewall's own way out
        if index == 0:  # the other NAT subnet stays on the main table (implicitly associated)
            ec2.associate_route_table(RouteTableId=public, SubnetId=nat["SubnetId"])
        world["nat"][zone], world["firewall"][zone] = nat["SubnetId"], firewall
        world["cidr"][nat["SubnetId"]] = nat["CidrBlock"]
        world["endpoint"][zone] = ec2.create_vpc_endpoint(
            VpcId=vpc_id, VpcEndpointType="GatewayLoadBalancer", SubnetIds=[firewall],
            ServiceName=f"com.amazonaws.vpce.{REGION}.vpce-svc-0123456789abcdef{index}")["VpcEndpoint"]["VpcEndpointId"]
    return world


def table_of(world, target):
    """The route table a subnet (or the gateway) uses, read back from EC2, and its routes."""
    key = "GatewayId" if target.startswith("igw-") else "SubnetId"
    tables = world["ec2"].describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [world["vpc"]]}])["RouteTables"]
    for table in tables:
        if any(a.get(key) == target for a in table.get("Associations", [])):
            return table["RouteTableId"], {r.get("DestinationCidrBlock"): r.get("VpcEndpointId") or r.get("GatewayId")
                                           for r in table["Routes"]}
    if key == "GatewayId":
        return None, {}
    main = next(t for t in tables if any(a.get("Main") for a in t.get("Associations", [])))
    return main["RouteTableId"], {r.get("DestinationCidrBlock"): r.get("GatewayId") for r in main["Routes"]}


def plan(world, name):
    """The component's plan for this VPC under the mock engine: its routing output and registrations."""
    settings = egress_settings({"vpcId": world["vpc"], "firewall": {
        "enabled": True,
        "subnets": [{"subnetId": world["firewall"][z], "availabilityZone": z} for z in ZONES],
        "protectedSubnets": [{"subnetId": world["nat"][z], "availabilityZone": z} for z in ZONES],
        "internetGatewayId": world["igw"]}})
    routing = deploy(lambda: EgressAllowList(name, EgressAllowListArgs(settings=settings, environment=name))
                     .firewall_routing)
    registered = [(n, a) for n, a in MOCKS.created.items() if n.startswith(f"{name}-")]
    return routing, registered


def real_ids(world, routing):
    """Mock value -> moto value: the firewall's endpoints (by the zone they serve) and the subnets'
    ranges (the mock's getSubnet does not know moto's)."""
    swap = {}
    zone_of = {world["nat"][z]: z for z in ZONES}
    for entry in routing:
        if entry["target"] in zone_of:
            swap[entry["routes"][0]["endpointId"]] = world["endpoint"][zone_of[entry["target"]]]
    for call, answer in MOCKS.answers:
        if call.token == "aws:ec2/getSubnet:getSubnet" and answer["id"] in world["cidr"]:
            swap[answer["cidrBlock"]] = world["cidr"][answer["id"]]
    return swap


def apply(world, registered, swap):
    """What `pulumi up` does with the component's routing, in registration order: returns the
    takeovers made (props with outputs), for delete."""
    ec2, made = world["ec2"], []
    for name, args in registered:
        inputs = {k: swap.get(v, v) if isinstance(v, str) else v for k, v in plain(dict(args.inputs)).items()}
        if args.typ == "aws:ec2/routeTable:RouteTable":
            swap[MOCKS.ids[name]] = ec2.create_route_table(VpcId=inputs["vpcId"])["RouteTable"]["RouteTableId"]
        elif args.typ == "aws:ec2/route:Route":
            ec2.create_route(RouteTableId=inputs["routeTableId"], DestinationCidrBlock=inputs["destinationCidrBlock"],
                             VpcEndpointId=inputs["vpcEndpointId"])
        elif args.typ == TAKEOVER:
            inputs.pop("__provider")
            made.append(RouteTableTakeoverProvider().create(inputs).outs)
    return made


def expected_outputs(routing, swap):
    return [{**e, "routeTableId": swap[e["routeTableId"]],
             "routes": [{"destination": swap.get(r["destination"], r["destination"]),
                         "endpointId": swap[r["endpointId"]]} for r in e["routes"]]} for e in routing]


def test_the_old_calls_fail_on_a_live_vpc(vpc):
    # A second 0.0.0.0/0 in the NAT subnet's table, and AssociateRouteTable for a subnet that has a table.
    with pytest.raises(botocore.exceptions.ClientError, match="RouteAlreadyExists"):
        vpc["ec2"].create_route(RouteTableId=vpc["public"], DestinationCidrBlock="0.0.0.0/0",
                                VpcEndpointId=vpc["endpoint"][ZONES[0]])
    table = vpc["ec2"].create_route_table(VpcId=vpc["vpc"])["RouteTable"]["RouteTableId"]
    with pytest.raises(botocore.exceptions.ClientError, match="Resource.AlreadyAssociated"):
        vpc["ec2"].associate_route_table(RouteTableId=table, SubnetId=vpc["nat"][ZONES[0]])


def test_protected_subnets_route_through_the_firewall_and_get_their_tables_back(vpc):
    routing, registered = plan(vpc, "live")
    swap = real_ids(vpc, routing)
    takeovers = apply(vpc, registered, swap)
    # The gateway first (the subnets wait for it); the subnets in whichever order the engine got to them.
    assert takeovers[0]["target_id"] == vpc["igw"]
    assert sorted(t["target_id"] for t in takeovers[1:]) == sorted(vpc["nat"].values())

    for zone in ZONES:  # the NAT subnet's internet traffic now goes to its zone's firewall endpoint
        table, routes = table_of(vpc, vpc["nat"][zone])
        assert table not in (vpc["public"], vpc["main"]) and routes["0.0.0.0/0"] == vpc["endpoint"][zone]
    edge, routes = table_of(vpc, vpc["igw"])  # and the answers come back through the same endpoint
    assert routes == {"10.20.0.0/16": "local", "10.20.0.0/24": vpc["endpoint"][ZONES[0]],
                      "10.20.1.0/24": vpc["endpoint"][ZONES[1]]}
    assert table_of(vpc, vpc["firewall"][ZONES[0]])[0] == vpc["public"]  # the firewall's own way out is untouched
    previous = {t["target_id"]: t["previous_route_table_id"] for t in takeovers}
    assert previous == {vpc["igw"]: None, vpc["nat"][ZONES[0]]: vpc["public"], vpc["nat"][ZONES[1]]: None}  # main

    outputs = {"firewallArn": "arn:aws:network-firewall:eu-west-1:123456789012:firewall/live",
               "firewallRouting": expected_outputs(routing, swap)}
    results = [r for r in verify(outputs, REGION) if r.check.startswith(("route ", "routing "))]
    assert len(results) == 4 and all(r.ok for r in results), results

    for props in reversed(takeovers):  # `pulumi destroy`: each back where it was
        RouteTableTakeoverProvider().delete(props["target_id"], props)
    assert table_of(vpc, vpc["nat"][ZONES[0]]) == (vpc["public"], {"10.20.0.0/16": "local", "0.0.0.0/0": vpc["igw"]})
    assert table_of(vpc, vpc["nat"][ZONES[1]])[0] == vpc["main"]
    assert table_of(vpc, vpc["igw"]) == (None, {})
    failed = {r.check: r.detail for r in verify(outputs, REGION) if not r.ok and r.check != "firewall"}
    assert failed[f"routing {vpc['nat'][ZONES[0]]}"].startswith(f"on {vpc['public']}, expected")
    assert failed[f"routing {vpc['igw']}"].startswith("on no explicit route table, expected")


def test_a_route_the_swap_would_drop_refuses_it_and_changes_nothing(vpc):
    ec2, subnet = vpc["ec2"], vpc["nat"][ZONES[0]]
    peer = ec2.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc["vpc"], PeerVpcId=peer)["VpcPeeringConnection"]
    ec2.create_route(RouteTableId=vpc["public"], DestinationCidrBlock="10.90.0.0/16",
                     VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"])
    ours = ec2.create_route_table(VpcId=vpc["vpc"])["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=ours, DestinationCidrBlock="0.0.0.0/0", VpcEndpointId=vpc["endpoint"][ZONES[0]])
    before = table_of(vpc, subnet)
    props = {"target_id": subnet, "route_table_id": ours, "vpc_id": vpc["vpc"], "region": REGION, "profile": None}
    with pytest.raises(ValueError, match=rf"{subnet}: its route table {vpc['public']} routes 10.90.0.0/16 -> pcx-"):
        RouteTableTakeoverProvider().create(props)
    assert table_of(vpc, subnet) == before


def test_a_replaced_table_is_swapped_in_and_delete_still_restores_the_first(vpc):
    ec2, subnet = vpc["ec2"], vpc["nat"][ZONES[0]]
    tables = []
    for _ in range(2):
        tables.append(ec2.create_route_table(VpcId=vpc["vpc"])["RouteTable"]["RouteTableId"])
        ec2.create_route(RouteTableId=tables[-1], DestinationCidrBlock="0.0.0.0/0",
                         VpcEndpointId=vpc["endpoint"][ZONES[0]])
    provider = RouteTableTakeoverProvider()
    props = {"target_id": subnet, "route_table_id": tables[0], "vpc_id": vpc["vpc"], "region": REGION, "profile": None}
    first = provider.create(props).outs
    diff = provider.diff(subnet, first, {**props, "route_table_id": tables[1]})
    assert diff.changes and not diff.replaces
    second = provider.update(subnet, first, {**props, "route_table_id": tables[1]}).outs
    assert table_of(vpc, subnet)[0] == tables[1] and second["previous_route_table_id"] == vpc["public"]
    assert provider.diff(subnet, second, {**props, "target_id": vpc["nat"][ZONES[1]]}).replaces == ["target_id"]
    provider.delete(subnet, second)
    assert table_of(vpc, subnet)[0] == vpc["public"]


def test_refresh_reads_a_moved_subnet_as_gone_and_delete_leaves_it(vpc):
    ec2, subnet = vpc["ec2"], vpc["nat"][ZONES[0]]
    ours = ec2.create_route_table(VpcId=vpc["vpc"])["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=ours, DestinationCidrBlock="0.0.0.0/0", VpcEndpointId=vpc["endpoint"][ZONES[0]])
    theirs = ec2.create_route_table(VpcId=vpc["vpc"])["RouteTable"]["RouteTableId"]
    props = {"target_id": subnet, "route_table_id": ours, "vpc_id": vpc["vpc"], "region": REGION, "profile": None}
    provider = RouteTableTakeoverProvider()
    outs = provider.create(props).outs
    read = provider.read(subnet, outs)
    assert (read.id, read.outs["association_id"]) == (subnet, outs["association_id"])
    ec2.replace_route_table_association(AssociationId=outs["association_id"], RouteTableId=theirs)
    assert provider.read(subnet, outs).id == ""  # refresh: gone, so the next `up` moves it back
    provider.delete(subnet, outs)  # not ours to move any more
    assert table_of(vpc, subnet)[0] == theirs


def test_dropped_routes_reads_every_kind_of_destination():
    old = {"Routes": [{"DestinationCidrBlock": "10.20.0.0/16", "GatewayId": "local"},
                      {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"},
                      {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1"},
                      {"DestinationPrefixListId": "pl-63a5400a", "GatewayId": "vpce-s3"},
                      {"DestinationCidrBlock": "10.0.0.0/8", "TransitGatewayId": "tgw-1"}]}
    new = {"Routes": [{"DestinationCidrBlock": "10.20.0.0/16", "GatewayId": "local"},
                      {"DestinationCidrBlock": "0.0.0.0/0", "VpcEndpointId": "vpce-fw"}]}
    assert dropped_routes(old, new) == ["::/0 -> eigw-1", "pl-63a5400a -> vpce-s3", "10.0.0.0/8 -> tgw-1"]
    assert dropped_routes(new, new) == []


def test_the_takeovers_are_children_that_wait_for_their_routes(vpc):
    from tests.mock_engine import OPTIONS

    start = len(MOCKS.answers)
    _, registered = plan(vpc, "wired")
    takeovers = [(n, a) for n, a in registered if a.typ == TAKEOVER]
    (region,) = {answer["region"] for call, answer in MOCKS.answers[start:]
                 if call.token == "aws:index/getRegion:getRegion"}
    assert takeovers[0][1].inputs["target_id"] == vpc["igw"]
    assert sorted((a.inputs["target_id"], a.inputs["region"], a.inputs["vpc_id"]) for _, a in takeovers) == sorted(
        (t, region, vpc["vpc"]) for t in (vpc["igw"], *vpc["nat"].values()))
    component = OPTIONS["wired-firewall"].parent
    assert all(OPTIONS[n].parent is component for n, _ in takeovers)
    # The gateway after its return routes; each subnet after its table's default route and the gateway.
    waits = {a.inputs["target_id"]: sorted(r._name for r in OPTIONS[n].depends_on) for n, a in takeovers}
    nat = {zone: vpc["nat"][zone] for zone in ZONES}
    assert waits == {vpc["igw"]: sorted(f"wired-edge-{s}" for s in nat.values()),
                     **{s: sorted([f"wired-internet-{zone}-default", f"wired-edge-{vpc['igw']}"])
                        for zone, s in nat.items()}}


def test_the_takeover_acts_through_the_stacks_assumed_roles(strict):
    # A VPC in the account the role is in (moto keeps accounts apart): found only through the role.
    role = "arn:aws:iam::210987654321:role/deployer"
    granted = boto3.client("sts", region_name=REGION).assume_role(RoleArn=role, RoleSessionName="setup")["Credentials"]
    ec2 = boto3.client("ec2", region_name=REGION, aws_access_key_id=granted["AccessKeyId"],
                       aws_secret_access_key=granted["SecretAccessKey"], aws_session_token=granted["SessionToken"])
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.0.0/24")["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    props = {"target_id": subnet, "route_table_id": table, "vpc_id": vpc, "region": REGION, "profile": None}
    with pytest.raises(ValueError, match=f"route table {table} is not in {vpc}"):  # the caller's own account
        RouteTableTakeoverProvider().create(props)
    outs = RouteTableTakeoverProvider().create({**props, "assume_roles": [{"roleArn": role, "externalId": "x-1"}]}).outs
    (found,) = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"]
    assert [a["RouteTableAssociationId"] for a in found["Associations"] if a.get("SubnetId") == subnet] == [
        outs["association_id"]]


def test_credentials_come_from_the_aws_provider_config():
    class Config:  # pulumi.Config("aws") as the stack file sets it
        values = {"profile": "platform"}
        objects = {"assumeRoles": [{"roleArn": "arn:aws:iam::210987654321:role/a", "sessionName": "ci",
                                    "duration": "1h"}, {"roleArn": "arn:aws:iam::210987654321:role/b"}, {}]}

        def get(self, key):
            return self.values.get(key)

        def get_object(self, key):
            return self.objects.get(key)

    credentials = AwsCredentials.from_config(Config())
    assert credentials == AwsCredentials("platform", (
        {"roleArn": "arn:aws:iam::210987654321:role/a", "sessionName": "ci"},
        {"roleArn": "arn:aws:iam::210987654321:role/b"}))
