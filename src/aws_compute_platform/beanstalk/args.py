"""BeanstalkArgs: what the payroll application may be told, from `aws-compute-platform:beanstalk` or in Python.

Checks that need the rest of the stack (the network's zones and NAT, environment names made from the project and
stack) are made in `settings.parse_settings`, and again by `BeanstalkApp` for the network and name it is given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from aws_compute_platform.args import ArgsModel, Flag, cidr_refusing_the_internet, validate_refusing
from aws_compute_platform.foundation.instance_types import InstanceType

# The worker's timeouts nest, each a margin longer than the one inside it, so that the innermost limit always ends a
# job first: Gunicorn (JOB_TIMEOUT_SECONDS) < sqsd InactivityTimeout < sqsd and SQS VisibilityTimeout. A job that ran
# to its limit is answered (500: a retry, or the dead-letter queue) before sqsd stops waiting, and sqsd stops waiting
# before SQS hands the message to another worker.
TIMEOUT_MARGIN_S = 60
# sqsd's own limits ("Elastic Beanstalk worker environments", the aws:elasticbeanstalk:sqsd options in "General
# options for all environments"): InactivityTimeout 1-36000 s, VisibilityTimeout 0-43200 s.
SQSD_MAX_INACTIVITY_S = 36_000
SQSD_MAX_VISIBILITY_S = 43_200
# The longest job whose InactivityTimeout (job + 60 s) sqsd still accepts: 599 minutes. Its VisibilityTimeout
# (job + 120 s) stays far below 43200 s, and its JOB_TIMEOUT_SECONDS (35940) below the app's own 35999.
MAX_JOB_TIMEOUT_MINUTES = (SQSD_MAX_INACTIVITY_S - TIMEOUT_MARGIN_S) // 60
# The payroll job takes about 30 minutes: 45 leaves half as much again for a large file or a slow day.
DEFAULT_JOB_TIMEOUT_MINUTES = 45
# Each worker instance runs this many jobs at once (Gunicorn workers = sqsd HttpConnections, options.WORKER_PROCESSES).
JOBS_PER_WORKER_INSTANCE = 2
# aws:elasticbeanstalk:cloudwatch:logs RetentionInDays accepts fewer values than CloudWatch Logs itself.
BEANSTALK_LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)
DEFAULT_PLATFORM = r"^64bit Amazon Linux 2023 (.*) running Python 3.12$"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MAINTENANCE_WINDOW = re.compile(rf"({'|'.join(_DAYS)}):([01]\d|2[0-3]):[0-5]\d")
_EMAIL = re.compile(r"[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
# Elastic Beanstalk environment names: 4-40 letters, digits and dashes, no dash at either end.
_ENV_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,38}[A-Za-z0-9]")


def environment_names(app_name: str) -> tuple[str, str]:
    """The web and worker environment names of a `BeanstalkApp` named `app_name`."""
    return f"{app_name}-web", f"{app_name}-worker"


def environment_name_problem(env_name: str) -> str | None:
    """Why Elastic Beanstalk would refuse an environment name, or None."""
    if _ENV_NAME.fullmatch(env_name):
        return None
    return f"the environment name {env_name!r} must be 4-40 letters, digits or dashes"


AllowedCidr = Annotated[
    str,
    cidr_refusing_the_internet(
        "must not admit the whole internet; name the networks that may reach the payroll instead"
    ),
]
"""A network that may reach the payroll's web tier (its load balancer, or a single instance), such as 203.0.113.0/24
(never 0.0.0.0/0)."""


class _TierArgs(ArgsModel):
    """One tier's Auto Scaling bounds and update batches. Each tier declares `max_size` first, so `min_size` and
    `update_batch_size` are checked against it."""

    tier: ClassVar[str]

    @field_validator("min_size", "update_batch_size", check_fields=False)
    @classmethod
    def _at_most_max(cls, value: int, info: ValidationInfo) -> int:
        high = info.data.get("max_size")
        if high is not None and value > high:
            raise ValueError(f"must not exceed {cls.tier}.maxSize ({high})")
        return value


class WebTierArgs(_TierArgs):
    """The web tier: an Application Load Balancer in the public subnets, instances in the private ones."""

    config_key = "aws-compute-platform:beanstalk.web"
    tier = "web"

    max_size: int = Field(4, ge=1, le=100)
    """Most web instances."""
    min_size: int = Field(1, ge=1, le=100)
    """Fewest web instances; at most maxSize."""
    update_batch_size: int = Field(1, ge=1, le=100)
    """Web instances replaced at a time by a configuration or platform change (a rolling update); at most maxSize."""
    environment_type: Literal["LoadBalanced", "SingleInstance"] = "LoadBalanced"
    """LoadBalanced: an Application Load Balancer over two zones. SingleInstance: one instance at an Elastic IP, no
    load balancer (maxSize 1, instanceSubnets public, plain HTTP restricted to allowedCidrs): for a dev stack."""

    @field_validator("environment_type")
    @classmethod
    def _one_instance(cls, value: str, info: ValidationInfo) -> str:
        # "settings for the minimum number of instances, maximum number of instances, and desired capacity are all
        # set to 1" (Elastic Beanstalk developer guide, "Environment types": using-features-managing-env-types).
        high = info.data.get("max_size")
        if value == "SingleInstance" and high is not None and high != 1:
            raise ValueError(f"SingleInstance runs exactly one instance: set web.maxSize to 1 (not {high})")
        return value


def min_in_service(tier: WebTierArgs | WorkerTierArgs) -> int:
    """Instances a rolling update keeps in service: Elastic Beanstalk's own default, stated so it is visible.

    "The minimum size of the Auto Scaling group or one less than the maximum size, whichever is lower"
    (aws:autoscaling:updatepolicy:rollingupdate MinInstancesInService, "General options for all environments"):
    more than MaxSize - 1 would leave a rolling update no room to replace anything.
    """
    return min(tier.min_size, tier.max_size - 1)


class WorkerTierArgs(_TierArgs):
    """The worker tier: sqsd reads the jobs queue and POSTs each message to the app."""

    config_key = "aws-compute-platform:beanstalk.worker"
    tier = "worker"

    # Settings that were replaced, and what to set instead: refused by name rather than as merely unknown.
    retired: ClassVar[Mapping[str, str]] = {
        "visibilityTimeout": (
            "is no longer a setting: the visibility timeout is derived from worker.jobTimeoutMinutes (the job's "
            "limit in minutes; sqsd waits 60 s longer, the message stays invisible 60 s longer still): set that "
            "instead"
        ),
    }

    max_size: int = Field(2, ge=1, le=100)
    """Most worker instances."""
    min_size: int = Field(1, ge=1, le=100)
    """Fewest worker instances; at most maxSize."""
    update_batch_size: int = Field(1, ge=1, le=100)
    """Worker instances replaced at a time by a configuration or platform change (a rolling update); at most
    maxSize. A job running on a replaced instance is stopped and runs again once its message is visible again."""
    job_timeout_minutes: int = Field(DEFAULT_JOB_TIMEOUT_MINUTES, ge=1, le=MAX_JOB_TIMEOUT_MINUTES)
    """Minutes one job may run before it is stopped (and retried); sqsd's and the queue's timeouts follow from it.
    At most 599: sqsd waits at most 36000 s for an answer."""
    # sqsd MaxRetries accepts 1-100 and must equal the dead-letter queue's maxReceiveCount.
    max_receive_count: int = Field(3, ge=1, le=100)
    """Deliveries before a message moves to the dead-letter queue; also sqsd's MaxRetries."""
    backlog_per_instance: int = Field(2 * JOBS_PER_WORKER_INSTANCE, ge=1, le=1000)
    """Jobs (waiting or running) per worker instance the tier scales to keep, between minSize and maxSize. Each
    instance runs 2 jobs at once, so 4 lets a job wait about one job's length before it starts."""

    @model_validator(mode="wrap")
    @classmethod
    def _refuse_retired(cls, raw: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        """A retired setting is refused with what replaced it, alongside every other problem."""
        result: Self = validate_refusing(cls, raw, handler, cls.retired, "retired_setting")
        return result

    @property
    def job_timeout_s(self) -> int:
        """The app's JOB_TIMEOUT_SECONDS: Gunicorn's timeout, and the job's own limit."""
        return self.job_timeout_minutes * 60

    @property
    def inactivity_timeout_s(self) -> int:
        """How long sqsd waits for the app to answer one job: a margin longer than the job may run."""
        return self.job_timeout_s + TIMEOUT_MARGIN_S

    @property
    def visibility_timeout_s(self) -> int:
        """How long a delivered message stays invisible (the queue's and sqsd's): a margin longer than sqsd waits."""
        return self.inactivity_timeout_s + TIMEOUT_MARGIN_S


class BeanstalkArgs(ArgsModel):
    """The payroll application on Elastic Beanstalk: a web environment and an SQS worker environment."""

    config_key = "aws-compute-platform:beanstalk"

    enabled: Flag = False
    """Build the payroll application (a load-balanced web tier needs network.azCount >= 2; instances in private
    subnets need NAT gateways)."""
    platform: str = DEFAULT_PLATFORM
    """Regular expression for the solution stack; the newest match is used."""
    instance_type: InstanceType = "t4g.small"
    """Instance type of both tiers (Graviton types run arm64)."""
    web: WebTierArgs = Field(default_factory=WebTierArgs)
    """The web tier's size."""
    worker: WorkerTierArgs = Field(default_factory=WorkerTierArgs)
    """The worker tier's size and how long and how often a job is tried."""
    sender_email: str = Field("", validate_default=True)
    """SES sender address of the result emails; required when enabled (verify it: see the SES sandbox)."""
    # Elastic Beanstalk keeps at most 1000 application versions per account.
    keep_versions: int = Field(20, ge=1, le=1000)
    """Application versions the lifecycle rule keeps."""
    uploads_expire_days: int = Field(30, ge=1, le=3650)
    """Days before uploaded files (and delivery markers) expire."""
    maintenance_window: str = "Sun:03:00"
    """UTC start of the weekly managed platform update window, such as Sun:03:00."""
    allowed_cidrs: tuple[AllowedCidr, ...] = ()
    """Networks that may reach the web tier: its load balancer (empty: everyone, which needs the stack's domain), or a
    SingleInstance web tier's instance on port 80 (required there). A stack without a domain serves payroll over plain
    HTTP, and may do so only when this restricts who can reach it."""
    mfa: Literal["required", "optional"] = "required"
    """Sign-in's second factor (an authenticator app, TOTP): required of every user, or offered to each to turn on."""
    instance_subnets: Literal["private", "public"] = Field("private", validate_default=True)
    """Where both tiers' instances run. private: they reach AWS through NAT (network.natGateways single or perAz).
    public: public addresses and no NAT needed; each tier gets its own security group admitting only its intended
    path and sending only HTTPS. public needs web.environmentType SingleInstance (see docs/costs.md)."""
    encrypt_volumes_by_default: Flag = False
    """Turn on account-wide EBS encryption by default with the stack key (Beanstalk cannot name a key itself)."""
    log_retention_days: int = 30
    """Days the environments' logs are kept. Defaults to the stack's logRetentionDays."""
    protect: Flag = False
    """Protect the uploads and keep logs after an environment ends. Defaults to the stack's protectData."""

    @field_validator("platform")
    @classmethod
    def _regular_expression(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"is not a valid regular expression ({exc})") from None
        return value

    @field_validator("sender_email")
    @classmethod
    def _email_address(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            if info.data.get("enabled") is True:
                raise PydanticCustomError("missing", "is required when enabled")
            return value
        if not _EMAIL.fullmatch(value):
            raise ValueError("must be an email address such as payroll@example.com")
        return value

    @field_validator("maintenance_window")
    @classmethod
    def _day_and_time(cls, value: str) -> str:
        if not _MAINTENANCE_WINDOW.fullmatch(value):
            raise ValueError("must be a UTC day and time such as Sun:03:00")
        return value

    @field_validator("instance_subnets")
    @classmethod
    def _placement_fits_the_web_tier(cls, value: str, info: ValidationInfo) -> str:
        web = info.data.get("web")
        if not isinstance(web, WebTierArgs):
            return value
        if web.environment_type == "SingleInstance" and value != "public":
            raise ValueError(
                "must be public while web.environmentType is SingleInstance: its one instance is reached at its "
                "Elastic IP, which only a public subnet routes"
            )
        if web.environment_type == "LoadBalanced" and value != "private":
            # Elastic Beanstalk documents the rule it adds from the load balancer's group into the instances' default
            # group; with that group replaced by ours (as public instances need) the path is not documented.
            raise ValueError(
                "must be private while web.environmentType is LoadBalanced: instances behind the load balancer stay "
                "in private subnets (with NAT); public instances are for a SingleInstance web tier"
            )
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention_beanstalk_accepts(cls, value: int, info: ValidationInfo) -> int:
        # Checked only for an application that is built: the value is usually the stack-wide one.
        if info.data.get("enabled") is True and value not in BEANSTALK_LOG_RETENTION_DAYS:
            allowed = ", ".join(map(str, BEANSTALK_LOG_RETENTION_DAYS))
            raise ValueError(
                f"must be a retention Elastic Beanstalk accepts (allowed: {allowed}); it defaults to the stack's "
                "logRetentionDays"
            )
        return value


__all__ = [
    "BEANSTALK_LOG_RETENTION_DAYS",
    "MAX_JOB_TIMEOUT_MINUTES",
    "SQSD_MAX_INACTIVITY_S",
    "SQSD_MAX_VISIBILITY_S",
    "AllowedCidr",
    "BeanstalkArgs",
    "WebTierArgs",
    "WorkerTierArgs",
    "environment_name_problem",
    "environment_names",
    "min_in_service",
]
