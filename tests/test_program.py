"""The whole program, run for each shipped stack from its real stack file."""

from __future__ import annotations

import json
import runpy

import pytest

from aws_compute_platform.config import SettingsError
from plan import Plan, load_stack_config, run_program, run_stack
from plan.engine import ROOT
from plan.taggable import accepts_tags

REQUIRED_TAGS = {"Project", "Environment", "Owner", "CostCenter", "ManagedBy"}


def test_both_stacks_build_and_export_their_outputs(stack_plan: Plan) -> None:
    assert stack_plan.resources
    assert stack_plan.outputs["region"] == "us-east-1"
    assert stack_plan.outputs["kmsKeyArn"].startswith("arn:aws:kms:")


def test_every_taggable_resource_carries_the_cost_allocation_tags(stack_plan: Plan) -> None:
    untagged = []
    for resource in stack_plan:
        if not resource.custom or not accepts_tags(resource.type):
            continue
        tags = resource.inputs.get("tags")
        if resource.type == "aws:autoscaling/group:Group":
            tags = {t["key"]: t["value"] for t in tags or [] if t.get("propagateAtLaunch")}
        missing = REQUIRED_TAGS - set(tags or {})
        if missing:
            untagged.append(f"{resource.type} {resource.name}: missing {sorted(missing)}")
    assert not untagged, "\n".join(untagged)


def test_tags_name_the_stack_owner_and_cost_center(stack_plan: Plan) -> None:
    vpc = stack_plan.of_type("aws:ec2/vpc:Vpc")[0]
    assert vpc.inputs["tags"]["Environment"] == stack_plan.stack
    assert vpc.inputs["tags"]["Owner"] == "platform-team"
    assert vpc.inputs["tags"]["CostCenter"] == "cc-1234"
    assert vpc.inputs["tags"]["ManagedBy"] == "pulumi"


def test_every_resource_belongs_to_a_component(stack_plan: Plan) -> None:
    """Components own their children (`parent=self`), so the preview reads like the architecture."""
    stack_urn_suffix = "::pulumi:pulumi:Stack::"
    orphans = [r.name for r in stack_plan if r.custom and stack_urn_suffix in r.parent]
    assert not orphans


def test_prod_protects_what_holds_data(prod_plan: Plan, dev_plan: Plan) -> None:
    assert all(k.protect for k in prod_plan.of_type("aws:kms/key:Key"))
    assert not any(r.protect for r in dev_plan), "dev must stay disposable: nothing protected"


def test_a_bad_stack_file_fails_before_any_resource_is_declared() -> None:
    with pytest.raises(SettingsError) as failure:
        run_stack(
            "dev",
            {
                "aws-compute-platform:network": {"cidr": "10.20.0.0/33", "azCount": 0, "natGateway": "single"},
                "aws-compute-platform:logRetentionDays": -1,
                "aws-compute-platform:colour": "blue",
            },
        )
    keys = failure.value.keys
    assert "aws-compute-platform:network.cidr" in keys
    assert "aws-compute-platform:network.azCount" in keys
    assert "aws-compute-platform:network.natGateway" in keys  # a typo of natGateways
    assert "aws-compute-platform:logRetentionDays" in keys
    assert "aws-compute-platform:colour" in keys
    assert failure.value.plan.resources == []  # type: ignore[attr-defined]


def test_a_missing_required_key_is_named() -> None:
    with pytest.raises(SettingsError) as failure:
        run_stack("dev", {"aws-compute-platform:owner": ""})
    assert "aws-compute-platform:owner" in failure.value.keys


def test_config_passed_the_way_the_pulumi_cli_passes_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real `pulumi up` hands the program its config as JSON in PULUMI_CONFIG, not through the runtime."""
    project, config, secret_keys = load_stack_config("prod")
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(config))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(secret_keys))
    plan = run_program(
        lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__"), project=project, stack="prod"
    )
    assert plan.outputs["availabilityZones"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert len(plan.of_type("aws:ec2/natGateway:NatGateway")) == 3
