"""The RDS for MySQL DB instance classes the WordPress database accepts: each family's sizes, where and when read.

RDS refuses a class it does not offer (`db.t4g.mirco`) only at `pulumi up`, after the network, the load balancer and
the file system were created. So the class is checked when the settings are read, against this catalogue, and a
wrong size is answered with the family's real sizes.

The catalogue is a JSON file beside this module (`rds_mysql_classes.json`, shipped as package data) rather than a
Python dict, because a command rewrites it: the refresh writes plain data that reviews as a small diff, instead of
generating Python source. Each family carries the source it was read from and the date it was checked. Refresh it
from the RDS API (needs AWS credentials; read-only, `rds:DescribeOrderableDBInstanceOptions`):

    uv run python -m aws_compute_platform.wordpress.rds_catalog --refresh [--region us-east-1]
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

CATALOG_FILE = Path(__file__).resolve().with_name("rds_mysql_classes.json")
ENGINE = "mysql"
REFRESH_COMMAND = "uv run python -m aws_compute_platform.wordpress.rds_catalog --refresh"

_CLASS = re.compile(r"db\.(?P<family>[a-z0-9-]+)\.(?P<size>[a-z0-9-]+)")
_SIZE_ORDER = {"nano": 0, "micro": 1, "small": 2, "medium": 3, "large": 4, "xlarge": 5}


@dataclass(frozen=True)
class Family:
    """One DB instance class family (`db.t4g`) and the sizes RDS for MySQL offers in it."""

    name: str
    sizes: tuple[str, ...]
    source: str
    checked: str


def load(path: Path = CATALOG_FILE) -> dict[str, Family]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        name: Family(name, tuple(entry["sizes"]), entry["source"], entry["checked"])
        for name, entry in data["families"].items()
    }


@functools.cache
def families() -> dict[str, Family]:
    """The shipped catalogue, read once."""
    return load()


def problem_with(instance_class: str, catalogue: Mapping[str, Family] | None = None) -> str | None:
    """Why RDS for MySQL would refuse `instance_class`, phrased after its key; None when it is offered."""
    known = families() if catalogue is None else catalogue
    match = _CLASS.fullmatch(instance_class)
    if match is None:
        return "must be an RDS instance class such as db.t4g.micro (db.<family>.<size>)"
    family = known.get(f"db.{match['family']}")
    if family is None:
        return (
            f"is not an RDS for MySQL instance class family this project knows (families: {', '.join(known)}); "
            f"if AWS added one, refresh the catalogue: {REFRESH_COMMAND}"
        )
    if match["size"] not in family.sizes:
        return (
            f"is not an RDS instance class: {family.name} comes in {', '.join(family.sizes)} (checked {family.checked})"
        )
    return None


# -- refresh ----------------------------------------------------------------------------------------------------------


class _RdsClient(Protocol):
    def get_paginator(self, operation_name: str) -> Any: ...


def size_key(size: str) -> tuple[int, int, str]:
    """micro < small < ... < xlarge < 2xlarge < 24xlarge < metal: the order the RDS docs list sizes in."""
    if size in _SIZE_ORDER:
        return (0, _SIZE_ORDER[size], size)
    multiple = re.fullmatch(r"(\d+)xlarge", size)
    if multiple:
        return (1, int(multiple[1]), size)
    return (2, 0, size)


def orderable_classes(client: _RdsClient, engine: str = ENGINE) -> set[str]:
    """Every DB instance class RDS offers for `engine` in the client's region, over every engine version."""
    paginator = client.get_paginator("describe_orderable_db_instance_options")
    return {
        option["DBInstanceClass"]
        for page in paginator.paginate(Engine=engine)
        for option in page.get("OrderableDBInstanceOptions", [])
    }


def catalogue_from(classes: Iterable[str], *, source: str, checked: str) -> dict[str, Any]:
    """The catalogue file's content for a set of class names (`db.t4g.micro`, ...)."""
    sizes: dict[str, set[str]] = {}
    for name in classes:
        match = _CLASS.fullmatch(name)
        if match:
            sizes.setdefault(f"db.{match['family']}", set()).add(match["size"])
    return {
        "about": (
            "RDS for MySQL DB instance classes by family: the sizes RDS offers, where that was read and when. "
            f"Refresh with: {REFRESH_COMMAND}"
        ),
        "engine": ENGINE,
        "families": {
            family: {"sizes": sorted(found, key=size_key), "source": source, "checked": checked}
            for family, found in sorted(sizes.items())
        },
    }


def refresh(client: _RdsClient, region: str, path: Path, today: datetime.date | None = None) -> int:
    """Rewrite the catalogue at `path` from the RDS API; returns how many families it now lists."""
    checked = (today or datetime.datetime.now(tz=datetime.UTC).date()).isoformat()
    classes = orderable_classes(client)
    if not classes:
        raise SystemExit(f"RDS listed no orderable {ENGINE} instance classes in {region}; the catalogue is unchanged")
    data = catalogue_from(
        classes,
        source=f"rds.describe_orderable_db_instance_options(Engine={ENGINE!r}) in {region}",
        checked=checked,
    )
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    families.cache_clear()
    return len(data["families"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aws_compute_platform.wordpress.rds_catalog", description=__doc__)
    parser.add_argument("--refresh", action="store_true", help="rewrite the catalogue from the RDS API")
    parser.add_argument("--region", default="us-east-1", help="the region whose offer is read (default us-east-1)")
    args = parser.parse_args(argv)
    if not args.refresh:
        for family in families().values():
            print(f"{family.name}: {', '.join(family.sizes)}  [{family.checked}; {family.source}]")
        return 0
    import boto3  # noqa: PLC0415 (only the refresh command talks to AWS; a plan need not import boto3)

    count = refresh(boto3.client("rds", region_name=args.region), args.region, CATALOG_FILE)
    print(f"{CATALOG_FILE}: {count} {ENGINE} instance class families from {args.region}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
