"""AlertTopic: an SNS topic encrypted with the stack key, with one email subscription per address.

An encrypted topic receives an alarm's notification only if CloudWatch may use the key: the stack key's policy has a
statement for `cloudwatch.amazonaws.com` (foundation/encryption.py); this topic's policy lets CloudWatch alarms of
this account and region publish, and nobody outside the account.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.aws_context import aws_context
from aws_compute_platform.foundation.tags import tagged


def topic_policy(
    topic_arn: str, *, account_id: str, partition: str, region: str, alarms_publish: bool
) -> dict[str, Any]:
    """The account administers and publishes through IAM; CloudWatch alarms of this account and region publish.

    Conditions after "Amazon SNS access control: example cases" (aws:SourceAccount, aws:SourceArn) and re:Post
    "Why didn't I receive an SNS notification for my CloudWatch alarm trigger?" (cloudwatch.amazonaws.com publishes
    with the alarm's ARN as its source).
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountUsesTheTopicThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": [
                "sns:Publish",
                "sns:Subscribe",
                "sns:Receive",
                "sns:ListSubscriptionsByTopic",
                "sns:GetTopicAttributes",
                "sns:SetTopicAttributes",
                "sns:DeleteTopic",
                "sns:AddPermission",
                "sns:RemovePermission",
            ],
            "Resource": topic_arn,
        },
        {
            "Sid": "RefuseUnencryptedTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]
    if alarms_publish:
        statements.append(
            {
                "Sid": "CloudWatchAlarmsOfThisAccountPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*"},
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


class AlertTopic(pulumi.ComponentResource):
    """`<name>` topic under `key_arn`, each of `emails` subscribed; `alarms_publish` lets CloudWatch alarms in.

    Email subscriptions stay "pending confirmation" until each address follows the link AWS sends it; Pulumi
    creates them and moves on (SNS accepts them without confirmation for the email protocol).
    """

    def __init__(
        self,
        name: str,
        *,
        emails: Sequence[str],
        key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        alarms_publish: bool = True,
        display_name: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:operations:AlertTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = aws_context(self)
        self.topic = aws.sns.Topic(
            name,
            kms_master_key_id=key_arn,
            display_name=display_name,
            tags=tagged(tags, name),
            opts=child,
        )
        aws.sns.TopicPolicy(
            name,
            arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, context.account_id, context.partition, context.region).apply(
                lambda a: json.dumps(
                    topic_policy(a[0], account_id=a[1], partition=a[2], region=a[3], alarms_publish=alarms_publish)
                )
            ),
            opts=child,
        )
        self.subscriptions = [
            aws.sns.TopicSubscription(
                # Named by the address: adding or removing one leaves the others' subscriptions alone.
                f"{name}-email-{address.lower()}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=address,
                opts=child,
            )
            for address in emails
        ]
        self.emails = tuple(emails)
        self.arn: pulumi.Output[str] = self.topic.arn
        self.register_outputs({"arn": self.arn})

    @property
    def actions(self) -> list[pulumi.Output[str]]:
        """What an alarm's alarm_actions and ok_actions hold to notify this topic."""
        return [self.arn]


__all__ = ["AlertTopic", "topic_policy"]
