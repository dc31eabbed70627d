"""Trusted machine images: where an instance's AMI may come from, and the lookups that let AWS vouch for it.

Three sources are accepted, each one verified by AWS rather than by us:

- an SSM public parameter under `/aws/service/` (Amazon Linux 2023, Ubuntu LTS, ...), which AWS publishes;
- an AWS Marketplace product, looked up with owner `aws-marketplace`, its product code and a name pattern, so only
  images the Marketplace seller published under that product can match;
- an explicit AMI id together with its owner, which must be on the stack's allow-list; the lookup is constrained
  to that owner, so an AMI that the owner did not publish makes the lookup fail instead of launching.

Anything else is a community image: anyone can publish a public AMI under any name, so an image picked by id or
name alone may carry a backdoor. Such images are refused by `ImageSource`;
owners not on the stack's allow-list (`trustedImageOwners`) are refused in settings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, cast

import pulumi
import pulumi_aws as aws
from pydantic import AfterValidator, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from aws_compute_platform.args import ArgsModel

# Owner aliases EC2 understands in DescribeImages `Owners` (`self` is this account).
OWNER_ALIASES = ("amazon", "aws-marketplace", "self")
DEFAULT_TRUSTED_OWNERS = ("amazon", "aws-marketplace")
SSM_PUBLIC_PREFIX = "/aws/service/"
COMMUNITY_RISK = (
    "community images are published by unverified accounts and are a known supply-chain risk (an AMI can be "
    "published under any name, with a backdoor baked in)"
)
# Marketplace product codes (describe-images `ProductCodes[].ProductCodeId`) are lower-case letters and digits,
# 24 or 25 long in the listings seen (aw0evgkw8e5c1q413zgy5pjce); the bounds leave room without admitting names.
_PRODUCT_CODE = r"[a-z0-9]{20,32}"
_NAME_PATTERN = r"[\w.*?/()\[\] +-]{1,128}"
_AMI_ID = r"ami-[0-9a-f]{8}([0-9a-f]{9})?"
_ACCOUNT_ID = r"\d{12}"
_KINDS = {"ssmParameter": "ssm_parameter", "marketplace": "marketplace", "ami": "ami"}
_OWNER_HELP = f"must be a 12-digit AWS account id or one of: {', '.join(OWNER_ALIASES)}"


def check_owner(value: str) -> str:
    """An image owner as DescribeImages takes it: an account id or an alias (amazon, aws-marketplace, self)."""
    if value in OWNER_ALIASES or re.fullmatch(_ACCOUNT_ID, value):
        return value
    raise ValueError(_OWNER_HELP)


ImageOwner = Annotated[str, AfterValidator(check_owner)]
TrustedImageOwners = Annotated[tuple[ImageOwner, ...], AfterValidator(lambda owners: tuple(dict.fromkeys(owners)))]
"""The allow-list of image owners (aws-compute-platform:trustedImageOwners): account ids or aliases, deduplicated."""


def located(title: str, *problems: tuple[tuple[str | int, ...], str, Any]) -> ValidationError:
    """Problems found by a validator that belong to a field of its model: `((field, ...), problem, shown value)`.

    Raised inside a validator, pydantic prefixes each location with the path to the model, so the error names the
    full key (`...servers[0].image.owner`) instead of the model. A value of `{}` is not shown in the message.
    """
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(type=PydanticCustomError("value_error", problem), loc=loc, input=value)
            for loc, problem, value in problems
        ],
    )


class MarketplaceImage(ArgsModel):
    """An AWS Marketplace product: the newest image its seller published under it whose name matches the pattern."""

    product_code: str
    """The listing's product code (DescribeImages ProductCodes[].ProductCodeId), lower-case letters and digits."""
    name_pattern: str
    """An AMI name pattern such as vendor-app-*-x86_64-* (wildcards * and ?)."""

    @field_validator("product_code")
    @classmethod
    def _product_code(cls, value: str) -> str:
        if not re.fullmatch(_PRODUCT_CODE, value):
            raise ValueError("must be the listing's product code (lower-case letters and digits, 20-32 long)")
        return value

    @field_validator("name_pattern")
    @classmethod
    def _name_pattern(cls, value: str) -> str:
        if not re.fullmatch(_NAME_PATTERN, value):
            raise ValueError("must be an AMI name pattern such as vendor-app-*-x86_64-* (wildcards * and ?)")
        return value


