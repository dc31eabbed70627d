"""StackDashboard: one CloudWatch dashboard per stack, a row per enabled component, built from its watch's widgets.

The body is CloudWatch's dashboard JSON ("Dashboard body structure and syntax", CloudWatch API reference): a text
widget heading each row, then metric widgets six columns wide, four to a row of the 24-column grid. Every metric
comes from a `Watch`, so only metrics in the table, with the stack's own resources as dimensions, are drawn.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from aws_compute_platform.operations.alarms import Watch
from aws_compute_platform.operations.watch import ComponentWatch, Widget

GRID = 24
WIDTH, HEIGHT = 6, 6
PERIOD = 300


def metric_row(watch: Watch, dimensions: dict[str, str]) -> list[Any]:
    """One line of a metric widget: namespace, name, each dimension's name and value, then its rendering."""
    row: list[Any] = [watch.namespace, watch.name]
    for key in sorted(dimensions):
        row += [key, dimensions[key]]
    row.append({"stat": watch.statistic})
    return row


def body(sections: Sequence[tuple[str, Sequence[Widget]]], region: str) -> pulumi.Output[str]:
    """The dashboard body: for each (title, widgets), a heading and the widgets' graphs."""
    flat: list[tuple[str, Widget | None]] = []
    for title, widgets in sections:
        flat.append((title, None))
        flat += [(title, w) for w in widgets]
    values = [dict(w.dimensions) for _, widget in flat if widget for w in widget.metrics]
    return pulumi.Output.all(*[pulumi.Output.all(**v) if v else pulumi.Output.from_input({}) for v in values]).apply(
        lambda resolved: json.dumps(_layout(flat, list(resolved), region), sort_keys=True)
    )


def _layout(flat: list[tuple[str, Widget | None]], dimensions: list[Any], region: str) -> dict[str, Any]:
    widgets: list[dict[str, Any]] = []
    y, x = 0, 0
    resolved = iter(dimensions)
    for title, widget in flat:
        if widget is None:
            y += HEIGHT if x else 0
            x = 0
            widgets.append(
                {"type": "text", "x": 0, "y": y, "width": GRID, "height": 1, "properties": {"markdown": f"## {title}"}}
            )
            y += 1
            continue
        if x + WIDTH > GRID:
            x, y = 0, y + HEIGHT
        widgets.append(
            {
                "type": "metric",
                "x": x,
                "y": y,
                "width": WIDTH,
                "height": HEIGHT,
                "properties": {
                    "title": widget.title,
                    "region": widget.region or region,
                    "view": "timeSeries",
                    "stacked": False,
                    "period": PERIOD,
                    "metrics": [metric_row(w, next(resolved)) for w in widget.metrics],
                },
            }
        )
        x += WIDTH
    return {"widgets": widgets}


class StackDashboard(pulumi.ComponentResource):
    """`<name>` dashboard; `url` opens it in the console."""

    def __init__(
        self,
        name: str,
        watches: Sequence[ComponentWatch],
        *,
        region: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:operations:StackDashboard", name, None, opts)
        sections = [(w.title, w.widgets) for w in watches if w.widgets]
        self.dashboard = aws.cloudwatch.Dashboard(
            name,
            dashboard_name=name,
            dashboard_body=body(sections, region),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.url: pulumi.Output[str] = pulumi.Output.concat(
            "https://", region, ".console.aws.amazon.com/cloudwatch/home?region=", region, "#dashboards/dashboard/",
            self.dashboard.dashboard_name,
        )  # fmt: skip
        self.register_outputs({"url": self.url})


__all__ = ["StackDashboard", "body", "metric_row"]
