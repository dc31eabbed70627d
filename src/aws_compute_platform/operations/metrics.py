"""The CloudWatch metrics this project alarms on and charts, compiled from each service's "CloudWatch metrics" page.

An alarm or a dashboard widget names a metric only through `metric(namespace, name)`, which refuses anything not in
`TABLE`, and `check_dimensions` refuses a dimension set the service does not publish: a misspelt metric or dimension
(CloudWatch accepts any, and the alarm then sits in INSUFFICIENT_DATA for ever) fails the program, not the night.

Each entry: the namespace and name exactly as the page spells them, the statistics that mean something for it (a
Sum of a gauge or an Average of a count adds nothing), every dimension set the page lists for it that this project
uses, and what an alarm should make of a period without data (`missing`): `notBreaching` for counts that are simply
not published when nothing happens (errors, throttles, 5xx), `breaching` where silence is itself the failure (a
health metric that stops), `missing` where the alarm should keep its state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

TreatMissing = Literal["missing", "ignore", "breaching", "notBreaching"]

# Where each namespace's metrics, statistics and dimensions come from.
DOCS: Mapping[str, str] = {
    "AWS/ApplicationELB": "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html",
    "AWS/CloudFront": "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/programming-cloudwatch-metrics.html",
    "AWS/RDS": "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html",
    "AWS/EFS": "https://docs.aws.amazon.com/efs/latest/ug/efs-metrics.html",
    "AWS/SQS": "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html",
    "AWS/Lambda": "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html",
    "AWS/ApiGateway": "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html",
    "AWS/DynamoDB": "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html",
    "AWS/EC2": "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html",
    "AWS/NATGateway": "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway-cloudwatch.html",
    "AWS/ElasticBeanstalk": "https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/health-enhanced-cloudwatch.html",
    "AWS/AutoScaling": "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-metrics.html",
}

PERCENTILES = frozenset({"p50", "p90", "p95", "p99"})


@dataclass(frozen=True)
class Metric:
    """One metric a service publishes: what to aggregate it by, which dimension sets exist, what silence means."""

    namespace: str
    name: str
    statistics: frozenset[str]
    dimension_sets: tuple[frozenset[str], ...]
    missing: TreatMissing
    unit: str = ""

    def accepts(self, dimensions: Mapping[str, object]) -> bool:
        return frozenset(dimensions) in self.dimension_sets


def _m(
    namespace: str,
    name: str,
    statistics: set[str],
    dimension_sets: list[set[str]],
    missing: TreatMissing,
    *,
    unit: str = "",
) -> Metric:
    return Metric(namespace, name, frozenset(statistics), tuple(frozenset(d) for d in dimension_sets), missing, unit)


_ALB = "AWS/ApplicationELB"
_LB = {"LoadBalancer"}
_TG = {"TargetGroup", "LoadBalancer"}
_COUNT = {"Sum"}

_ENTRIES = [
    # Application Load Balancer: counts are published only when non-zero, so no data is zero (notBreaching).
    _m(_ALB, "RequestCount", _COUNT, [_LB, _TG], "notBreaching", unit="Count"),
    _m(_ALB, "HTTPCode_Target_5XX_Count", _COUNT, [_LB, _TG], "notBreaching", unit="Count"),
    _m(_ALB, "HTTPCode_ELB_5XX_Count", _COUNT, [_LB], "notBreaching", unit="Count"),
    _m(_ALB, "TargetResponseTime", {"Average", *PERCENTILES}, [_LB, _TG], "notBreaching", unit="Seconds"),
    # Host counts are gauges per target group: a missing value means the load balancer stopped reporting.
    _m(_ALB, "UnHealthyHostCount", {"Maximum", "Average", "Minimum"}, [_TG], "missing", unit="Count"),
    _m(_ALB, "HealthyHostCount", {"Minimum", "Average", "Maximum"}, [_TG], "breaching", unit="Count"),
    # CloudFront: published in us-east-1 only, with Region=Global.
    _m("AWS/CloudFront", "Requests", _COUNT, [{"DistributionId", "Region"}], "notBreaching", unit="None"),
    _m("AWS/CloudFront", "5xxErrorRate", {"Average"}, [{"DistributionId", "Region"}], "notBreaching", unit="Percent"),
    _m("AWS/CloudFront", "TotalErrorRate", {"Average"}, [{"DistributionId", "Region"}], "notBreaching", unit="Percent"),
    # RDS: reported every minute while the instance runs; a gap keeps the last state.
    _m("AWS/RDS", "CPUUtilization", {"Average", "Maximum"}, [{"DBInstanceIdentifier"}], "missing", unit="Percent"),
    _m("AWS/RDS", "FreeStorageSpace", {"Minimum", "Average"}, [{"DBInstanceIdentifier"}], "missing", unit="Bytes"),
    _m("AWS/RDS", "FreeableMemory", {"Minimum", "Average"}, [{"DBInstanceIdentifier"}], "missing", unit="Bytes"),
    _m("AWS/RDS", "DatabaseConnections", {"Maximum", "Average"}, [{"DBInstanceIdentifier"}], "missing", unit="Count"),
    # EFS: charted only.
    _m("AWS/EFS", "PercentIOLimit", {"Maximum", "Average"}, [{"FileSystemId"}], "missing", unit="Percent"),
    _m("AWS/EFS", "ClientConnections", _COUNT, [{"FileSystemId"}], "missing", unit="Count"),
    # SQS: sampled every minute while a queue is active; a queue left empty and unused for hours may stop
    # reporting ("inactive queues"), and an empty queue is what silence means here.
    _m(
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"Maximum", "Average"},
        [{"QueueName"}],
        "notBreaching",
        unit="Count",
    ),
    _m("AWS/SQS", "ApproximateAgeOfOldestMessage", {"Maximum"}, [{"QueueName"}], "notBreaching", unit="Seconds"),
    _m("AWS/SQS", "NumberOfMessagesSent", _COUNT, [{"QueueName"}], "notBreaching", unit="Count"),
    # Lambda: published only for invocations; no invocations means no errors.
    _m(
        "AWS/Lambda",
        "Invocations",
        _COUNT,
        [{"FunctionName"}, {"FunctionName", "Resource"}],
        "notBreaching",
        unit="Count",
    ),
    _m("AWS/Lambda", "Errors", _COUNT, [{"FunctionName"}, {"FunctionName", "Resource"}], "notBreaching", unit="Count"),
    _m(
        "AWS/Lambda",
        "Throttles",
        _COUNT,
        [{"FunctionName"}, {"FunctionName", "Resource"}],
        "notBreaching",
        unit="Count",
    ),
    _m(
        "AWS/Lambda",
        "Duration",
        {"Average", "Maximum", *PERCENTILES},
        [{"FunctionName"}, {"FunctionName", "Resource"}],
        "notBreaching",
        unit="Milliseconds",
    ),
    _m(
        "AWS/Lambda",
        "ConcurrentExecutions",
        {"Maximum"},
        [{"FunctionName"}, {"FunctionName", "Resource"}],
        "notBreaching",
        unit="Count",
    ),
    # API Gateway HTTP APIs (the same namespace as REST APIs, but ApiId/Stage dimensions and `4xx`/`5xx` names).
    _m("AWS/ApiGateway", "Count", _COUNT, [{"ApiId"}, {"ApiId", "Stage"}], "notBreaching", unit="Count"),
    _m("AWS/ApiGateway", "4xx", _COUNT, [{"ApiId"}, {"ApiId", "Stage"}], "notBreaching", unit="Count"),
    _m("AWS/ApiGateway", "5xx", _COUNT, [{"ApiId"}, {"ApiId", "Stage"}], "notBreaching", unit="Count"),
    _m(
        "AWS/ApiGateway",
        "Latency",
        {"Average", *PERCENTILES},
        [{"ApiId"}, {"ApiId", "Stage"}],
        "notBreaching",
        unit="Milliseconds",
    ),
    # DynamoDB: throttle events per table and per global secondary index; published only when they happen.
    _m(
        "AWS/DynamoDB",
        "ReadThrottleEvents",
        _COUNT,
        [{"TableName"}, {"TableName", "GlobalSecondaryIndexName"}],
        "notBreaching",
        unit="Count",
    ),
    _m(
        "AWS/DynamoDB",
        "WriteThrottleEvents",
        _COUNT,
        [{"TableName"}, {"TableName", "GlobalSecondaryIndexName"}],
        "notBreaching",
        unit="Count",
    ),
    _m(
        "AWS/DynamoDB",
        "ConsumedReadCapacityUnits",
        _COUNT,
        [{"TableName"}, {"TableName", "GlobalSecondaryIndexName"}],
        "notBreaching",
        unit="Count",
    ),
    _m(
        "AWS/DynamoDB",
        "ConsumedWriteCapacityUnits",
        _COUNT,
        [{"TableName"}, {"TableName", "GlobalSecondaryIndexName"}],
        "notBreaching",
        unit="Count",
    ),
    # EC2 status checks (0 passed, 1 failed), every minute at no charge; no data while the instance is stopped.
    _m("AWS/EC2", "StatusCheckFailed_System", {"Maximum"}, [{"InstanceId"}], "missing", unit="Count"),
    _m("AWS/EC2", "StatusCheckFailed_Instance", {"Maximum"}, [{"InstanceId"}], "missing", unit="Count"),
    _m("AWS/EC2", "CPUUtilization", {"Average", "Maximum"}, [{"InstanceId"}, {"AutoScalingGroupName"}], "missing"),
    # NAT gateway: counts, zero when nothing goes wrong.
    _m("AWS/NATGateway", "ErrorPortAllocation", _COUNT, [{"NatGatewayId"}], "notBreaching", unit="Count"),
    _m("AWS/NATGateway", "PacketsDropCount", _COUNT, [{"NatGatewayId"}], "notBreaching", unit="Count"),
    _m("AWS/NATGateway", "ActiveConnectionCount", {"Maximum"}, [{"NatGatewayId"}], "notBreaching", unit="Count"),
    # Elastic Beanstalk enhanced health: EnvironmentHealth is published by enhanced health itself (0 OK, 1 Info,
    # 5 Unknown, 10 No data, 15 Warning, 20 Degraded, 25 Severe); the request counts only when the ConfigDocument
    # option names them. A health metric that stops arriving means the environment stopped reporting: breaching.
    _m("AWS/ElasticBeanstalk", "EnvironmentHealth", {"Maximum", "Average"}, [{"EnvironmentName"}], "breaching"),
    _m("AWS/ElasticBeanstalk", "ApplicationRequestsTotal", _COUNT, [{"EnvironmentName"}], "notBreaching"),
    _m("AWS/ElasticBeanstalk", "ApplicationRequests5xx", _COUNT, [{"EnvironmentName"}], "notBreaching"),
    # Auto Scaling group metrics: published only for the metrics the group enables (WordPress enables these).
    _m(
        "AWS/AutoScaling",
        "GroupInServiceInstances",
        {"Minimum", "Average", "Maximum"},
        [{"AutoScalingGroupName"}],
        "missing",
    ),
    _m(
        "AWS/AutoScaling",
        "GroupDesiredCapacity",
        {"Minimum", "Average", "Maximum"},
        [{"AutoScalingGroupName"}],
        "missing",
    ),
]

TABLE: Mapping[tuple[str, str], Metric] = {(m.namespace, m.name): m for m in _ENTRIES}


class UnknownMetricError(ValueError):
    """A metric, statistic or dimension set the service's documentation does not list."""


def metric(namespace: str, name: str) -> Metric:
    """The table's entry for `namespace`/`name`; anything else is refused."""
    found = TABLE.get((namespace, name))
    if found is None:
        raise UnknownMetricError(f"{namespace} {name} is not in the metric table (operations/metrics.py)")
    return found


def check(spec: Metric, statistic: str, dimensions: Mapping[str, object]) -> None:
    """Refuse a statistic or a dimension set the metric's documentation does not give it."""
    if statistic not in spec.statistics:
        raise UnknownMetricError(
            f"{spec.namespace} {spec.name}: statistic {statistic} is not one of {sorted(spec.statistics)}"
        )
    if not spec.accepts(dimensions):
        raise UnknownMetricError(
            f"{spec.namespace} {spec.name}: dimensions {sorted(dimensions)} are not one of "
            f"{[sorted(d) for d in spec.dimension_sets]}"
        )


__all__ = ["DOCS", "TABLE", "Metric", "TreatMissing", "UnknownMetricError", "check", "metric"]
