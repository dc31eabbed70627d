"""ImageDistribution: where each new image goes. Its id into an SSM parameter, launch permission to exactly the
accounts the stack names, and the use of the stack key those accounts and Image Builder need.

The parameter exists before any pipeline run: the stack creates it holding Amazon Linux 2023's current AMI id, and
leaves its value to Image Builder afterwards (`ignore_changes`), whose distribution overwrites it with each new
image ("creates the Parameter if it doesn't already exist. Otherwise, it updates the parameter",
docs.aws.amazon.com/imagebuilder/latest/APIReference/API_SsmParameterConfiguration.html). So a fleet reading the
parameter boots from the stock image until the first image is baked, then from the newest baked one.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.aws_context import aws_context
from aws_compute_platform.foundation.instance_types import architecture
from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.images.args import ImagePipelineArgs

# Amazon Linux 2023 as AWS publishes it: the parameter's first value, before any image is baked.
STOCK_IMAGE_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
# What an account needs of the key to launch an AMI whose snapshots it encrypts: read the snapshots and re-encrypt
# them for its own volumes (EC2 user guide, "Share an AMI with specific AWS accounts": encrypted AMIs).
LAUNCH_OPERATIONS = ("Decrypt", "DescribeKey", "CreateGrant", "ReEncryptFrom", "GenerateDataKeyWithoutPlaintext")
# What Image Builder needs of the key to launch build instances on encrypted volumes and to copy the image.
IMAGE_BUILDER_OPERATIONS = (
    "Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
    "DescribeKey", "CreateGrant",
)  # fmt: skip
IMAGE_BUILDER_ROLE = "role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder"


def parameter_name(name: str) -> str:
    """The SSM parameter holding the newest image's id (names may not begin with `aws` or `ssm`)."""
    return f"/images/{name}/ami-id"


class ImageDistribution(pulumi.ComponentResource):
    """The distribution configuration, the parameter it publishes to, and the key grants sharing needs."""

    def __init__(
        self,
        name: str,
        args: ImagePipelineArgs,
        *,
        key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:images:ImageDistribution", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = aws_context(self)

        stock = aws.ssm.get_parameter_output(
            name=STOCK_IMAGE_PARAMETER.format(arch=architecture(args.instance_type)),
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.parameter = aws.ssm.Parameter(
            f"{name}-ami-id",
            name=parameter_name(name),
            description="The newest WordPress image baked by the image pipeline (Amazon Linux 2023 until the first)",
            type="String",
            data_type="aws:ec2:image",
            # An image id is no secret: shown in previews as it is.
            insecure_value=stock.insecure_value,
            tags=tagged(tags, f"{name}-ami-id"),
            # Image Builder owns the value once it has baked an image.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["insecureValue", "value"]),
        )

        aws.kms.Grant(
            f"{name}-image-builder",
            name=f"{name}-image-builder",
            key_id=key_arn,
            grantee_principal=pulumi.Output.all(context.partition, context.account_id).apply(
                lambda a: f"arn:{a[0]}:iam::{a[1]}:{IMAGE_BUILDER_ROLE}"
            ),
            operations=list(IMAGE_BUILDER_OPERATIONS),
            opts=child,
        )
        for account in args.share_with_accounts:
            aws.kms.Grant(
                f"{name}-share-{account}",
                name=f"{name}-share-{account}",
                key_id=key_arn,
                grantee_principal=pulumi.Output.concat("arn:", context.partition, f":iam::{account}:root"),
                operations=list(LAUNCH_OPERATIONS),
                opts=child,
            )

        ami: dict[str, object] = {
            # Image Builder fills in the build date, so each image gets a name of its own.
            "name": f"{name}-{{{{ imagebuilder:buildDate }}}}",
            "description": "WordPress web tier on Amazon Linux 2023, hardened (aws-compute-platform image pipeline)",
            "kms_key_id": key_arn,
            "ami_tags": tagged(tags, f"{name}-wordpress"),
        }
        if args.share_with_accounts:
            ami["launch_permission"] = {"user_ids": list(args.share_with_accounts)}
        self.configuration = aws.imagebuilder.DistributionConfiguration(
            f"{name}-distribution",
            name=f"{name}-distribution",
            description="Publishes each new WordPress image's id to SSM and shares it with the configured accounts",
            distributions=[
                {
                    "region": context.region,
                    "ami_distribution_configuration": ami,
                    "ssm_parameter_configurations": [
                        {"parameter_name": self.parameter.name, "data_type": "aws:ec2:image"}
                    ],
                }
            ],
            tags=tagged(tags, f"{name}-distribution"),
            opts=child,
        )
        self.arn: pulumi.Output[str] = self.configuration.arn
        self.parameter_name = parameter_name(name)
        self.register_outputs({"arn": self.arn, "parameterName": self.parameter.name})
