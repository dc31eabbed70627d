"""The Lightsail section read with the whole stack: zones of the stack's region, protectData inherited."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from aws_compute_platform.config import SettingsError
from aws_compute_platform.lightsail.args import LightsailArgs, zone_problems
from aws_compute_platform.lightsail.launch_scripts import shipped_launch_script
from aws_compute_platform.lightsail.launch_settings import MARKER
from aws_compute_platform.lightsail.site import LightsailSite
from aws_compute_platform.settings import StackSettings, parse_settings
from plan import run_program

PROJECT = "aws-compute-platform"
LIGHTSAIL = f"{PROJECT}:lightsail"
GOOD: dict[str, Any] = {"owner": "platform-team", "costCenter": "cc-1234"}
BLOG = {"name": "blog", "blueprint": "ubuntu_24_04", "bundle": "nano_3_0", "ports": [{"port": 80}]}
DB = {"name": "blogdb", "blueprint": "mysql_8_0", "bundle": "micro_2_0"}


def settings_keys(config: dict[str, Any], region: str = "us-east-1") -> list[str]:
    with pytest.raises(SettingsError) as raised:
        parse_settings(PROJECT, "dev", region, GOOD | config)
    return raised.value.keys


def test_a_zone_outside_the_stacks_region_is_refused_with_its_key() -> None:
    lightsail = {
        "instances": [BLOG | {"availabilityZone": "us-west-2a"}],
        "databases": [DB | {"availabilityZone": "eu-west-1b"}],
    }
    keys = settings_keys({"lightsail": lightsail, "logRetentionDays": 13})
    # Reported with every other problem of the stack, each under its full key.
    assert keys == [
        f"{PROJECT}:logRetentionDays",
        f"{LIGHTSAIL}.instances[0].availabilityZone",
        f"{LIGHTSAIL}.databases[0].availabilityZone",
    ]
    ok = parse_settings(PROJECT, "dev", "us-west-2", GOOD | {"lightsail": {"instances": lightsail["instances"]}})
    assert ok.lightsail.instances[0].availability_zone == "us-west-2a"


def test_a_zone_is_checked_against_the_region_only_when_the_region_is_valid() -> None:
    keys = settings_keys({"lightsail": {"instances": [BLOG | {"availabilityZone": "us-west-2a"}]}}, region="")
    assert keys == ["aws:region"]


def test_protect_data_reaches_the_lightsail_section_unless_it_sets_its_own() -> None:
    site = {"instances": [BLOG], "databases": [DB]}
    protected = parse_settings(PROJECT, "prod", "us-east-1", GOOD | {"protectData": True, "lightsail": site})
    assert protected.lightsail.protect and protected.lightsail.snapshots
    unprotected = parse_settings(PROJECT, "dev", "us-east-1", GOOD | {"lightsail": site})
    assert not unprotected.lightsail.protect and not unprotected.lightsail.snapshots
    own = parse_settings(
        PROJECT, "prod", "us-east-1", GOOD | {"protectData": True, "lightsail": site | {"protect": False}}
    )
    assert not own.lightsail.protect


def test_backups_stay_on_under_the_stacks_protect_data() -> None:
    site = {"databases": [DB | {"backupRetention": False}], "autoSnapshots": False}
    keys = settings_keys({"protectData": True, "lightsail": site})
    assert keys == [f"{LIGHTSAIL}.databases[0].backupRetention", f"{LIGHTSAIL}.autoSnapshots"]


def test_an_empty_or_missing_section_is_a_site_with_nothing_in_it() -> None:
    configs: list[dict[str, Any]] = [{}, {"lightsail": None}, {"lightsail": {}}]
    for config in configs:
        settings = parse_settings(PROJECT, "dev", "us-east-1", GOOD | config)
        assert not settings.lightsail.enabled


def test_the_schema_of_the_section_lists_the_ids_and_launch_scripts_and_requires_ports() -> None:
    schema = StackSettings.model_json_schema(by_alias=True)
    instance = schema["$defs"]["LightsailInstanceArgs"]
    assert "ports" in instance["required"]
    assert "ubuntu_24_04" in instance["properties"]["blueprint"]["enum"]
    assert "nano_3_0" in instance["properties"]["bundle"]["enum"]
    assert "wordpress" in instance["properties"]["launchScript"]["anyOf"][0]["enum"]
    assert set(instance["properties"]) >= {"userData", "userDataFile", "launchScript", "availabilityZone"}


def test_zones_of_args_built_in_python_are_checked_the_same_way() -> None:
    """A program with its own settings can run the same region check on Args it built."""
    site = LightsailArgs(instances=[BLOG | {"availability_zone": "us-west-2a"}], databases=[DB])
    (problem,) = zone_problems(site, "us-east-1")
    assert problem.key == f"{LIGHTSAIL}.instances[0].availabilityZone"
    assert "us-east-1a" in problem.problem
    assert zone_problems(site, "us-west-2") == []


def test_the_site_builds_alone_from_args_made_in_python_with_plain_tags() -> None:
    """As docs/lightsail.md shows: no stack settings, a tag mapping of the program's own, the provider's region."""

    def program() -> None:
        args = LightsailArgs(
            instances=[
                {
                    "name": "blog",
                    "blueprint": "ubuntu_24_04",
                    "bundle": "nano_3_0",
                    "launch_script": "wordpress",
                    "ip_address_type": "ipv4",
                    "ports": [{"port": 22, "cidrs": ["203.0.113.0/24"]}, {"port": 80}, {"port": 443}],
                }
            ],
            databases=[{"name": "blogdb", "blueprint": "mysql_8_4", "bundle": "micro_2_0"}],
        )
        site = LightsailSite("blog", args, tags={"Owner": "web-team"})
        pulumi.export("urls", site.urls)

    plan = run_program(program, config={"aws:region": "eu-west-3"})
    (instance,) = plan.of_type("aws:lightsail/instance:Instance")
    assert instance.inputs["availabilityZone"] == "eu-west-3a"
    assert instance.inputs["tags"] == {"Owner": "web-team", "Name": "blog-blog", "Bundle": "nano_3_0"}
    assert instance.inputs["ipAddressType"] == "ipv4"
    # The shipped script with the instance's firewall written in, in place of its settings marker.
    shipped = shipped_launch_script("wordpress")
    head, tail = shipped.split(MARKER)
    assert instance.inputs["userData"].startswith(head) and instance.inputs["userData"].endswith(tail)
    assert "ufw allow proto tcp from 203.0.113.0/24 to any port 22\n" in instance.inputs["userData"]
    (database,) = plan.of_type("aws:lightsail/database:Database")
    assert database.inputs["availabilityZone"] == "eu-west-3a"
    assert plan.by_urn(instance.parent).type == "acp:lightsail:LightsailInstance"
    assert plan.by_urn(database.parent).type == "acp:lightsail:LightsailDatabase"
    assert set(plan.outputs["urls"]) == {"blog"}
