"""Network: a VPC over N availability zones with public, private (application) and isolated (data) subnets."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import pulumi
import pulumi_aws as aws
from pydantic import Field, field_validator

from aws_compute_platform.args import ArgsModel, LogRetentionDays
from aws_compute_platform.config import ConfigError
from aws_compute_platform.foundation.tags import tagged

NAT_POLICIES = ("none", "single", "perAz")
MAX_AZS = 6
# The VPC is cut into 32 equal blocks: public subnets take blocks 0-5, private 8-13, data 16-21, the rest is spare.
_BLOCKS_BITS = 5
# A load balancer's subnet needs "a CIDR block with at least a /27 bitmask" and "at least 8 free IP addresses"
# (Elastic Load Balancing, Application Load Balancers guide, "Subnets for your load balancer"); a /27 keeps 27 free
# after the five addresses AWS reserves in every subnet.
_SMALLEST_LOAD_BALANCER_SUBNET = 27
_TIER_OFFSET = {"public": 0, "private": 8, "data": 16}


class NetworkArgs(ArgsModel):
    """A VPC over `az_count` zones, cut into public, private (application) and data subnets."""

    config_key = "aws-compute-platform:network"

    cidr: str = "10.20.0.0/16"
    """The VPC's private IPv4 range, /16 to /22; each subnet is 1/32 of it (a load balancer needs a /27 or larger)."""
    az_count: int = Field(2, ge=1, le=MAX_AZS)
    """How many availability zones the subnets span (load balancers need at least 2)."""
    nat_gateways: Literal["none", "single", "perAz"] = "single"
    """Outbound internet for private subnets: none, one shared gateway, or one per zone (survives a zone failure)."""
    log_retention_days: LogRetentionDays = 30
    """Days the flow logs are kept (a period CloudWatch Logs accepts). Defaults to the stack's logRetentionDays."""

    @field_validator("cidr")
    @classmethod
    def _private_range(cls, cidr: str) -> str:
        try:
            network = ipaddress.IPv4Network(cidr, strict=True)
        except ValueError as exc:
            raise ValueError(f"is not a valid IPv4 CIDR block ({exc})") from None
        if not network.is_private:
            raise ValueError("must be a private (RFC 1918) IPv4 range such as 10.20.0.0/16")
        longest = _SMALLEST_LOAD_BALANCER_SUBNET - _BLOCKS_BITS
        if not 16 <= network.prefixlen <= longest:
            raise ValueError(
                f"must have a prefix from /16 to /{longest}: each subnet is 1/32 of it, and the public subnets must "
                f"be at least /{_SMALLEST_LOAD_BALANCER_SUBNET} with 8 free addresses to hold a load balancer"
            )
        return cidr

    def subnet_cidrs(self, tier: str) -> list[str]:
        """The CIDR of each AZ's subnet in a tier, computed from the VPC range (`public`, `private` or `data`)."""
        blocks = list(ipaddress.IPv4Network(self.cidr).subnets(prefixlen_diff=_BLOCKS_BITS))
        first = _TIER_OFFSET[tier]
        return [str(b) for b in blocks[first : first + self.az_count]]


class NetworkRef(Protocol):
    """What a component needs of a network: ours (`Network`) or one a team already has (`ExistingNetwork`)."""

    @property
    def vpc_id(self) -> pulumi.Input[str]: ...
    @property
    def availability_zones(self) -> Sequence[str]: ...
    @property
    def public_subnet_ids(self) -> Sequence[pulumi.Input[str]]: ...
    @property
    def private_subnet_ids(self) -> Sequence[pulumi.Input[str]]: ...
    @property
    def data_subnet_ids(self) -> Sequence[pulumi.Input[str]]: ...


@dataclass(frozen=True)
class ExistingNetwork:
    """A VPC the team already has, by its ids: subnets listed in the same zone order as `availability_zones`.

    Private subnets need a route out (a NAT gateway or endpoints) for instances that download at boot; data
    subnets may be the private ones where the VPC has no separate tier.
    """

    vpc_id: str
    availability_zones: Sequence[str]
    public_subnet_ids: Sequence[str]
    private_subnet_ids: Sequence[str]
    data_subnet_ids: Sequence[str] = ()

    def __post_init__(self) -> None:
        if not self.data_subnet_ids:
            object.__setattr__(self, "data_subnet_ids", tuple(self.private_subnet_ids))
        zones = len(self.availability_zones)
        for tier in ("public_subnet_ids", "private_subnet_ids", "data_subnet_ids"):
            if len(getattr(self, tier)) != zones:
                raise ConfigError(tier, f"must list one subnet per availability zone ({zones})", getattr(self, tier))


def availability_zones(count: int, key: str = "aws-compute-platform:network.azCount") -> list[str]:
    """The first `count` standard availability zones of the region (Local and Wavelength Zones excluded)."""
    zones = aws.get_availability_zones(
        state="available", filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    ).names
    if len(zones) < count:
        raise ConfigError(key, f"the region has only {len(zones)} availability zones ({', '.join(zones)})", count)
    return sorted(zones)[:count]


