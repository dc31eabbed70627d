"""A server's instance profile: a role with AmazonSSMManagedInstanceCore alone by default, so Session Manager reaches
the server without port 22; configurable, validated, and carrying the stack's permissions boundary."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from aws_compute_platform.config import SettingsError
from aws_compute_platform.servers import ServerArgs
from aws_compute_platform.servers.args import SSM_MANAGED_INSTANCE_CORE, InstanceProfileArgs
from plan import Plan, PlannedResource

SERVERS = "aws-compute-platform:servers"
AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
INSTANCE = "aws:ec2/instance:Instance"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
PROFILE = "aws:iam/instanceProfile:InstanceProfile"
INLINE_POLICY = "aws:iam/rolePolicy:RolePolicy"
READ_ONLY_S3 = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def server(**overrides: Any) -> dict[str, Any]:
    return {"name": "app", "image": {"ssmParameter": AL2023}, "instanceType": "t3.small", **overrides}


def identity_of(plan: Plan, server_name: str) -> tuple[PlannedResource, list[PlannedResource], PlannedResource]:
    """The role, its policy attachments and the instance profile under one server."""
    within = plan.within(plan.named(f"{server_name}-identity"))
    (role,) = [r for r in within if r.type == ROLE]
    attachments = [r for r in within if r.type == ATTACHMENT]
    (profile,) = [r for r in within if r.type == PROFILE]
    return role, attachments, profile


def test_every_server_of_every_stack_gets_a_role_with_session_manager_alone(stack_plan: Plan) -> None:
    for instance in stack_plan.of_type(INSTANCE):  # every EC2 instance a stack declares is a server
        server_name = instance.name.removesuffix("-instance")
        role, attachments, profile = identity_of(stack_plan, server_name)
        assert instance.inputs["iamInstanceProfile"] == profile.outputs["name"]
        assert profile.inputs["role"] == role.outputs["name"]
        assert [a.inputs["policyArn"] for a in attachments] == [SSM_MANAGED_INSTANCE_CORE]
        assert {a.inputs["role"] for a in attachments} == {role.outputs["name"]}
        # Only EC2 may assume it, and it has no inline policy.
        trust = json.loads(role.inputs["assumeRolePolicy"])
        assert trust["Statement"] == [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
        assert "inlinePolicies" not in role.inputs
        assert not [
            r for r in stack_plan.within(stack_plan.named(server_name)) if r.type == "aws:iam/rolePolicy:RolePolicy"
        ]


def test_the_dev_web_server_has_an_instance_profile(dev_plan: Plan) -> None:
    (instance,) = dev_plan.of_type(INSTANCE)
    role, _, profile = identity_of(dev_plan, "aws-compute-platform-dev-web")
    assert instance.inputs["iamInstanceProfile"] == profile.outputs["name"]
    # Named under the project's prefix (the bootstrap's deploy role may only create role/<project>-*), and carrying
    # the stack's permissions boundary like every role.
    assert role.outputs["name"].startswith("aws-compute-platform-")
    assert profile.outputs["name"].startswith("aws-compute-platform-")
    assert role.inputs["permissionsBoundary"].endswith(":policy/aws-compute-platform-boundary")


@pytest.fixture
def profiles_plan(plan_with: Callable[..., Plan]) -> Plan:
    """Dev with a server per instance profile setting below: one build, each test reading its own server."""
    servers = [
        server(name="more-policies", instanceProfile={"managedPolicyArns": [SSM_MANAGED_INSTANCE_CORE, READ_ONLY_S3]}),
        server(name="no-role", instanceProfile={"enabled": False}),
    ]
    return plan_with("dev", {SERVERS: servers})


def test_more_managed_policies_can_be_named(profiles_plan: Plan) -> None:
    _, attachments, _ = identity_of(profiles_plan, "aws-compute-platform-dev-more-policies")
    assert sorted(a.inputs["policyArn"] for a in attachments) == sorted([SSM_MANAGED_INSTANCE_CORE, READ_ONLY_S3])


def test_a_server_can_go_without_a_role(profiles_plan: Plan) -> None:
    within = profiles_plan.within(profiles_plan.named("aws-compute-platform-dev-no-role"))
    (instance,) = [r for r in within if r.type == INSTANCE]
    assert "iamInstanceProfile" not in instance.inputs
    assert not [r for r in within if r.type in (ROLE, PROFILE)]


KEY = "aws-compute-platform:servers[].instanceProfile"  # a ServerArgs read alone is at no index


@pytest.mark.parametrize(
    ("profile", "key", "problem"),
    [
        ({"managedPolicyArns": ["AmazonSSMManagedInstanceCore"]}, "managedPolicyArns[0]", "managed policy ARN"),
        (
            {"managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]},
            "managedPolicyArns[0]",
            "whole account",
        ),
        (
            {"managedPolicyArns": [SSM_MANAGED_INSTANCE_CORE, SSM_MANAGED_INSTANCE_CORE]},
            "managedPolicyArns[1]",
            "more than once",
        ),
        ({"managedPolicyArns": []}, "managedPolicyArns", "at least 1"),
        (
            {"managedPolicyArns": [f"arn:aws:iam::123456789012:policy/p{i}" for i in range(11)]},
            "managedPolicyArns",
            "at most 10",
        ),
        ({"enabled": False, "managedPolicyArns": [READ_ONLY_S3]}, "managedPolicyArns", "only with enabled: true"),
        ({"enabled": "yes"}, "enabled", ""),
        ({"policies": []}, "policies", ""),
    ],
)
def test_a_bad_instance_profile_is_refused_with_its_key(profile: dict[str, Any], key: str, problem: str) -> None:
    with pytest.raises(SettingsError) as from_config:
        ServerArgs.from_config(server(instanceProfile=profile))
    (found,) = from_config.value.problems
    assert found.key == f"{KEY}.{key}"
    assert problem in found.problem
    # Built in Python, the same key (with `[]` for the list index it is not in).
    with pytest.raises(SettingsError) as built:
        InstanceProfileArgs(**profile)
    assert [p.key for p in built.value.problems] == [f"{KEY}.{key}"]


def test_the_default_is_session_manager_alone() -> None:
    args = ServerArgs.from_config(server())
    assert args.instance_profile.enabled
    assert args.instance_profile.managed_policy_arns == (SSM_MANAGED_INSTANCE_CORE,)
