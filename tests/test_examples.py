"""Every example under examples/ is a program that uses one component alone, and builds."""

from __future__ import annotations

import contextlib
import functools
import io
from pathlib import Path

import pytest

import aws_compute_platform
from plan import Plan, run_stack
from plan.engine import ROOT

EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/Pulumi.yaml"))
NETWORK_TYPES = {
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/routeTable:RouteTable",
}


@functools.cache  # two tests read the examples in an existing VPC: one build each per test process
def build(example: Path) -> Plan:
    [stack_file] = example.glob("Pulumi.*.yaml")
    with contextlib.redirect_stderr(io.StringIO()):
        return run_stack(stack_file.stem.removeprefix("Pulumi."), root=example)


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.name)
def example(request: pytest.FixtureRequest) -> tuple[Path, Plan]:
    return request.param, build(request.param)


def test_there_are_at_least_three_examples() -> None:
    assert len(EXAMPLES) >= 3


def test_every_example_builds_one_component_and_exports_what_it_made(example: tuple[Path, Plan]) -> None:
    _, plan = example
    top = [r for r in plan.resources if not r.custom and not any(p.urn == r.parent for p in plan.resources)]
    assert len(top) == 1, [r.type for r in top]
    assert plan.outputs


IN_EXISTING_VPC = [p for p in EXAMPLES if "vpcId:" in (p / "Pulumi.dev.yaml").read_text()]


def test_at_least_two_examples_run_in_an_existing_vpc() -> None:
    assert {p.name for p in IN_EXISTING_VPC} >= {"wordpress-existing-vpc", "marketplace-server"}


@pytest.mark.parametrize("path", IN_EXISTING_VPC, ids=lambda p: p.name)
def test_examples_that_take_an_existing_vpc_declare_no_network_of_their_own(path: Path) -> None:
    plan = build(path)
    assert not {r.type for r in plan.resources} & NETWORK_TYPES
    vpc_ids = {r.inputs["vpcId"] for r in plan.resources if "vpcId" in r.inputs}
    assert vpc_ids == {"vpc-0a1b2c3d4e5f60718"}


def test_examples_encrypt_with_the_key_they_are_given_not_one_of_their_own(example: tuple[Path, Plan]) -> None:
    _, plan = example
    assert not plan.of_type("aws:kms/key:Key")


def test_the_library_names_every_component_at_its_top_level() -> None:
    for name in ("WordPressFleet", "Server", "BeanstalkApp", "ServerlessApi", "LightsailSite", "ExistingNetwork"):
        assert getattr(aws_compute_platform, name).__name__ == name
