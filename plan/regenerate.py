"""`python -m plan.regenerate`: rewrite every generated file after a stack file or a settings model changed.

    uv run python -m plan.regenerate            # rewrite them all
    uv run python -m plan.regenerate --check    # rewrite nothing; exit 1 naming each stale one

What it regenerates, each also checked by its own test:

- `schema/stack.schema.json`, the stack files' JSON Schema (`python -m aws_compute_platform.schema`);
- `tests/urns/<stack>.txt`, the URNs each stack declares (`python -m plan.urns`): a changed line is a resource
  `pulumi up` would replace, so read the diff before committing it;
- the cost estimates of dev and prod in README.md (`python -m costs readme`);
- the configuration reference in docs/configuration.md (`python -m plan.reference`).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plan.engine import ROOT, Plan, load_stack_config, run_stack

SCHEMA_FILE = ROOT / "schema" / "stack.schema.json"


@dataclass(frozen=True)
class Generated:
    name: str
    command: str
    fresh: Callable[[], dict[Path, str]]
    """Every file this step writes, with the text it should hold now."""


@functools.cache
def _plan(stack: str) -> Plan:
    """Each stack is run once, for the URNs and the estimate alike; the engine's repeated warnings are dropped."""
    with contextlib.redirect_stderr(io.StringIO()):
        return run_stack(stack)


def _schema() -> dict[Path, str]:
    from aws_compute_platform.schema import render  # noqa: PLC0415

    return {SCHEMA_FILE: render()}


def _urns() -> dict[Path, str]:
    from plan.engine import stacks  # noqa: PLC0415
    from plan.urns import pinned_file, plan_urns  # noqa: PLC0415

    return {pinned_file(stack): "\n".join(plan_urns(_plan(stack))) + "\n" for stack in stacks()}


def _costs() -> dict[Path, str]:
    from costs.__main__ import README_STACKS  # noqa: PLC0415
    from costs.assumptions import Assumptions  # noqa: PLC0415
    from costs.estimate import estimate  # noqa: PLC0415
    from costs.prices import load_prices  # noqa: PLC0415
    from costs.readme import README, block, replace_block  # noqa: PLC0415
    from costs.refresh import PRICE_LIST_REGION  # noqa: PLC0415

    estimates = {}
    for stack in README_STACKS:
        region = load_stack_config(stack)[1].get("aws:region") or PRICE_LIST_REGION
        estimates[stack] = estimate(_plan(stack), load_prices(region), Assumptions())
    return {README: replace_block(README.read_text(encoding="utf-8"), block(estimates))}


def _reference() -> dict[Path, str]:
    from plan.reference import PAGE, block, replace_block  # noqa: PLC0415

    return {PAGE: replace_block(PAGE.read_text(encoding="utf-8"), block())}


STEPS = (
    Generated("stack file schema", "uv run python -m aws_compute_platform.schema schema/stack.schema.json", _schema),
    Generated("pinned URNs", "uv run python -m plan.urns", _urns),
    Generated("README cost estimates", "uv run python -m costs readme", _costs),
    Generated("configuration reference", "uv run python -m plan.reference", _reference),
)


def _current(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plan.regenerate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if any generated file is stale")
    args = parser.parse_args(argv)
    stale = []
    for step in STEPS:
        changed = []
        for path, text in step.fresh().items():
            if _current(path) == text:
                continue
            changed.append(path.relative_to(ROOT).as_posix())
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        if changed:
            stale.append(step)
        verb = "stale" if args.check else "rewrote"
        print(f"{step.name}: {f'{verb} ' + ', '.join(changed) if changed else 'current'}")
    if args.check and stale:
        print("run `uv run python -m plan.regenerate` and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
