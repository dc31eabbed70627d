"""`python -m costs`: the monthly cost of a stack, offline. Also `refresh` (prices) and `readme` (README section)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TextIO

import boto3

from costs.assumptions import AssumptionError, Assumptions, load_assumptions
from costs.estimate import estimate
from costs.model import Estimate
from costs.prices import PRICES_DIR, load_prices, price_file
from costs.progress import Progress
from costs.readme import README, block, current_block, replace_block
from costs.refresh import PRICE_LIST_REGION, refresh
from costs.render import FORMATS
from plan import load_stack_config, run_stack
from plan.engine import ROOT, run_as_command, stacks
from plan.problems import BAD_SETTINGS, problems_text

README_STACKS = ("dev", "prod")


class UnknownStackError(LookupError):
    pass


def stack_estimate(stack: str, assumptions: Assumptions, progress: TextIO, root: Path = ROOT) -> Estimate:
    """The monthly cost of the stack `Pulumi.<stack>.yaml` of the Pulumi project in `root` (this one by default)."""
    if not (root / f"Pulumi.{stack}.yaml").exists():
        where = "" if root == ROOT else f" in {root}"
        raise UnknownStackError(
            f"no stack file Pulumi.{stack}.yaml{where} (stacks: {', '.join(stacks(root)) or 'none'})"
        )
    _, config, _ = load_stack_config(stack, root)
    region = config.get("aws:region") or PRICE_LIST_REGION
    with Progress(f"running the {stack} program under the mock engine and pricing it", progress):
        plan = run_stack(stack, root=root)
        return estimate(plan, load_prices(region), assumptions)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m costs",
        description="Estimate a stack's monthly AWS cost offline, from the program itself.",
    )
    parser.add_argument("--stack", default="dev", help="stack to estimate (its Pulumi.<stack>.yaml); default dev")
    parser.add_argument("--format", choices=sorted(FORMATS), default="table", help="output format; default table")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the Pulumi project's directory (e.g. an example, or your own program)"
    )
    parser.add_argument("--assumptions", type=Path, help="YAML file of usage assumptions (see costs/assumptions.py)")
    parser.add_argument(
        "--set", dest="settings", action="append", default=[], metavar="KEY=VALUE", help="change one assumption"
    )
    parser.add_argument("--fail-on-unpriced", action="store_true", help="exit 2 if any resource is not priced")
    commands = parser.add_subparsers(dest="command")
    refresh_cmd = commands.add_parser("refresh", help="rebuild a region's price file from the AWS Price List API")
    refresh_cmd.add_argument("--region", default=PRICE_LIST_REGION, help="region to price; default us-east-1")
    refresh_cmd.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    readme_cmd = commands.add_parser("readme", help="regenerate the README's cost estimates for dev and prod")
    readme_cmd.add_argument("--check", action="store_true", help="exit 1 if the README's estimates are stale")
    return parser


def _refresh(region: str, dry_run: bool) -> int:
    template_path = price_file(region) if price_file(region).exists() else price_file(PRICE_LIST_REGION)
    template = json.loads(template_path.read_text())
    client = boto3.client("pricing", region_name=PRICE_LIST_REGION)
    document, report = refresh(client, template, region, dt.datetime.now(dt.UTC).date().isoformat())
    print("\n".join(report.lines()))
    if not report.updated:
        print("nothing was refreshed: the price file is left as it was", file=sys.stderr)
        return 1
    if not dry_run:
        price_file(region).write_text(json.dumps(document, indent=1) + "\n")
        print(f"wrote {price_file(region).relative_to(PRICES_DIR.parent.parent)}")
    return 0


def _readme(check: bool) -> int:
    estimates = {s: stack_estimate(s, Assumptions(), sys.stderr) for s in README_STACKS}
    text = README.read_text()
    fresh = block(estimates)
    if check:
        if current_block(text) != fresh:
            print("README.md cost estimates are stale: run `uv run python -m costs readme`", file=sys.stderr)
            return 1
        return 0
    README.write_text(replace_block(text, fresh))
    print("README.md cost estimates updated")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "refresh":
        return _refresh(args.region, args.dry_run)
    if args.command == "readme":
        return _readme(args.check)
    try:
        assumptions = load_assumptions(args.assumptions, args.settings)
    except AssumptionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        result = stack_estimate(args.stack, assumptions, sys.stderr, args.root.resolve())
    except UnknownStackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BAD_SETTINGS as error:
        print(problems_text(error, "nothing was estimated"), file=sys.stderr)
        return 2
    sys.stdout.write(FORMATS[args.format](result))
    return 2 if args.fail_on_unpriced and result.unpriced else 0


if __name__ == "__main__":
    run_as_command(main)
