"""The RDS for MySQL instance class catalogue: sourced and dated entries, and a refresh from the RDS API."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from aws_compute_platform.wordpress import rds_catalog
from aws_compute_platform.wordpress.args import DatabaseArgs
from tests.yaml_loader import load_yaml

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = ("db.t3", "db.t4g", "db.m5", "db.m6g", "db.m6i", "db.m7g", "db.r5", "db.r6g", "db.r6i", "db.r7g")


def test_the_catalogue_covers_the_mysql_families_each_with_a_source_and_a_date() -> None:
    families = rds_catalog.families()
    assert set(REQUIRED) <= set(families)
    for family in families.values():
        assert family.sizes, family.name
        assert "https://docs.aws.amazon.com/" in family.source or "describe_orderable" in family.source
        assert datetime.date.fromisoformat(family.checked) <= datetime.datetime.now(tz=datetime.UTC).date()
        assert list(family.sizes) == sorted(family.sizes, key=rds_catalog.size_key)
    assert families["db.t4g"].sizes == ("micro", "small", "medium", "large", "xlarge", "2xlarge")
    assert "micro" not in families["db.m7g"].sizes


def test_the_catalogue_ships_inside_the_package() -> None:
    assert rds_catalog.CATALOG_FILE.parent == Path(rds_catalog.__file__).resolve().parent
    assert json.loads(rds_catalog.CATALOG_FILE.read_text())["engine"] == "mysql"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_class_the_stack_files_ask_for_is_in_the_catalogue(stack: str) -> None:
    config = load_yaml((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    instance_class = config["aws-compute-platform:wordpress"]["database"]["instanceClass"]
    assert rds_catalog.problem_with(instance_class) is None
    assert rds_catalog.problem_with(DatabaseArgs().instance_class) is None


def test_a_misspelt_size_is_refused_naming_the_familys_sizes() -> None:
    problem = rds_catalog.problem_with("db.t4g.mirco")
    assert problem is not None
    assert "db.t4g" in problem and "micro, small, medium, large, xlarge, 2xlarge" in problem


def test_an_unknown_family_is_refused_naming_the_families_and_the_refresh_command() -> None:
    problem = rds_catalog.problem_with("db.q9.large")
    assert problem is not None
    assert all(family in problem for family in REQUIRED)
    assert rds_catalog.REFRESH_COMMAND in problem


def stubbed_rds(pages: list[list[str]]) -> tuple[Any, Stubber]:
    client = boto3.client("rds", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    stubber = Stubber(client)
    for i, classes in enumerate(pages):
        response: dict[str, Any] = {
            "OrderableDBInstanceOptions": [
                {"Engine": "mysql", "EngineVersion": version, "DBInstanceClass": name, "MultiAZCapable": True}
                for name in classes
                for version in ("8.0.40", "8.4.3")
            ]
        }
        expected: dict[str, Any] = {"Engine": "mysql"}
        if i + 1 < len(pages):
            response["Marker"] = f"page-{i + 1}"
        if i:
            expected["Marker"] = f"page-{i}"
        stubber.add_response("describe_orderable_db_instance_options", response, expected)
    return client, stubber


def test_refresh_rewrites_the_catalogue_from_every_page_of_orderable_classes(tmp_path: Path) -> None:
    client, stubber = stubbed_rds(
        [["db.t4g.small", "db.t4g.micro", "db.m8g.48xlarge"], ["db.m8g.large", "db.m8g.2xlarge", "db.t4g.2xlarge"]]
    )
    path = tmp_path / "classes.json"
    with stubber:
        count = rds_catalog.refresh(client, "eu-west-1", path, today=datetime.date(2026, 12, 1))
    stubber.assert_no_pending_responses()
    assert count == 2
    refreshed = rds_catalog.load(path)
    assert refreshed["db.t4g"].sizes == ("micro", "small", "2xlarge")
    assert refreshed["db.m8g"].sizes == ("large", "2xlarge", "48xlarge")
    assert refreshed["db.m8g"].checked == "2026-12-01"
    assert re.search(
        r"describe_orderable_db_instance_options\(Engine='mysql'\) in eu-west-1", refreshed["db.m8g"].source
    )
    # The refreshed catalogue is what validation reads.
    assert rds_catalog.problem_with("db.m8g.48xlarge", refreshed) is None
    assert "micro, small, 2xlarge" in (rds_catalog.problem_with("db.t4g.medium", refreshed) or "")


def test_the_refresh_command_writes_the_package_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client, stubber = stubbed_rds([["db.t3.micro", "db.r7g.large"]])
    target = tmp_path / "rds_mysql_classes.json"
    monkeypatch.setattr(rds_catalog, "CATALOG_FILE", target)
    monkeypatch.setattr(boto3, "client", lambda service, region_name: client)
    with stubber:
        assert rds_catalog.main(["--refresh", "--region", "eu-west-1"]) == 0
    assert set(json.loads(target.read_text())["families"]) == {"db.t3", "db.r7g"}
    rds_catalog.families.cache_clear()


def test_an_empty_answer_leaves_the_catalogue_alone(tmp_path: Path) -> None:
    client, stubber = stubbed_rds([[]])
    path = tmp_path / "classes.json"
    path.write_text("unchanged")
    with stubber, pytest.raises(SystemExit, match="no orderable mysql"):
        rds_catalog.refresh(client, "eu-west-1", path)
    assert path.read_text() == "unchanged"
