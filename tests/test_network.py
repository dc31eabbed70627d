"""Network: the VPC spans the configured AZs with three tiers of subnets, NAT as asked, flow logs kept encrypted."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import Any

import pytest

from aws_compute_platform.config import ConfigError, SettingsError
from aws_compute_platform.foundation.network import NetworkArgs
from plan import Plan
from tests.conftest import DEV_WITHOUT_NAT_PAYROLL_OR_ORDERS

NETWORK = "aws-compute-platform:network"


def subnets_by_tier(plan: Plan) -> dict[str, list[dict[str, Any]]]:
    tiers: dict[str, list[dict[str, Any]]] = {}
    for subnet in plan.of_type("aws:ec2/subnet:Subnet"):
        tiers.setdefault(subnet.inputs["tags"]["Tier"], []).append(subnet.inputs)
    return tiers


@pytest.mark.parametrize(("stack", "zones"), [("dev", 2), ("prod", 3)])
def test_the_vpc_spans_two_azs_in_dev_and_three_in_prod(stack: str, zones: int, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"{stack}_plan")
    tiers = subnets_by_tier(plan)
    assert set(tiers) == {"public", "private", "data"}
    for tier, subnets in tiers.items():
        assert len({s["availabilityZone"] for s in subnets}) == zones, tier
    assert plan.outputs["availabilityZones"] == [f"us-east-1{c}" for c in "abc"[:zones]]


def test_subnets_lie_inside_the_vpc_and_never_overlap(stack_plan: Plan) -> None:
    vpc = ipaddress.ip_network(stack_plan.of_type("aws:ec2/vpc:Vpc")[0].inputs["cidrBlock"])
    blocks = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in stack_plan.of_type("aws:ec2/subnet:Subnet")]
    assert all(b.subnet_of(vpc) for b in blocks)  # type: ignore[arg-type]
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


def test_no_subnet_gives_instances_a_public_address_on_launch(stack_plan: Plan) -> None:
    # Only the load balancer and NAT gateways live in public subnets; an instance that needs a public address asks
    # for one on its own network interface (wordpress.publicInstances, a server's publicIp).
    for tier, subnets in subnets_by_tier(stack_plan).items():
        assert [s.get("mapPublicIpOnLaunch") for s in subnets] == [False] * len(subnets), tier


def test_prod_has_a_nat_gateway_per_az_and_dev_none(dev_plan: Plan, prod_plan: Plan) -> None:
    assert dev_plan.of_type("aws:ec2/natGateway:NatGateway") == []
    prod_nats = prod_plan.of_type("aws:ec2/natGateway:NatGateway")
    assert len(prod_nats) == 3
    public_subnet_ids = {
        f"{s.name}-id" for s in prod_plan.of_type("aws:ec2/subnet:Subnet") if s.inputs["tags"]["Tier"] == "public"
    }
    assert {n.inputs["subnetId"] for n in prod_nats} == public_subnet_ids


def test_each_private_subnet_leaves_through_the_nat_gateway_of_its_own_az(prod_plan: Plan) -> None:
    tables = {t.name: t for t in prod_plan.of_type("aws:ec2/routeTable:RouteTable")}
    for i in range(3):
        routes = tables[f"aws-compute-platform-prod-private-rt-{i}"].inputs["routes"]
        assert routes == [{"cidrBlock": "0.0.0.0/0", "natGatewayId": f"aws-compute-platform-prod-nat-{i}-id"}]


def test_data_subnets_have_no_route_out_of_the_vpc(stack_plan: Plan) -> None:
    data_table = next(t for t in stack_plan.of_type("aws:ec2/routeTable:RouteTable") if t.name.endswith("-data-rt"))
    assert not data_table.inputs.get("routes")


def test_without_nat_private_subnets_have_no_default_route(plan_with: Callable[..., Plan]) -> None:
    # Components whose private instances need outbound access refuse natGateways: none, so they are off here.
    plan = plan_with("dev", DEV_WITHOUT_NAT_PAYROLL_OR_ORDERS)
    assert plan.of_type("aws:ec2/natGateway:NatGateway") == []
    assert [e for e in plan.of_type("aws:ec2/eip:Eip") if "-nat-ip-" in e.name] == []
    private = [t for t in plan.of_type("aws:ec2/routeTable:RouteTable") if "-private-rt-" in t.name]
    assert len(private) == 2 and all(not t.inputs.get("routes") for t in private)


def test_flow_logs_go_to_a_log_group_encrypted_with_the_stack_key(stack_plan: Plan) -> None:
    flow_log = stack_plan.of_type("aws:ec2/flowLog:FlowLog")[0]
    assert flow_log.inputs["trafficType"] == "ALL"
    group = next(g for g in stack_plan.of_type("aws:cloudwatch/logGroup:LogGroup") if g.name.endswith("-flow-logs"))
    assert group.inputs["kmsKeyId"] == stack_plan.outputs["kmsKeyArn"]
    assert group.inputs["retentionInDays"] == {"dev": 14, "prod": 90}[stack_plan.stack]


def test_the_default_security_group_is_left_without_rules(stack_plan: Plan) -> None:
    default_group = stack_plan.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[0]
    assert not default_group.inputs.get("ingress") and not default_group.inputs.get("egress")


def test_s3_traffic_uses_a_gateway_endpoint_on_every_route_table(stack_plan: Plan) -> None:
    endpoint = stack_plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")[0]
    assert endpoint.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert len(endpoint.inputs["routeTableIds"]) == len(stack_plan.of_type("aws:ec2/routeTable:RouteTable"))


def test_subnet_cidrs_are_computed_per_tier() -> None:
    args = NetworkArgs(cidr="10.0.0.0/16", az_count=3)
    assert args.subnet_cidrs("public") == ["10.0.0.0/21", "10.0.8.0/21", "10.0.16.0/21"]
    assert args.subnet_cidrs("private")[0] == "10.0.64.0/21"
    assert args.subnet_cidrs("data")[2] == "10.0.144.0/21"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"cidr": "8.8.0.0/16"}, "private"),
        ({"cidr": "10.0.0.0/25"}, "prefix"),
        # /23 would cut /28 subnets: too small for a load balancer (ELB wants /27 with 8 free addresses).
        ({"cidr": "10.0.0.0/23"}, "/27"),
        ({"cidr": "10.0.0.1/16"}, "not a valid"),
        ({"azCount": 7}, "at most 6"),
        ({"natGateways": "some"}, "one of"),
    ],
)
def test_bad_network_settings_are_refused_with_the_key_named(raw: dict[str, object], problem: str) -> None:
    with pytest.raises(SettingsError) as from_config:
        NetworkArgs.from_config(raw)
    [found] = from_config.value.problems
    assert found.key == f"aws-compute-platform:network.{next(iter(raw))}"
    assert problem in found.problem
    # The same Args built in Python fail the same way, under the same key.
    python_names = {"cidr": "cidr", "azCount": "az_count", "natGateways": "nat_gateways"}
    with pytest.raises(SettingsError) as from_python:
        NetworkArgs(**{python_names[k]: v for k, v in raw.items()})
    assert [str(p) for p in from_python.value.problems] == [str(found)]


@pytest.mark.parametrize("prefix", range(16, 23))
def test_every_accepted_range_leaves_each_public_subnet_room_for_a_load_balancer(prefix: int) -> None:
    # ELB user guide, "Subnets for your load balancer": each subnet at least a /27 with 8 free addresses.
    args = NetworkArgs(cidr=f"10.0.0.0/{prefix}", az_count=6)
    for cidr in args.subnet_cidrs("public"):
        subnet = ipaddress.ip_network(cidr)
        assert subnet.prefixlen <= 27
        assert subnet.num_addresses - 5 >= 8  # AWS reserves five addresses in every subnet


def test_a_region_with_too_few_zones_is_refused(plan_with: Callable[..., Plan]) -> None:
    with pytest.raises(ConfigError, match="only 2 availability zones") as failure:
        plan_with(
            "dev",
            {
                NETWORK: {"cidr": "10.20.0.0/16", "azCount": 3, "natGateways": "none"},
                "aws-compute-platform:beanstalk": {"enabled": False},
                "aws:region": "us-west-1",
            },
        )
    assert failure.value.key == "aws-compute-platform:network.azCount"


def test_flow_logs_may_write_only_to_their_own_log_group(stack_plan: Plan) -> None:
    role = next(r for r in stack_plan.of_type("aws:iam/role:Role") if r.name.endswith("-flow-logs"))
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    policy = next(p for p in stack_plan.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("-flow-logs"))
    statement = json.loads(policy.inputs["policy"])["Statement"][0]
    group = next(g for g in stack_plan.of_type("aws:cloudwatch/logGroup:LogGroup") if g.name.endswith("-flow-logs"))
    group_arn = group.outputs["arn"]
    assert statement["Resource"] == [group_arn, f"{group_arn}:*"]
