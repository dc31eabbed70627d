"""The fleet alone, in a VPC a team already has: it declares no network of its own and uses the given ids."""

from __future__ import annotations

import pytest

from aws_compute_platform.foundation.network import ExistingNetwork
from aws_compute_platform.wordpress.args import WordPressArgs
from aws_compute_platform.wordpress.fleet import WordPressFleet
from plan import Plan, run_program

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0f3c6a2e-1b2c-4d5e-8f90-123456789abc"
NETWORK = ExistingNetwork(
    vpc_id="vpc-0a1b2c3d",
    availability_zones=["us-east-1a", "us-east-1b"],
    public_subnet_ids=["subnet-pub-a", "subnet-pub-b"],
    private_subnet_ids=["subnet-app-a", "subnet-app-b"],
    data_subnet_ids=["subnet-db-a", "subnet-db-b"],
)
NETWORK_TYPES = {
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/eip:Eip",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:ec2/flowLog:FlowLog",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
}


@pytest.fixture(scope="module")
def plan() -> Plan:
    def program() -> None:
        WordPressFleet(
            "blog",
            WordPressArgs(enabled=True, min_size=2, max_size=4, protect=True, admin_email="web@example.org"),
            network=NETWORK,
            key_arn=KEY_ARN,
            tags={"Team": "web"},
        )

    return run_program(program, config={"aws:region": "us-east-1"})


def only(plan: Plan, type_: str) -> dict[str, object]:
    [resource] = plan.of_type(type_)
    return resource.inputs


def test_the_fleet_in_an_existing_vpc_declares_no_network(plan: Plan) -> None:
    assert plan.resources
    assert {r.type for r in plan.resources} & NETWORK_TYPES == set()


def test_every_tier_lands_in_the_given_subnets(plan: Plan) -> None:
    assert all(sg.inputs["vpcId"] == NETWORK.vpc_id for sg in plan.of_type("aws:ec2/securityGroup:SecurityGroup"))
    # CloudFront is on by default: its VPC origin reaches the internal load balancer in the private subnets.
    assert only(plan, "aws:lb/loadBalancer:LoadBalancer")["subnets"] == list(NETWORK.private_subnet_ids)
    assert only(plan, "aws:lb/targetGroup:TargetGroup")["vpcId"] == NETWORK.vpc_id
    assert only(plan, "aws:autoscaling/group:Group")["vpcZoneIdentifiers"] == list(NETWORK.private_subnet_ids)
    assert only(plan, "aws:rds/subnetGroup:SubnetGroup")["subnetIds"] == list(NETWORK.data_subnet_ids)
    mounts = sorted(str(m.inputs["subnetId"]) for m in plan.of_type("aws:efs/mountTarget:MountTarget"))
    assert mounts == sorted(NETWORK.data_subnet_ids)


def test_the_given_key_encrypts_the_data_and_the_given_tags_are_carried(plan: Plan) -> None:
    assert only(plan, "aws:rds/instance:Instance")["kmsKeyId"] == KEY_ARN
    assert only(plan, "aws:efs/fileSystem:FileSystem")["kmsKeyId"] == KEY_ARN
    template = only(plan, "aws:ec2/launchTemplate:LaunchTemplate")
    assert template["blockDeviceMappings"][0]["ebs"]["kmsKeyId"] == KEY_ARN  # type: ignore[index]
    assert only(plan, "aws:rds/instance:Instance")["tags"] == {"Team": "web", "Name": "blog-db"}


def test_protect_built_in_python_protects_the_data(plan: Plan) -> None:
    [database] = plan.of_type("aws:rds/instance:Instance")
    [file_system] = plan.of_type("aws:efs/fileSystem:FileSystem")
    assert database.protect and file_system.protect
    assert database.inputs["deletionProtection"] is True and database.inputs["skipFinalSnapshot"] is False
    assert only(plan, "aws:efs/backupPolicy:BackupPolicy")["backupPolicy"] == {"status": "ENABLED"}


def test_each_concern_is_its_own_child_component(plan: Plan) -> None:
    [fleet] = plan.of_type("acp:compute:WordPressFleet")
    children = {r.type for r in plan.resources if r.parent == fleet.urn}
    assert children == {
        "acp:wordpress:LoadBalancer",
        "acp:wordpress:SiteEdge",
        "acp:wordpress:AdminPassword",
        "acp:wordpress:Database",
        "acp:wordpress:SharedContent",
        "acp:wordpress:WebInstances",
    }
