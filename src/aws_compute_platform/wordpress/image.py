"""Which image the fleet launches from: stock Amazon Linux 2023, or the image the image pipeline bakes.

Stock: the AMI id AWS publishes under `/aws/service/`, read when the stack deploys. Baked: `resolve:ssm:<parameter>`
in the launch template, which EC2 resolves to the parameter's value at every launch ("Use a Systems Manager
parameter instead of an AMI ID", docs.aws.amazon.com/autoscaling/ec2/userguide/using-systems-manager-parameters.html;
RequestLaunchTemplateData.ImageId), so a scale-out takes the newest image the pipeline published. An instance
launched from a baked image finds `BAKED_MARKER` and its boot skips installation (boot/boot.sh).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.instance_types import architecture
from aws_compute_platform.wordpress.args import WordPressArgs

STOCK_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
# Written by the image pipeline's wordpress-web component: `WP_VERSION=<release>` of the WordPress it holds.
BAKED_MARKER = "/etc/wordpress/baked-image"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def launch_image(args: WordPressArgs, parent: pulumi.Resource) -> pulumi.Input[str]:
    """The launch template's image_id for `args.image`."""
    if args.image == "baked":
        if args.image_parameter is None:
            raise ValueError("wordpress.image is baked but no image parameter was given (wordpress.imageParameter)")
        return f"resolve:ssm:{args.image_parameter}"
    image = aws.ssm.get_parameter_output(
        name=STOCK_PARAMETER.format(arch=architecture(args.instance_type)),
        opts=pulumi.InvokeOutputOptions(parent=parent),
    )
    stock: pulumi.Output[str] = image.insecure_value
    return stock


def launches_after(parameter: pulumi.Resource) -> pulumi.ResourceTransformation:
    """A transformation for the fleet: its launch templates wait for `parameter`, which they resolve at launch."""

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if args.type_ != LAUNCH_TEMPLATE:
            return None
        waits = pulumi.ResourceOptions(depends_on=[parameter])
        return pulumi.ResourceTransformationResult(args.props, pulumi.ResourceOptions.merge(args.opts, waits))

    return transform


__all__ = ["BAKED_MARKER", "STOCK_PARAMETER", "launch_image", "launches_after"]
