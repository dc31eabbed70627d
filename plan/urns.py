"""The URNs each shipped stack declares, pinned in tests/urns/<stack>.txt.

A URN is how Pulumi recognises a resource between updates: a refactor that changes one (a new parent, a new name)
makes `pulumi up` replace the resource, which for a database or a bucket means data lost. The suite compares each
stack's URNs with the pinned list; an intended change rewrites the list in the same commit:

    uv run python -m plan.urns
"""

from __future__ import annotations

import argparse
from pathlib import Path

from plan.engine import ROOT, run_stack

PINNED_DIR = ROOT / "tests" / "urns"


def stacks(root: Path = ROOT) -> list[str]:
    return sorted(p.stem.removeprefix("Pulumi.") for p in root.glob("Pulumi.*.yaml"))


def urns(stack: str) -> list[str]:
    return sorted(r.urn for r in run_stack(stack).resources)


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
