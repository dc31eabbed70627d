"""Price a plan: every resource it declares becomes line items, a free resource with its reason, or an unpriced one."""

from __future__ import annotations

from costs.assumptions import Assumptions
from costs.model import Context, Estimate, Free, LineItem, Rule, UnpriceableError, Unpriced, billable, component_label
from costs.prices import MissingPriceError, PriceBook
from costs.rules import FREE, GLOBAL, RULES
from plan import Plan


def estimate(
    plan: Plan,
    prices: PriceBook,
    assumptions: Assumptions | None = None,
    *,
    rules: dict[str, Rule] | None = None,
    free: dict[str, str] | None = None,
) -> Estimate:
    rules = RULES if rules is None else rules
    free = FREE if free is None else free
    assumptions = assumptions or Assumptions()
    result = Estimate(stack=plan.stack, region=prices.region, prices_taken=prices.taken, assumptions=assumptions)
    for resource in plan:
        if not billable(resource):
            continue
        group = component_label(plan, resource)
        if resource.type in free:
            result.free.append(Free(group, resource.name, resource.type, free[resource.type]))
            continue
        elsewhere = resource.inputs.get("region")
        if elsewhere and elsewhere != prices.region and resource.type not in GLOBAL:
            # pulumi-aws 7 can place one resource in another region; its prices are not the stack region's.
            reason = f"created in {elsewhere}, but the estimate prices the stack's region {prices.region} only"
            result.unpriced.append(Unpriced(group, resource.name, resource.type, reason))
            continue
        rule = rules.get(resource.type)
        if rule is None:
            result.unpriced.append(Unpriced(group, resource.name, resource.type, "no pricing rule for this type"))
            continue
        try:
            outcome = rule(Context(plan, resource, assumptions))
        except UnpriceableError as exc:
            result.unpriced.append(Unpriced(group, resource.name, resource.type, str(exc)))
            continue
        if isinstance(outcome, str):
            result.free.append(Free(group, resource.name, resource.type, outcome))
            continue
        for charge in outcome:
            try:
                price = prices.get(charge.price_key)
            except MissingPriceError as missing:
                result.unpriced.append(
                    Unpriced(group, resource.name, resource.type, f"{charge.description}: {missing.reason}")
                )
                continue
            result.items.append(
                LineItem(
                    component=group,
                    resource=resource.name,
                    type=resource.type,
                    description=charge.description,
                    quantity=charge.quantity,
                    unit=price.unit,
                    unit_price=price.price,
                    monthly=charge.quantity * price.price,
                    kind=charge.kind,
                    price_key=charge.price_key,
                    assumes=charge.assumes,
                )
            )
    # The engine registers resources in no fixed order; sorting keeps the output (and the README) stable.
    result.items.sort(key=lambda i: (i.component, i.resource))
    result.free.sort(key=lambda f: (f.component, f.resource))
    result.unpriced.sort(key=lambda u: (u.component, u.resource))
    return result
