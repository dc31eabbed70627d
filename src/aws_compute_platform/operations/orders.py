"""OrdersWatch: every function's errors and throttles, the API's 5xx, failed events, and table throttles."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from aws_compute_platform.operations.alarms import Watch
from aws_compute_platform.operations.alerts import AlertTopic
from aws_compute_platform.operations.args import OrdersThresholds
from aws_compute_platform.operations.watch import ComponentWatch
from aws_compute_platform.serverless.api import STATUS_INDEX, ServerlessApi

LAMBDA, API, SQS, DDB = "AWS/Lambda", "AWS/ApiGateway", "AWS/SQS", "AWS/DynamoDB"


class OrdersWatch(ComponentWatch):
    """Alarms on the purchase-order API's seven functions, its HTTP API, its failed-events queue and its table."""

    title = "Purchase orders"

    def __init__(
        self,
        name: str,
        api: ServerlessApi,
        thresholds: OrdersThresholds,
        *,
        topic: AlertTopic,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("OrdersWatch", name, topic=topic, tags=tags, opts=opts)
        t = thresholds
        a = self.alarms
        invocations, errors = [], []
        for fn_name, function in api.functions.items():
            fn = {"FunctionName": function.name}
            a.on(
                f"{fn_name}-errors",
                f"The orders function {fn_name} failed {t.function_errors} or more times in 5 minutes. Its log "
                "group has the error events (level ERROR); background functions retry twice, then hand the event "
                "to the failed-events queue.",
                Watch(LAMBDA, "Errors", "Sum", fn),
                threshold=t.function_errors,
            )
            a.on(
                f"{fn_name}-throttled",
                f"Invocations of the orders function {fn_name} were throttled: the account's concurrency is used "
                "up. Ask Service Quotas for more concurrency, or look for a runaway caller.",
                Watch(LAMBDA, "Throttles", "Sum", fn),
                threshold=t.function_throttles,
            )
            invocations.append(Watch(LAMBDA, "Invocations", "Sum", fn))
            errors.append(Watch(LAMBDA, "Errors", "Sum", fn))

        stage = {"ApiId": api.http_api.api.id, "Stage": api.http_api.stage.name}
        a.on(
            "api-5xx",
            f"The orders API answered 5xx {t.api_5xx} or more times in 5 minutes: a route's function failed or "
            "timed out. The functions' errors alarms and logs say which.",
            Watch(API, "5xx", "Sum", stage),
            threshold=t.api_5xx,
        )
        failed = {"QueueName": api.failed_events.name}
        a.on(
            "failed-events",
            "An order import or a scheduled run failed three times and its event is in the failed-events queue. "
            "Read the message (the event and the error), fix the cause, then redrive it to the function.",
            Watch(SQS, "ApproximateNumberOfMessagesVisible", "Maximum", failed),
            threshold=1,
        )
        table: dict[str, pulumi.Input[str]] = {"TableName": api.table.name}
        index: dict[str, pulumi.Input[str]] = {**table, "GlobalSecondaryIndexName": STATUS_INDEX}
        throttles = [
            Watch(DDB, metric_name, "Sum", dims)
            for dims in (table, index)
            for metric_name in ("ReadThrottleEvents", "WriteThrottleEvents")
        ]
        a.total(
            "table-throttled",
            "Reads or writes of the orders table or its status index were throttled (on-demand tables throttle "
            "when traffic more than doubles suddenly). The functions retry; look at what caused the burst.",
            throttles,
            threshold=t.table_throttles,
        )

        self.row("Orders invocations", *invocations)
        self.row("Orders errors", *errors)
        self.row(
            "Orders API requests, 4xx and 5xx",
            Watch(API, "Count", "Sum", stage),
            Watch(API, "4xx", "Sum", stage),
            Watch(API, "5xx", "Sum", stage),
        )
        self.row("Orders API latency (ms)", Watch(API, "Latency", "p95", stage), Watch(API, "Latency", "p99", stage))
        self.row("Orders failed events", Watch(SQS, "ApproximateNumberOfMessagesVisible", "Maximum", failed))
        self.row(
            "Orders table capacity used",
            Watch(DDB, "ConsumedReadCapacityUnits", "Sum", table),
            Watch(DDB, "ConsumedWriteCapacityUnits", "Sum", table),
        )


__all__ = ["OrdersWatch"]
