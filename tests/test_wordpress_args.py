"""WordPressArgs: the same validation, under the same keys, whether the stack file or a team's Python builds it."""

from __future__ import annotations

from typing import Any

import pytest

from aws_compute_platform.config import SettingsError
from aws_compute_platform.settings import StackSettings
from aws_compute_platform.wordpress.args import CdnArgs, DatabaseArgs, LoadBalancerArgs, WordPressArgs

WORDPRESS = "aws-compute-platform:wordpress"


def problems_of(build: Any) -> list[tuple[str, str]]:
    with pytest.raises(SettingsError) as failure:
        build()
    return [(p.key, p.problem) for p in failure.value.problems]


@pytest.mark.parametrize(
    ("raw", "python", "key", "problem"),
    [
        ({"minSize": 5, "maxSize": 2}, {"min_size": 5, "max_size": 2}, "maxSize", "must be at least minSize (5)"),
        ({"minSize": 7}, {"min_size": 7}, "maxSize", "must be at least minSize (7)"),
        (
            {"minSize": 1, "maxSize": 2, "desiredCapacity": 3},
            {"min_size": 1, "max_size": 2, "desired_capacity": 3},
            "desiredCapacity",
            "must lie between minSize (1) and maxSize (2)",
        ),
        ({"maxSize": 101}, {"max_size": 101}, "maxSize", "must be at least 1 and at most 100"),
        (
            {"adminCidrs": ["10.0.0.0/8", "0.0.0.0/0"]},
            {"admin_cidrs": ["10.0.0.0/8", "0.0.0.0/0"]},
            "adminCidrs[1]",
            "whole internet",
        ),
        ({"instanceType": "t3.mega"}, {"instance_type": "t3.mega"}, "instanceType", "not a known EC2 instance type"),
        ({"scalingTarget": 150}, {"scaling_target": 150}, "scalingTarget", "CPU percentage"),
        ({"scalingMetric": "memory"}, {"scaling_metric": "memory"}, "scalingMetric", "one of"),
        (
            {"healthCheckGracePeriodSeconds": -1},
            {"health_check_grace_period_s": -1},
            "healthCheckGracePeriodSeconds",
            "at least 0",
        ),
        ({"wordpressVersion": "latest"}, {"wordpress_version": "latest"}, "wordpressVersion", "WordPress release"),
        (
            {"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"},
            {"certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/x"},
            "certificateArn",
            "was removed: the site's certificates are now made and validated in the stack's hosted zone. Set "
            "aws-compute-platform:domain",
        ),
        ({"certificateArn": ""}, {"certificate_arn": ""}, "certificateArn", "aws-compute-platform:domain"),
        ({"enabled": True}, {"enabled": True}, "adminEmail", "is required when enabled"),
        ({"adminUser": "admin"}, {"admin_user": "admin"}, "adminUser", "password-guessing"),
        ({"hostname": "WWW"}, {"hostname": "WWW"}, "hostname", "DNS labels"),
        ({"cdn": {"loginRateLimit": 5}}, None, "cdn.loginRateLimit", "at least 10"),
        ({"enabled": "yes"}, {"enabled": "yes"}, "enabled", "true or false"),
        (
            {"database": {"instanceClass": "db.t4g.mirco"}},
            None,
            "database.instanceClass",
            "db.t4g comes in micro, small, medium, large, xlarge, 2xlarge",
        ),
        (
            {"database": {"allocatedStorageGb": 200, "maxAllocatedStorageGb": 150}},
            None,
            "database.maxAllocatedStorageGb",
            "must be at least allocatedStorageGb (200)",
        ),
        ({"database": {"engineVersion": "5.7"}}, None, "database.engineVersion", "MySQL 8"),
        ({"loadBalancer": {"sslPolicy": "TLS13"}}, None, "loadBalancer.sslPolicy", "ELB security policy"),
        ({"loadBalancer": {"idleTimeoutSeconds": 0}}, None, "loadBalancer.idleTimeoutSeconds", "at least 1"),
    ],
)
def test_the_stack_file_and_python_are_refused_under_the_same_key(
    raw: dict[str, Any], python: dict[str, Any] | None, key: str, problem: str
) -> None:
    from_config = problems_of(lambda: WordPressArgs.from_config(raw))
    assert [k for k, _ in from_config] == [f"{WORDPRESS}.{key}"]
    assert problem in from_config[0][1]
    if python is None:
        # Nested sections built in Python name the same key through their own Args.
        nested = next(iter(raw))
        section = {"database": DatabaseArgs, "loadBalancer": LoadBalancerArgs, "cdn": CdnArgs}[nested]
        from_python = problems_of(lambda: section(**raw[nested]))
    else:
        from_python = problems_of(lambda: WordPressArgs(**python))
    assert from_python == from_config


