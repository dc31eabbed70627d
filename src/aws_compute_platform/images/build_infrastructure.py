"""BuildInfrastructure: where Image Builder runs its build and test instances, and what those instances may do.

Its own instance role (the two managed policies Image Builder documents for build instances, and writing its logs
to its own private bucket), a security group with no inbound rule at all, IMDSv2 only, and instances terminated
when a build fails, so nothing half-built lingers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.aws_context import aws_context
from aws_compute_platform.foundation.storage import PrivateBucket
from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.images.args import ImagePipelineArgs

# The managed policies a build instance needs: Image Builder's own (component downloads, logging, AWSTOE) and the
# SSM agent's, through which Image Builder drives the instance
# (docs.aws.amazon.com/imagebuilder/latest/userguide/image-builder-setting-up.html, "Instance profile").
BUILD_INSTANCE_POLICIES = ("EC2InstanceProfileForImageBuilder", "AmazonSSMManagedInstanceCore")
LOG_PREFIX = "build-logs"


class BuildInfrastructure(pulumi.ComponentResource):
    """The infrastructure configuration of the pipeline: instance profile, network, metadata options, logs."""

    def __init__(
        self,
        name: str,
        args: ImagePipelineArgs,
        *,
        vpc_id: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:images:BuildInfrastructure", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = aws_context(self)

        self.logs = PrivateBucket(
            f"{name}-logs", key_arn=key_arn, tags=tags, versioned=False, force_destroy=True, opts=child
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-logs",
            bucket=self.logs.id,
            rules=[{"id": "expire-build-logs", "status": "Enabled", "filter": {"prefix": f"{LOG_PREFIX}/"},
                    "expiration": {"days": args.log_retention_days}}],
            opts=child,
        )  # fmt: skip

        self.role = aws.iam.Role(
            f"{name}-build",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                    ],
                }
            ),
            tags=tagged(tags, f"{name}-build"),
            opts=child,
        )
        for policy in BUILD_INSTANCE_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{name}-build-{policy}",
                role=self.role.name,
                policy_arn=pulumi.Output.concat("arn:", context.partition, f":iam::aws:policy/{policy}"),
                opts=child,
            )
        aws.iam.RolePolicy(
            f"{name}-build-logs",
            role=self.role.id,
            policy=pulumi.Output.all(self.logs.arn, key_arn, context.region).apply(
                lambda a: _log_policy(bucket_arn=a[0], key_arn=a[1], region=a[2])
            ),
            opts=child,
        )
        self.profile = aws.iam.InstanceProfile(
            f"{name}-build", role=self.role.name, tags=tagged(tags, f"{name}-build"), opts=child
        )

        # No inbound rule: Image Builder reaches the instance through the SSM agent, which connects out.
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-build-sg",
            description="Image Builder build and test instances: outbound HTTPS only, nothing inbound",
            vpc_id=vpc_id,
            tags=tagged(tags, f"{name}-build-sg"),
            opts=child,
        )
        # Package repositories, wordpress.org, Systems Manager and S3 are all HTTPS.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-build-to-https",
            security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
            description="HTTPS out: package repositories, wordpress.org, Systems Manager, S3",
            tags=tagged(tags, f"{name}-build-to-https"),
            opts=child,
        )

        self.configuration = aws.imagebuilder.InfrastructureConfiguration(
            f"{name}-infrastructure",
            name=f"{name}-infrastructure",
            description="Build and test instances of the WordPress image: IMDSv2 only, no inbound access",
            instance_profile_name=self.profile.name,
            instance_types=[args.instance_type],
            subnet_id=subnet_ids[0],
            security_group_ids=[self.security_group.id],
            terminate_instance_on_failure=True,
            instance_metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 1},
            logging={"s3_logs": {"s3_bucket_name": self.logs.bucket, "s3_key_prefix": LOG_PREFIX}},
            resource_tags=tagged(tags, f"{name}-build"),
            tags=tagged(tags, f"{name}-infrastructure"),
            opts=child,
        )
        self.arn: pulumi.Output[str] = self.configuration.arn
        self.register_outputs({"arn": self.arn, "logBucket": self.logs.bucket})


def _log_policy(*, bucket_arn: str, key_arn: str, region: str) -> str:
    """Build instances write their logs under the prefix, encrypted with the stack key through S3, and nothing else."""
    write = {
        "Sid": "WriteBuildLogs",
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn}/{LOG_PREFIX}/*",
    }
    encrypt = {
        "Sid": "EncryptBuildLogsThroughS3",
        "Effect": "Allow",
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": key_arn,
        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [write, encrypt]})
