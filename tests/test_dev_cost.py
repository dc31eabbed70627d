"""A dev stack a team can leave running: no NAT gateway, at most $100 a month fixed, and nothing less safe for it.

The payroll in dev is one web instance (SingleInstance: no load balancer) and one worker, both in public subnets
with their own security groups; prod keeps its load-balanced, private, NAT-per-zone shape. Both are config.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aws_compute_platform.beanstalk.args import BeanstalkArgs
from aws_compute_platform.beanstalk.options import needs_a_load_balancer
from aws_compute_platform.beanstalk.payroll import BeanstalkApp
from aws_compute_platform.config import SettingsError
from aws_compute_platform.foundation.network import ExistingNetwork
from costs import estimate, load_prices
from plan import Plan, PlannedResource, run_program
from tests.yaml_loader import load_yaml

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "aws-compute-platform:"
BEANSTALK = f"{PREFIX}beanstalk"
ENVIRONMENT = "aws:elasticbeanstalk/environment:Environment"
NAT = "aws:ec2/natGateway:NatGateway"
GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LAUNCH = "aws:autoscaling:launchconfiguration"


def stack_file(stack: str) -> dict[str, Any]:
    config: dict[str, Any] = load_yaml((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return config


def options(env: PlannedResource) -> dict[tuple[str, str], Any]:
    return {(s["namespace"], s["name"]): s["value"] for s in env.inputs["settings"]}


def environment(plan: Plan, tier: str) -> PlannedResource:
    [env] = [e for e in plan.of_type(ENVIRONMENT) if e.inputs["tier"] == tier]
    return env


def subnet_ids(plan: Plan, tier: str) -> list[str]:
    return sorted(plan.id_of(s) for s in plan.of_type("aws:ec2/subnet:Subnet") if s.inputs["tags"]["Tier"] == tier)


def rules_of(plan: Plan, kind: str, group: PlannedResource) -> list[PlannedResource]:
    return [r for r in plan.of_type(kind) if r.inputs["securityGroupId"] == plan.id_of(group)]


def group_by_id(plan: Plan, group_id: str) -> PlannedResource:
    [group] = [g for g in plan.of_type(GROUP) if plan.id_of(g) == group_id]
    return group


# -- the shipped dev example -----------------------------------------------------------------------------------------
def test_the_shipped_dev_example_declares_no_nat_gateway(dev_plan: Plan) -> None:
    assert stack_file("dev")[f"{PREFIX}network"]["natGateways"] == "none"
    assert dev_plan.of_type(NAT) == []
    assert [e for e in dev_plan.of_type("aws:ec2/eip:Eip") if "-nat-ip-" in e.name] == []
    for table in dev_plan.of_type("aws:ec2/routeTable:RouteTable"):
        assert not [r for r in table.inputs.get("routes") or [] if r.get("natGatewayId")]


def test_the_shipped_dev_example_turns_every_component_on(dev_plan: Plan) -> None:
    config = stack_file("dev")
    for section in ("wordpress", "beanstalk", "serverless"):
        assert config[f"{PREFIX}{section}"]["enabled"] is True, section
    assert config[f"{PREFIX}servers"] and config[f"{PREFIX}lightsail"]["instances"]
    kinds = {r.type for r in dev_plan}
    assert {"acp:compute:WordPressFleet", "acp:compute:BeanstalkApp", "acp:compute:Server"} <= kinds
    assert {"acp:serverless:ServerlessApi", "acp:lightsail:LightsailSite"} <= kinds


# The budget is the shipped example's: a user who turns on more in their own dev file may legitimately pay more.
DEV_FIXED_BUDGET = 100.0


def test_the_shipped_dev_example_costs_at_most_100_dollars_a_month_fixed_with_every_component_on(
    dev_plan: Plan, prod_plan: Plan
) -> None:
    dev = estimate(dev_plan, load_prices(stack_file("dev")["aws:region"]))
    prod = estimate(prod_plan, load_prices(stack_file("prod")["aws:region"]))
    assert not dev.unpriced, f"an unpriced resource would hide its cost: {dev.unpriced}"
    assert dev.fixed_total <= DEV_FIXED_BUDGET, f"dev costs ${dev.fixed_total:.2f} a month fixed"
    assert dev.fixed_total < prod.fixed_total / 2, f"dev ${dev.fixed_total:.2f}, prod ${prod.fixed_total:.2f}"


def test_the_shipped_dev_example_pays_for_no_public_address_on_the_wordpress_load_balancer(dev_plan: Plan) -> None:
    """CloudFront reaches an internal load balancer: its nodes bill no public IPv4 (docs/costs.md)."""
    dev = estimate(dev_plan, load_prices(stack_file("dev")["aws:region"]))
    [alb] = [r for r in dev_plan.of_type("aws:lb/loadBalancer:LoadBalancer") if "wordpress" in r.name]
    charged = {i.price_key for i in dev.items if i.resource == alb.name}
    assert "vpc.public_ipv4" not in charged
    assert charged, "the load balancer itself is still priced"


def test_the_shipped_dev_example_runs_payroll_as_one_web_instance_and_one_worker_in_public_subnets(
    dev_plan: Plan,
) -> None:
    web, worker = options(environment(dev_plan, "WebServer")), options(environment(dev_plan, "Worker"))
    assert web[("aws:elasticbeanstalk:environment", "EnvironmentType")] == "SingleInstance"
    for opts in (web, worker):
        assert sorted(opts[("aws:ec2:vpc", "Subnets")].split(",")) == subnet_ids(dev_plan, "public")
        assert opts[("aws:ec2:vpc", "AssociatePublicIpAddress")] == "true"
        assert opts[("aws:ec2:instances", "InstanceTypes")] == stack_file("dev")[BEANSTALK]["instanceType"]


# -- prod keeps its shape --------------------------------------------------------------------------------------------
def test_prod_keeps_a_nat_gateway_per_zone_and_a_load_balanced_private_payroll(prod_plan: Plan) -> None:
    zones = stack_file("prod")[f"{PREFIX}network"]["azCount"]
    assert len(prod_plan.of_type(NAT)) == zones
    web, worker = options(environment(prod_plan, "WebServer")), options(environment(prod_plan, "Worker"))
    assert web[("aws:elasticbeanstalk:environment", "EnvironmentType")] == "LoadBalanced"
    assert web[("aws:elasticbeanstalk:environment", "LoadBalancerType")] == "application"
    assert sorted(web[("aws:ec2:vpc", "ELBSubnets")].split(",")) == subnet_ids(prod_plan, "public")
    assert int(web[("aws:autoscaling:asg", "MinSize")]) >= 2
    for opts in (web, worker):
        assert sorted(opts[("aws:ec2:vpc", "Subnets")].split(",")) == subnet_ids(prod_plan, "private")
        assert opts[("aws:ec2:vpc", "AssociatePublicIpAddress")] == "false"
        assert (LAUNCH, "DisableDefaultEC2SecurityGroup") not in opts
    assert not [g for g in prod_plan.of_type(GROUP) if g.name.endswith("-instances") and "payroll" in g.name]


# -- every stack, whatever its file says -----------------------------------------------------------------------------
def test_an_environment_without_a_load_balancer_declares_no_load_balancer_option(stack_plan: Plan) -> None:
    for env in stack_plan.of_type(ENVIRONMENT):
        opts = options(env)
        single = opts.get(("aws:elasticbeanstalk:environment", "EnvironmentType")) == "SingleInstance"
        if env.inputs["tier"] == "Worker" or single:
            assert not [k for k in opts if needs_a_load_balancer(*k)], env.name
    single_web = [
        e
        for e in stack_plan.of_type(ENVIRONMENT)
        if options(e).get(("aws:elasticbeanstalk:environment", "EnvironmentType")) == "SingleInstance"
    ]
    priced = estimate(stack_plan, load_prices("us-east-1")).items
    for env in single_web:
        assert not [i for i in priced if i.resource == env.name and i.price_key.startswith("elb.")]


def test_payroll_instances_with_public_addresses_admit_nothing_from_the_internet_but_their_intended_path(
    stack_plan: Plan,
) -> None:
    allowed = sorted(stack_file(stack_plan.stack)[BEANSTALK].get("allowedCidrs", []))
    for env in stack_plan.of_type(ENVIRONMENT):
        opts = options(env)
        if opts[("aws:ec2:vpc", "AssociatePublicIpAddress")] != "true":
            continue
        # Beanstalk's default group (port 80 from anywhere in a single-instance environment) is not used at all.
        assert opts[(LAUNCH, "DisableDefaultEC2SecurityGroup")] == "true"
        group = group_by_id(stack_plan, opts[(LAUNCH, "SecurityGroups")])
        assert not group.inputs.get("ingress") and not group.inputs.get("egress")
        ingress = rules_of(stack_plan, INGRESS, group)
        egress = rules_of(stack_plan, EGRESS, group)
        if env.inputs["tier"] == "Worker":
            assert ingress == []  # sqsd calls the app on the instance itself
        else:
            assert allowed and "0.0.0.0/0" not in allowed
            assert {(r.inputs["fromPort"], r.inputs["toPort"]) for r in ingress} == {(80, 80)}
            assert sorted(str(r.inputs.get("cidrIpv4") or r.inputs.get("cidrIpv6")) for r in ingress) == allowed
            assert not [r for r in ingress if r.inputs.get("referencedSecurityGroupId")]
        assert [(r.inputs["ipProtocol"], r.inputs["fromPort"], r.inputs["toPort"]) for r in egress] == [
            ("tcp", 443, 443)
        ]


# The web instance's group and its rules are the component's own: it is built alone (as in
# tests/test_beanstalk_component.py), from the dev file's payroll section with other allowed networks, in a VPC.
VPC = ExistingNetwork(
    vpc_id="vpc-0123456789abcdef0",
    availability_zones=["us-east-1a", "us-east-1b"],
    public_subnet_ids=["subnet-pub-a", "subnet-pub-b"],
    private_subnet_ids=["subnet-app-a", "subnet-app-b"],
)
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"


@pytest.mark.parametrize("cidrs", [["198.51.100.0/24", "2001:db8::/32"], ["192.0.2.7/32"]])
def test_the_single_web_instance_admits_exactly_the_allowed_networks(cidrs: list[str]) -> None:
    args = BeanstalkArgs.from_config({**stack_file("dev")[BEANSTALK], "allowedCidrs": cidrs})
    assert args.web.environment_type == "SingleInstance" and args.instance_subnets == "public"
    plan = run_program(lambda: BeanstalkApp("payroll", args, network=VPC, key_arn=KEY_ARN, tags={"Team": "payroll"}))
    group = group_by_id(plan, options(environment(plan, "WebServer"))[(LAUNCH, "SecurityGroups")])
    ingress = rules_of(plan, INGRESS, group)
    assert sorted(str(r.inputs.get("cidrIpv4") or r.inputs.get("cidrIpv6")) for r in ingress) == sorted(cidrs)
    assert {r.inputs["fromPort"] for r in ingress} == {80}


def test_a_single_web_instance_is_refused_in_a_stack_with_a_domain(plan_with: Callable[..., Plan]) -> None:
    # With a domain payroll is served over HTTPS, and only a load balancer holds the certificate.
    with pytest.raises(SettingsError) as failure:
        plan_with("dev", {f"{PREFIX}domain": "example.org"})
    assert f"{BEANSTALK}.web.environmentType" in failure.value.keys
