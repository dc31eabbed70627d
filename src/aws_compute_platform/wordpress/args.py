"""The WordPress fleet's Args: sizes, access, and what protects the data, validated when built.

`WordPressArgs` is both the `aws-compute-platform:wordpress` section of a stack file and what a team builds in
Python; either way a bad value raises `SettingsError` naming the full key. Settings that protect data
(deletion protection, final snapshot, content backups) default to `protect`, which the stack file's `protectData`
sets, and which `WordPressArgs` hands to its `database` and `loadBalancer` sections unless they set their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from aws_compute_platform.args import ArgsModel, Flag, LogRetentionDays, cidr_refusing_the_internet
from aws_compute_platform.foundation.instance_types import InstanceType
from aws_compute_platform.wordpress import rds_catalog

# ELBSecurityPolicy-TLS13-1-2-2021-06 is the ELB console's recommended policy: TLS 1.3 and 1.2 with forward secrecy.
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
SCALING_METRICS = {"cpu": "ASGAverageCPUUtilization", "requestCount": "ALBRequestCountPerTarget"}

# A name in the stack's hosted zone: one or more DNS labels (`www`, `blog.news`); "" or "@" is the zone's apex.
_DNS_LABELS = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
# WordPress's sanitize_user(strict): letters, digits, space, and _ . - @ (wp-includes/formatting.php), 60 at most.
_WP_USER = re.compile(r"[A-Za-z0-9_.@-][A-Za-z0-9 _.@-]{0,58}[A-Za-z0-9_.@-]|[A-Za-z0-9_.@-]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
CERTIFICATE_ARN_REMOVED = (
    "was removed: the site's certificates are now made and validated in the stack's hosted zone. Set "
    "aws-compute-platform:domain to the zone's name (and wordpress.hostname to the site's label in it) instead"
)


def _follow_protect(model: ArgsModel, *fields: str) -> None:
    """Fields the caller did not set take the model's `protect` (frozen models: set once, while validating)."""
    protect = getattr(model, "protect")  # noqa: B009 (every model passing through here has one)
    for name in fields:
        if name not in model.model_fields_set:
            object.__setattr__(model, name, protect)


def _blank_is_unset(value: Any) -> Any:
    """A stack file says `certificateArn: ""` for "none"; read it as not set."""
    return None if value == "" else value


AdminCidr = Annotated[
    str, cidr_refusing_the_internet("must not open access to the whole internet; name the admin networks instead")
]


