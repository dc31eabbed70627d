"""EC2 instance types: the families we accept, grouped as the EC2 console groups them, their sizes and architecture.

A type outside these families, or a size its family does not have (`t3.mega`), is refused when the settings are
read rather than at `pulumi up`, where a typo would surface only after other resources were created; the error
names the family's real sizes. The sizes come from a catalogue kept beside this module
(`instance_types.json`, with its source and the date it was read). Refresh it from an AWS account with

    python -m aws_compute_platform.foundation.instance_types --region us-east-1

which reads `ec2:DescribeInstanceTypes` (read-only) and rewrites the catalogue. A family AWS offers that is not
in `FAMILIES` is listed by the command but stays refused until it is added here, with its console category.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator

FAMILIES: dict[str, tuple[str, ...]] = {
    "general purpose": (
        "t3", "t3a", "t4g", "m5", "m5a", "m5n", "m5zn", "m6a", "m6g", "m6gd", "m6i", "m6id", "m7a", "m7g", "m7gd",
        "m7i", "m7i-flex", "m8g", "mac1", "mac2",
    ),
    "compute optimised": ("c5", "c5a", "c5d", "c5n", "c6a", "c6g", "c6gd", "c6gn", "c6i", "c6id", "c6in", "c7a", "c7g",
                          "c7gd", "c7gn", "c7i", "c7i-flex", "c8g"),
    "memory optimised": ("r5", "r5a", "r5b", "r5d", "r5n", "r6a", "r6g", "r6gd", "r6i", "r6id", "r7a", "r7g", "r7gd",
                         "r7i", "r7iz", "r8g", "x2gd", "x2idn", "x2iedn", "x8g", "z1d", "u-3tb1", "u-6tb1"),
    "accelerated computing": ("p4d", "p5", "g4dn", "g4ad", "g5", "g5g", "g6", "g6e", "gr6", "inf1", "inf2", "trn1",
                              "dl1", "f1", "vt1"),
    "storage optimised": ("i3", "i3en", "i4g", "i4i", "im4gn", "is4gen", "d3", "d3en", "h1"),
}  # fmt: skip

# Burstable families: they earn CPU credits, and `cpuCredits` (standard or unlimited) applies only to them.
BURSTABLE = ("t3", "t3a", "t4g")

CATALOGUE = "instance_types.json"
_FAMILY_OF = {family: category for category, families in FAMILIES.items() for family in families}
_GRAVITON = re.compile(r"^[a-z]+\d+g[a-z]*$")
_SIZE_ORDER = ("nano", "micro", "small", "medium", "large", "xlarge")


@cache
def catalogue() -> dict[str, Any]:
    """The size catalogue: `{"source": ..., "checked": "YYYY-MM-DD", "families": {"t3": ["nano", ...], ...}}`."""
    text = resources.files(__package__).joinpath(CATALOGUE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def sizes(family: str) -> tuple[str, ...]:
    """The sizes EC2 offers in a family (`t3` -> nano ... 2xlarge); empty for a family we do not accept."""
    if family not in _FAMILY_OF:
        return ()
    return tuple(catalogue()["families"].get(family, ()))


def category(instance_type: str) -> str | None:
    """`t4g.small` -> `general purpose`; None for an unknown family or a size the family does not have."""
    family, _, size = instance_type.partition(".")
    if size not in sizes(family):
        return None
    return _FAMILY_OF.get(family)


def architecture(instance_type: str) -> str:
    """`arm64` for Graviton families (t4g, m7g, c6gn, ...), `x86_64` otherwise: AMIs must match."""
    family = instance_type.split(".", maxsplit=1)[0]
    return "arm64" if _GRAVITON.match(family) or family in ("a1",) else "x86_64"


def is_burstable(instance_type: str) -> bool:
    return instance_type.split(".", maxsplit=1)[0] in BURSTABLE


def instance_type_problem(value: str) -> str | None:
    """Why `value` is not an instance type we accept (naming the family's sizes, or the families), or None."""
    family, _, size = value.partition(".")
    if family in _FAMILY_OF:
        known = sizes(family)
        if size in known:
            return None
        return f"is not a known EC2 instance type: {family} sizes: {', '.join(known)}"
    families = "; ".join(f"{c}: {', '.join(f)}" for c, f in FAMILIES.items())
    return f"is not a known EC2 instance type (family.size). Families: {families}"


def check_instance_type(value: str) -> str:
    """A pydantic validator: the value unchanged, or ValueError with the sizes or families allowed."""
    problem = instance_type_problem(value)
    if problem:
        raise ValueError(problem)
    return value


InstanceType = Annotated[str, AfterValidator(check_instance_type)]
"""An EC2 instance type (`t3.small`) of a family we accept, in a size that family has. Use it in any Args."""


# -- refreshing the catalogue --------------------------------------------------------------------------------------


def size_order(size: str) -> tuple[int, int, str]:
    """nano < micro < ... < xlarge < 2xlarge < ... < 48xlarge < metal < metal-24xl: the console's order."""
    if size in _SIZE_ORDER:
        return (0, _SIZE_ORDER.index(size), "")
    numbered = re.fullmatch(r"(\d+)xlarge", size)
    if numbered:
        return (1, int(numbered.group(1)), "")
    if size.startswith("metal"):
        digits = re.sub(r"\D", "", size)
        return (2, int(digits) if digits else 0, size)
    return (3, 0, size)


def families_of(instance_types: Iterable[str]) -> dict[str, list[str]]:
    """`["t3.small", "t3.nano", "m7g.large"]` -> `{"m7g": ["large"], "t3": ["nano", "small"]}`, sizes in order."""
    found: dict[str, set[str]] = {}
    for name in instance_types:
        family, _, size = name.partition(".")
        if size:
            found.setdefault(family, set()).add(size)
    return {family: sorted(found[family], key=size_order) for family in sorted(found)}


def fetch_catalogue(ec2: Any, *, region: str, today: datetime.date | None = None) -> dict[str, Any]:
    """A new catalogue for the accepted families, read with `ec2.describe_instance_types` (a boto3 EC2 client)."""
    names: list[str] = []
    for page in ec2.get_paginator("describe_instance_types").paginate():
        names.extend(t["InstanceType"] for t in page["InstanceTypes"])
    offered = families_of(names)
    return {
        "source": f"ec2:DescribeInstanceTypes in {region}",
        "checked": (today or datetime.datetime.now(datetime.UTC).date()).isoformat(),
        "families": {family: offered[family] for family in sorted(_FAMILY_OF) if family in offered},
        "notAccepted": sorted(set(offered) - set(_FAMILY_OF)),
    }


def write_catalogue(data: Mapping[str, Any], path: Path) -> None:
    """Write the catalogue as JSON with one family per line, so a refresh reads as a short diff."""
    lines = [f" {json.dumps(key)}: {json.dumps(data[key])}," for key in data if key != "families"]
    families = [f"  {json.dumps(f)}: {json.dumps(s)}" for f, s in data["families"].items()]
    text = "{\n" + "\n".join(lines) + '\n "families": {\n' + ",\n".join(families) + "\n }\n}\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    import boto3  # noqa: PLC0415 (only the refresh command talks to AWS)

    parser = argparse.ArgumentParser(description="Refresh the EC2 instance size catalogue from DescribeInstanceTypes")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name(CATALOGUE))
    options = parser.parse_args(argv)
    data = fetch_catalogue(boto3.client("ec2", region_name=options.region), region=options.region)
    missing = sorted(set(_FAMILY_OF) - set(data["families"]))
    write_catalogue(data, options.output)
    print(f"wrote {len(data['families'])} families to {options.output}")
    if missing:
        print(f"not offered in {options.region}: {', '.join(missing)} (they are refused until offered)")
    print(f"offered but not accepted (add to FAMILIES to use): {', '.join(data['notAccepted']) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
