"""What an estimate is made of: charges found by rules, priced line items, free and unpriced resources."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from costs.assumptions import DEFAULTS, Assumptions
from costs.prices import HOURS_PER_MONTH
from plan import Plan, PlannedResource

Kind = Literal["fixed", "usage"]
STACK_GROUP = "(stack)"


@dataclass(frozen=True)
class Charge:
    """What a rule finds a resource will be billed for: a monthly quantity of one price, before it is looked up."""

    description: str
    quantity: float
    price_key: str
    kind: Kind = "fixed"
    assumes: tuple[str, ...] = ()


def hours(description: str, price_key: str, count: float = 1) -> Charge:
    """Something billed by the hour, all month long (730 hours)."""
    return Charge(description, HOURS_PER_MONTH * count, price_key)


class UnpriceableError(Exception):
    """A rule cannot price this resource as configured (say why); it is reported, never counted as zero."""


@dataclass(frozen=True)
class LineItem:
    component: str
    resource: str
    type: str
    description: str
    quantity: float
    unit: str
    unit_price: float
    monthly: float
    kind: Kind
    price_key: str
    assumes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unpriced:
    component: str
    resource: str
    type: str
    reason: str


@dataclass(frozen=True)
class Free:
    component: str
    resource: str
    type: str
    reason: str


@dataclass
class Estimate:
    stack: str
    region: str
    prices_taken: str
    assumptions: Assumptions
    items: list[LineItem] = field(default_factory=list)
    free: list[Free] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)

    @property
    def fixed_total(self) -> float:
        return sum(i.monthly for i in self.items if i.kind == "fixed")

    @property
    def usage_total(self) -> float:
        return sum(i.monthly for i in self.items if i.kind == "usage")

    @property
    def total(self) -> float:
        return self.fixed_total + self.usage_total

    def components(self) -> list[str]:
        """Components by name: the engine registers resources in no fixed order, the output must not change."""
        return sorted({item.component for item in self.items})

    def component_total(self, component: str, kind: Kind | None = None) -> float:
        return sum(i.monthly for i in self.items if i.component == component and (kind is None or i.kind == kind))

    def used_assumptions(self) -> list[str]:
        used = {key for item in self.items for key in item.assumes}
        return [key for key in DEFAULTS if key in used]


@dataclass(frozen=True)
class Context:
    """What a pricing rule sees: the resource, the whole plan (to follow references) and the assumptions."""

    plan: Plan
    resource: PlannedResource
    assumptions: Assumptions

    def find_by_id(self, resource_id: object, type_: str | None = None) -> PlannedResource | None:
        """The resource a reference points at: the mock engine's ids are `<name>-id`."""
        for r in self.plan:
            if f"{r.name}-id" == resource_id and (type_ is None or r.type == type_):
                return r
        return None

    def find_by_name(self, name: object, type_: str) -> PlannedResource | None:
        for r in self.plan.of_type(type_):
            if name in (r.inputs.get("name"), r.outputs.get("name"), r.name):
                return r
        return None

    def usage(self, description: str, quantity: float, price_key: str, *assumes: str) -> Charge:
        return Charge(description, quantity, price_key, "usage", assumes)


RuleResult = list[Charge] | str
Rule = Callable[[Context], RuleResult]


def component_label(plan: Plan, resource: PlannedResource) -> str:
    component = plan.component_of(resource)
    return f"{component.name} ({component.type})" if component is not None else STACK_GROUP


def billable(resource: PlannedResource) -> bool:
    """Component resources group others and providers configure them: neither is billed."""
    return resource.custom and not resource.type.startswith("pulumi:providers:")
