"""Cost-allocation tags: every taggable resource carries the same five, so Cost Explorer can split the bill."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tags:
    project: str
    environment: str
    owner: str
    cost_center: str

    def __call__(self, name: str | None = None, **extra: str) -> dict[str, str]:
        """The tags for one resource; `name` becomes its `Name` tag, which the console shows."""
        tags = {
            "Project": self.project,
            "Environment": self.environment,
            "Owner": self.owner,
            "CostCenter": self.cost_center,
            "ManagedBy": "pulumi",
        }
        if name:
            tags["Name"] = name
        tags.update(extra)
        return tags

    def as_asg_tags(self, name: str | None = None) -> list[dict[str, object]]:
        """Auto Scaling groups take tags as a list and propagate them to the instances they launch."""
        return [{"key": k, "value": v, "propagate_at_launch": True} for k, v in self(name).items()]


REQUIRED_TAG_KEYS = ("Project", "Environment", "Owner", "CostCenter", "ManagedBy")
