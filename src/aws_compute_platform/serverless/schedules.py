"""Schedules: EventBridge rules that start the scheduled functions, each allowed to start only its own function."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.serverless.functions import OrdersFunction


class Schedules(pulumi.ComponentResource):
    """`scheduled` maps each function to its schedule expression (`rate(15 minutes)`, `cron(0 8 ? * MON-FRI *)`)."""

    def __init__(
        self,
        name: str,
        scheduled: Mapping[str, tuple[OrdersFunction, str]],
        *,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:serverless:Schedules", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        for fn_name, (function, expression) in scheduled.items():
            fn = function.pulumi_resource_name
            rule = aws.cloudwatch.EventRule(
                f"{fn}-sched",
                description=f"Starts {fn_name}",
                schedule_expression=expression,
                state="ENABLED",
                tags=tagged(tags, f"{fn}-sched"),
                opts=child,
            )
            aws.lambda_.Permission(
                f"{fn}-from-schedule",
                action="lambda:InvokeFunction",
                function=function.name,
                principal="events.amazonaws.com",
                source_arn=rule.arn,
                opts=child,
            )
            aws.cloudwatch.EventTarget(f"{fn}-target", rule=rule.name, arn=function.arn, opts=child)
        self.register_outputs({})
