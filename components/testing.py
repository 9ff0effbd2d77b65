"""Mocks that answer as the providers would, for Pulumi's mock engine.

Used by `openhands-zai plan` and the tests, and importable by anyone unit-testing a program
that uses these components: `pulumi.runtime.set_mocks(ProviderLikeMocks(), preview=False)`.

Answers are deterministic and shaped like the real ones: Docker image ids and digests; AWS
ARNs in the region as pulumi-aws resolves it (`aws:region`, else `AWS_REGION`, else
`AWS_DEFAULT_REGION`; us-east-1 when none is set, where the real provider would stop) and account
123456789012, KMS key UUIDs, auto-named IAM resources. Secrets Manager is emulated far enough that
`getSecretVersion` returns what a `SecretVersion` in the same program stored. EC2 ids have
their real prefixes (pcx-, sg-, sgr-, pl-, rtb-, r-, rtbassoc-), and what EC2 refuses twice is
refused twice (a second route to one destination in one table: RouteAlreadyExists; an identical
egress rule: InvalidPermission.Duplicate; a subnet or gateway moved onto two tables:
Resource.AlreadyAssociated); a route table's pre-existing routes, and so the table a route-table
takeover replaced, are unknown offline.
`getSubnet` answers the subnet it was asked for in the zone it was asked for (a filter AWS would
enforce), and a Network Firewall gets one endpoint per subnet mapping, in that subnet's zone (a
subnet never looked up gets a zone derived from its id).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks

from .aws_ids import principal_of_session

# network/routing.py's dynamic resource (its module needs pulumi-aws; the mocks do not).
TAKEOVER = "pulumi-python:dynamic/openhands-zai:RouteTableTakeover"

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
# How a secret value travels in resource inputs: {SIG_KEY: SECRET_SIG, "value": ...}.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def plain(value: Any) -> Any:
    """A recorded input with Pulumi's secret markers taken off, at any depth (as the engine decrypts)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return plain(value.get("value"))
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _uuid(seed: str) -> str:
    return f"{seed[:8]}-{seed[8:12]}-{seed[12:16]}-{seed[16:20]}-{seed[20:32]}"


