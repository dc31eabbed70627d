"""Cost-allocation tags: every taggable resource carries the same five, so Cost Explorer can split the bill.

Components take tags as a plain mapping, so a team passes whatever tags its own program uses; `tagged()` adds
the `Name` tag the console shows. `stack_tags()` builds the five this project puts on everything.
"""

from __future__ import annotations

from collections.abc import Mapping

REQUIRED_TAG_KEYS = ("Project", "Environment", "Owner", "CostCenter", "ManagedBy")


def stack_tags(*, project: str, environment: str, owner: str, cost_center: str) -> dict[str, str]:
    """The tags every resource of one stack carries."""
    return {
        "Project": project,
        "Environment": environment,
        "Owner": owner,
        "CostCenter": cost_center,
        "ManagedBy": "pulumi",
    }


def tagged(tags: Mapping[str, str], name: str | None = None, **extra: str) -> dict[str, str]:
    """The tags for one resource; `name` becomes its `Name` tag, which the console shows."""
    result = dict(tags)
    if name:
        result["Name"] = name
    result.update(extra)
    return result


def asg_tags(tags: Mapping[str, str], name: str | None = None) -> list[dict[str, object]]:
    """Auto Scaling groups take tags as a list and propagate them to the instances they launch."""
    return [{"key": k, "value": v, "propagate_at_launch": True} for k, v in tagged(tags, name).items()]


class Tags(dict[str, str]):
    """The stack's tags as a mapping that can also be called: `tags("web")` is `tagged(tags, "web")`."""

    def __call__(self, name: str | None = None, **extra: str) -> dict[str, str]:
        return tagged(self, name, **extra)

    def as_asg_tags(self, name: str | None = None) -> list[dict[str, object]]:
        return asg_tags(self, name)
