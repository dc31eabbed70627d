"""ComponentWatch: the base of each component's alarms, and the dashboard row it contributes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from aws_compute_platform.operations.alarms import Alarms, Watch
from aws_compute_platform.operations.alerts import AlertTopic


@dataclass(frozen=True)
class Widget:
    """One graph of the dashboard: a title and the metrics it draws (each validated against the table)."""

    title: str
    metrics: Sequence[Watch]
    region: str | None = None


class ComponentWatch(pulumi.ComponentResource):
    """Alarms named `<name>-<what>` on one component (children of this component, itself `<name>-alarms`), and
    the widgets of its dashboard row."""

    title: str = ""

    def __init__(
        self,
        type_name: str,
        name: str,
        *,
        topic: AlertTopic,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # `<name>-alarms`: the watched component usually has `name` itself. Alarms are named `<name>-<what>`.
        super().__init__(f"acp:operations:{type_name}", f"{name}-alarms", None, opts)
        self.alarms = Alarms(name, topic, tags, self)
        self.widgets: list[Widget] = []

    @property
    def declared(self) -> list[aws.cloudwatch.MetricAlarm]:
        return self.alarms.declared

    def row(self, title: str, *metrics: Watch, region: str | None = None) -> None:
        self.widgets.append(Widget(title, metrics, region))


__all__ = ["ComponentWatch", "Widget"]
