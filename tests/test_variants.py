"""The safety checks are promises about any stack file, not about today's example.

A user's first edits are the ones the README's "Common tasks" show: add a server, turn a component off. Each variant
here is the shipped dev stack file with such an edit; the program is built from it and every safety check that the
shipped stacks pass is run on it too. (The whole suite stays green on such an edit after `python -m plan.regenerate`:
these checks are what would catch a component that is only safe in the shape the example happens to have.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from plan import Plan, load_stack_config
from tests import (
    test_boundary,
    test_costs,
    test_encryption,
    test_policy,
    test_policy_nag,
    test_program,
    test_security,
    test_server,
)
from tests.conftest import build_stack

NS = "aws-compute-platform"
SECOND_SERVER = {
    "name": "variant-extra",
    "image": {"ssmParameter": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"},
    "instanceType": "t3.small",
    "publicIp": "none",
    "terminationProtection": True,  # as the README's example: the policy pack asks it of every stand-alone instance
    "volumes": [{"device": "/dev/sdf", "sizeGb": 50}],
    "ports": [{"port": 22, "cidrs": ["10.20.0.0/16"]}],
}


def _dev(key: str) -> Any:
    _, config, _ = load_stack_config("dev")
    value = config.get(f"{NS}:{key}", "{}")
    return json.loads(value) if isinstance(value, str) else value  # the engine passes objects JSON-encoded


def _servers() -> list[dict[str, Any]]:
    _, config, _ = load_stack_config("dev")
    return list(json.loads(config.get(f"{NS}:servers") or "[]"))


def _second_server() -> dict[str, Any]:
    """One more server than the dev stack file has (whatever it has), under a name it does not use."""
    return {f"{NS}:servers": [*_servers(), SECOND_SERVER]}


def _without(component: str) -> Callable[[], dict[str, Any]]:
    return lambda: {f"{NS}:{component}": {**_dev(component), "enabled": False}}


VARIANTS: dict[str, Callable[[], dict[str, Any]]] = {
    "dev-with-a-second-server": _second_server,
    "dev-without-wordpress": _without("wordpress"),
}

# Every check below takes one plan and holds for any stack; each is also run on the shipped stacks where it is defined.
CHECKS: list[Callable[[Plan], None]] = [
    test_program.test_both_stacks_build_and_export_their_outputs,
    test_program.test_every_taggable_resource_carries_the_cost_allocation_tags,
    test_program.test_tags_name_the_stack_owner_and_cost_center,
    test_program.test_every_resource_belongs_to_a_component,
    test_security.test_every_log_group_is_encrypted_with_the_stack_key,
    test_security.test_every_log_group_keeps_logs_for_a_bounded_time,
    test_security.test_every_queue_is_encrypted_with_the_stack_key,
    test_security.test_every_table_is_encrypted_with_the_stack_key,
    test_security.test_no_inline_policy_grants_an_action_on_every_resource_where_aws_can_scope_it,
    test_security.test_no_policy_allows_every_action,
    test_security.test_every_instance_and_launch_template_requires_imdsv2,
    test_security.test_beanstalk_instances_refuse_imdsv1,
    test_security.test_no_database_is_reachable_from_the_internet,
    test_boundary.test_every_role_carries_the_boundary_the_stack_file_names,
    test_boundary.test_every_role_is_named_within_the_pattern_the_deploy_role_may_manage,
    test_encryption.test_rotation_is_on_in_every_stack,
    test_server.test_no_server_is_ever_reachable_on_port_22_from_the_internet,
    test_server.test_every_server_volume_is_encrypted_with_the_stack_key,
    test_server.test_every_server_requires_imdsv2_and_keeps_its_image_until_replaced_on_purpose,
    test_server.test_every_server_its_volumes_and_its_group_carry_cost_tags,
    test_costs.test_every_resource_type_of_the_shipped_stacks_is_priced_free_or_usage_based,
    test_policy.test_both_shipped_stacks_pass_every_rule,
    test_policy_nag.test_no_rule_fires_on_a_shipped_stack_without_a_recorded_reason,
]


@pytest.fixture(scope="session", params=sorted(VARIANTS))
def variant_plan(request: pytest.FixtureRequest) -> Plan:
    """The dev stack file with one of a user's first edits, built once per test process (`build_stack`)."""
    return build_stack("dev", VARIANTS[request.param]())


def test_the_variants_are_what_they_say(variant_plan: Plan) -> None:
    names = {r.name for r in variant_plan.of_type("acp:compute:Server")}
    if "aws-compute-platform-dev-variant-extra" in names:
        assert len(names) == len(_servers()) + 1
    else:
        assert variant_plan.of_type("acp:compute:WordPressFleet") == []


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("test_"))
def test_every_safety_check_holds_for_the_edited_stack(check: Callable[[Plan], None], variant_plan: Plan) -> None:
    check(variant_plan)
