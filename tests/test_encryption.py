"""EncryptionKey: one customer-managed key per stack, rotated, usable by the services that encrypt with it."""

from __future__ import annotations

import json

from plan import Plan


def key_of(plan: Plan) -> dict:  # type: ignore[type-arg]
    keys = plan.of_type("aws:kms/key:Key")
    assert len(keys) == 1
    return keys[0].inputs


def test_rotation_is_on_in_every_stack(stack_plan: Plan) -> None:
    assert key_of(stack_plan)["enableKeyRotation"] is True


def test_prod_keeps_a_deleted_key_recoverable_for_30_days(prod_plan: Plan, dev_plan: Plan) -> None:
    assert key_of(prod_plan)["deletionWindowInDays"] == 30
    assert key_of(dev_plan)["deletionWindowInDays"] == 7


def test_the_key_has_an_alias_named_after_the_stack(stack_plan: Plan) -> None:
    alias = stack_plan.of_type("aws:kms/alias:Alias")[0]
    assert alias.inputs["name"] == f"alias/aws-compute-platform-{stack_plan.stack}"


def test_auto_scaling_may_launch_instances_with_volumes_encrypted_by_the_key(stack_plan: Plan) -> None:
    statements = json.loads(key_of(stack_plan)["policy"])["Statement"]
    role = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    granted = [s for s in statements if s["Principal"].get("AWS") == role]
    actions = {a for s in granted for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"} <= actions
    create_grant = next(s for s in granted if s["Action"] == "kms:CreateGrant")
    assert create_grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_cloudwatch_logs_may_use_the_key_only_for_this_accounts_log_groups(stack_plan: Plan) -> None:
    statements = json.loads(key_of(stack_plan)["policy"])["Statement"]
    logs = next(s for s in statements if s["Principal"].get("Service") == "logs.us-east-1.amazonaws.com")
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == "arn:aws:logs:us-east-1:123456789012:*"
