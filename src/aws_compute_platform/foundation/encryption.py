"""EncryptionKey: the stack's customer-managed KMS key, used for every volume, bucket, queue, table and log group."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws
from pydantic import Field

from aws_compute_platform.args import ArgsModel, Flag
from aws_compute_platform.foundation.aws_context import aws_context
from aws_compute_platform.foundation.tags import tagged


class EncryptionArgs(ArgsModel):
    """The stack's customer-managed KMS key."""

    config_key = "aws-compute-platform:encryption"

    deletion_window_days: int = Field(30, ge=7, le=30)
    """Days a deleted key can still be recovered (KMS ScheduleKeyDeletion accepts 7 to 30)."""
    protect: Flag = False
    """Refuse to delete the key with the stack (Pulumi protect). Defaults to the stack's protectData."""


def key_policy(account_id: str, partition: str, region: str) -> str:
    """Who may use the key: the account's IAM policies, CloudWatch Logs for our log groups, EC2 Auto Scaling, and
    CloudWatch alarms notifying the stack's encrypted SNS topics.

    Auto Scaling launches instances through its service-linked role; without these grants an Auto Scaling group
    cannot launch instances whose EBS volumes are encrypted with a customer-managed key. An alarm publishing to a
    topic encrypted with this key needs `kms:GenerateDataKey*` and `kms:Decrypt` as `cloudwatch.amazonaws.com`, or
    the notification is dropped and only the alarm history says so (SNS developer guide, "Key management": "Enable
    compatibility between event sources from AWS services and encrypted topics"; re:Post knowledge center
    "cloudwatch-configure-alarm-sns"). The AWS managed key alias/aws/sns cannot be used for that: its policy cannot be
    changed.
    """
    root = f"arn:{partition}:iam::{account_id}:root"
    autoscaling_role = (
        f"arn:{partition}:iam::{account_id}:role/aws-service-role/"
        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    use_key = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersKeyThroughIam",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": use_key,
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:*"
                        }
                    },
                },
                {
                    "Sid": "AutoScalingLaunchesEncryptedVolumes",
                    "Effect": "Allow",
                    "Principal": {"AWS": autoscaling_role},
                    "Action": use_key,
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchAlarmsNotifyEncryptedTopics",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    # Only on behalf of this account's alarms (the confused-deputy guard).
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
                {
                    "Sid": "AutoScalingAttachesEncryptedVolumes",
                    "Effect": "Allow",
                    "Principal": {"AWS": autoscaling_role},
                    "Action": "kms:CreateGrant",
                    "Resource": "*",
                    "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                },
            ],
        }
    )


class EncryptionKey(pulumi.ComponentResource):
    """A customer-managed KMS key with yearly rotation and an alias `alias/<project>-<stack>`."""

    def __init__(
        self, name: str, args: EncryptionArgs, tags: Mapping[str, str], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("acp:security:EncryptionKey", name, None, opts)
        context = aws_context(self)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"{name}: encrypts the stack's volumes, buckets, queues, tables and logs",
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=pulumi.Output.all(context.account_id, context.partition, context.region).apply(
                lambda a: key_policy(a[0], a[1], a[2])
            ),
            tags=tagged(tags, name),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{name}",
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn: pulumi.Output[str] = self.key.arn
        self.key_id: pulumi.Output[str] = self.key.key_id
        self.register_outputs({"arn": self.arn, "alias": self.alias.name})
