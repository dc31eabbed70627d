"""WordPressRecipe: Amazon Linux 2023 from AWS, plus the component documents, on a volume under the stack key.

The parent is the Image Builder image AWS itself publishes (the `aws` account in its ARN) at version `x.x.x`, so
every build starts from the newest one, and a new one counts as a dependency update that makes the pipeline's
schedule build (docs.aws.amazon.com/imagebuilder/latest/APIReference/API_Schedule.html). Never a community image.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.aws_context import aws_context
from aws_compute_platform.foundation.instance_types import architecture
from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.images import documents
from aws_compute_platform.images.args import ImagePipelineArgs

# AWS-managed Image Builder images are named amazon-linux-2023-x86 and amazon-linux-2023-arm64
# (aws/aws-cdk packages/@aws-cdk/aws-imagebuilder-alpha AmazonManagedImage.amazonLinux2023 and its tests).
PARENT_IMAGE = "arn:{partition}:imagebuilder:{region}:aws:image/amazon-linux-2023-{arch}/x.x.x"
_IMAGE_ARCH = {"arm64": "arm64", "x86_64": "x86"}
ROOT_DEVICE = "/dev/xvda"


def parent_image(partition: str, region: str, instance_type: str) -> str:
    """The AWS-owned Amazon Linux 2023 image for the architecture of `instance_type`, newest version."""
    return PARENT_IMAGE.format(partition=partition, region=region, arch=_IMAGE_ARCH[architecture(instance_type)])


class WordPressRecipe(pulumi.ComponentResource):
    """The components (one per document of `documents.DOCUMENTS`, in order) and the recipe that applies them."""

    def __init__(
        self,
        name: str,
        args: ImagePipelineArgs,
        *,
        wordpress_version: str,
        health_file: str,
        key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:images:WordPressRecipe", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = aws_context(self)

        parameters = {
            documents.WORDPRESS_WEB: [
                {"name": "WordPressVersion", "value": wordpress_version},
                {"name": "WordPressSha1", "value": args.wordpress_sha1 or "none"},
                {"name": "HealthFile", "value": health_file},
            ],
        }
        components = []
        digests = []
        for document in documents.DOCUMENTS:
            text = documents.text(document)
            digest = documents.digest(text)
            digests.append(digest)
            # Image Builder never changes a component version: a changed document is a new component, named by it.
            component = aws.imagebuilder.Component(
                f"{name}-{document}",
                name=f"{name}-{document}-{digest}",
                version="1.0.0",
                platform="Linux",
                supported_os_versions=["Amazon Linux 2023"],
                description=str(documents.parsed(document).get("description", document))[:1024],
                data=text,
                tags=tagged(tags, f"{name}-{document}"),
                opts=child,
            )
            components.append({"component_arn": component.arn, "parameters": parameters.get(document)})

        arch = architecture(args.instance_type)
        # A recipe version never changes either: what it is made of names it.
        recipe_digest = documents.digest(
            arch,
            str(args.root_volume_gb),
            *digests,
            *(f"{p['name']}={p['value']}" for ps in parameters.values() for p in ps),
        )
        self.recipe = aws.imagebuilder.ImageRecipe(
            f"{name}-recipe",
            name=f"{name}-recipe-{recipe_digest}",
            version="1.0.0",
            description=f"WordPress {wordpress_version} web tier on Amazon Linux 2023 ({arch}), hardened",
            parent_image=pulumi.Output.all(context.partition, context.region).apply(
                lambda a: parent_image(a[0], a[1], args.instance_type)
            ),
            components=components,
            block_device_mappings=[
                {
                    "device_name": ROOT_DEVICE,
                    "ebs": {
                        "volume_type": "gp3",
                        "volume_size": args.root_volume_gb,
                        "encrypted": "true",
                        "kms_key_id": key_arn,
                        "delete_on_termination": "true",
                    },
                }
            ],
            # The fleet reaches its instances through Session Manager: the agent stays.
            systems_manager_agent={"uninstall_after_build": False},
            tags=tagged(tags, f"{name}-recipe"),
            opts=child,
        )
        self.arn: pulumi.Output[str] = self.recipe.arn
        self.register_outputs({"arn": self.arn})
