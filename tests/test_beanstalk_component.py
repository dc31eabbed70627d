"""BeanstalkApp alone: in a VPC a team already has, with a key ARN and tags as a mapping, nothing of ours around it."""

from __future__ import annotations

from typing import Any

import pytest

from aws_compute_platform.beanstalk.args import BeanstalkArgs
from aws_compute_platform.beanstalk.payroll import BeanstalkApp
from aws_compute_platform.config import SettingsError
from aws_compute_platform.foundation.network import ExistingNetwork
from plan import Plan, PlannedResource, run_program

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"
TAGS = {"Team": "payroll", "CostCenter": "cc-42"}
VPC = ExistingNetwork(
    vpc_id="vpc-0123456789abcdef0",
    availability_zones=["us-east-1a", "us-east-1b"],
    public_subnet_ids=["subnet-pub-a", "subnet-pub-b"],
    private_subnet_ids=["subnet-app-a", "subnet-app-b"],
)
# No domain here: plain HTTP, so the load balancer admits only the given networks.
ARGS = BeanstalkArgs(sender_email="payroll@example.com", allowed_cidrs=("198.51.100.0/24",))
ENVIRONMENT = "aws:elasticbeanstalk/environment:Environment"


def build(name: str = "payroll", args: BeanstalkArgs = ARGS, network: ExistingNetwork = VPC, **kwargs: Any) -> Plan:
    return run_program(lambda: BeanstalkApp(name, args, network=network, key_arn=KEY_ARN, tags=TAGS, **kwargs))


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build()


def options(env: PlannedResource) -> dict[tuple[str, str], Any]:
    return {(s["namespace"], s["name"]): s["value"] for s in env.inputs["settings"]}


def test_it_declares_no_network_of_its_own(plan: Plan) -> None:
    assert plan.of_type(ENVIRONMENT)
    # Only its load balancer's security group, in the given VPC.
    [group] = [r for r in plan if r.type.startswith("aws:ec2/")]
    assert group.type == "aws:ec2/securityGroup:SecurityGroup" and group.inputs["vpcId"] == VPC.vpc_id


def test_without_a_domain_only_the_allowed_networks_reach_plain_http() -> None:
    plan = build(args=ARGS)
    [group] = plan.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert [(r["fromPort"], r["cidrBlocks"]) for r in group.inputs["ingress"]] == [(80, ["198.51.100.0/24"])]
    [web] = [e for e in plan.of_type(ENVIRONMENT) if e.inputs["tier"] == "WebServer"]
    assert options(web)[("aws:elbv2:loadbalancer", "SecurityGroups")] == f"{group.name}-id"  # the mock id
    assert not [k for k in options(web) if k[0] == "aws:elbv2:listener:443"]


def test_without_a_domain_or_allowed_networks_it_is_refused_naming_the_key() -> None:
    with pytest.raises(SettingsError) as failure:
        build(args=BeanstalkArgs(sender_email="payroll@example.com"))
    [problem] = failure.value.problems
    assert problem.key == "aws-compute-platform:beanstalk.allowedCidrs" and "plain HTTP" in problem.problem


def test_both_environments_run_in_the_given_vpc_with_instances_in_its_private_subnets(plan: Plan) -> None:
    envs = {e.inputs["tier"]: options(e) for e in plan.of_type(ENVIRONMENT)}
    assert set(envs) == {"WebServer", "Worker"}
    for opts in envs.values():
        assert opts[("aws:ec2:vpc", "VPCId")] == VPC.vpc_id
        assert opts[("aws:ec2:vpc", "Subnets")] == "subnet-app-a,subnet-app-b"
    assert envs["WebServer"][("aws:ec2:vpc", "ELBSubnets")] == "subnet-pub-a,subnet-pub-b"


def test_the_given_key_encrypts_the_queues_and_the_uploads(plan: Plan) -> None:
    queues = plan.of_type("aws:sqs/queue:Queue")
    assert len(queues) == 2 and all(q.inputs["kmsMasterKeyId"] == KEY_ARN for q in queues)
    encryption = plan.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    by_key = [e for e in encryption if e.inputs["rules"][0]["applyServerSideEncryptionByDefault"].get("kmsMasterKeyId")]
    assert [e.name for e in by_key] == ["payroll-uploads"]
    assert by_key[0].inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == KEY_ARN


def test_every_taggable_resource_carries_the_given_tags_and_a_name(plan: Plan) -> None:
    tagged = [r for r in plan if r.custom and "tags" in r.inputs]
    assert len(tagged) >= 10
    for resource in tagged:
        assert resource.inputs["tags"].items() >= TAGS.items(), resource.name
        assert resource.inputs["tags"].get("Name"), resource.name


def test_the_constructor_composes_one_child_component_per_concern(plan: Plan) -> None:
    [app] = plan.of_type("acp:compute:BeanstalkApp")
    children = plan.children_of(app)
    assert sorted(c.type for c in children if not c.custom) == sorted(
        [
            "acp:beanstalk:Uploads",
            "acp:beanstalk:WorkQueue",
            "acp:beanstalk:ServiceRole",
            "acp:beanstalk:Application",
            "acp:beanstalk:InstanceIdentity",
            "acp:beanstalk:InstanceIdentity",
            "acp:beanstalk:Environment",
            "acp:beanstalk:Environment",
            "acp:beanstalk:BacklogScaling",
            "acp:beanstalk:Entry",
            "acp:beanstalk:SignIn",
        ]
    )
    # The SES sender is the one resource the application owns directly; everything else sits in a concern.
    assert [c.type for c in children if c.custom] == ["aws:sesv2/emailIdentity:EmailIdentity"]
    assert {r.urn for r in plan.within(app)} == {r.urn for r in plan} - {app.urn}


def test_a_network_with_one_zone_is_refused_before_anything_is_declared() -> None:
    one_zone = ExistingNetwork(
        vpc_id="vpc-1", availability_zones=["us-east-1a"], public_subnet_ids=["s-1"], private_subnet_ids=["s-2"]
    )
    with pytest.raises(SettingsError) as failure:
        build(network=one_zone)
    assert failure.value.keys == ["network.availability_zones"]
    assert "two AZs" in failure.value.problems[0].problem
    assert failure.value.plan.resources == []  # type: ignore[attr-defined]


def test_a_name_too_long_for_an_environment_is_refused() -> None:
    with pytest.raises(SettingsError) as failure:
        build(name="payroll-for-the-finance-team-eu-12")
    assert failure.value.keys == ["name"]
    assert "payroll-for-the-finance-team-eu-12-worker' must be 4-40" in failure.value.problems[0].problem


def test_args_that_only_an_enabled_stack_section_would_check_are_checked_when_built() -> None:
    """`enabled` only tells the stack program whether to build; a component built in Python is always built."""
    unsendable = BeanstalkArgs(log_retention_days=1096, allowed_cidrs=("198.51.100.0/24",))
    with pytest.raises(SettingsError) as failure:
        build(args=unsendable)
    assert failure.value.keys == [
        "aws-compute-platform:beanstalk.senderEmail",
        "aws-compute-platform:beanstalk.logRetentionDays",
    ]
