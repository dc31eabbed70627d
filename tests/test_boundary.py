"""Every IAM role carries the permissions boundary the account bootstrap requires of the deploy role's creations."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from aws_compute_platform.foundation.boundary import boundary_arn, carry_permissions_boundary
from bootstrap.bootstrap import PROJECT, Names
from plan import Plan, run_program
from plan.engine import ROOT
from plan.mocks import ACCOUNT_ID
from tests.yaml_loader import load_yaml

ROLE = "aws:iam/role:Role"


def stack_config(plan: Plan) -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml((ROOT / f"Pulumi.{plan.stack}.yaml").read_text())["config"]
    return loaded


def test_every_role_carries_the_boundary_the_stack_file_names(stack_plan: Plan) -> None:
    name = stack_config(stack_plan).get("aws-compute-platform:permissionsBoundary")
    roles = stack_plan.of_type(ROLE)
    assert roles
    expected = name if not name or name.startswith("arn:") else f"arn:aws:iam::{ACCOUNT_ID}:policy/{name}"
    assert {r.name: r.inputs.get("permissionsBoundary") for r in roles} == {r.name: expected for r in roles}


def test_every_role_is_named_within_the_pattern_the_deploy_role_may_manage(stack_plan: Plan) -> None:
    # The bootstrap lets the deploy role manage roles named `<project>-*` only; auto-names extend the logical name.
    for role in stack_plan.of_type(ROLE):
        assert role.name.startswith(f"{PROJECT}-"), role.name
        assert "name" not in role.inputs or str(role.inputs["name"]).startswith(f"{PROJECT}-")


def test_the_shipped_stacks_name_the_boundary_the_bootstrap_creates(stack_plan: Plan) -> None:
    names = Names(partition="aws", account_id=ACCOUNT_ID, region="us-east-1", bucket="state")
    assert stack_config(stack_plan)["aws-compute-platform:permissionsBoundary"] == names.boundary_name


def test_a_role_that_names_its_own_boundary_keeps_it() -> None:
    def program() -> None:
        carry_permissions_boundary("arn:aws:iam::123456789012:policy/team-boundary")
        aws.iam.Role("plain", assume_role_policy="{}")
        aws.iam.Role("own", assume_role_policy="{}", permissions_boundary="arn:aws:iam::123456789012:policy/other")
        aws.s3.Bucket("not-a-role", opts=pulumi.ResourceOptions())

    plan = run_program(program)
    assert plan.named("plain").inputs["permissionsBoundary"].endswith("policy/team-boundary")
    assert plan.named("own").inputs["permissionsBoundary"].endswith("policy/other")
    assert "permissionsBoundary" not in plan.named("not-a-role").inputs


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("aws-compute-platform-boundary", f"arn:aws:iam::{ACCOUNT_ID}:policy/aws-compute-platform-boundary"),
        ("arn:aws:iam::111122223333:policy/b", "arn:aws:iam::111122223333:policy/b"),
    ],
)
def test_a_boundary_is_named_by_its_policy_name_or_arn(given: str, expected: str) -> None:
    def program() -> None:
        pulumi.export("arn", boundary_arn(given))

    assert run_program(program).outputs["arn"] == expected
