"""Alarms built only from the metric table: one metric, or a metric-math expression over several, to the topic.

`Alarms(prefix, topic, tags, parent)` is what each component's watch gets: `alarms.on(...)` for one metric,
`alarms.rate(...)` for errors as a percentage of requests, `alarms.total(...)` for the sum of several counts. Each
alarm notifies the topic when it goes off and again when it recovers (alarm and OK actions), is named after what
broke (`<stack>-wordpress-database-storage-low`), and says in its description what to look at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.operations.alerts import AlertTopic
from aws_compute_platform.operations.metrics import TreatMissing, check, metric

Comparison = Literal[
    "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"
]
ABOVE: Comparison = "GreaterThanOrEqualToThreshold"
BELOW: Comparison = "LessThanThreshold"


@dataclass(frozen=True)
class Watch:
    """One metric of one resource: namespace and name from the table, a statistic, the resource's dimensions."""

    namespace: str
    name: str
    statistic: str
    dimensions: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check(metric(self.namespace, self.name), self.statistic, self.dimensions)

    @property
    def missing(self) -> TreatMissing:
        return metric(self.namespace, self.name).missing

    def query(self, query_id: str, period: int) -> dict[str, object]:
        """This metric as one `metric_queries` entry of a metric-math alarm (not returned itself)."""
        return {
            "id": query_id,
            "return_data": False,
            "metric": {
                "namespace": self.namespace,
                "metric_name": self.name,
                "stat": self.statistic,
                "period": period,
                "dimensions": dict(self.dimensions),
            },
        }


def _statistic(statistic: str) -> dict[str, str]:
    """A percentile goes into `extended_statistic`, the five plain statistics into `statistic`."""
    return {"extended_statistic": statistic} if statistic.startswith("p") else {"statistic": statistic}


class Alarms:
    """Declares alarms named `<prefix>-<what>` under `parent`, each notifying `topic` on ALARM and on OK."""

    def __init__(
        self,
        prefix: str,
        topic: AlertTopic,
        tags: Mapping[str, str],
        parent: pulumi.Resource,
        *,
        region: str | None = None,
    ) -> None:
        self.prefix, self.topic, self.tags, self.parent, self.region = prefix, topic, tags, parent, region
        self.declared: list[aws.cloudwatch.MetricAlarm] = []

    def _declare(
        self,
        what: str,
        description: str,
        *,
        comparison: Comparison,
        threshold: float,
        evaluation_periods: int,
        datapoints: int | None,
        treat_missing: TreatMissing,
        extra_actions: Sequence[pulumi.Input[str]] = (),
        **query: object,
    ) -> aws.cloudwatch.MetricAlarm:
        name = f"{self.prefix}-{what}"
        actions: list[pulumi.Input[str]] = [*self.topic.actions, *extra_actions]
        alarm = aws.cloudwatch.MetricAlarm(
            name,
            name=name,
            alarm_description=description,
            comparison_operator=comparison,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints or evaluation_periods,
            treat_missing_data=treat_missing,
            alarm_actions=actions,
            ok_actions=list(self.topic.actions),
            region=self.region,
            tags=tagged(self.tags, name),
            opts=pulumi.ResourceOptions(parent=self.parent),
            **query,  # type: ignore[arg-type]
        )
        self.declared.append(alarm)
        return alarm

    def on(
        self,
        what: str,
        description: str,
        watch: Watch,
        *,
        comparison: Comparison = ABOVE,
        threshold: float,
        period: int = 300,
        evaluation_periods: int = 1,
        datapoints: int | None = None,
        treat_missing: TreatMissing | None = None,
        extra_actions: Sequence[pulumi.Input[str]] = (),
    ) -> aws.cloudwatch.MetricAlarm:
        """An alarm on one metric; what no data means comes from the table unless `treat_missing` says otherwise."""
        return self._declare(
            what,
            description,
            comparison=comparison,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            datapoints=datapoints,
            treat_missing=treat_missing or watch.missing,
            extra_actions=extra_actions,
            namespace=watch.namespace,
            metric_name=watch.name,
            dimensions=dict(watch.dimensions),
            period=period,
            **_statistic(watch.statistic),
        )

    def rate(
        self,
        what: str,
        description: str,
        errors: Sequence[Watch],
        requests: Watch,
        *,
        percent: float,
        min_requests: int,
        period: int = 300,
        evaluation_periods: int = 1,
        datapoints: int | None = None,
    ) -> aws.cloudwatch.MetricAlarm:
        """Errors as a percentage of requests; a period with fewer than `min_requests` requests counts as 0 %.

        Counts that were not published (no errors) are filled with 0, so the expression always has a value.
        """
        ids = [f"e{i}" for i in range(len(errors))]
        total = " + ".join(f"FILL({i}, 0)" for i in ids)
        expression = f"IF(FILL(r, 0) >= {min_requests}, 100 * ({total}) / FILL(r, 0), 0)"
        return self._declare(
            what,
            description,
            comparison=ABOVE,
            threshold=percent,
            evaluation_periods=evaluation_periods,
            datapoints=datapoints,
            treat_missing="notBreaching",
            metric_queries=[
                *(w.query(i, period) for i, w in zip(ids, errors, strict=True)),
                requests.query("r", period),
                {"id": "rate", "expression": expression, "label": f"{what} (%)", "return_data": True},
            ],
        )

    def total(
        self,
        what: str,
        description: str,
        counts: Sequence[Watch],
        *,
        threshold: float,
        period: int = 300,
        evaluation_periods: int = 1,
    ) -> aws.cloudwatch.MetricAlarm:
        """The sum of several counts (a table's and its index's throttles, say) at or above `threshold`."""
        ids = [f"c{i}" for i in range(len(counts))]
        return self._declare(
            what,
            description,
            comparison=ABOVE,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            datapoints=None,
            treat_missing="notBreaching",
            metric_queries=[
                *(w.query(i, period) for i, w in zip(ids, counts, strict=True)),
                {
                    "id": "total",
                    "expression": " + ".join(f"FILL({i}, 0)" for i in ids),
                    "label": what,
                    "return_data": True,
                },
            ],
        )


__all__ = ["ABOVE", "BELOW", "Alarms", "Comparison", "Watch"]
