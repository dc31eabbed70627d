"""Reading settings: every problem is reported at once, by its full key, and nothing unknown slips through."""

from __future__ import annotations

import pytest

from aws_compute_platform.config import SettingsError
from aws_compute_platform.settings import parse_settings

GOOD = {"owner": "platform-team", "costCenter": "cc-1234", "network": {"azCount": 2}}


def test_a_good_configuration_reads_with_defaults_filled_in() -> None:
    settings = parse_settings("aws-compute-platform", "dev", "eu-west-1", GOOD)
    assert settings.region == "eu-west-1"
    assert settings.protect_data is False
    assert settings.network.nat_gateways == "single"
    assert settings.name_prefix == "aws-compute-platform-dev"


def test_all_problems_are_reported_together_each_with_its_key() -> None:
    with pytest.raises(SettingsError) as failure:
        parse_settings(
            "aws-compute-platform",
            "dev",
            "mars-1",
            {"costCenter": 12, "protectData": "yes", "network": {"azCount": -1, "cidr": "10.0.0.0/16"}, "extra": 1},
        )
    assert sorted(failure.value.keys) == sorted(
        [
            "aws:region",
            "aws-compute-platform:owner",
            "aws-compute-platform:costCenter",
            "aws-compute-platform:protectData",
            "aws-compute-platform:network.azCount",
            "aws-compute-platform:extra",
        ]
    )
    message = str(failure.value)
    assert "6 problem(s)" in message
    assert "aws-compute-platform:network.azCount: must be at least 1 and at most 6 (got -1)" in message


def problems_of(config: dict[str, object]) -> dict[str, str]:
    with pytest.raises(SettingsError) as failure:
        parse_settings("aws-compute-platform", "dev", "us-east-1", {**GOOD, **config})
    return {p.key: p.problem for p in failure.value.problems}


def test_an_unknown_key_lists_every_known_one_of_its_section() -> None:
    found = problems_of({"network": {"azcount": 3}})
    assert found["aws-compute-platform:network.azcount"] == (
        "is not a known setting (known: azCount, cidr, logRetentionDays, natGateways)"
    )


def test_an_unknown_top_level_key_lists_every_setting_of_the_stack() -> None:
    problem = problems_of({"keypair": "mine"})["aws-compute-platform:keypair"]
    for key in ("servers", "wordpress", "beanstalk", "serverless", "lightsail", "logRetentionDays", "domain"):
        assert key in problem


def test_a_section_that_is_not_an_object_is_refused() -> None:
    assert problems_of({"network": ["10.0.0.0/16"]}) == {"aws-compute-platform:network": "must be an object"}


def test_world_open_cidrs_are_refused_where_they_are_not_allowed_each_under_its_index() -> None:
    found = problems_of({"wordpress": {"adminCidrs": ["203.0.113.0/24", "0.0.0.0/0", "::/0", "x"]}})
    assert sorted(found) == [
        "aws-compute-platform:wordpress.adminCidrs[1]",
        "aws-compute-platform:wordpress.adminCidrs[2]",
        "aws-compute-platform:wordpress.adminCidrs[3]",
    ]


def test_a_stack_that_requires_a_domain_refuses_to_build_without_one() -> None:
    with pytest.raises(SettingsError) as failure:
        parse_settings("aws-compute-platform", "prod", "us-east-1", {**GOOD, "requireDomain": True})
    [problem] = failure.value.problems
    assert problem.key == "aws-compute-platform:domain"
    assert "HTTPS" in problem.problem


def test_the_domain_is_a_zone_name_read_without_its_trailing_dot() -> None:
    settings = parse_settings("aws-compute-platform", "dev", "us-east-1", {**GOOD, "domain": "News.Example.org."})
    assert settings.domain == "news.example.org"
    with pytest.raises(SettingsError) as failure:
        parse_settings("aws-compute-platform", "dev", "us-east-1", {**GOOD, "domain": "https://example.org/"})
    assert failure.value.keys == ["aws-compute-platform:domain"]


@pytest.mark.parametrize(
    ("section", "extra"),
    [
        ("network", {}),
        ("serverless", {"enabled": True}),
        ("wordpress", {"enabled": True, "adminEmail": "webmaster@example.org", "publicInstances": True}),
    ],
)
def test_a_section_that_keeps_cloudwatch_logs_takes_only_a_period_cloudwatch_accepts(
    section: str, extra: dict[str, object]
) -> None:
    """PutRetentionPolicy refuses any other number of days: the mistake would surface only at `pulumi up`."""
    key = f"aws-compute-platform:{section}.logRetentionDays"
    found = problems_of({section: {**extra, "logRetentionDays": 10}})
    assert found[key].startswith("must be one of: 1, 3, 5, 7, 14, 30,"), found
    assert found[key].endswith(" or 3653"), found
    assert key not in problems_of({section: {**extra, "logRetentionDays": 14}, "owner": ""})
