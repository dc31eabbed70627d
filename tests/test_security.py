"""Security promises that hold across the whole program, for every component of both shipped stacks."""

from __future__ import annotations

import json

from plan import Plan

# Actions AWS does not scope to a resource: `"Resource": "*"` is the only form they take.
UNSCOPABLE_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_every_log_group_is_encrypted_with_the_stack_key(stack_plan: Plan) -> None:
    key = stack_plan.outputs["kmsKeyArn"]
    groups = stack_plan.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert groups
    assert [g.name for g in groups if g.inputs.get("kmsKeyId") != key] == []


def test_every_log_group_keeps_logs_for_a_bounded_time(stack_plan: Plan) -> None:
    assert all(g.inputs.get("retentionInDays") for g in stack_plan.of_type("aws:cloudwatch/logGroup:LogGroup"))


def test_every_queue_is_encrypted_with_the_stack_key(stack_plan: Plan) -> None:
    key = stack_plan.outputs["kmsKeyArn"]
    queues = stack_plan.of_type("aws:sqs/queue:Queue")
    assert queues
    assert [q.name for q in queues if q.inputs.get("kmsMasterKeyId") != key] == []


def test_every_table_is_encrypted_with_the_stack_key(stack_plan: Plan) -> None:
    key = stack_plan.outputs["kmsKeyArn"]
    for table in stack_plan.of_type("aws:dynamodb/table:Table"):
        assert table.inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key}, table.name


def test_no_inline_policy_grants_an_action_on_every_resource_where_aws_can_scope_it(stack_plan: Plan) -> None:
    too_wide = []
    for policy in [*stack_plan.of_type("aws:iam/rolePolicy:RolePolicy"), *stack_plan.of_type("aws:iam/policy:Policy")]:
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            if statement["Effect"] != "Allow" or statement.get("Resource") not in ("*", ["*"]):
                continue
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            too_wide += [f"{policy.name}: {a}" for a in actions if a not in UNSCOPABLE_ACTIONS]
    assert too_wide == []


def test_no_policy_allows_every_action(stack_plan: Plan) -> None:
    for policy in [*stack_plan.of_type("aws:iam/rolePolicy:RolePolicy"), *stack_plan.of_type("aws:iam/policy:Policy")]:
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert statement["Effect"] == "Deny" or not any(a == "*" or a.endswith(":*") for a in actions), policy.name


def test_every_instance_and_launch_template_requires_imdsv2(stack_plan: Plan) -> None:
    machines = [
        *stack_plan.of_type("aws:ec2/instance:Instance"),
        *stack_plan.of_type("aws:ec2/launchTemplate:LaunchTemplate"),
    ]
    assert machines
    assert [m.name for m in machines if m.get("metadataOptions.httpTokens") != "required"] == []


def test_beanstalk_instances_refuse_imdsv1(stack_plan: Plan) -> None:
    for environment in stack_plan.of_type("aws:elasticbeanstalk/environment:Environment"):
        settings = {(s["namespace"], s["name"]): s["value"] for s in environment.inputs["settings"]}
        assert settings[("aws:autoscaling:launchconfiguration", "DisableIMDSv1")] == "true", environment.name


def test_no_database_is_reachable_from_the_internet(stack_plan: Plan) -> None:
    databases = [
        *stack_plan.of_type("aws:rds/instance:Instance"),
        *stack_plan.of_type("aws:lightsail/database:Database"),
    ]
    assert databases
    assert [d.name for d in databases if d.inputs.get("publiclyAccessible")] == []
