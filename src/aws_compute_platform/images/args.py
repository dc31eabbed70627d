"""The image pipeline's Args: when it bakes, with whom it shares, and how the build instance runs.

`ImagePipelineArgs` is both the `aws-compute-platform:imagePipeline` section of a stack file and what a team builds
in Python; either way a bad value raises `SettingsError` naming the full key.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from aws_compute_platform.args import ArgsModel, Flag
from aws_compute_platform.foundation.instance_types import InstanceType

# Image Builder schedules are six-field cron expressions (minutes hours day-of-month month day-of-week year); the
# five-field form the API once accepted is refused now (pulumi-aws ImagePipelineScheduleArgs.schedule_expression,
# docs.aws.amazon.com/imagebuilder/latest/userguide/cron-expressions.html).
_CRON = re.compile(r"cron\((\S+ ){5}\S+\)")
_ACCOUNT = re.compile(r"\d{12}")
_SHA1 = re.compile(r"[0-9a-f]{40}")
DEFAULT_SCHEDULE = "cron(0 4 ? * SUN *)"


def _account_id(value: str) -> str:
    if not _ACCOUNT.fullmatch(value):
        raise ValueError("must be a 12-digit AWS account id")
    return value


AccountId = Annotated[str, AfterValidator(_account_id)]


class ImagePipelineArgs(ArgsModel):
    """The `imagePipeline` config section: an EC2 Image Builder pipeline that bakes the WordPress image."""

    config_key = "aws-compute-platform:imagePipeline"

    enabled: Flag = False
    """Build the pipeline in this stack (and the SSM parameter the fleet reads a baked image from)."""
    schedule: str = DEFAULT_SCHEDULE
    """When Image Builder checks for updates (six-field cron, UTC): it bakes a new image only when the parent image
    (Amazon Linux 2023) or a component has a new version."""
    share_with_accounts: tuple[AccountId, ...] = ()
    """AWS accounts given launch permission on every new image (and use of the stack key that encrypts it); no one
    else. Empty: the image stays private to this account."""
    instance_type: InstanceType = "t4g.small"
    """Build and test instance type; its architecture is the image's, and must match the fleet's (t4g: arm64)."""
    subnet: Literal["private", "public"] = "private"
    """Where build instances run: private subnets reach the internet through NAT, public ones with a public address
    (both only outbound: the security group has no inbound rule)."""
    root_volume_gb: int = Field(8, ge=8, le=1024)
    """Size of the image's encrypted gp3 root volume, in GiB (what its snapshot keeps); at most the fleet's
    rootVolumeGb."""
    wordpress_sha1: str | None = None
    """SHA-1 of the WordPress release archive, pinned in the stack file; without it the build checks the archive
    against the checksum wordpress.org publishes beside it, over HTTPS."""
    log_retention_days: int = Field(30, ge=1)
    """Days the build logs are kept in their bucket. Defaults to the stack's logRetentionDays."""
    test_timeout_minutes: int = Field(60, ge=60, le=1440)
    """Minutes the image tests (an instance launched from the new image serving the health page) may take."""

    @field_validator("schedule")
    @classmethod
    def _six_field_cron(cls, value: str) -> str:
        if not _CRON.fullmatch(value):
            raise ValueError(
                "must be a six-field cron expression such as cron(0 4 ? * SUN *) (minutes hours day-of-month month "
                "day-of-week year, UTC)"
            )
        return value

    @field_validator("share_with_accounts")
    @classmethod
    def _once_each(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value))

    @field_validator("wordpress_sha1", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("wordpress_sha1")
    @classmethod
    def _hex_digest(cls, value: str | None) -> str | None:
        if value is not None and not _SHA1.fullmatch(value):
            raise ValueError("must be a SHA-1 digest: 40 lower-case hex digits (wordpress.org's <release>.tar.gz.sha1)")
        return value


__all__ = ["DEFAULT_SCHEDULE", "AccountId", "ImagePipelineArgs"]
