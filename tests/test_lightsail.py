"""LightsailSite: fixed-price instances reachable only on the ports the stack file lists, and databases whose
password exists only as a secret."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import dill  # type: ignore[import-untyped]
import pulumi
import pulumi_aws as aws
import pytest
from botocore.stub import Stubber
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret
from pydantic.alias_generators import to_snake

from aws_compute_platform.config import ConfigError, SettingsError
from aws_compute_platform.lightsail.args import LightsailArgs
from aws_compute_platform.lightsail.catalog import (
    DATABASE_BLUEPRINTS,
    DATABASE_BUNDLES,
    INSTANCE_BLUEPRINTS,
    INSTANCE_BUNDLES,
    end_of_life_notice,
    withdrawal_notice,
)
from aws_compute_platform.lightsail.database import SPECIAL_CHARACTERS
from aws_compute_platform.lightsail.instance import site_url
from aws_compute_platform.lightsail.launch_scripts import shipped_launch_scripts
from aws_compute_platform.lightsail.launch_settings import launch_script
from aws_compute_platform.lightsail.peering import DefaultVpcPeeringProvider
from plan import Plan, PlannedResource, run_stack
from plan.engine import ROOT
from tests.yaml_loader import load_yaml

LIGHTSAIL = "aws-compute-platform:lightsail"
INSTANCE = "aws:lightsail/instance:Instance"
STATIC_IP = "aws:lightsail/staticIp:StaticIp"
ATTACHMENT = "aws:lightsail/staticIpAttachment:StaticIpAttachment"
PORTS = "aws:lightsail/instancePublicPorts:InstancePublicPorts"
DATABASE = "aws:lightsail/database:Database"
PASSWORD = "random:index/randomPassword:RandomPassword"
PEERING = "pulumi-python:dynamic/lightsail:DefaultVpcPeering"
WORLD = {"0.0.0.0/0", "::/0"}
BOOT_SCRIPT = ROOT / "src" / "aws_compute_platform" / "lightsail" / "boot" / "wordpress.sh"
BITNAMI_BLUEPRINTS = {"wordpress", "lamp_8_bitnami", "nodejs", "nginx"}

# Two instances (one dualstack importing an SSH key, SSH from an IPv4 and an IPv6 admin network; one IPv4-only) and
# two databases (one on an engine version past its end of life), peered with the account's default VPC.
BIGGER_SITE: dict[str, Any] = {
    "instances": [
        {
            "name": "shop",
            "blueprint": "lamp_8_bitnami",
            "bundle": "small_3_0",
            "availabilityZone": "us-east-1b",
            "publicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample admin@example.org",
            "ports": [{"port": 22, "cidrs": ["198.51.100.0/24", "2001:db8::/32"]}, {"port": 443}],
        },
        {
            "name": "api",
            "blueprint": "ubuntu_24_04",
            "bundle": "micro_3_0",
            "keyPairName": "ops",
            "ipAddressType": "ipv4",
            "ports": [{"port": 8000, "toPort": 8010, "cidrs": ["198.51.100.0/24"]}],
        },
    ],
    "databases": [
        {"name": "shopdb", "blueprint": "mysql_8_0", "bundle": "small_2_0"},
        {"name": "apidb", "blueprint": "postgres_17", "bundle": "micro_ha_2_0", "masterUsername": "api"},
    ],
    "peerWithDefaultVpc": True,
}


def lightsail_args(raw: dict[str, Any], *, protect: bool = False) -> LightsailArgs:
    """The site read from a stack-file section, with `protect` as the stack's protectData hands it over."""
    return LightsailArgs.from_config({"protect": protect} | raw)


