"""BacklogScaling: the worker tier grows and shrinks with its queue's backlog per instance, not its network traffic.

A target-tracking policy on the worker environment's Auto Scaling group, with the metric math of the AWS Auto Scaling
guide ("Scaling policy based on Amazon SQS" and "Create a target tracking scaling policy using metric math",
example "Amazon SQS queue backlog per instance"): the queue's messages divided by the group's InService instances,
held at an acceptable backlog per instance. The group's size stays between the environment's MinSize and MaxSize.

Two choices differ from the guide's example, both because one payroll job runs for about half an hour:
- The backlog counts the messages in flight (ApproximateNumberOfMessagesNotVisible) as well as the waiting ones.
  With waiting messages only, the backlog drops to 0 as soon as every job has started, and the policy would remove
  instances while they still run jobs; counted this way, an instance is needed until its jobs end.
- The instance count is the group metric GroupInServiceInstances, which Auto Scaling publishes only for a group that
  collects it: the application's bundle turns that on for the environment's group (application.GROUP_METRICS).

Elastic Beanstalk's own trigger would fight this policy; options.INERT_TRIGGER keeps it from ever firing.
"""

from __future__ import annotations

from typing import TypeAlias

import pulumi
import pulumi_aws as aws

# An instance launched by a scale-out counts towards the metric after about this long: Elastic Beanstalk installs
# the platform and the app on it first (a worker is usually ready in 3 to 5 minutes).
INSTANCE_WARMUP_S = 300
METRIC_PERIOD_S = 60  # SQS and the group metrics are both published every minute


_Metric: TypeAlias = aws.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationMetricArgs
_Stat = aws.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationMetricMetricStatArgs
_StatMetric = aws.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationMetricMetricStatMetricArgs
_Dimension = (
    aws.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationMetricMetricStatMetricDimensionArgs
)


def _metric(
    metric_id: str, namespace: str, metric_name: str, *, dimension: tuple[str, pulumi.Input[str]], stat: str
) -> _Metric:
    return _Metric(
        id=metric_id,
        metric_stat=_Stat(
            metric=_StatMetric(
                namespace=namespace,
                metric_name=metric_name,
                dimensions=[_Dimension(name=dimension[0], value=dimension[1])],
            ),
            stat=stat,
            period=METRIC_PERIOD_S,
        ),
        return_data=False,
    )


def backlog_per_instance_metrics(queue_name: pulumi.Input[str], group_name: pulumi.Input[str]) -> list[_Metric]:
    """The metric math: (waiting + in-flight messages) / InService instances, the only series returned."""
    queue, group = ("QueueName", queue_name), ("AutoScalingGroupName", group_name)
    return [
        _metric("waiting", "AWS/SQS", "ApproximateNumberOfMessagesVisible", dimension=queue, stat="Sum"),
        _metric("running", "AWS/SQS", "ApproximateNumberOfMessagesNotVisible", dimension=queue, stat="Sum"),
        _metric("instances", "AWS/AutoScaling", "GroupInServiceInstances", dimension=group, stat="Average"),
        _Metric(
            id="backlog",
            label="Jobs waiting or running per InService worker instance",
            expression="(waiting + running) / instances",
            return_data=True,
        ),
    ]


class BacklogScaling(pulumi.ComponentResource):
    """A target-tracking policy that keeps `backlog_per_instance` jobs per instance of the group `group_name`."""

    def __init__(
        self,
        name: str,
        *,
        group_name: pulumi.Input[str],
        queue_name: pulumi.Input[str],
        backlog_per_instance: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:beanstalk:BacklogScaling", name, None, opts)
        self.policy = aws.autoscaling.Policy(
            name,
            autoscaling_group_name=group_name,
            policy_type="TargetTrackingScaling",
            estimated_instance_warmup=INSTANCE_WARMUP_S,
            target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                target_value=float(backlog_per_instance),
                customized_metric_specification=(
                    aws.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationArgs(
                        metrics=backlog_per_instance_metrics(queue_name, group_name)
                    )
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"policyArn": self.policy.arn})
