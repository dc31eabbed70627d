"""Refactors cannot replace resources silently: each shipped stack's URNs are pinned."""

from __future__ import annotations

import pytest

from plan import Plan, run_stack
from plan.engine import stacks
from plan.urns import pinned_file, plan_urns


@pytest.mark.parametrize("stack", stacks())
def test_a_stack_declares_exactly_its_pinned_urns(stack: str, request: pytest.FixtureRequest) -> None:
    shared = stack in ("dev", "prod")  # the plans conftest builds once per session
    plan: Plan = request.getfixturevalue(f"{stack}_plan") if shared else run_stack(stack)
    pinned = set(pinned_file(stack).read_text().split())
    declared = set(plan_urns(plan))
    assert sorted(declared - pinned) == [] and sorted(pinned - declared) == [], (
        "URNs changed: Pulumi would create the new ones and delete the old ones (data in a replaced database or "
        "bucket is lost). If intended, run `uv run python -m plan.urns` and commit the lists."
    )
