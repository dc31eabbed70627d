"""The URNs each shipped stack declares, pinned in tests/urns/<stack>.txt.

A URN is how Pulumi recognises a resource between updates: a refactor that changes one (a new parent, a new name)
makes `pulumi up` replace the resource, which for a database or a bucket means data lost. The suite compares each
stack's URNs with the pinned list; an intended change rewrites the list in the same commit:

    uv run python -m plan.urns
"""

from __future__ import annotations

import argparse
from pathlib import Path

from plan.engine import ROOT, Plan, PlannedResource, run_stack, stacks

PINNED_DIR = ROOT / "tests" / "urns"


def urn(plan: Plan, resource: PlannedResource) -> str:
    """The URN a real deployment gives the resource: its type qualified by every enclosing component's type.

    The SDK's mock engine qualifies a type by the immediate parent's only, which would let a resource move between
    nested components unnoticed.
    """
    by_urn = {r.urn: r for r in plan.resources}
    types = [resource.type]
    parent = by_urn.get(resource.parent)
    while parent is not None:
        types.append(parent.type)
        parent = by_urn.get(parent.parent)
    project = resource.urn.split("::")[1]
    return f"urn:pulumi:{plan.stack}::{project}::{'$'.join(reversed(types))}::{resource.name}"


def plan_urns(plan: Plan) -> list[str]:
    return sorted(urn(plan, r) for r in plan.resources)


def urns(stack: str) -> list[str]:
    return plan_urns(run_stack(stack))


def pinned_file(stack: str) -> Path:
    return PINNED_DIR / f"{stack}.txt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rewrite the pinned URN list of each stack.")
    parser.add_argument("stacks", nargs="*", help="stacks to pin (default: every Pulumi.<stack>.yaml)")
    args = parser.parse_args(argv)
    PINNED_DIR.mkdir(parents=True, exist_ok=True)
    for stack in args.stacks or stacks():
        found = urns(stack)
        pinned_file(stack).write_text("\n".join(found) + "\n", encoding="utf-8")
        print(f"{stack}: {len(found)} URNs pinned in {pinned_file(stack).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
