"""Trusted machine images: where an instance's AMI may come from, and the lookups that let AWS vouch for it.

Three sources are accepted, each one verified by AWS rather than by us:

- an SSM public parameter under `/aws/service/` (Amazon Linux 2023, Ubuntu LTS, ...), which AWS publishes;
- an AWS Marketplace product, looked up with owner `aws-marketplace`, its product code and a name pattern, so only
  images the Marketplace seller published under that product can match;
- an explicit AMI id together with its owner, which must be on the stack's allow-list; the lookup is constrained
  to that owner, so an AMI that the owner did not publish makes the lookup fail instead of launching.

Anything else is a community image: anyone can publish a public AMI under any name, so an image picked by id or
name alone may carry a backdoor. Such images, and owners not on the allow-list, are refused in settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

import pulumi
import pulumi_aws as aws

from aws_compute_platform.config import Section

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
_AMI_ID = r"ami-[0-9a-f]{8}([0-9a-f]{9})?"
_ACCOUNT_ID = r"\d{12}"


@dataclass(frozen=True)
class ImageSource:
    """Where one server's image comes from: exactly one of the three kinds is set."""

    ssm_parameter: str | None = None
    product_code: str | None = None
    name_pattern: str | None = None
    ami_id: str | None = None
    owner: str | None = None

    @property
    def kind(self) -> str:
        if self.ssm_parameter:
            return "ssmParameter"
        if self.product_code:
            return "marketplace"
        return "ami"

    def describe(self) -> str:
        if self.kind == "ssmParameter":
            return f"SSM public parameter {self.ssm_parameter}"
        if self.kind == "marketplace":
            return f"AWS Marketplace product {self.product_code} ({self.name_pattern})"
        return f"{self.ami_id} owned by {self.owner}"

    def architecture(self) -> str | None:
        """The CPU architecture an SSM parameter path names (`.../al2023-ami-kernel-default-arm64`), if any."""
        path = self.ssm_parameter or ""
        if "arm64" in path:
            return "arm64"
        if "x86_64" in path or "amd64" in path:
            return "x86_64"
        return None

    @classmethod
    def from_config(cls, section: Section, *, trusted_owners: tuple[str, ...]) -> ImageSource | None:
        """Read `image: {ssmParameter: ...} | {marketplace: {productCode, namePattern}} | {ami, owner}`."""
        kinds = [k for k in ("ssmParameter", "marketplace", "ami") if section.has(k)]
        if len(kinds) != 1:
            unknown = sorted(set(section.raw) - {"ssmParameter", "marketplace", "ami", "owner"})
            hint = f" ({', '.join(unknown)} is not an image source)" if unknown else ""
            section.problems.add(
                section.path,
                "must name exactly one image source: ssmParameter (an AWS public parameter), marketplace "
                "({productCode, namePattern}) or ami with its owner; " + COMMUNITY_RISK + hint,
                dict(section.raw),
            )
            return None
        kind = kinds[0]
        if kind == "ssmParameter":
            path = section.text("ssmParameter", required=True)
            section.finish()
            if not path.startswith(SSM_PUBLIC_PREFIX):
                section.error(
                    "ssmParameter",
                    f"must be an AWS public parameter under {SSM_PUBLIC_PREFIX} (such as "
                    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64); a parameter of your "
                    "own could point at any AMI, including a community image",
                    path,
                )
                return None
            return cls(ssm_parameter=path)
        if kind == "marketplace":
            market = section.section("marketplace")
            code = market.text(
                "productCode",
                required=True,
                pattern=_PRODUCT_CODE,
                pattern_help="the listing's product code (lower-case letters and digits, 20-32 long)",
            )
            pattern = market.text(
                "namePattern",
                required=True,
                pattern=r"[\w.*?/()\[\] +-]{1,128}",
                pattern_help="an AMI name pattern such as vendor-app-*-x86_64-* (wildcards * and ?)",
            )
            market.finish()
            section.finish()
            if "aws-marketplace" not in trusted_owners:
                section.error(
                    "marketplace",
                    "needs aws-marketplace in aws-compute-platform:trustedImageOwners "
                    f"(trusted: {', '.join(trusted_owners) or 'none'})",
                )
                return None
            if not code or not pattern:
                return None
            return cls(product_code=code, name_pattern=pattern)
        ami = section.text(
            "ami", required=True, pattern=_AMI_ID, pattern_help="an AMI id such as ami-0abc1234def567890"
        )
        owner = section.optional_text("owner")
        section.finish()
        if not owner:
            section.error(
                "owner",
                f"is required with ami {ami}: an AMI picked by id alone may be a community image; "
                f"{COMMUNITY_RISK}. Name its owner (one of {', '.join(trusted_owners)})",
            )
            return None
        if owner not in trusted_owners:
            section.error(
                "owner",
                f"{owner} is not a trusted image owner (trusted: {', '.join(trusted_owners) or 'none'}); "
                f"{COMMUNITY_RISK}. Add the account to aws-compute-platform:trustedImageOwners only after "
                "verifying who publishes it",
                owner,
            )
            return None
        return cls(ami_id=ami, owner=owner) if ami else None


def trusted_image_owners(section: Section, name: str = "trustedImageOwners") -> tuple[str, ...]:
    """The allow-list of image owners: account ids (12 digits) or the aliases amazon, aws-marketplace, self."""

    def item(key: str, value: object) -> str | None:
        if isinstance(value, str) and (value in OWNER_ALIASES or re.fullmatch(_ACCOUNT_ID, value)):
            return value
        section.problems.add(key, f"must be a 12-digit AWS account id or one of: {', '.join(OWNER_ALIASES)}", value)
        return None

    owners = section.items(name, item, list(DEFAULT_TRUSTED_OWNERS))
    return tuple(dict.fromkeys(owners))


def resolve_image(source: ImageSource, architecture: str, opts: pulumi.InvokeOutputOptions) -> pulumi.Output[str]:
    """The AMI id for a trusted source, found by a lookup that AWS constrains to the trusted publisher."""
    if source.ssm_parameter:
        return cast(pulumi.Output[str], aws.ssm.get_parameter_output(name=source.ssm_parameter, opts=opts).value)
    if source.product_code:
        marketplace = aws.ec2.get_ami_output(
            owners=["aws-marketplace"],
            most_recent=True,
            filters=[
                {"name": "product-code", "values": [source.product_code]},
                {"name": "name", "values": [source.name_pattern or "*"]},
                {"name": "architecture", "values": [architecture]},
                {"name": "state", "values": ["available"]},
            ],
            opts=opts,
        )
        return cast(pulumi.Output[str], marketplace.id)
    explicit = aws.ec2.get_ami_output(
        owners=[source.owner or "self"],
        filters=[{"name": "image-id", "values": [source.ami_id or ""]}],
        opts=opts,
    )
    return cast(pulumi.Output[str], explicit.id)
