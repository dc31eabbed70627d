"""The highly available WordPress fleet alone, in a VPC you already have (no network of its own)."""

import pulumi

from aws_compute_platform.foundation.network import ExistingNetwork
from aws_compute_platform.wordpress.args import WordPressArgs
from aws_compute_platform.wordpress.fleet import WordPressFleet

config = pulumi.Config()
network = ExistingNetwork(
    vpc_id=config.require("vpcId"),
    availability_zones=config.require_object("availabilityZones"),
    public_subnet_ids=config.require_object("publicSubnetIds"),
    private_subnet_ids=config.require_object("privateSubnetIds"),
)
site = WordPressFleet(
    "news",
    WordPressArgs.from_config(config.require_object("wordpress"), key="wordpress-existing-vpc:wordpress"),
    network=network,
    key_arn=config.require("kmsKeyArn"),
    tags={"Team": "newsroom"},
)
pulumi.export("siteUrl", site.site_url)
