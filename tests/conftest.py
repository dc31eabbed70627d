"""Shared fixtures: the plan of each shipped stack, built once per test session from the real stack files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plan import Plan, run_stack

STACKS = ("dev", "prod")


@pytest.fixture(scope="session")
def dev_plan() -> Plan:
    return run_stack("dev")


@pytest.fixture(scope="session")
def prod_plan() -> Plan:
    return run_stack("prod")


@pytest.fixture(scope="session", params=STACKS)
def stack_plan(request: pytest.FixtureRequest) -> Plan:
    """Each shipped stack in turn: a test using it is a promise about both dev and prod."""
    plan: Plan = request.getfixturevalue(f"{request.param}_plan")
    return plan


@pytest.fixture
def plan_with() -> Callable[..., Plan]:
    """A stack's plan with some config replaced: `plan_with("dev", {"aws-compute-platform:network": {...}})`."""

    def build(stack: str, overrides: dict[str, Any]) -> Plan:
        return run_stack(stack, overrides)

    return build
