"""ImagePipeline: EC2 Image Builder baking the WordPress web tier into an AMI on a schedule.

    AWS Amazon Linux 2023 (x.x.x) --recipe: wordpress-web, hardening--> build instance (IMDSv2, no inbound)
        --validate, then test on a new instance--> AMI under the stack key
        --distribution--> SSM parameter (the fleet's image) + launch permission for shareWithAccounts

The schedule checks for updates and builds only when AWS published a newer parent image or a component changed
(EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE). Each concern is a child component in its own module.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.network import NetworkRef
from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.images.args import ImagePipelineArgs
from aws_compute_platform.images.build_infrastructure import BuildInfrastructure
from aws_compute_platform.images.distribution import ImageDistribution
from aws_compute_platform.images.recipe import WordPressRecipe

START_CONDITION = "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"


class ImagePipeline(pulumi.ComponentResource):
    """Bakes WordPress `wordpress_version` into an AMI and publishes its id to `parameter_name`.

    Takes what a team already has: a network by its ids (the build instance runs in its first private or public
    subnet), the KMS key ARN that encrypts the image and the build logs, and the tags every resource carries.
    """

    def __init__(
        self,
        name: str,
        args: ImagePipelineArgs,
        *,
        wordpress_version: str,
        health_file: str,
        network: NetworkRef,
        key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:images:ImagePipeline", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        subnets = network.private_subnet_ids if args.subnet == "private" else network.public_subnet_ids
        self.infrastructure = BuildInfrastructure(
            name, args, vpc_id=network.vpc_id, subnet_ids=subnets, key_arn=key_arn, tags=tags, opts=child
        )
        self.recipe = WordPressRecipe(
            name,
            args,
            wordpress_version=wordpress_version,
            health_file=health_file,
            key_arn=key_arn,
            tags=tags,
            opts=child,
        )
        self.distribution = ImageDistribution(name, args, key_arn=key_arn, tags=tags, opts=child)
        self.pipeline = aws.imagebuilder.ImagePipeline(
            f"{name}-pipeline",
            name=f"{name}-pipeline",
            description="Bakes the WordPress web tier into a hardened Amazon Linux 2023 image",
            image_recipe_arn=self.recipe.arn,
            infrastructure_configuration_arn=self.infrastructure.arn,
            distribution_configuration_arn=self.distribution.arn,
            schedule={"schedule_expression": args.schedule, "pipeline_execution_start_condition": START_CONDITION},
            image_tests_configuration={"image_tests_enabled": True, "timeout_minutes": args.test_timeout_minutes},
            enhanced_image_metadata_enabled=True,
            status="ENABLED",
            tags=tagged(tags, f"{name}-pipeline"),
            opts=child,
        )
        # What a fleet launches from; it exists (with the stock image) before the first build.
        self.parameter: aws.ssm.Parameter = self.distribution.parameter
        self.parameter_name: str = self.distribution.parameter_name
        self.pipeline_arn: pulumi.Output[str] = self.pipeline.arn
        self.register_outputs({"pipelineArn": self.pipeline_arn, "imageParameter": self.parameter.name})


__all__ = ["ImagePipeline", "ImagePipelineArgs"]
