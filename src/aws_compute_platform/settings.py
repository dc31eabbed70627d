"""The whole stack configuration as typed, validated settings: the only reader of Pulumi config.

`load_settings()` reads every config key of the stack once, refuses namespaces the program does not use, validates
the project's keys into `StackSettings` (one typed model per component, the same models a team builds in Python)
and raises one `SettingsError` naming every bad key before a single resource is declared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import Field, ValidationError, field_validator, model_validator

from aws_compute_platform.args import LOG_RETENTION_DAYS, PROJECT, ArgsModel, Flag, LogRetentionDays, problems
from aws_compute_platform.beanstalk.args import BeanstalkArgs, environment_name_problem, environment_names
from aws_compute_platform.config import ConfigError, SettingsError
from aws_compute_platform.foundation.encryption import EncryptionArgs
from aws_compute_platform.foundation.images import DEFAULT_TRUSTED_OWNERS, TrustedImageOwners
from aws_compute_platform.foundation.instance_types import architecture
from aws_compute_platform.foundation.network import NetworkArgs
from aws_compute_platform.images.args import ImagePipelineArgs
from aws_compute_platform.lightsail.args import LightsailArgs, zone_problems
from aws_compute_platform.operations.args import AlertsArgs
from aws_compute_platform.serverless.args import ServerlessApiArgs
from aws_compute_platform.servers.args import ServerArgs, stack_problems
from aws_compute_platform.wordpress.args import WordPressArgs

# Config namespaces a stack file may use: the project's own, Pulumi's, and those of the providers the program
# uses (pulumi-aws, pulumi-random). Anything else is a typo whose values would be silently ignored.
KNOWN_NAMESPACES = (PROJECT, "aws", "random", "pulumi")


_Section = TypeVar("_Section", bound=ArgsModel)

_TAG_VALUE = re.compile(r"[\w .:/=+@-]{1,256}")
# IAM policy names: 1-128 of [\w+=,.@-] (IAM API reference, CreatePolicy PolicyName); or a policy ARN.
_POLICY = re.compile(r"[\w+=,.@-]{1,128}|arn:aws[a-z-]*:iam::\d{12}:policy/[\w+=,.@/-]{1,128}")
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")

# Stack-wide settings each component section inherits unless it sets its own: (stack key, section key).
_INHERITED = {
    "encryption": (("protectData", "protect"),),
    "network": (("logRetentionDays", "logRetentionDays"),),
    "wordpress": (("protectData", "protect"), ("logRetentionDays", "logRetentionDays")),
    "beanstalk": (("protectData", "protect"), ("logRetentionDays", "logRetentionDays")),
    "serverless": (("protectData", "protect"), ("logRetentionDays", "logRetentionDays")),
    "lightsail": (("protectData", "protect"),),
    "servers": (("protectData", "protect"),),
    "imagePipeline": (("logRetentionDays", "logRetentionDays"),),
}
# Sections that are lists of objects: each item inherits.
_LIST_SECTIONS = frozenset({"servers"})


def _valid_stack_wide(key: str, value: Any) -> bool:
    if key == "protectData":
        return isinstance(value, bool)
    return not isinstance(value, bool) and value in LOG_RETENTION_DAYS


class StackSettings(ArgsModel):
    """Everything one stack file asks for, under `aws-compute-platform:`."""

    config_key = f"{PROJECT}:"

    owner: str
    """Team or person accountable for the stack; the Owner cost-allocation tag."""
    cost_center: str
    """Cost center the bill is charged to; the CostCenter cost-allocation tag."""
    protect_data: Flag = False
    """Protect stateful resources (Pulumi protect, deletion protection, final snapshots, backups). On in prod."""
    log_retention_days: LogRetentionDays = 30
    """Days CloudWatch Logs keep flow logs and application logs (one of the values CloudWatch accepts)."""
    domain: str | None = None
    """A public Route 53 hosted zone's name (example.org): each web-facing part gets a name in it and a certificate."""
    permissions_boundary: str | None = None
    """The managed policy (name in this account, or ARN) every IAM role of the stack carries: the account bootstrap
    allows the deploy role to create roles only with it (`aws-compute-platform-boundary`, docs/delivery.md)."""
    require_domain: Flag = False
    """Refuse to build without `domain`: every entry point of the stack faces users and must serve HTTPS under its
    own name. On in prod."""
    encryption: EncryptionArgs = Field(default_factory=EncryptionArgs)
    network: NetworkArgs = Field(default_factory=NetworkArgs)
    trusted_image_owners: TrustedImageOwners = DEFAULT_TRUSTED_OWNERS
    """Image owners a server may use: account ids or aliases (amazon, aws-marketplace for Marketplace images)."""
    servers: tuple[ServerArgs, ...] = ()
    """Stand-alone EC2 servers, one object each."""
    wordpress: WordPressArgs = Field(default_factory=WordPressArgs)
    """The highly available WordPress fleet."""
    beanstalk: BeanstalkArgs = Field(default_factory=BeanstalkArgs)
    """The payroll application on Elastic Beanstalk."""
    serverless: ServerlessApiArgs = Field(default_factory=ServerlessApiArgs)
    """The purchase-order API on API Gateway and Lambda."""
    lightsail: LightsailArgs = Field(default_factory=LightsailArgs)
    image_pipeline: ImagePipelineArgs = Field(default_factory=ImagePipelineArgs)
    """The EC2 Image Builder pipeline that bakes the WordPress image (docs/images.md)."""
    alerts: AlertsArgs = Field(default_factory=AlertsArgs)
    """Who is emailed when an alarm goes off or recovers, who is reminded of pending orders, and the thresholds."""

    @field_validator("domain")
    @classmethod
    def _zone_name(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        name = value.rstrip(".").lower()
        if not _DOMAIN.fullmatch(name):
            raise ValueError("must be a DNS domain name such as example.org (the hosted zone's name)")
        return name

    @field_validator("permissions_boundary")
    @classmethod
    def _policy_name_or_arn(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not _POLICY.fullmatch(value):
            raise ValueError("must be a managed policy's name (such as aws-compute-platform-boundary) or its ARN")
        return value

    @field_validator("owner", "cost_center")
    @classmethod
    def _tag_value(cls, value: str) -> str:
        if not _TAG_VALUE.fullmatch(value):
            raise ValueError("must be a tag value (letters, digits, spaces, _.:/=+-@; at most 256)")
        return value

    @model_validator(mode="before")
    @classmethod
    def _inherit_stack_wide_settings(cls, raw: Any) -> Any:
        """protectData and logRetentionDays reach each component section that does not set its own."""
        if not isinstance(raw, Mapping):
            return raw
        merged = dict(raw)
        for section, pairs in _INHERITED.items():
            value = merged.get(section)
            if section in _LIST_SECTIONS:
                if isinstance(value, list):
                    merged[section] = [_inherit(item, pairs, merged) for item in value]
                continue
            if value is None:
                value = {}
            if not isinstance(value, Mapping):
                continue
            merged[section] = _inherit(value, pairs, merged)
        return merged


def _inherit(value: Any, pairs: tuple[tuple[str, str], ...], stack: Mapping[str, Any]) -> Any:
    """One section (or one item of a list section) with the stack-wide values it does not set itself."""
    if not isinstance(value, Mapping):
        return value
    value = dict(value)
    for stack_key, section_key in pairs:
        # A bad stack-wide value is reported once, under its own key, not again in every section.
        if stack_key in stack and section_key not in value and _valid_stack_wide(stack_key, stack[stack_key]):
            value[section_key] = stack[stack_key]
    return value


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
    domain: str | None
    permissions_boundary: str | None
    encryption: EncryptionArgs
    network: NetworkArgs
    lightsail: LightsailArgs
    trusted_image_owners: tuple[str, ...]
    servers: tuple[ServerArgs, ...]
    serverless: ServerlessApiArgs
    wordpress: WordPressArgs
    beanstalk: BeanstalkArgs
    alerts: AlertsArgs
    image_pipeline: ImagePipelineArgs = field(default_factory=ImagePipelineArgs)

    @property
    def name_prefix(self) -> str:
        return f"{self.project}-{self.stack}"


def parse_settings(project: str, stack: str, region: str | None, config: Mapping[str, Any]) -> Settings:
    """Validate a stack's raw configuration (`{"owner": ..., "network": {...}}`, without the project prefix)."""
    found: list[ConfigError] = []
    region_ok = re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", region or "") is not None
    if not region_ok:
        found.append(ConfigError("aws:region", "is required and must be an AWS region such as us-east-1", region))
    root: StackSettings | None = None
    try:
        root = StackSettings.model_validate(dict(config))
    except ValidationError as exc:
        found.extend(problems(exc, StackSettings, f"{project}:"))

    # Cross-section checks run even when the root failed (with the network's defaults), so every problem is listed.
    network = root.network if root else NetworkArgs()
    found.extend(stack_problems(config, prefix=f"{project}:", az_count=network.az_count, region=region or ""))
    wordpress_enabled = root.wordpress.enabled if root else _enabled(config.get("wordpress"))
    if wordpress_enabled and network.az_count < 2:
        found.append(
            ConfigError(
                f"{project}:network.azCount",
                "must be at least 2 when wordpress is enabled (a load balancer and a Multi-AZ database need 2 AZs)",
                network.az_count,
            )
        )
    wordpress_private = root is not None and root.wordpress.enabled and not root.wordpress.public_instances
    if wordpress_private and network.nat_gateways == "none":
        found.append(
            ConfigError(
                f"{project}:wordpress.publicInstances",
                "is false, but network.natGateways is none: instances in private subnets could not reach the "
                "package repositories, wordpress.org or Secrets Manager at boot; set publicInstances: true "
                "(port 80 stays open only to the load balancer) or a NAT gateway (single or perAz)",
                False,
            )
        )
    beanstalk = root.beanstalk if root else _valid_or_none(BeanstalkArgs, config.get("beanstalk"))
    if beanstalk is not None:
        found.extend(_beanstalk_needs(f"{project}:beanstalk", beanstalk, f"{project}-{stack}-payroll", network))
    if root is not None and root.require_domain and root.domain is None:
        found.append(
            ConfigError(
                f"{project}:domain",
                "is required while requireDomain is true: users reach this stack over HTTPS under its own names, "
                "which needs a Route 53 hosted zone (see README, 'Edit these first')",
            )
        )
    if root is not None:
        found.extend(_baked_image_needs(f"{project}:", root.wordpress, root.image_pipeline, network))
    if region and region_ok:
        found.extend(zone_problems(config.get("lightsail"), region, f"{project}:lightsail"))
    if found or root is None:
        raise SettingsError(found)
    return Settings(
        project=project,
        stack=stack,
        region=region or "",
        owner=root.owner,
        cost_center=root.cost_center,
        protect_data=root.protect_data,
        log_retention_days=root.log_retention_days,
        domain=root.domain,
        permissions_boundary=root.permissions_boundary,
        encryption=root.encryption,
        network=network,
        lightsail=root.lightsail,
        trusted_image_owners=root.trusted_image_owners,
        servers=root.servers,
        serverless=root.serverless,
        wordpress=root.wordpress,
        beanstalk=root.beanstalk,
        image_pipeline=root.image_pipeline,
        alerts=root.alerts,
    )


def _valid_or_none(model: type[_Section], raw: Any) -> _Section | None:
    """A section read on its own, when the root failed: its own problems are already reported."""
    try:
        return model.from_config(raw)
    except SettingsError:
        return None


def _beanstalk_needs(key: str, beanstalk: BeanstalkArgs, app_name: str, network: NetworkArgs) -> list[ConfigError]:
    """What the payroll environments need from the rest of the stack: valid names, two zones, a way out."""
    if not beanstalk.enabled:
        return []
    found = []
    for env_name in environment_names(app_name):
        problem = environment_name_problem(env_name)
        if problem:
            found.append(ConfigError(f"{key}.enabled", f"{problem}: shorten the project or stack name"))
    if network.az_count < 2 and beanstalk.web.environment_type == "LoadBalanced":
        found.append(
            ConfigError(f"{key}.enabled", "needs network.azCount >= 2: an Application Load Balancer spans two AZs")
        )
    if network.nat_gateways == "none" and beanstalk.instance_subnets == "private":
        found.append(
            ConfigError(
                f"{key}.enabled",
                "needs network.natGateways single or perAz: instances in private subnets reach Elastic Beanstalk, "
                "SQS and SES through NAT (or set instanceSubnets: public with a SingleInstance web tier)",
            )
        )
    return found


def _baked_image_needs(
    prefix: str, wordpress: WordPressArgs, pipeline: ImagePipelineArgs, network: NetworkArgs
) -> list[ConfigError]:
    """What a fleet booting from the baked image needs of the pipeline, and what the pipeline needs of the network."""
    found = []
    if pipeline.enabled and pipeline.subnet == "private" and network.nat_gateways == "none":
        found.append(
            ConfigError(
                f"{prefix}imagePipeline.subnet",
                "is private, but network.natGateways is none: build instances download packages and WordPress; "
                "use subnet public or a NAT gateway",
                pipeline.subnet,
            )
        )
    if not (wordpress.enabled and wordpress.image == "baked") or wordpress.image_parameter is not None:
        return found
    if not pipeline.enabled:
        found.append(
            ConfigError(
                f"{prefix}wordpress.image",
                "is baked, which needs imagePipeline.enabled (or wordpress.imageParameter naming an image baked "
                "elsewhere)",
                wordpress.image,
            )
        )
        return found
    fleet_arch, image_arch = architecture(wordpress.instance_type), architecture(pipeline.instance_type)
    if fleet_arch != image_arch:
        found.append(
            ConfigError(
                f"{prefix}imagePipeline.instanceType",
                f"builds {image_arch} images, but wordpress.instanceType {wordpress.instance_type} runs {fleet_arch}",
                pipeline.instance_type,
            )
        )
    if pipeline.root_volume_gb > wordpress.root_volume_gb:
        found.append(
            ConfigError(
                f"{prefix}imagePipeline.rootVolumeGb",
                f"must be at most wordpress.rootVolumeGb ({wordpress.root_volume_gb}): an instance's volume cannot be "
                "smaller than its image",
                pipeline.root_volume_gb,
            )
        )
    return found


def _enabled(section: Any) -> bool:
    """Whether a section that failed validation still asks for its component (for cross-section checks)."""
    return isinstance(section, Mapping) and section.get("enabled") is True


def unknown_namespaces(keys: list[str]) -> list[ConfigError]:
    """A problem for each config key whose namespace the program does not read (`aws-compute-plattform:x`)."""
    found = []
    for key in keys:
        namespace = key.split(":", 1)[0]
        if ":" in key and namespace not in KNOWN_NAMESPACES:
            found.append(
                ConfigError(
                    key,
                    f"is in namespace {namespace!r}, which this program does not read "
                    f"(known: {', '.join(KNOWN_NAMESPACES)}); a misspelt namespace would be ignored silently",
                )
            )
    return found


def _raw_project_config(project: str) -> dict[str, Any]:
    """Every `project:key` value as Python data (objects arrive JSON-encoded)."""
    raw: dict[str, Any] = {}
    prefix = f"{project}:"
    for full_key in (k for k in _all_config_keys() if k.startswith(prefix)):
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


def _all_config_keys() -> list[str]:
    # A CLI run passes config in PULUMI_CONFIG; tests and automation set it in the runtime: read both.
    return sorted(set(runtime_config.get_config_env()) | set(runtime_config.CONFIG.get()))


def load_settings() -> Settings:
    """Read and validate the current stack's configuration; raise `SettingsError` listing every problem."""
    project = pulumi.get_project()
    strays = unknown_namespaces(_all_config_keys())
    try:
        settings = parse_settings(
            project, pulumi.get_stack(), pulumi.Config("aws").get("region"), _raw_project_config(project)
        )
    except SettingsError as exc:
        raise SettingsError(strays + exc.problems) from None
    if strays:
        raise SettingsError(strays)
    return settings


__all__ = ["Settings", "SettingsError", "StackSettings", "load_settings", "parse_settings"]
