"""The whole stack configuration as typed, validated settings: the only reader of Pulumi config.

`load_settings()` reads every `aws-compute-platform:*` key once, hands each component its own section to parse,
and raises one `SettingsError` naming every bad key before a single resource is declared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from aws_compute_platform.beanstalk.payroll import BeanstalkArgs
from aws_compute_platform.config import Problems, Section, SettingsError
from aws_compute_platform.foundation.encryption import EncryptionArgs
from aws_compute_platform.foundation.images import trusted_image_owners
from aws_compute_platform.foundation.network import NetworkArgs
from aws_compute_platform.lightsail.site import LightsailArgs
from aws_compute_platform.serverless.api import ServerlessApiArgs
from aws_compute_platform.servers.server import ServerArgs, servers_from_config
from aws_compute_platform.wordpress.fleet import WordPressArgs

PROJECT = "aws-compute-platform"

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy); anything else fails at deploy time.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


@dataclass(frozen=True)
class Settings:
    """What one stack asks for. Components get their own slice; nothing here branches on the stack name."""

    project: str
    stack: str
    region: str
    owner: str
    cost_center: str
    protect_data: bool
    log_retention_days: int
    encryption: EncryptionArgs
    network: NetworkArgs
    lightsail: LightsailArgs
    trusted_image_owners: tuple[str, ...]
    servers: tuple[ServerArgs, ...]
    serverless: ServerlessApiArgs
    wordpress: WordPressArgs
    beanstalk: BeanstalkArgs

    @property
    def name_prefix(self) -> str:
        return f"{self.project}-{self.stack}"


def parse_settings(project: str, stack: str, region: str | None, config: Mapping[str, Any]) -> Settings:
    """Validate a stack's raw configuration (`{"owner": ..., "network": {...}}`, without the project prefix)."""
    problems = Problems()
    root = Section(f"{project}:", dict(config), problems)
    if not re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", region or ""):
        problems.add("aws:region", "is required and must be an AWS region such as us-east-1", region)
    owner = root.text(
        "owner",
        required=True,
        pattern=r"[\w .:/=+@-]{1,256}",
        pattern_help="a tag value (letters, digits, spaces, _.:/=+-@)",
    )
    cost_center = root.text(
        "costCenter",
        required=True,
        pattern=r"[\w .:/=+@-]{1,256}",
        pattern_help="a tag value (letters, digits, spaces, _.:/=+-@)",
    )
    protect_data = root.flag("protectData", False)
    log_retention_days = root.one_of("logRetentionDays", 30, LOG_RETENTION_DAYS)
    encryption = EncryptionArgs.from_config(root.section("encryption"), protect=protect_data)
    network = NetworkArgs.from_config(root.section("network"), log_retention_days=log_retention_days)
    lightsail = LightsailArgs.from_config(root.section("lightsail"), protect=protect_data, region=region or "")
    image_owners = trusted_image_owners(root, "trustedImageOwners")
    servers = servers_from_config(
        root,
        "servers",
        trusted_owners=image_owners,
        protect=protect_data,
        az_count=network.az_count,
        region=region or "",
    )
    serverless = ServerlessApiArgs.from_config(
        root.section("serverless"), protect=protect_data, log_retention_days=log_retention_days
    )
    wordpress = WordPressArgs.from_config(
        root.section("wordpress"),
        protect=protect_data,
        az_count=network.az_count,
        log_retention_days=log_retention_days,
    )
    beanstalk = BeanstalkArgs.from_config(
        root.section("beanstalk"),
        name_prefix=f"{project}-{stack}",
        protect=protect_data,
        log_retention_days=log_retention_days,
        az_count=network.az_count,
        nat_gateways=network.nat_gateways,
    )

    root.finish()
    problems.raise_if_any()
    return Settings(
        project=project,
        stack=stack,
        region=region or "",
        owner=owner,
        cost_center=cost_center,
        protect_data=protect_data,
        log_retention_days=log_retention_days,
        encryption=encryption,
        network=network,
        lightsail=lightsail,
        trusted_image_owners=image_owners,
        servers=servers,
        serverless=serverless,
        wordpress=wordpress,
        beanstalk=beanstalk,
    )


def _raw_project_config(project: str) -> dict[str, Any]:
    """Every `project:key` value as Python data (objects arrive JSON-encoded)."""
    raw: dict[str, Any] = {}
    prefix = f"{project}:"
    # A CLI run passes config in PULUMI_CONFIG; tests and automation set it in the runtime: read both.
    known = set(runtime_config.get_config_env()) | set(runtime_config.CONFIG.get())
    for full_key in sorted(k for k in known if k.startswith(prefix)):
        key = full_key[len(prefix) :]
        value = runtime_config.get_config(full_key)
        try:
            raw[key] = json.loads(value) if isinstance(value, str) and value[:1] in "[{" else _scalar(value)
        except json.JSONDecodeError:
            raw[key] = value
    return raw


def _scalar(value: Any) -> Any:
    """Stack-file scalars reach the program as strings; give booleans and numbers back their type."""
    if not isinstance(value, str):
        return value
    if value in ("true", "false"):
        return value == "true"
    try:
        return int(value)
    except ValueError:
        return value


def load_settings() -> Settings:
    """Read and validate the current stack's configuration; raise `SettingsError` listing every problem."""
    project = pulumi.get_project()
    return parse_settings(project, pulumi.get_stack(), pulumi.Config("aws").get("region"), _raw_project_config(project))


__all__ = ["Settings", "SettingsError", "load_settings", "parse_settings"]
