"""One EC2 server from an AWS Marketplace image, in a VPC you already have: the EC2 launch walkthrough as code."""

import pulumi

from aws_compute_platform.foundation.network import ExistingNetwork
from aws_compute_platform.servers import Server, ServerArgs

config = pulumi.Config()
network = ExistingNetwork(
    vpc_id=config.require("vpcId"),
    availability_zones=config.require_object("availabilityZones"),
    public_subnet_ids=config.require_object("publicSubnetIds"),
    private_subnet_ids=config.require_object("privateSubnetIds"),
)
server = Server(
    "shop",
    ServerArgs.from_config(config.require_object("server"), key="marketplace-server:server"),
    network=network,
    key_arn=config.require("kmsKeyArn"),
    tags={"Team": "shop", "CostCenter": "cc-42"},
)
pulumi.export("server", server.summary())
