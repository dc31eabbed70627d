"""`python -m plan --stack dev`: what `pulumi up` would create for a stack, offline, in a few seconds.

Prints the resource tree as `pulumi preview` shows it (component, type, name; `--details` adds each resource's
inputs), the stack outputs, the program's warnings, and a one-line summary: resources, protected resources and the
estimated monthly cost. A stack file with bad settings prints only its problems, each with its key, and exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from plan.engine import ROOT, Plan, PlannedResource, run_as_command, run_stack, stacks
from plan.problems import BAD_SETTINGS, problems_text

EXIT_BAD_SETTINGS = 1
EXIT_NO_STACK = 2


def _children(plan: Plan) -> dict[str, list[PlannedResource]]:
    by_parent: dict[str, list[PlannedResource]] = {}
    for resource in plan.resources:
        by_parent.setdefault(resource.parent, []).append(resource)
    for siblings in by_parent.values():
        siblings.sort(key=lambda r: (r.custom, r.type, r.name))
    return by_parent


def _tree(plan: Plan, details: bool) -> Iterator[str]:
    known = {r.urn for r in plan.resources}
    by_parent = _children(plan)
    roots = [r for r in plan.resources if r.parent not in known]
    roots.sort(key=lambda r: (r.custom, r.type, r.name))

    def walk(resource: PlannedResource, depth: int) -> Iterator[str]:
        flags = "".join(
            f" [{f}]" for f, on in (("protected", resource.protect), ("retained", resource.retain_on_delete)) if on
        )
        yield f"{'    ' * depth}{resource.type}  {resource.name}{flags}"
        if details and resource.custom:
            for key, value in sorted(resource.inputs.items()):
                shown = json.dumps(value, default=str, sort_keys=True)
                yield f"{'    ' * (depth + 1)}  {key}: {shown if len(shown) <= 160 else shown[:157] + '...'}"
        for child in by_parent.get(resource.urn, []):
            yield from walk(child, depth + 1)

    for root in roots:
        yield from walk(root, 1)


def _monthly_cost(plan: Plan) -> str:
    """The cost estimator's fixed and with-usage totals, or why there is none."""
    try:
        from costs.assumptions import Assumptions  # noqa: PLC0415 (the estimator is optional here)
        from costs.estimate import estimate  # noqa: PLC0415
        from costs.prices import load_prices  # noqa: PLC0415
        from costs.refresh import PRICE_LIST_REGION  # noqa: PLC0415

        region = str(plan.outputs.get("region") or PRICE_LIST_REGION)
        result = estimate(plan, load_prices(region), Assumptions())
    except Exception as exc:
        return f"monthly cost not estimated ({exc})"
    return f"about ${result.fixed_total:,.2f}/month fixed, ${result.total:,.2f} with the assumed usage"


def render(plan: Plan, *, details: bool = False) -> str:
    custom = [r for r in plan.resources if r.custom]
    lines = [f"Stack {plan.stack}: what `pulumi up` would create", "", "    pulumi:pulumi:Stack  " + plan.stack]
    lines += list(_tree(plan, details))
    lines += ["", "Outputs:"]
    lines += [f"    {k}: {json.dumps(v, default=str)}" for k, v in sorted(plan.outputs.items())] or ["    (none)"]
    if plan.warnings:
        lines += ["", "Warnings:"] + [f"    {w}" for w in plan.warnings]
    protected = sum(1 for r in plan.resources if r.protect)
    lines += [
        "",
        f"{len(custom)} resources in {len(plan.resources) - len(custom)} components, {protected} protected; "
        + _monthly_cost(plan),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="python -m plan", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="the stack file to plan: Pulumi.<stack>.yaml")
    parser.add_argument("--details", action="store_true", help="show every resource's inputs")
    parser.add_argument("--root", type=Path, default=ROOT, help="the Pulumi project's directory (e.g. an example)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.stack not in stacks(root):
        print(f"no stack file Pulumi.{args.stack}.yaml in {root} (stacks: {', '.join(stacks(root))})", file=out)
        return EXIT_NO_STACK
    engine_log = io.StringIO()  # the engine repeats warnings on stderr; they are shown once, below
    try:
        with contextlib.redirect_stderr(engine_log):
            plan = run_stack(args.stack, root=root)
    except BAD_SETTINGS as error:
        print(problems_text(error), file=out)
        return EXIT_BAD_SETTINGS
    print(render(plan, details=args.details), file=out)
    return 0


if __name__ == "__main__":
    run_as_command(main)
