"""WordPressWatch: the fleet's load balancer, targets, database and (once it has one) CDN distribution."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from aws_compute_platform.operations.alarms import BELOW, Watch
from aws_compute_platform.operations.alerts import AlertTopic
from aws_compute_platform.operations.args import WordPressThresholds
from aws_compute_platform.operations.watch import ComponentWatch
from aws_compute_platform.wordpress.fleet import WordPressFleet

ALB, RDS, CDN, ASG = "AWS/ApplicationELB", "AWS/RDS", "AWS/CloudFront", "AWS/AutoScaling"
GB, MB = 1024**3, 1024**2
# CloudFront publishes its metrics in us-east-1 only, whatever the stack's region (CloudFront developer guide,
# "Monitoring CloudFront metrics with Amazon CloudWatch").
CDN_REGION = "us-east-1"


class WordPressWatch(ComponentWatch):
    """5xx rates, unhealthy and missing hosts, slow responses, and a database running short of CPU, disk, memory
    or connections."""

    title = "WordPress"

    def __init__(
        self,
        name: str,
        fleet: WordPressFleet,
        thresholds: WordPressThresholds,
        *,
        topic: AlertTopic,
        tags: Mapping[str, str],
        region: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("WordPressWatch", name, topic=topic, tags=tags, opts=opts)
        t = thresholds
        lb = {"LoadBalancer": fleet.load_balancer.load_balancer.arn_suffix}
        tg = {**lb, "TargetGroup": fleet.load_balancer.target_group.arn_suffix}
        db = {"DBInstanceIdentifier": fleet.database.instance.identifier}
        requests = Watch(ALB, "RequestCount", "Sum", lb)
        target_5xx = Watch(ALB, "HTTPCode_Target_5XX_Count", "Sum", lb)
        elb_5xx = Watch(ALB, "HTTPCode_ELB_5XX_Count", "Sum", lb)
        response_time = Watch(ALB, "TargetResponseTime", t.response_time_percentile, lb)
        a = self.alarms

        a.rate(
            "target-5xx-rate-high",
            f"More than {t.error_rate_percent:g}% of WordPress requests failed in WordPress itself (5xx from the "
            "instances). Look at the instances' Apache and PHP error logs and the database's health.",
            [target_5xx],
            requests,
            percent=t.error_rate_percent,
            min_requests=t.min_requests,
        )
        a.rate(
            "load-balancer-5xx-rate-high",
            f"More than {t.error_rate_percent:g}% of WordPress requests were answered 5xx by the load balancer "
            "itself (no healthy instance, or instances that time out or close connections). Check the target "
            "group's health and the Auto Scaling group's activity.",
            [elb_5xx],
            requests,
            percent=t.error_rate_percent,
            min_requests=t.min_requests,
        )
        a.on(
            "unhealthy-hosts",
            "A WordPress instance has failed the load balancer's health check for 3 minutes. Auto Scaling replaces "
            "it; if this repeats, read the instance's boot log (/var/log/cloud-init-output.log) and Apache's log.",
            Watch(ALB, "UnHealthyHostCount", "Maximum", tg),
            threshold=1,
            period=60,
            evaluation_periods=3,
        )
        a.on(
            "no-healthy-hosts",
            "No WordPress instance is healthy: the site is down. Check the Auto Scaling group's activity, the "
            "database and the file system.",
            Watch(ALB, "HealthyHostCount", "Minimum", tg),
            comparison=BELOW,
            threshold=1,
            period=60,
            evaluation_periods=2,
        )
        a.on(
            f"response-time-{t.response_time_percentile}-slow",
            f"{t.response_time_percentile} of WordPress responses took longer than "
            f"{t.target_response_time_seconds:g} s for 15 minutes. Look at the instances' CPU, the database's CPU "
            "and slow queries, and the cache plugin.",
            response_time,
            threshold=t.target_response_time_seconds,
            evaluation_periods=3,
        )
        a.on(
            "database-cpu-high",
            f"The WordPress database's CPU averaged more than {t.database_cpu_percent:g}% for 15 minutes. Look "
            "at Performance Insights or the slow query log; a larger instance class may be due.",
            Watch(RDS, "CPUUtilization", "Average", db),
            threshold=t.database_cpu_percent,
            evaluation_periods=3,
        )
        a.on(
            "database-storage-low",
            f"The WordPress database has less than {t.database_free_storage_gb:g} GB free. Raise "
            "database.maxAllocatedStorageGb (storage autoscaling) or allocatedStorageGb before it fills.",
            Watch(RDS, "FreeStorageSpace", "Minimum", db),
            comparison=BELOW,
            threshold=t.database_free_storage_gb * GB,
        )
        a.on(
            "database-memory-low",
            f"The WordPress database has had less than {t.database_freeable_memory_mb:g} MB freeable memory for "
            "15 minutes: it swaps. Choose a larger database.instanceClass.",
            Watch(RDS, "FreeableMemory", "Minimum", db),
            comparison=BELOW,
            threshold=t.database_freeable_memory_mb * MB,
            evaluation_periods=3,
        )
        a.on(
            "database-connections-high",
            f"The WordPress database has held more than {t.database_connections} connections for 15 minutes: "
            "near the instance class's limit, new page views fail. Check for a traffic surge or stuck PHP workers.",
            Watch(RDS, "DatabaseConnections", "Maximum", db),
            threshold=t.database_connections,
            evaluation_periods=3,
        )

        self.row("WordPress requests and 5xx", requests, target_5xx, elb_5xx)
        self.row(
            "WordPress response time (s)",
            Watch(ALB, "TargetResponseTime", "p95", lb),
            Watch(ALB, "TargetResponseTime", "p99", lb),
        )
        self.row(
            "WordPress capacity",
            Watch(ASG, "GroupInServiceInstances", "Average", {"AutoScalingGroupName": fleet.autoscaling_group_name}),
            Watch(ALB, "HealthyHostCount", "Minimum", tg),
            Watch(ALB, "UnHealthyHostCount", "Maximum", tg),
        )
        self.row(
            "WordPress database",
            Watch(RDS, "CPUUtilization", "Average", db),
            Watch(RDS, "DatabaseConnections", "Maximum", db),
        )
        self.row("WordPress database free storage and memory (bytes)", *self._db_space(db))

        # The CDN alarm, once the fleet has a distribution (added with the WordPress edge).
        distribution_id = getattr(fleet, "distribution_id", None)
        if distribution_id is not None:
            watch_distribution(self, distribution_id, thresholds, region=region)

    @staticmethod
    def _db_space(db: dict[str, pulumi.Input[str]]) -> list[Watch]:
        return [Watch(RDS, "FreeStorageSpace", "Minimum", db), Watch(RDS, "FreeableMemory", "Minimum", db)]


def watch_distribution(
    watch: ComponentWatch,
    distribution_id: pulumi.Input[str],
    thresholds: WordPressThresholds,
    *,
    region: str,
) -> None:
    """The distribution's 5xx error rate, alarmed and drawn. Its metrics live in us-east-1, so the alarm must too,
    and an alarm notifies only a topic of its own region: outside us-east-1 the alarm is left out (and said so)."""
    cdn = {"DistributionId": distribution_id, "Region": "Global"}
    watch.row(
        "WordPress CDN requests and error rates",
        Watch(CDN, "Requests", "Sum", cdn),
        Watch(CDN, "5xxErrorRate", "Average", cdn),
        region=CDN_REGION,
    )
    if region != CDN_REGION:
        pulumi.log.warn(
            f"no CloudFront 5xx alarm: CloudFront's metrics are in {CDN_REGION} and the alert topic in {region}",
            resource=watch,
        )
        return
    watch.alarms.on(
        "cdn-5xx-rate-high",
        f"More than {thresholds.cdn_error_rate_percent:g}% of requests to the WordPress CDN were answered 5xx "
        "for 10 minutes. Check the origin (the load balancer's alarms) and the distribution's error logs.",
        Watch(CDN, "5xxErrorRate", "Average", cdn),
        threshold=thresholds.cdn_error_rate_percent,
        evaluation_periods=2,
    )


__all__ = ["WordPressWatch", "watch_distribution"]
