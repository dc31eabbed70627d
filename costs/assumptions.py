"""What the usage-based prices assume: requests, gigabytes, hours. Every figure has a key that can be changed.

Change them with a YAML file (`--assumptions usage.yaml`, nested or dotted keys) or on the command line
(`--set lambda.requestsPerMonth=5000000`). An unknown key is an error, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# key -> (default, what it means). Figures are per resource (per function, per bucket, ...) and per month.
DEFAULTS: dict[str, tuple[float, str]] = {
    "lambda.requestsPerMonth": (1_000_000, "invocations of each Lambda function"),
    "lambda.averageDurationMs": (200, "average duration of one invocation, in milliseconds"),
    "apiGateway.requestsPerMonth": (1_000_000, "requests to each API"),
    "dynamodb.writeRequestsPerMonth": (1_000_000, "write request units of each on-demand table"),
    "dynamodb.readRequestsPerMonth": (5_000_000, "read request units of each on-demand table"),
    "dynamodb.storageGb": (1, "GB stored in each table (also what point-in-time recovery keeps)"),
    "sqs.requestsPerMonth": (1_000_000, "API requests to each queue (send, receive, delete: 64 KB chunks)"),
    "s3.storageGb": (10, "GB stored in each bucket (S3 Standard)"),
    "s3.putRequestsPerMonth": (10_000, "PUT/COPY/POST/LIST requests to each bucket"),
    "s3.getRequestsPerMonth": (100_000, "GET/SELECT requests to each bucket"),
    "logs.ingestedGbPerMonth": (1, "GB written to each log group"),
    "natGateway.processedGbPerMonth": (10, "GB through each NAT gateway"),
    "loadBalancer.averageLcu": (1, "average load-balancer capacity units in use, around the clock"),
    "classicLoadBalancer.processedGbPerMonth": (10, "GB through each Classic Load Balancer"),
    "efs.storageGb": (10, "GB stored in each EFS file system (also what its backups keep)"),
    "efs.readGbPerMonth": (10, "GB read from each Elastic Throughput file system"),
    "efs.writeGbPerMonth": (2, "GB written to each Elastic Throughput file system"),
    "ses.emailsPerMonth": (1_000, "emails sent through each SES identity"),
    "cloudfront.requestsPerMonth": (5_000_000, "requests to each CloudFront distribution (what its web ACL inspects)"),
    "cloudfront.dataOutGbPerMonth": (100, "GB each CloudFront distribution sends to viewers"),
    "cognito.monthlyActiveUsers": (50, "users signing in to each Cognito user pool (monthly active users)"),
    "sns.messagesPerMonth": (100, "messages published to each SNS topic (alarm notifications, reminders)"),
    "lightsail.snapshotGb": (20, "GB of automatic snapshots kept for each Lightsail instance that takes them"),
    "imagePipeline.buildMinutesPerRun": (
        45,
        "minutes of instance time one image build takes (a build instance, then a test instance from the new image)",
    ),
    "imagePipeline.imagesKept": (4, "images each pipeline keeps at a time (the pipeline deregisters none itself)"),
}


class AssumptionError(ValueError):
    pass


@dataclass(frozen=True)
class Assumptions:
    values: dict[str, float] = field(default_factory=lambda: {k: float(v) for k, (v, _) in DEFAULTS.items()})
    changed: frozenset[str] = frozenset()

    def __getitem__(self, key: str) -> float:
        return self.values[key]

    def describe(self, key: str) -> str:
        """`1,000,000 invocations of each Lambda function (lambda.requestsPerMonth)`."""
        value = self.values[key]
        shown = f"{value:,.0f}" if value == int(value) else f"{value:,}"
        return f"{shown} {DEFAULTS[key][1]} ({key}{', changed' if key in self.changed else ''})"

    def with_changes(self, changes: Mapping[str, Any]) -> Assumptions:
        values = dict(self.values)
        problems = []
        for key, raw in changes.items():
            if key not in DEFAULTS:
                problems.append(f"{key}: unknown assumption; known: {', '.join(DEFAULTS)}")
                continue
            try:
                number = float(raw)
            except (TypeError, ValueError):
                problems.append(f"{key}: must be a number (got {raw!r})")
                continue
            if number < 0:
                problems.append(f"{key}: must not be negative (got {raw!r})")
                continue
            values[key] = number
        if problems:
            raise AssumptionError("; ".join(problems))
        return Assumptions(values, self.changed | frozenset(changes))


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{full}."))
        else:
            flat[full] = value
    return flat


def load_assumptions(path: Path | None = None, settings: list[str] | None = None) -> Assumptions:
    """The defaults, changed by a YAML file and then by `key=value` strings from the command line."""
    assumptions = Assumptions()
    if path is not None:
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, Mapping):
            raise AssumptionError(f"{path}: must be a mapping of assumption keys to numbers")
        assumptions = assumptions.with_changes(_flatten(data))
    changes: dict[str, str] = {}
    for setting in settings or []:
        key, sep, value = setting.partition("=")
        if not sep:
            raise AssumptionError(f"--set {setting}: expected key=value, e.g. lambda.requestsPerMonth=5000000")
        changes[key.strip()] = value.strip()
    return assumptions.with_changes(changes)
