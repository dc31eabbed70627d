"""Reading settings: every problem is reported at once, by its full key, and nothing unknown slips through."""

from __future__ import annotations

import pytest

from aws_compute_platform.config import Problems, Section, SettingsError
from aws_compute_platform.settings import parse_settings
from plan import run_program

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


def test_an_unknown_key_lists_the_known_ones() -> None:
    problems = Problems()
    section = Section("aws-compute-platform:network", {"azcount": 3}, problems)
    section.integer("azCount", 2)
    section.finish()
    assert problems.found[0].key == "aws-compute-platform:network.azcount"
    assert "known: azCount" in problems.found[0].problem


def test_a_section_that_is_not_an_object_is_refused() -> None:
    problems = Problems()
    Section("aws-compute-platform:network", ["10.0.0.0/16"], problems)
    assert problems.found[0].key == "aws-compute-platform:network"


def test_world_open_cidrs_are_refused_where_they_are_not_allowed() -> None:
    problems = Problems()
    section = Section(
        "aws-compute-platform:wordpress", {"adminCidrs": ["203.0.113.0/24", "0.0.0.0/0", "::/0", "x"]}, problems
    )
    assert section.cidr_list("adminCidrs", allow_world=False) == ["203.0.113.0/24"]
    assert [p.key for p in problems.found] == [
        "aws-compute-platform:wordpress.adminCidrs[1]",
        "aws-compute-platform:wordpress.adminCidrs[2]",
        "aws-compute-platform:wordpress.adminCidrs[3]",
    ]


def test_secret_values_are_handed_on_only_as_secret_outputs() -> None:
    seen: dict[str, bool] = {}

    async def program() -> None:
        problems = Problems()
        secret = Section("aws-compute-platform:x", {"password": "hunter2"}, problems).secret_text("password")
        assert secret is not None
        seen["is_secret"] = await secret.is_secret()

    run_program(program)
    assert seen == {"is_secret": True}


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
