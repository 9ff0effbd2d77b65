"""VpcPeering: the OpenHands VPC peered with the VPC the LLM traffic goes to (a gateway, a proxy).

Creates the requester connection; the accepter, when the peer is in another account or region,
through the peer provider passed in (built by the caller from peerOwnerId/peerRegion/peerRoleArn;
same account and region auto-accept without one); DNS-resolution options on each side by that
side's provider; a route in every local route table to the peer range and in every peer route
table to the local range.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.network.plan import peering_routes
from components.network.settings import PeeringSettings

COMPONENT_TYPE = "openhands-zai:network:VpcPeering"


@dataclass
class VpcPeeringArgs:
    settings: PeeringSettings
    peer_provider: aws.Provider | None = None  # required when settings.needs_peer_provider
    tags: dict[str, str] = field(default_factory=dict)


class VpcPeering(pulumi.ComponentResource):
    connection_id: pulumi.Output[str]
    routes: list[dict[str, str]]  # side, routeTableId, destinationCidr: what `ops verify` checks

    def __init__(self, name: str, args: VpcPeeringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(COMPONENT_TYPE, name, None, opts)
        settings = args.settings
        if settings.needs_peer_provider and args.peer_provider is None:
            raise ValueError("VpcPeering: a peer in another account or region needs args.peer_provider")
        tags = {"Name": f"openhands-zai-{name}", **args.tags}
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
