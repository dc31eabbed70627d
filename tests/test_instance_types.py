"""Instance types: known families in sizes they really have; anything else is refused by key, naming what exists."""

from __future__ import annotations

import datetime
import gzip
import importlib.resources
import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from aws_compute_platform.args import ArgsModel
from aws_compute_platform.beanstalk.args import BeanstalkArgs
from aws_compute_platform.config import SettingsError
from aws_compute_platform.foundation import instance_types
from aws_compute_platform.foundation.instance_types import (
    FAMILIES,
    InstanceType,
    architecture,
    catalogue,
    category,
    fetch_catalogue,
    sizes,
    write_catalogue,
)
from aws_compute_platform.wordpress.args import WordPressArgs

T3_SIZES = "t3 sizes: nano, micro, small, medium, large, xlarge, 2xlarge"


class ComputeArgs(ArgsModel):
    """Any component's Args reuse the validator as a type."""

    config_key = "aws-compute-platform:compute"

    instance_type: InstanceType = "t3.micro"


@pytest.mark.parametrize(
    ("name", "kind", "arch"),
    [
        ("t4g.small", "general purpose", "arm64"),
        ("t3.micro", "general purpose", "x86_64"),
        ("c7gn.large", "compute optimised", "arm64"),
        ("r6i.2xlarge", "memory optimised", "x86_64"),
        ("g5.xlarge", "accelerated computing", "x86_64"),
        ("i4i.large", "storage optimised", "x86_64"),
        ("m7i-flex.large", "general purpose", "x86_64"),
        ("m8g.metal-24xl", "general purpose", "arm64"),
    ],
)
def test_known_types_have_a_category_and_an_architecture(name: str, kind: str, arch: str) -> None:
    assert category(name) == kind
    assert architecture(name) == arch
    assert ComputeArgs(instance_type=name).instance_type == name


@pytest.mark.parametrize("bad", ["t9.micro", "banana", "x1e.xlarge"])
def test_an_unknown_family_is_refused_listing_the_families(bad: str) -> None:
    with pytest.raises(SettingsError) as failure:
        ComputeArgs.from_config({"instanceType": bad})
    assert failure.value.keys == ["aws-compute-platform:compute.instanceType"]
    assert "general purpose: t3, t3a, t4g" in str(failure.value)


@pytest.mark.parametrize("bad", ["t3.mega", "t3.enormous", "t3", "t3.metal"])
def test_a_size_the_family_does_not_have_is_refused_naming_its_sizes(bad: str) -> None:
    with pytest.raises(SettingsError) as from_config:
        ComputeArgs.from_config({"instanceType": bad})
    with pytest.raises(SettingsError) as in_python:
        ComputeArgs(instance_type=bad)
    assert from_config.value.keys == in_python.value.keys == ["aws-compute-platform:compute.instanceType"]
    for failure in (from_config, in_python):
        assert T3_SIZES in str(failure.value)
        assert "not a known EC2 instance type" in str(failure.value)


@pytest.mark.parametrize(
    ("args", "key"),
    [(WordPressArgs, "aws-compute-platform:wordpress"), (BeanstalkArgs, "aws-compute-platform:beanstalk")],
)
def test_every_component_refuses_a_size_its_family_lacks_naming_the_sizes(args: type[ArgsModel], key: str) -> None:
    with pytest.raises(SettingsError) as failure:
        args.from_config({"instanceType": "t3.mega"})
    [problem] = [p for p in failure.value.problems if p.key == f"{key}.instanceType"]
    assert T3_SIZES in problem.problem


def test_every_accepted_family_has_sizes_in_the_catalogue_which_says_where_they_come_from() -> None:
    data = catalogue()
    assert data["source"] and datetime.date.fromisoformat(data["checked"])
    for families in FAMILIES.values():
        for family in families:
            assert sizes(family), family
    assert sizes("t3") == ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge")
    assert sizes("not-a-family") == ()


def offered_in(region: str) -> list[dict[str, Any]]:
    """What DescribeInstanceTypes answers in `region`: moto's snapshot of AWS (each type's record as the API returns
    it, and which types each region offers), read from its data files rather than through its server, whose XML
    round trip of ~1,400 records took seconds and answered in one page."""
    data = importlib.resources.files("moto") / "ec2" / "resources"
    records = json.loads(gzip.decompress((data / "instance_types.json.gz").read_bytes()))
    offerings = data / "instance_type_offerings" / "region" / f"{region}.json.gz"
    return [records[o["InstanceType"]] for o in json.loads(gzip.decompress(offerings.read_bytes()))]


def stub_describe_instance_types(ec2: Any, region: str) -> Stubber:
    """`ec2` answers DescribeInstanceTypes with `region`'s types in pages of 100 (the API's largest page), each
    asked for with the previous page's token: a reader that stopped after the first page would miss most of them."""
    types = offered_in(region)
    pages = [types[i : i + 100] for i in range(0, len(types), 100)]
    assert len(pages) > 1
    stubber = Stubber(ec2)
    for number, page in enumerate(pages, start=1):
        more = {"NextToken": f"page-{number + 1}"} if number < len(pages) else {}
        asked = {"NextToken": f"page-{number}"} if number > 1 else {}
        stubber.add_response("describe_instance_types", {"InstanceTypes": page, **more}, asked)
    return stubber


def test_refreshing_reads_describe_instance_types_and_keeps_the_console_order(tmp_path: Path) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    offered = {t["InstanceType"] for t in offered_in("us-east-1")}
    with stub_describe_instance_types(ec2, "us-east-1") as stubber:
        data = fetch_catalogue(ec2, region="us-east-1", today=datetime.date(2026, 12, 2))
        stubber.assert_no_pending_responses()  # every page was read
    assert data["source"] == "ec2:DescribeInstanceTypes in us-east-1"
    assert data["checked"] == "2026-12-02"
    assert set(data["families"]) <= {f for families in FAMILIES.values() for f in families}
    for family, family_sizes in data["families"].items():
        assert {f"{family}.{size}" for size in family_sizes} == {t for t in offered if t.split(".")[0] == family}
        assert family_sizes == sorted(family_sizes, key=instance_types.size_order)
    assert data["families"]["t3"][:3] == ["nano", "micro", "small"]
    assert data["notAccepted"] and not set(data["notAccepted"]) & set(data["families"])

    path = tmp_path / "instance_types.json"
    write_catalogue(data, path)
    assert json.loads(path.read_text()) == data
    assert re.search(r'^  "t3": \["nano", ', path.read_text(), re.MULTILINE)  # one family per line


def test_the_refresh_command_writes_the_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    make_client = boto3.client
    stubbers: list[Stubber] = []

    def client(service: str, region_name: str) -> Any:
        assert service == "ec2"
        ec2 = make_client("ec2", region_name=region_name)
        stubbers.append(stub_describe_instance_types(ec2, region_name))
        stubbers[-1].activate()
        return ec2

    monkeypatch.setattr(boto3, "client", client)
    path = tmp_path / "catalogue.json"
    assert instance_types.main(["--region", "eu-west-1", "--output", str(path)]) == 0
    [stubber] = stubbers  # one EC2 client, in the region asked for (its pages are eu-west-1's), read to the end
    stubber.assert_no_pending_responses()
    written = json.loads(path.read_text())
    assert written["source"] == "ec2:DescribeInstanceTypes in eu-west-1"
    assert "t3" in written["families"]