def snake_case(value: Any) -> Any:
    """A stack-file value as Python code spells it: `{"toPort": 80}` becomes `{"to_port": 80}`."""
    if isinstance(value, dict):
        return {to_snake(k): snake_case(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_case(v) for v in value]
    return value


def refused(raw: dict[str, Any], *, protect: bool = False) -> list[ConfigError]:
    """The problems of a stack-file section; built in Python from the same values, the same keys are named."""
    with pytest.raises(SettingsError) as from_config:
        lightsail_args(raw, protect=protect)
    with pytest.raises(SettingsError) as built:
        LightsailArgs(protect=protect, **snake_case(raw))
    assert built.value.keys == from_config.value.keys
    assert [p.problem for p in built.value.problems] == [p.problem for p in from_config.value.problems]
    return from_config.value.problems


def instance_raw(**overrides: Any) -> dict[str, Any]:
    """One valid instance, with some fields replaced."""
    instance = {"name": "blog", "blueprint": "ubuntu_24_04", "bundle": "nano_3_0", "ports": [{"port": 80}]}
    return {"instances": [instance | overrides]}


def port_set(ports: PlannedResource) -> set[tuple[str, int, int, frozenset[str], frozenset[str]]]:
    return {
        (
            p["protocol"],
            int(p["fromPort"]),
            int(p["toPort"]),
            frozenset(p.get("cidrs") or ()),
            frozenset(p.get("ipv6Cidrs") or ()),
        )
        for p in ports.inputs["portInfos"]
    }


@pytest.fixture(scope="module")
def bigger_run() -> tuple[Plan, mock.MagicMock]:
    """The prod stack (protectData: true) with a bigger Lightsail site, and every warning the program logged."""
    with mock.patch.object(pulumi.log, "warn") as warn:
        plan = run_stack("prod", {LIGHTSAIL: BIGGER_SITE})
    return plan, warn


@pytest.fixture(scope="module")
def bigger_plan(bigger_run: tuple[Plan, mock.MagicMock]) -> Plan:
    return bigger_run[0]


# -- the shipped stacks --------------------------------------------------------------------------------------------


def test_dev_ships_a_wordpress_site_on_the_smallest_bundle_with_a_mysql_database(dev_plan: Plan) -> None:
    (instance,) = dev_plan.of_type(INSTANCE)
    # An OS-only blueprint Lightsail itself provides; WordPress comes from the launch script.
    assert instance.inputs["blueprintId"] == "ubuntu_24_04"
    assert INSTANCE_BLUEPRINTS["ubuntu_24_04"].withdrawn is None
    # The shipped script, with this instance's firewall and (no domain in dev) no site name written in.
    config = load_yaml((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    (blog,) = lightsail_args(config[LIGHTSAIL]).instances
    assert instance.inputs["userData"] == launch_script(blog, None)
    assert "readonly SITE_NAME=''" in instance.inputs["userData"]
    cheapest = min(INSTANCE_BUNDLES, key=lambda b: INSTANCE_BUNDLES[b].monthly_usd)
    assert instance.inputs["bundleId"] == cheapest == "nano_3_0"
    # No zone named: the region's first.
    assert instance.inputs["availabilityZone"] == "us-east-1a"
    (database,) = dev_plan.of_type(DATABASE)
    # MySQL for WordPress, on the LTS version that is still supported (8.0 reached its end of life in April 2026).
    assert database.inputs["blueprintId"] == "mysql_8_4"
    assert DATABASE_BLUEPRINTS["mysql_8_4"].end_of_life is None
    assert database.inputs["bundleId"] == "micro_2_0"


def test_prod_ships_no_lightsail_resources(prod_plan: Plan) -> None:
    assert not [r for r in prod_plan if "lightsail" in r.type.lower()]
    assert "lightsailUrls" not in prod_plan.outputs


def test_every_id_in_the_stack_files_is_a_known_current_one() -> None:
    for stack in ("dev", "prod"):
        config = load_yaml((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        section = config.get(LIGHTSAIL) or {}
        for instance in section.get("instances", []):
            assert instance["blueprint"] in INSTANCE_BLUEPRINTS
            assert INSTANCE_BLUEPRINTS[instance["blueprint"]].withdrawn is None, instance["blueprint"]
            assert instance["bundle"] in INSTANCE_BUNDLES
        for database in section.get("databases", []):
            assert database["blueprint"] in DATABASE_BLUEPRINTS
            assert DATABASE_BLUEPRINTS[database["blueprint"]].end_of_life is None, database["blueprint"]
            assert database["bundle"] in DATABASE_BUNDLES


# -- static IPs ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["dev", "bigger"])
def test_each_instance_gets_its_own_static_ip_attached(which: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"{which}_plan")
    instances = plan.of_type(INSTANCE)
    assert instances
    static_ip_names = {ip.outputs["name"] for ip in plan.of_type(STATIC_IP)}
    attachments = plan.of_type(ATTACHMENT)
    attached = sorted(a.inputs["instanceName"] for a in attachments)
    assert attached == sorted(i.outputs["name"] for i in instances)
    # Every static IP is attached (an unattached one is billed), and none twice.
    assert sorted(a.inputs["staticIpName"] for a in attachments) == sorted(static_ip_names)


@pytest.mark.parametrize("which", ["dev", "bigger"])
def test_a_static_ip_attachment_is_deleted_before_it_is_replaced_and_follows_its_instance(
    which: str, request: pytest.FixtureRequest
) -> None:
    """The provider's delete is DetachStaticIp(staticIpName): made create-first, a replacement would attach the
    address to the new instance and then detach it from there. The instance's name is Pulumi's choice, so a
    replaced instance has a new name, and the attachment (instanceName forces a new one) is replaced with it."""
    plan: Plan = request.getfixturevalue(f"{which}_plan")
    instances = {i.outputs["name"]: i for i in plan.of_type(INSTANCE)}
    attachments = plan.of_type(ATTACHMENT)
    assert attachments and len(attachments) == len(instances)
    for attachment in attachments:
        assert attachment.delete_before_replace, attachment.name
        instance = instances[attachment.inputs["instanceName"]]
        assert attachment.property_dependencies["instanceName"] == [instance.urn]
        assert "name" not in instance.inputs  # auto-named: a replacement gets a new name


def test_the_outputs_give_each_instance_its_static_ip_and_url(dev_plan: Plan) -> None:
    (static_ip,) = dev_plan.of_type(STATIC_IP)
    address = static_ip.outputs["ipAddress"]
    assert dev_plan.outputs["lightsailStaticIps"] == {"blog": address}
    assert dev_plan.outputs["lightsailUrls"] == {"blog": f"http://{address}/"}
    (database,) = dev_plan.of_type(DATABASE)
    endpoint = f"{database.outputs['masterEndpointAddress']}:{database.outputs['masterEndpointPort']}"
    assert dev_plan.outputs["lightsailDatabaseEndpoints"] == {"blogdb": endpoint}


def test_the_url_is_https_only_when_port_80_is_closed() -> None:
    args = lightsail_args(instance_raw(ports=[{"port": 443}]))
    assert site_url("192.0.2.1", args.instances[0].port_rules) == "https://192.0.2.1/"
    args = lightsail_args(instance_raw(ports=[{"port": 80}, {"port": 443}]))
    assert site_url("192.0.2.1", args.instances[0].port_rules) == "http://192.0.2.1/"


# -- public ports --------------------------------------------------------------------------------------------------


def test_dev_public_ports_are_exactly_the_configured_ones(dev_plan: Plan) -> None:
    (instance,) = dev_plan.of_type(INSTANCE)
    (ports,) = dev_plan.of_type(PORTS)
    assert ports.inputs["instanceName"] == instance.outputs["name"]
    assert port_set(ports) == {
        ("tcp", 22, 22, frozenset({"203.0.113.0/24"}), frozenset({"2001:db8::/32"})),
        ("tcp", 80, 80, frozenset({"0.0.0.0/0"}), frozenset({"::/0"})),
        ("tcp", 443, 443, frozenset({"0.0.0.0/0"}), frozenset({"::/0"})),
    }


def test_ipv4_and_ipv6_sources_go_to_their_own_lists(bigger_plan: Plan) -> None:
    shop = next(p for p in bigger_plan.of_type(PORTS) if "-shop-" in p.name)
    assert port_set(shop) == {
        ("tcp", 22, 22, frozenset({"198.51.100.0/24"}), frozenset({"2001:db8::/32"})),
        ("tcp", 443, 443, frozenset({"0.0.0.0/0"}), frozenset({"::/0"})),
    }
    api = next(p for p in bigger_plan.of_type(PORTS) if "-api-" in p.name)
    assert port_set(api) == {("tcp", 8000, 8010, frozenset({"198.51.100.0/24"}), frozenset())}


def test_every_port_rule_sets_both_cidr_lists(dev_plan: Plan, bigger_plan: Plan) -> None:
    for plan in (dev_plan, bigger_plan):
        for ports in plan.of_type(PORTS):
            assert all("cidrs" in p and "ipv6Cidrs" in p for p in ports.inputs["portInfos"])


def instances_and_ports(plan: Plan) -> list[tuple[PlannedResource, PlannedResource]]:
    """Each instance with its public ports resource."""
    ports = {p.inputs["instanceName"]: p for p in plan.of_type(PORTS)}
    return [(i, ports[i.outputs["name"]]) for i in plan.of_type(INSTANCE)]


@pytest.mark.parametrize("which", ["dev", "bigger"])
def test_every_instance_sets_its_ip_address_type_and_no_rule_leaves_a_family_to_lightsail(
    which: str, request: pytest.FixtureRequest
) -> None:
    """The provider drops an empty source list, and Lightsail opens a family with no sources to everyone: on a
    dualstack instance every rule names both families, on an ipv4 one no rule names IPv6."""
    plan: Plan = request.getfixturevalue(f"{which}_plan")
    pairs = instances_and_ports(plan)
    assert pairs
    for instance, ports in pairs:
        address_type = instance.inputs["ipAddressType"]
        assert address_type in ("dualstack", "ipv4")
        for rule in ports.inputs["portInfos"]:
            assert rule["cidrs"], (instance.name, rule)
            if address_type == "dualstack":
                assert rule["ipv6Cidrs"], (instance.name, rule)
            else:
                assert rule["ipv6Cidrs"] == [] or rule["ipv6Cidrs"] == ["::/0"], (instance.name, rule)


def test_the_bigger_site_covers_both_address_types(bigger_plan: Plan) -> None:
    types = {i.name.rsplit("-", 1)[-1]: i.inputs["ipAddressType"] for i in bigger_plan.of_type(INSTANCE)}
    assert types == {"shop": "dualstack", "api": "ipv4"}


@pytest.mark.parametrize(
    ("address_type", "cidrs", "problem"),
    [
        ("dualstack", ["198.51.100.0/24"], "names no IPv6 network"),
        ("dualstack", ["2001:db8::/32"], "names no IPv4 network"),
        ("dualstack", ["0.0.0.0/0"], "names no IPv6 network"),
        ("ipv4", ["198.51.100.0/24", "2001:db8::/32"], "ipAddressType is ipv4"),
    ],
)
def test_a_rule_that_would_leave_one_family_open_to_everyone_is_refused(
    address_type: str, cidrs: list[str], problem: str
) -> None:
    problems = refused(instance_raw(ipAddressType=address_type, ports=[{"port": 80}, {"port": 8080, "cidrs": cidrs}]))
    assert [p.key for p in problems] == [f"{LIGHTSAIL}.instances[0].ports[1].cidrs"]
    assert problem in problems[0].problem


@pytest.mark.parametrize(
    ("address_type", "cidrs"),
    [("dualstack", ["198.51.100.0/24", "2001:db8::/32"]), ("ipv4", ["198.51.100.0/24"]), ("dualstack", None)],
)
def test_rules_naming_exactly_the_instances_families_are_accepted(address_type: str, cidrs: list[str] | None) -> None:
    rule: dict[str, Any] = {"port": 8080} if cidrs is None else {"port": 8080, "cidrs": cidrs}
    args = lightsail_args(instance_raw(ipAddressType=address_type, ports=[rule]))
    (instance,) = args.instances
    assert instance.ip_address_type == address_type
    assert instance.port_rules[0].ipv4_cidrs
    assert bool(instance.port_rules[0].ipv6_cidrs) == (address_type == "dualstack")


def test_the_ip_address_type_defaults_to_dualstack_and_is_a_choice() -> None:
    assert lightsail_args(instance_raw(ports=[{"port": 80}])).instances[0].ip_address_type == "dualstack"
    problems = refused(instance_raw(ipAddressType="ipv6"))
    assert [p.key for p in problems] == [f"{LIGHTSAIL}.instances[0].ipAddressType"]


def test_public_ports_are_deleted_before_they_are_replaced(dev_plan: Plan, bigger_plan: Plan) -> None:
    """A replacement made before the old rules are deleted would end with every port closed."""
    ports = dev_plan.of_type(PORTS) + bigger_plan.of_type(PORTS)
    assert len(ports) == 3
    assert all(p.delete_before_replace for p in ports)


def test_port_22_is_never_open_to_the_internet(dev_plan: Plan, bigger_plan: Plan) -> None:
    ssh_rules = [
        p
        for plan in (dev_plan, bigger_plan)
        for ports in plan.of_type(PORTS)
        for p in ports.inputs["portInfos"]
        if p["protocol"] in ("tcp", "all") and p["fromPort"] <= 22 <= p["toPort"]
    ]
    assert len(ssh_rules) == 2
    for rule in ssh_rules:
        sources = set(rule["cidrs"]) | set(rule["ipv6Cidrs"])
        assert sources and not sources & WORLD


@pytest.mark.parametrize(
    ("port", "problem"),
    [
        ({"port": 22}, "is required for port 22"),
        ({"port": 22, "cidrs": ["0.0.0.0/0"]}, "must not open port 22"),
        ({"port": 22, "cidrs": ["203.0.113.0/24", "::/0"]}, "must not open port 22"),
        ({"port": 20, "toPort": 25}, "is required for port 22"),
        ({"port": 22, "cidrs": []}, "at least one CIDR"),
    ],
)
def test_ssh_from_the_internet_is_refused(port: dict[str, Any], problem: str) -> None:
    problems = refused(instance_raw(ports=[port]))
    assert [p.key for p in problems] == [f"{LIGHTSAIL}.instances[0].ports[0].cidrs"]
    assert problem in problems[0].problem


def test_udp_22_without_cidrs_is_not_ssh() -> None:
    args = lightsail_args(instance_raw(ports=[{"port": 22, "protocol": "udp"}]))
    assert args.instances[0].port_rules[0].world_open


def test_an_instance_without_a_port_list_is_refused() -> None:
    """Lightsail's own defaults open 22 to everyone, so the list is required."""
    raw = {"instances": [{"name": "blog", "blueprint": "ubuntu_24_04", "bundle": "nano_3_0"}]}
    problems = refused(raw)
    assert [p.key for p in problems] == [f"{LIGHTSAIL}.instances[0].ports"]
    assert "Lightsail's defaults open 22" in problems[0].problem
    problems = refused(instance_raw(ports=[]))
    assert "at least one port" in problems[0].problem


# -- databases -----------------------------------------------------------------------------------------------------


def test_databases_are_not_publicly_accessible(dev_plan: Plan, bigger_plan: Plan) -> None:
    databases = dev_plan.of_type(DATABASE) + bigger_plan.of_type(DATABASE)
    assert len(databases) == 3
    assert all(d.inputs["publiclyAccessible"] is False for d in databases)


def test_a_database_takes_the_engine_bundle_and_required_name(bigger_plan: Plan) -> None:
    shop = next(d for d in bigger_plan.of_type(DATABASE) if d.name.endswith("-shopdb"))
    shop_instance = next(i for i in bigger_plan.of_type(INSTANCE) if i.name.endswith("-shop"))
    assert shop_instance.inputs["availabilityZone"] == "us-east-1b"
    assert shop.inputs["blueprintId"] == "mysql_8_0"
    assert shop.inputs["bundleId"] == "small_2_0"
    assert shop.inputs["relationalDatabaseName"] == "aws-compute-platform-prod-lightsail-shopdb"
    assert shop.inputs["masterDatabaseName"] == "shopdb"
    api = next(d for d in bigger_plan.of_type(DATABASE) if d.name.endswith("-apidb"))
    assert (api.inputs["blueprintId"], api.inputs["masterUsername"]) == ("postgres_17", "api")


def passwords(plan: Plan) -> dict[str, str]:
    """Each password generated for a Lightsail database, by resource name, as the provider would return it."""
    return {p.name: p.outputs["result"] for p in lightsail_generators(plan)}


def lightsail_generators(plan: Plan) -> list[PlannedResource]:
    """The password generators of the Lightsail site (other components generate their own secrets)."""
    return [p for p in plan.of_type(PASSWORD) if p.name.endswith("-master-password")]


def plain_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a value that is not inside a secret, with where it is."""
    if is_rpc_secret(value):
        return
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from plain_strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from plain_strings(v, f"{path}.{i}")


@pytest.mark.parametrize("which", ["dev", "bigger"])
def test_the_master_password_is_the_generated_one_and_arrives_as_a_secret(
    which: str, request: pytest.FixtureRequest
) -> None:
    plan: Plan = request.getfixturevalue(f"{which}_plan")
    generated = passwords(plan)
    databases = plan.of_type(DATABASE)
    assert databases and len(generated) == len(databases)
    for database in databases:
        given = database.inputs["masterPassword"]
        assert is_rpc_secret(given), f"{database.name}: the password reached the engine in plain text"
        assert unwrap_rpc_secret(given) == generated[f"{database.name}-master-password"]


@pytest.mark.parametrize("which", ["dev", "bigger"])
def test_no_password_is_in_plain_text_in_any_input_or_output(which: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"{which}_plan")
    secrets = set(passwords(plan).values())
    assert secrets
    leaks = [
        f"{r.type} {r.name} input{path}"
        for r in plan
        for path, text in plain_strings(r.inputs)
        if any(s in text for s in secrets)
    ]
    leaks += [f"output {path}" for path, text in plain_strings(plan.outputs) if any(s in text for s in secrets)]
    assert not leaks


def test_the_password_generator_never_uses_characters_lightsail_refuses(dev_plan: Plan) -> None:
    (generator,) = lightsail_generators(dev_plan)
    assert generator.inputs["special"] is True
    assert generator.inputs["overrideSpecial"] == SPECIAL_CHARACTERS
    assert not set(SPECIAL_CHARACTERS) & set('/"@')
    assert 8 <= generator.inputs["length"] <= 41  # MySQL's limit; PostgreSQL allows up to 128
    assert not set(next(iter(passwords(dev_plan).values()))) & set('/"@')


# -- data protection -----------------------------------------------------------------------------------------------


def test_dev_skips_the_final_snapshot_and_protects_nothing(dev_plan: Plan) -> None:
    (database,) = dev_plan.of_type(DATABASE)
    assert database.inputs["skipFinalSnapshot"] is True
    assert "finalSnapshotName" not in database.inputs
    assert database.inputs["backupRetentionEnabled"] is True
    (instance,) = dev_plan.of_type(INSTANCE)
    assert "addOn" not in instance.inputs
    assert not instance.protect and not database.protect


def test_with_protect_data_instances_snapshot_daily_and_databases_keep_a_final_snapshot(bigger_plan: Plan) -> None:
    instances = bigger_plan.of_type(INSTANCE)
    assert len(instances) == 2
    for instance in instances:
        assert instance.inputs["addOn"] == {"type": "AutoSnapshot", "snapshotTime": "06:00", "status": "Enabled"}
        assert instance.protect
    for database in bigger_plan.of_type(DATABASE):
        assert database.inputs["skipFinalSnapshot"] is False
        assert database.inputs["finalSnapshotName"] == f"{database.name}-final"
        assert database.protect


def test_backups_cannot_be_turned_off_while_data_is_protected() -> None:
    raw = {"databases": [{"name": "db", "blueprint": "mysql_8_0", "bundle": "micro_2_0", "backupRetention": False}]}
    problems = refused(raw, protect=True)
    assert [p.key for p in problems] == [f"{LIGHTSAIL}.databases[0].backupRetention"]
    args = lightsail_args(raw, protect=False)
    assert args.databases[0].backup_retention is False


def test_instance_snapshots_cannot_be_turned_off_while_data_is_protected() -> None:
    problems = refused(instance_raw() | {"autoSnapshots": False}, protect=True)
    assert [p.key for p in problems] == [f"{LIGHTSAIL}.autoSnapshots"]
    args = lightsail_args(instance_raw() | {"autoSnapshots": True, "snapshotTime": "23:00"})
    assert (args.snapshots, args.snapshot_time) == (True, "23:00")
    # Left out, snapshots follow protectData.
    assert lightsail_args(instance_raw(), protect=True).snapshots
    assert not lightsail_args(instance_raw(), protect=False).snapshots


# -- key pairs -----------------------------------------------------------------------------------------------------


def test_a_public_key_is_imported_and_no_private_key_is_generated(bigger_plan: Plan) -> None:
    (key_pair,) = bigger_plan.of_type("aws:lightsail/keyPair:KeyPair")
    assert key_pair.inputs["publicKey"].startswith("ssh-ed25519 ")
    assert "pgpKey" not in key_pair.inputs
    by_name = {i.name.rsplit("-", 1)[-1]: i for i in bigger_plan.of_type(INSTANCE)}
    assert by_name["shop"].inputs["keyPairName"] == key_pair.outputs["name"]
    assert by_name["api"].inputs["keyPairName"] == "ops"


def test_an_existing_key_pair_and_a_public_key_together_are_refused() -> None:
    problems = refused(instance_raw(keyPairName="ops", publicKey="ssh-ed25519 AAAA x"))
    assert [p.key for p in problems] == [f"{LIGHTSAIL}.instances[0].publicKey"]


# -- validation ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key", "listed"),
    [
        (instance_raw(bundle="nano_2_0"), "instances[0].bundle", "nano_3_0"),
        (instance_raw(blueprint="amazon_linux_2"), "instances[0].blueprint", "amazon_linux_2023"),
        (
            {"databases": [{"name": "db", "blueprint": "mysql_8_0", "bundle": "micro_1_0"}]},
            "databases[0].bundle",
            "micro_2_0",
        ),
        (
            {"databases": [{"name": "db", "blueprint": "postgres_12", "bundle": "micro_2_0"}]},
            "databases[0].blueprint",
            "postgres_17",
        ),
    ],
)
def test_a_legacy_or_unknown_id_is_refused_with_the_valid_choices_listed(
    raw: dict[str, Any], key: str, listed: str
) -> None:
    problems = refused(raw)
    assert [p.key for p in problems] == [f"{LIGHTSAIL}.{key}"]
    assert listed in problems[0].problem


def test_the_catalog_holds_no_legacy_ids_and_says_where_each_fact_comes_from() -> None:
    assert not [b for b in INSTANCE_BUNDLES if b.endswith("_2_0") or b.endswith("_1_0")]
    assert "micro_1_0" not in DATABASE_BUNDLES
    assert not {"nano_2_0", "amazon_linux_2", "ubuntu_20_04", "postgres_12"} & (
        set(INSTANCE_BUNDLES) | set(INSTANCE_BLUEPRINTS) | set(DATABASE_BLUEPRINTS)
    )
    facts = [*INSTANCE_BUNDLES.values(), *DATABASE_BUNDLES.values()]
    facts += [*INSTANCE_BLUEPRINTS.values(), *DATABASE_BLUEPRINTS.values()]  # type: ignore[list-item]
    assert all(f.source and f.checked for f in facts)
    # High-availability database plans cost twice the standard ones.
    for bundle, plan in DATABASE_BUNDLES.items():
        if "_ha_" in bundle:
            assert plan.monthly_usd == 2 * DATABASE_BUNDLES[bundle.replace("_ha_", "_")].monthly_usd


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (instance_raw(availabilityZone="east"), "instances[0].availabilityZone"),
        (instance_raw(name="Blog_1"), "instances[0].name"),
        (instance_raw(colour="blue"), "instances[0].colour"),
        (instance_raw(ports=[{"port": 80, "toPort": 79}]), "instances[0].ports[0].toPort"),
        (
            {"databases": [{"name": "db", "blueprint": "mysql_8_0", "bundle": "micro_2_0", "masterUsername": "1x"}]},
            "databases[0].masterUsername",
        ),
        ({"snapshotTime": "06:30"}, "snapshotTime"),
        ({"instance": []}, "instance"),
    ],
)
def test_bad_lightsail_settings_are_refused_with_the_key_named(raw: dict[str, Any], key: str) -> None:
    assert f"{LIGHTSAIL}.{key}" in [p.key for p in refused(raw)]


def test_duplicate_names_are_refused() -> None:
    site = instance_raw()
    site["instances"] = site["instances"] * 2
    assert [p.key for p in refused(site)] == [f"{LIGHTSAIL}.instances"]


def test_the_fixed_monthly_price_is_the_sum_of_the_bundles() -> None:
    dev = load_yaml((ROOT / "Pulumi.dev.yaml").read_text())["config"][LIGHTSAIL]
    args = lightsail_args(dev)
    assert args.monthly_usd == 5.0 + 15.0
    bigger = lightsail_args(BIGGER_SITE, protect=True)
    assert bigger.monthly_usd == 12.0 + 7.0 + 30.0 + 30.0


# -- withdrawn blueprints -----------------------------------------------------------------------------------------


def test_mysql_8_0_is_marked_past_its_end_of_life_and_the_current_ones_are_not() -> None:
    past = {b for b, blueprint in DATABASE_BLUEPRINTS.items() if blueprint.end_of_life is not None}
    assert past == {"mysql_8_0"}
    end = DATABASE_BLUEPRINTS["mysql_8_0"].end_of_life
    assert end is not None and end.date == "2026-04-30" and "mysql_8_4" in end.alternative
    assert "mysql_8_4" in DATABASE_BLUEPRINTS
    for blueprint in set(DATABASE_BLUEPRINTS) - past:
        assert end_of_life_notice(blueprint) is None


def test_a_database_past_its_end_of_life_is_warned_about_and_a_current_one_is_not(
    bigger_run: tuple[Plan, mock.MagicMock],
) -> None:
    _, warn = bigger_run
    (call,) = [c for c in warn.call_args_list if "Lightsail database" in str(c.args[0])]
    message = call.args[0]
    for expected in ("'shopdb'", "'mysql_8_0'", "end of life", "2026-04-30", "mysql_8_4", "update-relational-database"):
        assert expected in message
    resource = call.kwargs["resource"]
    assert isinstance(resource, aws.lightsail.Database)
    assert resource._name.endswith("-shopdb")


def test_every_bitnami_application_blueprint_is_marked_withdrawn_and_no_os_blueprint_is() -> None:
    withdrawn = {b for b, blueprint in INSTANCE_BLUEPRINTS.items() if blueprint.withdrawn is not None}
    assert withdrawn == BITNAMI_BLUEPRINTS
    for blueprint in withdrawn:
        withdrawal = INSTANCE_BLUEPRINTS[blueprint].withdrawn
        assert withdrawal is not None
        assert withdrawal.date == "2026-06-10"
        assert "bitnami/vms#1906" in withdrawal.source
        assert "ubuntu_24_04" in withdrawal.alternative
        # The alternative it names is the launch script the library ships.
        assert "launchScript: wordpress" in withdrawal.alternative
        assert "wordpress" in shipped_launch_scripts()
    for blueprint in set(INSTANCE_BLUEPRINTS) - withdrawn:
        assert withdrawal_notice(blueprint) is None


def test_settings_still_accept_a_withdrawn_blueprint() -> None:
    """An account that still lists the blueprint may use it; the program warns instead of refusing."""
    args = lightsail_args(instance_raw(blueprint="wordpress"))
    assert args.instances[0].blueprint == "wordpress"


def test_an_instance_on_a_withdrawn_blueprint_is_warned_about_and_an_os_blueprint_is_not(
    bigger_run: tuple[Plan, mock.MagicMock],
) -> None:
    _, warn = bigger_run
    lightsail_warnings = [c for c in warn.call_args_list if "Lightsail instance" in str(c.args[0])]
    # `shop` is on lamp_8_bitnami; `api` is on ubuntu_24_04 and gets no warning.
    (call,) = lightsail_warnings
    message = call.args[0]
    for expected in ("'shop'", "'lamp_8_bitnami'", "withdrawn", "2026-06-10", "bitnami/vms#1906", "ubuntu_24_04"):
        assert expected in message
    # The warning is attached to the instance, so `pulumi up` shows it next to that resource.
    resource = call.kwargs["resource"]
    assert isinstance(resource, aws.lightsail.Instance)
    assert resource._name.endswith("-shop")


# -- the WordPress launch script ----------------------------------------------------------------------------------


def test_the_boot_script_is_valid_bash() -> None:
    result = subprocess.run(["bash", "-n", str(BOOT_SCRIPT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("site_name", [None, "blog.example.org"])
def test_the_boot_script_passes_shellcheck(site_name: str | None, tmp_path: Path) -> None:
    """As Lightsail receives it: with the instance's settings written in, with and without a site name."""
    (blog,) = lightsail_args(instance_raw(launchScript="wordpress")).instances
    rendered = tmp_path / "wordpress.sh"
    rendered.write_text(launch_script(blog, site_name) or "", encoding="utf-8")
    shellcheck = Path(sys.executable).parent / "shellcheck"
    result = subprocess.run([str(shellcheck), str(rendered)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def commands(script: str) -> list[str]:
    """The script's lines that do something: no blank lines, no comments."""
    return [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_the_boot_script_stops_at_the_first_error() -> None:
    script = BOOT_SCRIPT.read_text(encoding="utf-8")
    assert script.startswith("#!/bin/bash\n")
    assert commands(script)[0] == "set -euo pipefail"


def test_the_boot_script_verifies_the_download_against_wordpress_orgs_checksum() -> None:
    script = BOOT_SCRIPT.read_text(encoding="utf-8")
    assert "readonly DOWNLOAD=https://wordpress.org/latest.tar.gz" in script
    assert '"$DOWNLOAD.sha1"' in script and "sha1sum" in script
    # The archive is unpacked only after the comparison.
    assert script.index('$actual == "$expected"') < script.index("tar -xzf")
    assert "chown -R www-data:www-data" in script
    assert "php-mysql" in script and "apache2" in script


FAKE_CURL = """#!/bin/bash
# Answers the two wordpress.org URLs from files, as curl -fsSL [-o FILE] URL would.
out=""
while [[ $# -gt 1 ]]; do
    if [[ $1 == -o ]]; then out=$2; shift; fi
    shift
done
case $1 in
    https://wordpress.org/latest.tar.gz.sha1) printf '%s' "$PUBLISHED_SHA1" ;;
    https://wordpress.org/latest.tar.gz) cp "$ARCHIVE" "$out" ;;
    *) exit 22 ;;
esac
"""


def run_download_step(tmp_path: Path, published: Callable[[str], str]) -> subprocess.CompletedProcess[str]:
    """The launch script's download-and-verify step, run against a local archive instead of wordpress.org."""
    script = BOOT_SCRIPT.read_text(encoding="utf-8")
    step = script[script.index("verified=no") : script.index("\nmkdir -p")]
    archive = tmp_path / "latest.tar.gz"
    archive.write_bytes(b"not really WordPress")
    real = hashlib.sha1(archive.read_bytes(), usedforsecurity=False).hexdigest()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (("curl", FAKE_CURL), ("sleep", "#!/bin/sh\n")):
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    (tmp_path / "work").mkdir()
    harness = "\n".join(
        [
            "set -euo pipefail",
            "readonly DOWNLOAD=https://wordpress.org/latest.tar.gz",
            f"workdir={tmp_path / 'work'}",
            step,
            'echo "verified $(sha1sum "$workdir/wordpress.tar.gz" | cut -d " " -f 1)"',
        ]
    )
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "ARCHIVE": str(archive), "PUBLISHED_SHA1": published(real)}
    return subprocess.run(["bash", "-c", harness], capture_output=True, text=True, env=env, check=False)


def test_the_download_is_kept_only_when_it_matches_the_published_sha1(tmp_path: Path) -> None:
    result = run_download_step(tmp_path, lambda real: real)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("verified ")


@pytest.mark.parametrize(
    "published",
    [
        lambda real: "0" * 40,  # a different archive
        lambda real: "<html>Not Found</html>",  # an error page instead of a digest
        lambda real: "",  # nothing at all
    ],
)
def test_a_download_that_does_not_match_the_published_sha1_stops_the_script(
    tmp_path: Path, published: Callable[[str], str]
) -> None:
    result = run_download_step(tmp_path, published)
    assert result.returncode == 1
    assert "verified" not in result.stdout
    assert result.stderr.count("attempt ") == 3
    assert "never matched the published checksum" in result.stderr


def test_the_boot_script_holds_no_secret_and_writes_no_database_settings(dev_plan: Plan) -> None:
    script = BOOT_SCRIPT.read_text(encoding="utf-8")
    # No literal value assigned to anything named like a secret (values computed on the instance start with $).
    assert not re.findall(r"(?i)\b\w*(password|passwd|secret|token)\w*=[^$\s]", script)
    assert not re.findall(r"[A-Za-z0-9+/]{32,}", script)
    # The setup wizard, not the script, writes wp-config.php with the database settings.
    assert "DB_PASSWORD" not in script
    assert not [line for line in commands(script) if "wp-config" in line]
    for generated in passwords(dev_plan).values():
        assert generated not in script
    (instance,) = dev_plan.of_type(INSTANCE)
    assert not is_rpc_secret(instance.inputs["userData"])  # nothing in it needs hiding


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("src/aws_compute_platform/lightsail/boot/missing.sh", "names no file"),
        ("../outside.sh", "inside the project"),
        ("/etc/hostname", "relative to the project"),
    ],
)
def test_a_bad_user_data_file_is_refused(path: str, problem: str) -> None:
    problems = refused(instance_raw(userDataFile=path))
    assert [p.key for p in problems] == [f"{LIGHTSAIL}.instances[0].userDataFile"]
    assert problem in problems[0].problem


def test_user_data_and_a_user_data_file_together_are_refused() -> None:
    problems = refused(instance_raw(userData="echo hi", userDataFile=str(BOOT_SCRIPT.relative_to(ROOT))))
    assert [p.key for p in problems] == [f"{LIGHTSAIL}.instances[0].userDataFile"]


# -- VPC peering ---------------------------------------------------------------------------------------------------


def test_peering_is_off_unless_asked_and_then_a_child_of_the_site(dev_plan: Plan, bigger_plan: Plan) -> None:
    assert dev_plan.of_type(PEERING) == []
    plan = bigger_plan  # which asks for it
    (peering,) = plan.of_type(PEERING)
    assert peering.inputs["region"] == "us-east-1"
    assert plan.by_urn(peering.parent).type == "acp:lightsail:LightsailSite"
    # The serialized provider is kept as a secret, like any dynamic provider, and loads back as the provider
    # that talks to AWS itself (no test client baked in).
    assert is_rpc_secret(peering.inputs["__provider"])
    provider = dill.loads(base64.b64decode(unwrap_rpc_secret(peering.inputs["__provider"])))
    assert isinstance(provider, DefaultVpcPeeringProvider)
    assert provider._client_factory is None


def stubbed(*calls: tuple[str, dict[str, Any]]) -> tuple[DefaultVpcPeeringProvider, Stubber]:
    client = boto3.client(
        "lightsail", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    stubber = Stubber(client)
    for method, response in calls:
        stubber.add_response(method, response, {})
    stubber.activate()
    regions: list[str] = []

    def factory(region: str) -> Any:
        regions.append(region)
        assert region == "us-east-1"
        return client

    return DefaultVpcPeeringProvider(client_factory=factory), stubber


OPERATION = {"operation": {"id": "op-1", "operationType": "PeerVpc", "status": "Succeeded", "isTerminal": True}}


def test_creating_the_peering_calls_peer_vpc_when_not_yet_peered() -> None:
    provider, stubber = stubbed(("is_vpc_peered", {"isPeered": False}), ("peer_vpc", OPERATION))
    result = provider.create({"region": "us-east-1"})
    stubber.assert_no_pending_responses()
    assert result.id == "lightsail-default-vpc-us-east-1"
    assert result.outs == {"region": "us-east-1", "peered": True, "createdPeering": True, "operationId": "op-1"}


def test_an_existing_peering_is_adopted_and_left_in_place_on_delete() -> None:
    # Only is_vpc_peered is stubbed: a call to peer_vpc or unpeer_vpc would fail the test.
    provider, stubber = stubbed(("is_vpc_peered", {"isPeered": True}))
    result = provider.create({"region": "us-east-1"})
    assert result.outs is not None and result.outs["createdPeering"] is False
    provider.delete(result.id, result.outs)
    stubber.assert_no_pending_responses()


def test_deleting_a_peering_the_stack_made_calls_unpeer_vpc() -> None:
    provider, stubber = stubbed(("is_vpc_peered", {"isPeered": True}), ("unpeer_vpc", OPERATION))
    provider.delete("lightsail-default-vpc-us-east-1", {"region": "us-east-1", "createdPeering": True})
    stubber.assert_no_pending_responses()


def test_a_peering_already_removed_is_not_removed_again() -> None:
    provider, stubber = stubbed(("is_vpc_peered", {"isPeered": False}))
    provider.delete("lightsail-default-vpc-us-east-1", {"region": "us-east-1", "createdPeering": True})
    stubber.assert_no_pending_responses()


def test_refresh_reads_whether_the_peering_still_exists_and_diff_remakes_it() -> None:
    provider, stubber = stubbed(("is_vpc_peered", {"isPeered": False}))
    olds = {"region": "us-east-1", "peered": True, "createdPeering": True}
    read = provider.read("lightsail-default-vpc-us-east-1", olds)
    stubber.assert_no_pending_responses()
    assert read.outs is not None and read.outs["peered"] is False
    assert provider.diff("id", read.outs, {"region": "us-east-1"}).replaces == ["region"]
    assert provider.diff("id", olds, {"region": "us-east-1"}).changes is False
    assert provider.diff("id", olds, {"region": "eu-west-1"}).replaces == ["region"]


def test_the_docs_document_every_lightsail_setting() -> None:
    reference = (Path(ROOT) / "docs" / "configuration.md").read_text()
    page = (Path(ROOT) / "docs" / "lightsail.md").read_text()
    for key in (
        "lightsail.instances",
        "lightsail.databases",
        "lightsail.autoSnapshots",
        "lightsail.snapshotTime",
        "lightsail.peerWithDefaultVpc",
        "lightsail.instances[].userDataFile",
    ):
        assert f"`{key}" in reference, key
    for command in (
        "get-blueprints",
        "get-bundles",
        "get-relational-database-blueprints",
        "get-relational-database-bundles",
    ):
        assert f"aws lightsail {command}" in page


def test_the_docs_say_how_to_finish_the_wordpress_setup_and_why_bitnami_is_gone() -> None:
    section = (Path(ROOT) / "docs" / "lightsail.md").read_text()
    for needed in (
        "aws lightsail get-relational-database-master-user-password --relational-database-name",
        "lightsailDatabaseEndpoints",
        "sudo cat /root/wordpress-setup-login",
        "https://wordpress.org/latest.tar.gz.sha1",
        "bitnami/vms#1906",
        "2026-06-10",
    ):
        assert needed in section, needed
    # The login file the docs name is the one the launch script writes.
    assert "readonly SETUP_LOGIN=/root/wordpress-setup-login" in BOOT_SCRIPT.read_text(encoding="utf-8")


# -- a domain: names and HTTPS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def domain_plan() -> Plan:
    """The dev stack with a hosted zone set as the stack's domain."""
    # Payroll is not what this tests; with a domain it needs a load balancer, which the dev file does not give it.
    no_payroll = {"aws-compute-platform:beanstalk": {"enabled": False}}
    return run_stack("dev", {"aws-compute-platform:domain": "example.org", **no_payroll})


def test_with_a_domain_each_instance_gets_an_a_record_to_its_static_ip(domain_plan: Plan, dev_plan: Plan) -> None:
    (instance,) = domain_plan.of_type(INSTANCE)
    (static_ip,) = domain_plan.of_type(STATIC_IP)
    records = [r for r in domain_plan.of_type("aws:route53/record:Record") if r.inputs["name"] == "blog.example.org"]
    (record,) = records
    # A static IP is no AWS alias target: a plain A record holds its address.
    assert record.inputs["type"] == "A" and "aliases" not in record.inputs
    assert record.inputs["records"] == [static_ip.outputs["ipAddress"]]
    assert record.property_dependencies["records"] == [static_ip.urn]
    (zone_lookup_id,) = {r.inputs["zoneId"] for r in domain_plan.of_type("aws:route53/record:Record")}
    assert zone_lookup_id.startswith("Z")
    assert domain_plan.by_urn(record.parent).type == "acp:lightsail:LightsailInstance"
    assert "readonly SITE_NAME=blog.example.org\n" in instance.inputs["userData"]
    assert domain_plan.outputs["lightsailUrls"] == {"blog": "https://blog.example.org/"}
    # Without a domain: no record, and the script serves plain HTTP.
    assert not [r for r in dev_plan.of_type("aws:route53/record:Record") if "lightsail" in r.name]
