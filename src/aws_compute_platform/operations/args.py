"""AlertsArgs: who is told when something breaks, who is reminded of pending orders, and the alarms' thresholds.

Every threshold has the value an operator would start from; change it in the stack file's `alerts` section
(`aws-compute-platform:alerts: {wordpress: {targetResponseTimeSeconds: 2}}`).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from aws_compute_platform.args import ArgsModel

_EMAIL = re.compile(r"[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")


def _addresses(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        if not _EMAIL.fullmatch(value):
            raise ValueError(f"must be email addresses such as ops@example.org ({value!r} is not one)")
    if len({v.lower() for v in values}) != len(values):
        raise ValueError("must not list an address twice")
    return values


class WordPressThresholds(ArgsModel):
    """When the WordPress fleet's alarms go off."""

    error_rate_percent: float = Field(5.0, gt=0, le=100)
    """Percent of requests answered 5xx (by the instances, or by the load balancer itself) in 5 minutes."""
    min_requests: int = Field(20, ge=1, le=100_000)
    """Fewer requests than this in 5 minutes never raise the error-rate alarms: 1 error in 2 requests is noise."""
    target_response_time_seconds: float = Field(3.0, gt=0, le=60)
    """The response time that `responseTimePercentile` of requests must stay under, three 5-minute periods running."""
    response_time_percentile: Literal["p95", "p99"] = "p95"
    """Which percentile of the instances' response time is held to the threshold."""
    database_cpu_percent: float = Field(80.0, gt=0, le=100)
    """Average database CPU over three 5-minute periods."""
    database_free_storage_gb: float = Field(2.0, gt=0, le=65_536)
    """The database's free storage below this (storage autoscaling, when allowed, grows it first)."""
    database_freeable_memory_mb: float = Field(64.0, gt=0, le=1_048_576)
    """The database's freeable memory below this: it swaps, and queries slow down."""
    database_connections: int = Field(100, ge=1, le=100_000)
    """More connections than this (a micro MySQL allows about 60-90, a small about 150)."""
    cdn_error_rate_percent: float = Field(5.0, gt=0, le=100)
    """Percent of CloudFront requests answered 5xx, once the fleet has a distribution."""


class OrdersThresholds(ArgsModel):
    """When the purchase-order API's alarms go off."""

    function_errors: int = Field(1, ge=1, le=100_000)
    """Errors of one function in 5 minutes."""
    function_throttles: int = Field(1, ge=1, le=100_000)
    """Throttled invocations of one function in 5 minutes."""
    api_5xx: int = Field(1, ge=1, le=100_000)
    """API answers with a 5xx status in 5 minutes."""
    table_throttles: int = Field(1, ge=1, le=100_000)
    """Throttled reads and writes of the orders table and its index in 5 minutes."""


class AlertsArgs(ArgsModel):
    """Who hears of failures (an encrypted SNS topic, one email subscription per address) and when."""

    config_key = "aws-compute-platform:alerts"

    emails: tuple[str, ...] = ()
    """Addresses every alarm notifies. AWS emails each a confirmation link: nothing arrives until it is followed."""
    approver_emails: tuple[str, ...] = ()
    """Addresses the purchase-order reminders go to (the approvers' own topic); confirmed the same way."""
    wordpress: WordPressThresholds = Field(default_factory=WordPressThresholds)
    orders: OrdersThresholds = Field(default_factory=OrdersThresholds)

    @field_validator("emails", "approver_emails")
    @classmethod
    def _email_addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _addresses(value)


__all__ = ["AlertsArgs", "OrdersThresholds", "WordPressThresholds"]