class ProviderLikeMocks(pulumi_mocks.Mocks):
    """Answers as pulumi-docker, pulumi-aws and the engine would: deterministic, realistic values."""

    def __init__(self) -> None:
        self.secret_versions: dict[str, dict[str, Any]] = {}  # secret ARN -> the AWSCURRENT version
        self.generated_secrets: set[str] = set()  # what random passwords "generated": secrets to redact
        self.subnet_zones: dict[str, str] = {}  # subnet id -> its zone, as getSubnet answered
        self.subnet_cidrs: dict[str, str] = {}  # subnet id -> its range, as getSubnet answered
        # What AWS refuses twice: a route to one destination in one table, an identical egress rule.
        self.routes: set[tuple[str, str]] = set()
        self.egress_rules: set[tuple[Any, ...]] = set()
        self.associations: set[str] = set()  # subnets and gateways moved onto a table (one table each)

    @staticmethod
    def region(inputs: dict[str, Any] | None = None) -> str:
        """The region as pulumi-aws resolves it: the resource's, the provider config's, the environment's."""
        return ((inputs or {}).get("region") or pulumi.Config("aws").get("region") or os.environ.get("AWS_REGION")
                or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION)

    def subnet_cidr(self, subnet_id: str) -> str:
        """A subnet's range: a /24 of 10.0.0.0/8 derived from its id, never one another subnet has
        (AWS subnets do not overlap; an edge table routes each one's range)."""
        if subnet_id not in self.subnet_cidrs:
            taken, slot = set(self.subnet_cidrs.values()), int(_digest(subnet_id)[:4], 16)
            while f"10.{slot >> 8}.{slot & 255}.0/24" in taken:
                slot = (slot + 1) % 65536
            self.subnet_cidrs[subnet_id] = f"10.{slot >> 8}.{slot & 255}.0/24"
        return self.subnet_cidrs[subnet_id]

    def subnet_zone(self, subnet_id: str, region: str) -> str:
        """A subnet's zone: as looked up, else one derived from its id (stable, in the region)."""
        return self.subnet_zones.get(subnet_id) or f"{region}{'abc'[int(_digest(subnet_id)[:8], 16) % 3]}"

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict]:
        state = dict(args.inputs)
        seed = _digest(args.typ, args.name)
        if args.typ.startswith("pulumi:providers:"):
            return _uuid(seed), state
        if args.typ.startswith("docker:"):
            return self._docker(args, state, seed)
        if args.typ.startswith("aws:"):
            return self._aws(args, state, seed)
        if args.typ == "random:index/randomPassword:RandomPassword":
            # Letters and digits of the asked length, as the provider makes with special=false.
            result = (_digest(seed, "result") * 2)[: int(args.inputs.get("length", 16))]
            self.generated_secrets.add(result)
            state.update(result=result)
            return seed[:16], state
        if args.typ == TAKEOVER:
            return self._takeover(state, seed)
        if args.typ.startswith("kubernetes:"):
            # The Kubernetes provider's id: namespace/name (name alone for cluster-scoped objects).
            meta = args.inputs.get("metadata") or {}
            return "/".join(p for p in (meta.get("namespace"), meta.get("name") or args.name) if p), state
        return (seed[:16] if args.custom else None), state

    def _takeover(self, state: dict, seed: str) -> tuple[str, dict]:
        # As the takeover's create answers; which table it replaced is unknown offline (as the
        # tables' existing routes are). A subnet or gateway sits on one table only.
        target_id = str(state["target_id"])
        if target_id in self.associations:
            raise Exception(f"Resource.AlreadyAssociated: {target_id} is already moved onto a route table")
        self.associations.add(target_id)
        state.update(association_id=f"rtbassoc-{seed[:17]}", previous_route_table_id=None)
        return target_id, state

    def _docker(self, args: pulumi_mocks.MockResourceArgs, state: dict, seed: str) -> tuple[str, dict]:
        if args.typ == "docker:index/remoteImage:RemoteImage":
            image_id = f"sha256:{seed}"
            repository = args.inputs["name"].split("@")[0].rsplit(":", 1)[0]
            state.update(imageId=image_id, repoDigest=f"{repository}@sha256:{_digest(seed)}")
            return image_id, state
        if args.typ == "docker:index/volume:Volume":
            name = args.inputs.get("name", args.name)
            state.update(driver="local", mountpoint=f"/var/lib/docker/volumes/{name}/_data")
            return name, state
        if args.typ == "docker:index/container:Container":
            net = [{"networkName": "bridge", "ipAddress": "172.17.0.2", "gateway": "172.17.0.1"}]
            # `attach`: create returns when it has run; offline, as a seeder that did its work (e2e runs it).
            state.update(hostname=seed[:12], exitCode=0 if args.inputs.get("attach") else None, bridge="", networkDatas=net)
            return seed, state
        return seed[:16], state

    def _aws(self, args: pulumi_mocks.MockResourceArgs, state: dict, seed: str) -> tuple[str, dict]:
        region, inputs = self.region(args.inputs), args.inputs
        # pulumi-aws auto-names resources without a `name`: the logical name and a random suffix.
        auto_name = inputs.get("name") or f"{args.name}-{seed[:7]}"
        if args.typ == "aws:kms/key:Key":
            key_id = _uuid(seed)
            state.update(keyId=key_id, arn=f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{key_id}",
                         region=region)
            return key_id, state
        if args.typ == "aws:kms/alias:Alias":
            state.update(arn=f"arn:aws:kms:{region}:{ACCOUNT_ID}:{inputs['name']}",
                         targetKeyArn=f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/{inputs.get('targetKeyId', '')}")
            return inputs["name"], state
        if args.typ == "aws:secretsmanager/secret:Secret":
            arn = f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:{auto_name}-{seed[:6]}"
            state.update(arn=arn, name=auto_name, region=region)
            return arn, state
        if args.typ == "aws:secretsmanager/secretVersion:SecretVersion":
            version_id = _uuid(seed)
            secret_arn = inputs["secretId"]
            self.secret_versions[secret_arn] = {
                "arn": secret_arn, "secretArn": secret_arn, "secretId": secret_arn, "versionId": version_id,
                "secretString": plain(inputs.get("secretString", "")), "versionStages": ["AWSCURRENT"],
                "id": f"{secret_arn}|{version_id}", "region": region,
            }
            state.update(arn=secret_arn, versionId=version_id, versionStages=["AWSCURRENT"])
            return f"{secret_arn}|{version_id}", state
        if args.typ == "aws:secretsmanager/secretPolicy:SecretPolicy":
            return inputs["secretArn"], state
        if args.typ == "aws:iam/role:Role":
            state.update(name=auto_name, arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{auto_name}",
                         uniqueId="AROA" + seed[:17].upper())
            return auto_name, state
        if args.typ == "aws:iam/policy:Policy":
            arn = f"arn:aws:iam::{ACCOUNT_ID}:policy/{auto_name}"
            state.update(name=auto_name, arn=arn, policyId="ANPA" + seed[:17].upper())
            return arn, state
        if args.typ == "aws:iam/instanceProfile:InstanceProfile":
            state.update(name=auto_name, arn=f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/{auto_name}")
            return auto_name, state
        if args.typ == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            return f"{inputs.get('role')}-{seed[:20]}", state
        return self._aws_network(args, state, seed, region)

    def _aws_network(self, args: pulumi_mocks.MockResourceArgs, state: dict, seed: str,
                     region: str) -> tuple[str, dict]:
        inputs = args.inputs
        if args.typ == "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
            pcx = f"pcx-{seed[:17]}"
            state.update(acceptStatus="active" if inputs.get("autoAccept") else "pending-acceptance",
                         peerOwnerId=inputs.get("peerOwnerId") or ACCOUNT_ID, peerRegion=inputs.get("peerRegion") or region)
            return pcx, state
        if args.typ == "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter":
            state.update(acceptStatus="active")
            return inputs["vpcPeeringConnectionId"], state
        if args.typ == "aws:ec2/peeringConnectionOptions:PeeringConnectionOptions":
            return inputs["vpcPeeringConnectionId"], state
        if args.typ == "aws:ec2/route:Route":
            route = (str(inputs["routeTableId"]), str(inputs["destinationCidrBlock"]))
            if route in self.routes:
                raise Exception(f"RouteAlreadyExists: The route identified by {route[1]} already exists "
                                f"(in {route[0]})")
            self.routes.add(route)
            # The Terraform provider's route id: r-<route table id><hash of the destination>.
            return f"r-{inputs['routeTableId']}{int(_digest(inputs['destinationCidrBlock'])[:8], 16)}", state
        if args.typ == "aws:ec2/routeTable:RouteTable":
            table = f"rtb-{seed[:17]}"
            state.update(arn=f"arn:aws:ec2:{region}:{ACCOUNT_ID}:route-table/{table}", ownerId=ACCOUNT_ID,
                         routes=[], propagatingVgws=[])
            return table, state
        if args.typ == "aws:ec2/securityGroup:SecurityGroup":
            group = f"sg-{seed[:17]}"
            state.update(arn=f"arn:aws:ec2:{region}:{ACCOUNT_ID}:security-group/{group}", ownerId=ACCOUNT_ID,
                         name=inputs.get("name") or f"{args.name}-{seed[:7]}", ingress=[], egress=[])
            return group, state
        if args.typ == "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":
            same = tuple(str(inputs.get(k)) for k in ("securityGroupId", "ipProtocol", "fromPort", "toPort", "cidrIpv4",
                                                      "cidrIpv6", "prefixListId", "referencedSecurityGroupId"))
            if same in self.egress_rules:
                raise Exception("InvalidPermission.Duplicate: the specified rule already exists in "
                                f"{inputs.get('securityGroupId')}")
            self.egress_rules.add(same)
            rule = f"sgr-{seed[:17]}"
            state.update(arn=f"arn:aws:ec2:{region}:{ACCOUNT_ID}:security-group-rule/{rule}", securityGroupRuleId=rule)
            return rule, state
        if args.typ == "aws:ec2/managedPrefixList:ManagedPrefixList":
            prefix_list = f"pl-{seed[:17]}"
            state.update(arn=f"arn:aws:ec2:{region}:{ACCOUNT_ID}:prefix-list/{prefix_list}", ownerId=ACCOUNT_ID,
                         version=1, name=inputs.get("name") or f"{args.name}-{seed[:7]}")
            return prefix_list, state
        if args.typ == "aws:eks/cluster:Cluster":
            name = inputs.get("name") or f"{args.name}-{seed[:7]}"
            vpc_config = inputs.get("vpcConfig") or {}
            issuer = f"https://oidc.eks.{region}.amazonaws.com/id/{seed[:32].upper()}"
            state.update(name=name, arn=f"arn:aws:eks:{region}:{ACCOUNT_ID}:cluster/{name}",
                         endpoint=f"https://{seed[:32].upper()}.gr7.{region}.eks.amazonaws.com",
                         certificateAuthority={"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="},
                         identities=[{"oidcs": [{"issuer": issuer}]}], status="ACTIVE",
                         # EKS creates the cluster security group; the VPC is the subnets' (as getSubnet says).
                         vpcConfig={**vpc_config, "clusterSecurityGroupId": f"sg-{seed[:17]}",
                                    "vpcId": f"vpc-{_digest(str((vpc_config.get('subnetIds') or [''])[0]))[:17]}"})
            return name, state
        if args.typ == "aws:eks/nodeGroup:NodeGroup":
            state.update(arn=f"arn:aws:eks:{region}:{ACCOUNT_ID}:nodegroup/{args.name}/{seed[:8]}", status="ACTIVE")
            return f"{inputs.get('clusterName')}:{args.name}", state
        if args.typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            host = str(inputs.get("url", "")).removeprefix("https://")
            arn = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}"
            state.update(arn=arn)
            return arn, state
        if args.typ.startswith("aws:networkfirewall/"):
            kind = {"ruleGroup": "stateful-rulegroup", "firewallPolicy": "firewall-policy",
                    "firewall": "firewall"}[args.typ.split("/")[1].split(":")[0]]
            arn = f"arn:aws:network-firewall:{region}:{ACCOUNT_ID}:{kind}/{inputs.get('name', args.name)}"
            state.update(arn=arn, updateToken=_uuid(seed))
            if kind == "firewall":
                # One endpoint per subnet mapping, keyed by the zone of that subnet.
                state.update(firewallStatuses=[{"syncStates": [
                    {"availabilityZone": self.subnet_zone(str(mapping.get("subnetId")), region),
                     "attachments": [{"endpointId": f"vpce-{_digest(seed, str(index))[:17]}",
                                      "subnetId": mapping.get("subnetId"), "status": "READY"}]}
                    for index, mapping in enumerate(inputs.get("subnetMappings") or [])]}])
            return arn, state
        return seed[:16], state

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict, list]:
        token, inputs = args.token, args.args
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/deployer",
                    "userId": "AIDA" + "0" * 17, "id": ACCOUNT_ID}, []
        if token == "aws:iam/getSessionContext:getSessionContext":
            arn, issuer = str(inputs["arn"]), principal_of_session(str(inputs["arn"]))  # a session's issuer: its role
            return {"arn": arn, "issuerArn": issuer, "issuerName": issuer.rsplit("/", 1)[-1], "id": arn}, []
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws",
                    "reverseDnsPrefix": "com.amazonaws"}, []
        if token == "aws:index/getRegion:getRegion":
            region = self.region(inputs)
            return {"region": region, "name": region, "id": region,
                    "endpoint": f"ec2.{region}.amazonaws.com", "description": region}, []
        if token == "aws:ec2/getSubnet:getSubnet":
            subnet_id, region = str(inputs.get("id") or f"subnet-{_digest(str(inputs))[:17]}"), self.region(inputs)
            zone = inputs.get("availabilityZone") or self.subnet_zone(subnet_id, region)
            self.subnet_zones[subnet_id] = zone
            return {"id": subnet_id, "availabilityZone": zone,
                    "vpcId": inputs.get("vpcId") or f"vpc-{_digest(subnet_id)[:17]}", "state": "available",
                    "arn": f"arn:aws:ec2:{region}:{ACCOUNT_ID}:subnet/{subnet_id}", "ownerId": ACCOUNT_ID,
                    "cidrBlock": self.subnet_cidr(subnet_id), "defaultForAz": False,
                    "mapPublicIpOnLaunch": False, "tags": {}}, []
        if token == "aws:secretsmanager/getSecretVersion:getSecretVersion":
            version = self.secret_versions.get(str(inputs.get("secretId")))
            if version is None:
                raise Exception(f"ResourceNotFoundException: Secrets Manager can't find the secret {inputs.get('secretId')}")
            return dict(version), []
        # An empty answer would let a lookup "succeed" with nothing in it and a check pass on
        # nothing: an invoke these mocks do not know is an error (subclass and answer it).
        raise NotImplementedError(f"ProviderLikeMocks does not answer the invoke {token}; subclass it and answer "
                                  "it as the provider would")