class ImageSource(ArgsModel):
    """Where one server's image comes from: exactly one of an AWS public parameter, a Marketplace product, or an
    explicit AMI with its owner. Picking an image by name or id alone (a community image) is refused."""

    config_key = "aws-compute-platform:servers[].image"

    ssm_parameter: str | None = None
    """An AWS public SSM parameter under /aws/service/ naming the image (Amazon Linux 2023, Ubuntu LTS, ...)."""
    marketplace: MarketplaceImage | None = None
    """An AWS Marketplace product (subscribe to the listing first); needs aws-marketplace in trustedImageOwners."""
    ami: str | None = None
    """An explicit AMI id; only together with its owner, which must be in trustedImageOwners."""
    owner: ImageOwner | None = None
    """The account (12 digits) or alias (amazon, aws-marketplace, self) that published `ami`."""

    @model_validator(mode="before")
    @classmethod
    def _exactly_one_source(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        given = [k for k, name in _KINDS.items() if raw.get(k) is not None or raw.get(name) is not None]
        if len(given) != 1:
            known = {*_KINDS, *_KINDS.values(), "owner"}
            unknown = sorted(str(k) for k in raw if k not in known)
            hint = f" ({', '.join(unknown)} is not an image source)" if unknown else ""
            raise ValueError(
                "must name exactly one image source: ssmParameter (an AWS public parameter), marketplace "
                "(productCode and namePattern) or ami with its owner; " + COMMUNITY_RISK + hint
            )
        return raw

    @field_validator("ssm_parameter")
    @classmethod
    def _aws_public_parameter(cls, path: str) -> str:
        if not path.startswith(SSM_PUBLIC_PREFIX):
            raise ValueError(
                f"must be an AWS public parameter under {SSM_PUBLIC_PREFIX} (such as "
                "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64); a parameter of your "
                "own could point at any AMI, including a community image"
            )
        return path

    @field_validator("ami")
    @classmethod
    def _ami_id(cls, ami: str) -> str:
        if not re.fullmatch(_AMI_ID, ami):
            raise ValueError("must be an AMI id such as ami-0abc1234def567890")
        return ami

    @model_validator(mode="after")
    def _owner_goes_with_ami(self) -> ImageSource:
        if self.ami and not self.owner:
            raise located(
                "ImageSource",
                (
                    ("owner",),
                    f"is required with ami {self.ami}: an AMI picked by id alone may be a community image; "
                    f"{COMMUNITY_RISK}. Name its owner (an account or alias in "
                    "aws-compute-platform:trustedImageOwners)",
                    {},
                ),
            )
        if self.owner and not self.ami:
            raise located("ImageSource", (("owner",), "goes only with ami (the image's publisher)", self.owner))
        return self

    @property
    def kind(self) -> str:
        if self.ssm_parameter:
            return "ssmParameter"
        if self.marketplace:
            return "marketplace"
        return "ami"

    def describe(self) -> str:
        if self.ssm_parameter:
            return f"SSM public parameter {self.ssm_parameter}"
        if self.marketplace:
            return f"AWS Marketplace product {self.marketplace.product_code} ({self.marketplace.name_pattern})"
        return f"{self.ami} owned by {self.owner}"

    def architecture(self) -> str | None:
        """The CPU architecture an SSM parameter path names (`.../al2023-ami-kernel-default-arm64`), if any."""
        path = self.ssm_parameter or ""
        if "arm64" in path:
            return "arm64"
        if "x86_64" in path or "amd64" in path:
            return "x86_64"
        return None


def untrusted_image_problem(source: ImageSource, trusted_owners: Sequence[str]) -> tuple[str, str] | None:
    """`(key, problem)` when the image's publisher is not on the allow-list; None when AWS vouches for it."""
    trusted = ", ".join(trusted_owners) or "none"
    if source.marketplace and "aws-marketplace" not in trusted_owners:
        return "marketplace", f"needs aws-marketplace in aws-compute-platform:trustedImageOwners (trusted: {trusted})"
    if source.ami and source.owner not in trusted_owners:
        return "owner", (
            f"{source.owner} is not a trusted image owner (trusted: {trusted}); {COMMUNITY_RISK}. Add the account "
            "to aws-compute-platform:trustedImageOwners only after verifying who publishes it"
        )
    return None


def resolve_image(source: ImageSource, architecture: str, opts: pulumi.InvokeOutputOptions) -> pulumi.Output[str]:
    """The AMI id for a trusted source, found by a lookup that AWS constrains to the trusted publisher."""
    if source.ssm_parameter:
        return cast(pulumi.Output[str], aws.ssm.get_parameter_output(name=source.ssm_parameter, opts=opts).value)
    if source.marketplace:
        marketplace = aws.ec2.get_ami_output(
            owners=["aws-marketplace"],
            most_recent=True,
            filters=[
                {"name": "product-code", "values": [source.marketplace.product_code]},
                {"name": "name", "values": [source.marketplace.name_pattern]},
                {"name": "architecture", "values": [architecture]},
                {"name": "state", "values": ["available"]},
            ],
            opts=opts,
        )
        return cast(pulumi.Output[str], marketplace.id)
    explicit = aws.ec2.get_ami_output(
        owners=[source.owner or "self"],
        filters=[{"name": "image-id", "values": [source.ami or ""]}],
        opts=opts,
    )
    return cast(pulumi.Output[str], explicit.id)