def test_a_python_min_size_above_max_size_names_max_size() -> None:
    with pytest.raises(SettingsError) as failure:
        WordPressArgs(min_size=5, max_size=2)
    assert failure.value.keys == [f"{WORDPRESS}.maxSize"]


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(
        lambda: WordPressArgs.from_config(
            {"minSize": 5, "maxSize": 2, "rootVolumeGb": 4, "database": {"instanceClass": "db.t4g.mirco"}, "x": 1}
        )
    )
    assert sorted(k for k, _ in problems) == sorted(
        f"{WORDPRESS}.{k}" for k in ("maxSize", "rootVolumeGb", "database.instanceClass", "x")
    )


def test_an_unknown_key_lists_every_valid_key() -> None:
    [(key, problem)] = problems_of(lambda: WordPressArgs.from_config({"database": {"instanceClas": "db.t3.micro"}}))
    assert key == f"{WORDPRESS}.database.instanceClas"
    for valid in ("instanceClass", "allocatedStorageGb", "maxAllocatedStorageGb", "multiAz", "finalSnapshot"):
        assert valid in problem


def test_protect_built_in_python_protects_the_nested_sections_too() -> None:
    protected = WordPressArgs(protect=True)
    assert protected.database.protect and protected.load_balancer.protect
    assert protected.database.deletion_protection and protected.database.final_snapshot
    assert protected.load_balancer.deletion_protection and protected.content_backups
    # A section built on its own, without protect, still inherits it; one that chose its own keeps it.
    inherited = WordPressArgs(protect=True, database=DatabaseArgs(instance_class="db.t4g.small"))
    assert inherited.database.instance_class == "db.t4g.small"
    assert inherited.database.deletion_protection and inherited.database.final_snapshot
    chosen = WordPressArgs(
        protect=True, database=DatabaseArgs(protect=False), load_balancer={"deletionProtection": False}
    )
    assert not chosen.database.deletion_protection
    assert not chosen.load_balancer.deletion_protection and chosen.load_balancer.protect


def test_an_explicit_setting_wins_over_protect() -> None:
    args = WordPressArgs(protect=True, content_backups=False, database={"finalSnapshot": False})
    assert not args.content_backups and not args.database.final_snapshot
    assert args.database.deletion_protection


def test_derived_defaults_follow_the_values_they_depend_on() -> None:
    assert WordPressArgs(min_size=3).desired_capacity == 3
    assert DatabaseArgs(allocated_storage_gb=250).max_allocated_storage_gb == 250
    assert DatabaseArgs().max_allocated_storage_gb == 100
    assert WordPressArgs.from_config({"keyName": ""}).key_name is None
    assert WordPressArgs.from_config({"hostname": "@"}).hostname == ""


@pytest.mark.parametrize(("protect_data", "retention"), [(True, 90), (False, 14)])
def test_the_stack_wide_settings_reach_the_wordpress_section(protect_data: bool, retention: int) -> None:
    root = StackSettings.model_validate(
        {"owner": "team", "costCenter": "cc-1", "protectData": protect_data, "logRetentionDays": retention}
    )
    assert root.wordpress.protect is protect_data
    assert root.wordpress.log_retention_days == retention
    assert root.wordpress.database.final_snapshot is protect_data
    assert root.wordpress.load_balancer.deletion_protection is protect_data


def test_the_section_keeps_its_own_protect_over_the_stacks() -> None:
    root = StackSettings.model_validate(
        {"owner": "team", "costCenter": "cc-1", "protectData": True, "wordpress": {"protect": False}}
    )
    assert not root.wordpress.protect and not root.wordpress.database.deletion_protection
