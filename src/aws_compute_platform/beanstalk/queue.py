"""WorkQueue: the jobs queue the worker tier's sqsd reads, and the dead-letter queue that keeps what kept failing."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.tags import tagged

# sqsd keeps a message this long (its RetentionPeriod) and the queue keeps it as long: four days, the SQS default.
MESSAGE_RETENTION_S = 345_600
DEAD_LETTER_RETENTION_S = 1_209_600  # 14 days, the SQS maximum: time to look at a file that kept failing


class WorkQueue(pulumi.ComponentResource):
    """An SQS queue, encrypted with the stack key, that moves a message to its dead-letter queue after
    `max_receive_count` deliveries (the worker's sqsd is told to retry exactly as often)."""

    def __init__(
        self,
        name: str,
        *,
        visibility_timeout_s: int,
        max_receive_count: int,
        key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:beanstalk:WorkQueue", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.dead_letters = aws.sqs.Queue(
            f"{name}-dlq",
            message_retention_seconds=DEAD_LETTER_RETENTION_S,
            kms_master_key_id=key_arn,
            tags=tagged(tags, f"{name}-dlq"),
            opts=child,
        )
        self.queue = aws.sqs.Queue(
            name,
            visibility_timeout_seconds=visibility_timeout_s,
            message_retention_seconds=MESSAGE_RETENTION_S,
            kms_master_key_id=key_arn,
            redrive_policy=self.dead_letters.arn.apply(
                lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": max_receive_count})
            ),
            tags=tagged(tags, name),
            opts=child,
        )
        self.url: pulumi.Output[str] = self.queue.url
        self.arn: pulumi.Output[str] = self.queue.arn
        self.register_outputs({"url": self.url, "deadLetterQueueUrl": self.dead_letters.url})
