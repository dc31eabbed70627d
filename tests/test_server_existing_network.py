"""A Server on its own, in a VPC a team already has: built from ids, with a Marketplace image, no VPC of its own."""

from __future__ import annotations

import pulumi
import pytest

from aws_compute_platform.config import ConfigError
from aws_compute_platform.foundation.images import ImageSource, MarketplaceImage
from aws_compute_platform.foundation.network import ExistingNetwork
from aws_compute_platform.servers import PortRule, Server, ServerArgs
from plan import Plan, run_program

KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/0f0e0d0c-0b0a-0908-0706-050403020100"
NETWORK = ExistingNetwork(
    vpc_id="vpc-0a1b2c3d4e5f60718",
    availability_zones=["eu-west-1a", "eu-west-1b"],
    public_subnet_ids=["subnet-0aaa0000000000001", "subnet-0aaa0000000000002"],
    private_subnet_ids=["subnet-0bbb0000000000001", "subnet-0bbb0000000000002"],
)
ARGS = ServerArgs(
    name="shop",
    instance_type="t3.small",
    image=ImageSource(
        marketplace=MarketplaceImage(product_code="abcdefghij0123456789klmno", name_pattern="vendor-shop-*")
    ),
    availability_zone="eu-west-1b",
    ports=[PortRule(port=443, cidrs=["0.0.0.0/0"])],
)
TAGS = {"Team": "shop", "CostCenter": "cc-42"}


def build(args: ServerArgs = ARGS) -> Plan:
    def program() -> None:
        server = Server("shop", args, network=NETWORK, key_arn=KEY_ARN, tags=TAGS)
        pulumi.export("server", server.summary())

    return run_program(program, project="shop", stack="test", config={"aws:region": "eu-west-1"})


def test_a_server_in_an_existing_network_declares_no_network_of_its_own() -> None:
    plan = build()
    types = {r.type for r in plan.resources}
    assert "aws:ec2/vpc:Vpc" not in types
    assert not types & {
        "aws:ec2/subnet:Subnet",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway",
    }
    [instance] = plan.of_type("aws:ec2/instance:Instance")
    assert instance.inputs["subnetId"] == "subnet-0aaa0000000000002"  # public subnet of the second zone
    assert instance.inputs["ami"].startswith("ami-")  # found by the Marketplace lookup
    assert instance.inputs["rootBlockDevice"]["kmsKeyId"] == KEY_ARN
    assert instance.inputs["tags"] == {"Team": "shop", "CostCenter": "cc-42", "Name": "shop"}
    [group] = plan.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert group.inputs["vpcId"] == "vpc-0a1b2c3d4e5f60718"
    [eip] = plan.of_type("aws:ec2/eip:Eip")
    assert eip.inputs["instance"] == plan.id_of(instance)
    assert plan.outputs["server"]["instanceId"] == plan.id_of(instance)


def test_a_zone_the_existing_network_does_not_have_is_refused_by_key() -> None:
    with pytest.raises(ConfigError) as failure:
        build(ARGS.model_copy(update={"availability_zone": 2}))
    assert failure.value.key == "aws-compute-platform:servers[].availabilityZone"
    assert "server shop" in str(failure.value)