class Network(pulumi.ComponentResource):
    """One VPC; per AZ a public, a private and a data subnet; NAT as configured; flow logs to an encrypted log group."""

    def __init__(
        self,
        name: str,
        args: NetworkArgs,
        key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.availability_zones = availability_zones(args.az_count)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=tagged(tags, f"{name}-vpc"),
            opts=child,
        )
        # The default security group allows all traffic between its members: leave it with no rules at all.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=self.vpc.id, tags=tagged(tags, f"{name}-default-unused"), opts=child
        )
        self.internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags=tagged(tags, f"{name}-igw"), opts=child
        )

        self.public_subnets = self._subnets(name, "public", args, tags)
        self.private_subnets = self._subnets(name, "private", args, tags)
        self.data_subnets = self._subnets(name, "data", args, tags)

        public_routes = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": self.internet_gateway.id}],
            tags=tagged(tags, f"{name}-public"),
            opts=child,
        )
        self._associate(name, "public", self.public_subnets, [public_routes] * args.az_count)

        self.nat_gateways = self._nat_gateways(name, args, tags)
        private_routes = []
        for i, az in enumerate(self.availability_zones):
            routes = []
            if self.nat_gateways:
                nat = self.nat_gateways[i % len(self.nat_gateways)]
                routes.append({"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat.id})
            private_routes.append(
                aws.ec2.RouteTable(
                    f"{name}-private-rt-{i}",
                    vpc_id=self.vpc.id,
                    routes=routes,
                    tags=tagged(tags, f"{name}-private-{az}"),
                    opts=child,
                )
            )
        self._associate(name, "private", self.private_subnets, private_routes)

        # Data subnets have no route out of the VPC at all.
        data_routes = aws.ec2.RouteTable(
            f"{name}-data-rt", vpc_id=self.vpc.id, tags=tagged(tags, f"{name}-data"), opts=child
        )
        self._associate(name, "data", self.data_subnets, [data_routes] * args.az_count)

        # S3 traffic stays on the AWS network and costs nothing, instead of paying NAT data processing.
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self))
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=region.region.apply(lambda r: f"com.amazonaws.{r}.s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[public_routes.id, data_routes.id, *[rt.id for rt in private_routes]],
            tags=tagged(tags, f"{name}-s3"),
            opts=child,
        )

        self._flow_logs(name, args, key_arn, tags)

        self.vpc_id: pulumi.Output[str] = self.vpc.id
        self.public_subnet_ids = [s.id for s in self.public_subnets]
        self.private_subnet_ids = [s.id for s in self.private_subnets]
        self.data_subnet_ids = [s.id for s in self.data_subnets]
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "availabilityZones": self.availability_zones,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "dataSubnetIds": self.data_subnet_ids,
            }
        )

    def _subnets(self, name: str, tier: str, args: NetworkArgs, tags: Mapping[str, str]) -> list[aws.ec2.Subnet]:
        # No subnet hands out public addresses on launch, public ones included: only the load balancer and the NAT
        # gateways live there, and they bring their own. An instance that needs one asks for it on its network
        # interface (wordpress.publicInstances, a server's publicIp).
        return [
            aws.ec2.Subnet(
                f"{name}-{tier}-{i}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=az,
                map_public_ip_on_launch=False,
                tags=tagged(tags, f"{name}-{tier}-{az}", Tier=tier),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for i, (az, cidr) in enumerate(zip(self.availability_zones, args.subnet_cidrs(tier), strict=True))
        ]

    def _associate(self, name: str, tier: str, subnets: list[aws.ec2.Subnet], tables: list[aws.ec2.RouteTable]) -> None:
        for i, (subnet, table) in enumerate(zip(subnets, tables, strict=True)):
            aws.ec2.RouteTableAssociation(
                f"{name}-{tier}-rta-{i}",
                subnet_id=subnet.id,
                route_table_id=table.id,
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _nat_gateways(self, name: str, args: NetworkArgs, tags: Mapping[str, str]) -> list[aws.ec2.NatGateway]:
        count = {"none": 0, "single": 1, "perAz": args.az_count}[args.nat_gateways]
        gateways = []
        for i in range(count):
            address = aws.ec2.Eip(
                f"{name}-nat-ip-{i}",
                domain="vpc",
                tags=tagged(tags, f"{name}-nat-{i}"),
                opts=pulumi.ResourceOptions(parent=self),
            )
            gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=address.id,
                    subnet_id=self.public_subnets[i].id,
                    tags=tagged(tags, f"{name}-nat-{self.availability_zones[i]}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[self.internet_gateway]),
                )
            )
        return gateways

    def _flow_logs(self, name: str, args: NetworkArgs, key_arn: pulumi.Input[str], tags: Mapping[str, str]) -> None:
        child = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            retention_in_days=args.log_retention_days,
            kms_key_id=key_arn,
            tags=tagged(tags, f"{name}-flow-logs"),
            opts=child,
        )
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        role = aws.iam.Role(
            f"{name}-flow-logs",
            # The account condition stops another account's flow logs from using this role (confused deputy).
            assume_role_policy=identity.account_id.apply(
                lambda account: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                            }
                        ],
                    }
                )
            ),
            tags=tagged(tags, f"{name}-flow-logs"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=log_group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                                "Resource": [arn, f"{arn}:*"],
                            }
                        ],
                    }
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=600,
            tags=tagged(tags, f"{name}-flow-log"),
            opts=child,
        )