class DatabaseArgs(ArgsModel):
    """The fleet's RDS for MySQL database; the password is managed by RDS in Secrets Manager."""

    config_key = "aws-compute-platform:wordpress.database"

    instance_class: str = "db.t4g.micro"
    """RDS DB instance class (db.<family>.<size>), checked against the RDS for MySQL catalogue."""
    allocated_storage_gb: int = Field(20, ge=20, le=65_536)
    """Storage allocated at creation, in GiB (gp3)."""
    max_allocated_storage_gb: int = Field(100, ge=20, le=65_536)
    """Storage autoscaling ceiling in GiB; at least allocatedStorageGb. Defaults to the larger of 100 and it."""
    engine_version: str = "8.4"
    """MySQL 8 version (major.minor, or a full version to pin); minor versions upgrade automatically."""
    multi_az: Flag = True
    """Keep a synchronous standby in a second AZ that takes over on failure."""
    backup_retention_days: int = Field(7, ge=1, le=35)
    """Days of automated backups (point-in-time recovery window)."""
    deletion_protection: Flag = False
    """Refuse to delete the database. Defaults to protect."""
    final_snapshot: Flag = False
    """Take a final snapshot when the database is deleted. Defaults to protect."""
    export_logs: Flag = True
    """Export the error and slow query logs to CloudWatch Logs, into log groups the stack creates (encrypted with the
    stack key, kept logRetentionDays) before the database; turns on the slow query log."""
    slow_query_seconds: float = Field(2.0, gt=0, le=3600)
    """A query that runs longer than this many seconds is written to the slow query log (MySQL long_query_time)."""
    protect: Flag = False
    """Protect the data (Pulumi protect and the defaults above). Defaults to the wordpress section's protect."""

    @field_validator("instance_class")
    @classmethod
    def _offered_by_rds(cls, value: str) -> str:
        problem = rds_catalog.problem_with(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("engine_version")
    @classmethod
    def _mysql_8(cls, value: str) -> str:
        if not re.fullmatch(r"8\.\d+(\.\d+)?", value):
            raise ValueError("must be a MySQL 8 version such as 8.4")
        return value

    @field_validator("max_allocated_storage_gb")
    @classmethod
    def _not_below_allocated(cls, value: int, info: ValidationInfo) -> int:
        allocated = info.data.get("allocated_storage_gb")
        if allocated is not None and value < allocated:
            raise ValueError(f"must be at least allocatedStorageGb ({allocated})")
        return value

    @model_validator(mode="after")
    def _defaults(self) -> Self:
        if "max_allocated_storage_gb" not in self.model_fields_set:
            object.__setattr__(self, "max_allocated_storage_gb", max(100, self.allocated_storage_gb))
        _follow_protect(self, "deletion_protection", "final_snapshot")
        return self


class LoadBalancerArgs(ArgsModel):
    """The Application Load Balancer in front of the instances: internal behind CloudFront, else internet-facing."""

    config_key = "aws-compute-platform:wordpress.loadBalancer"

    deletion_protection: Flag = False
    """Refuse to delete the load balancer. Defaults to protect."""
    access_logs: Flag = False
    """Write access logs to a private, TLS-only S3 bucket (kept logRetentionDays)."""
    drop_invalid_header_fields: Flag = True
    """Drop HTTP headers with invalid names instead of passing them to WordPress (request smuggling)."""
    idle_timeout_s: int = Field(60, ge=1, le=4000, alias="idleTimeoutSeconds")
    """Seconds a connection may stay idle."""
    ssl_policy: str = DEFAULT_SSL_POLICY
    """ELB security policy of the HTTPS listener."""
    protect: Flag = False
    """Protect the load balancer (the deletion protection default). Defaults to the wordpress section's protect."""

    @field_validator("ssl_policy")
    @classmethod
    def _elb_policy(cls, value: str) -> str:
        if not re.fullmatch(r"ELBSecurityPolicy-[A-Za-z0-9-]+", value):
            raise ValueError(f"must be an ELB security policy name such as {DEFAULT_SSL_POLICY}")
        return value

    @model_validator(mode="after")
    def _defaults(self) -> Self:
        _follow_protect(self, "deletion_protection")
        return self


class CdnArgs(ArgsModel):
    """The CloudFront distribution in front of the load balancer, and the AWS WAF web ACL on it."""

    config_key = "aws-compute-platform:wordpress.cdn"

    enabled: Flag = True
    """Serve the site through CloudFront (HTTPS for every viewer, static files cached at the edge); the load
    balancer then takes requests from CloudFront only. Off: viewers reach the load balancer directly."""
    waf: Flag = True
    """Put an AWS WAF web ACL on the distribution (AWS managed rules for WordPress and PHP, known bad inputs, IP
    reputation, and a rate limit on wp-login.php). Billed per month and per request; only with enabled."""
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = "PriceClass_100"
    """Which edge locations serve the site: PriceClass_100 (North America, Europe, Israel) is the cheapest."""
    login_rate_limit: int = Field(100, ge=10, le=2_000_000_000)
    """Requests to wp-login.php one IP address may make in five minutes before the WAF blocks it."""


_NESTED = (("database", "database"), ("load_balancer", "loadBalancer"))


class WordPressArgs(ArgsModel):
    """The `wordpress` config section: sizes, access, and what protects the data (defaults follow `protect`)."""

    config_key = "aws-compute-platform:wordpress"

    enabled: Flag = False
    """Build the fleet in this stack."""
    instance_type: InstanceType = "t4g.small"
    """EC2 instance type of the web instances; the image's architecture follows it (t4g: arm64)."""
    min_size: int = Field(2, ge=0, le=100)
    """Fewest instances the Auto Scaling group keeps."""
    max_size: int = Field(6, ge=1, le=100, validate_default=True)
    """Most instances the group scales out to; at least minSize."""
    desired_capacity: int = Field(2, ge=0, le=100)
    """Instances at creation (scaling owns it afterwards); between minSize and maxSize. Defaults to minSize."""
    admin_cidrs: tuple[AdminCidr, ...] = ()
    """Networks that may reach the instances on SSH (22); none by default, never the whole internet."""
    key_name: str | None = None
    """EC2 key pair for SSH; none by default (Session Manager needs none)."""
    certificate_arn: None = Field(None, json_schema_extra={"deprecated": True})
    """Removed: set the stack's `domain` (a Route 53 hosted zone) and `hostname`; certificates are made in the zone."""
    hostname: str = "www"
    """The site's name in the stack's hosted zone (`www` -> www.example.org); "" or "@" for the zone's apex. Without a
    domain the site is served under CloudFront's own name (https://dxxxx.cloudfront.net)."""
    site_title: str = Field("WordPress", min_length=1, max_length=200)
    """The site's title, set by the first boot's install."""
    admin_user: str = "wordpress-admin"
    """The administrator the first boot creates; its password is generated into Secrets Manager (docs/edge.md)."""
    admin_email: str | None = Field(None, validate_default=True)
    """The administrator's email address (password resets, notices). Required when enabled."""
    cdn: CdnArgs = Field(default_factory=CdnArgs)
    public_instances: Flag = False
    """Run the instances in public subnets (no NAT gateway needed; port 80 still open only to the load balancer)."""
    detailed_monitoring: Flag = False
    """One-minute EC2 metrics (billed)."""
    root_volume_gb: int = Field(16, ge=8, le=1024)
    """Size of each instance's encrypted gp3 root volume, in GiB."""
    health_check_grace_period_s: int = Field(60, ge=0, le=7200, alias="healthCheckGracePeriodSeconds")
    """Seconds after an instance is in service before failed load balancer checks replace it."""
    boot_timeout_s: int = Field(900, ge=300, le=7200, alias="bootTimeoutSeconds")
    """Seconds an instance may take to boot and signal ready before it is abandoned."""
    scaling_metric: Literal["cpu", "requestCount"] = "cpu"
    """What target tracking follows: average CPU, or load balancer requests per instance."""
    scaling_target: int = Field(50, ge=1, le=100_000)
    """Target value of the scaling metric (a CPU percentage for cpu)."""
    wordpress_version: str = "7.0"
    """WordPress release every instance installs (pinned, so every instance runs the same code)."""
    image: Literal["stock", "baked"] = "stock"
    """What instances boot from: stock Amazon Linux 2023 (boot installs the web tier), or the image the image
    pipeline bakes (boot only configures; needs imagePipeline.enabled, docs/images.md)."""
    image_parameter: str | None = None
    """SSM parameter holding the baked image's id when image is baked. Set by the program to the image pipeline's;
    name one yourself only for an image baked by another stack."""
    content_backups: Flag = False
    """Back up the shared content file system with AWS Backup. Defaults to protect."""
    protect: Flag = False
    """Protect the data (Pulumi protect, deletion protection, final snapshot, backups). Defaults to the stack's
    protectData."""
    log_retention_days: LogRetentionDays = 30
    """Days load balancer access logs and the database's log groups are kept (a period CloudWatch Logs accepts).
    Defaults to the stack's logRetentionDays."""
    load_balancer: LoadBalancerArgs = Field(default_factory=LoadBalancerArgs)
    database: DatabaseArgs = Field(default_factory=DatabaseArgs)

    @model_validator(mode="before")
    @classmethod
    def _hand_protect_down(cls, raw: Any) -> Any:
        """`protect` reaches the database and load balancer sections that do not set their own."""
        if not isinstance(raw, Mapping) or not isinstance(raw.get("protect"), bool):
            return raw
        merged = dict(raw)
        for name, alias in _NESTED:
            key = alias if alias in merged or name not in merged else name
            value = merged.get(key)
            if value is None:
                merged[key] = {"protect": raw["protect"]}
            elif isinstance(value, Mapping) and "protect" not in value:
                merged[key] = {**value, "protect": raw["protect"]}
            elif isinstance(value, ArgsModel) and "protect" not in value.model_fields_set:
                given = {field: getattr(value, field) for field in value.model_fields_set}
                merged[key] = {**given, "protect": raw["protect"]}
        return merged

    @field_validator("max_size")
    @classmethod
    def _not_below_min(cls, value: int, info: ValidationInfo) -> int:
        low = info.data.get("min_size")
        if low is not None and value < low:
            raise ValueError(f"must be at least minSize ({low})")
        return value

    @field_validator("desired_capacity")
    @classmethod
    def _within_min_and_max(cls, value: int, info: ValidationInfo) -> int:
        low, high = info.data.get("min_size"), info.data.get("max_size")
        if low is not None and high is not None and not low <= value <= high:
            raise ValueError(f"must lie between minSize ({low}) and maxSize ({high})")
        return value

    @field_validator("image_parameter")
    @classmethod
    def _ssm_parameter_name(cls, value: str | None) -> str | None:
        # Parameter names: letters, digits and _.-/ (SSM PutParameter Name); a hierarchy starts with /.
        if value is not None and not re.fullmatch(r"/?[A-Za-z0-9_.\-/]{1,1011}", value):
            raise ValueError("must be an SSM parameter name such as /images/my-stack/ami-id")
        return value

    @field_validator("key_name", "image_parameter", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_is_unset(value)

    @field_validator("certificate_arn", mode="before")
    @classmethod
    def _certificate_arn_removed(cls, value: Any) -> None:
        raise ValueError(CERTIFICATE_ARN_REMOVED)

    @field_validator("hostname")
    @classmethod
    def _dns_labels(cls, value: str) -> str:
        if value in ("", "@"):
            return ""
        if len(value) > 200 or not _DNS_LABELS.fullmatch(value):
            raise ValueError('must be DNS labels in lower case such as www or blog.news ("" or "@" for the apex)')
        return value

    @field_validator("admin_user")
    @classmethod
    def _wordpress_user(cls, value: str) -> str:
        if not _WP_USER.fullmatch(value):
            raise ValueError("must be a WordPress user name: 1-60 letters, digits, spaces or _ . - @")
        if value.lower() in ("admin", "administrator", "root"):
            raise ValueError("must not be a name every password-guessing script tries first (admin, root)")
        return value

    @field_validator("admin_email")
    @classmethod
    def _email(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("enabled"):
            raise ValueError("is required when enabled: the first boot installs WordPress with this administrator")
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError("must be an email address such as webmaster@example.org")
        return value

    @field_validator("scaling_target")
    @classmethod
    def _cpu_is_a_percentage(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("scaling_metric") == "cpu" and value > 100:
            raise ValueError("must be a CPU percentage (1-100) when scalingMetric is cpu")
        return value

    @field_validator("wordpress_version")
    @classmethod
    def _release(cls, value: str) -> str:
        if not re.fullmatch(r"\d+\.\d+(\.\d+)?", value):
            raise ValueError(
                "must be a WordPress release such as 7.0 or 7.0.1 (pinned, so every instance runs the same code)"
            )
        return value

    @model_validator(mode="after")
    def _defaults(self) -> Self:
        if "desired_capacity" not in self.model_fields_set:
            object.__setattr__(self, "desired_capacity", self.min_size)
        _follow_protect(self, "content_backups")
        return self

    @property
    def scaling_metric_type(self) -> str:
        """The predefined metric target tracking follows (ASGAverageCPUUtilization or ALBRequestCountPerTarget)."""
        return SCALING_METRICS[self.scaling_metric]


__all__ = ["DEFAULT_SSL_POLICY", "SCALING_METRICS", "CdnArgs", "DatabaseArgs", "LoadBalancerArgs", "WordPressArgs"]
