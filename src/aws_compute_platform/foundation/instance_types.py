"""EC2 instance types: the families we accept, grouped as the EC2 console groups them, and their CPU architecture.

A type outside these families is refused in settings rather than at `pulumi up`, where a typo would surface
only after other resources were created. Refresh the list with
`aws ec2 describe-instance-types --query 'InstanceTypes[].InstanceType'` when AWS adds a generation.
"""

from __future__ import annotations

import re

from aws_compute_platform.config import Section

FAMILIES: dict[str, tuple[str, ...]] = {
    "general purpose": (
        "t3", "t3a", "t4g", "m5", "m5a", "m5n", "m5zn", "m6a", "m6g", "m6gd", "m6i", "m6id", "m7a", "m7g", "m7gd",
        "m7i", "m7i-flex", "m8g", "mac1", "mac2",
    ),
    "compute optimised": ("c5", "c5a", "c5d", "c5n", "c6a", "c6g", "c6gd", "c6gn", "c6i", "c6id", "c6in", "c7a", "c7g",
                          "c7gd", "c7gn", "c7i", "c7i-flex", "c8g"),
    "memory optimised": ("r5", "r5a", "r5b", "r5d", "r5n", "r6a", "r6g", "r6gd", "r6i", "r6id", "r7a", "r7g", "r7gd",
                         "r7i", "r7iz", "r8g", "x2gd", "x2idn", "x2iedn", "x8g", "z1d", "u-3tb1", "u-6tb1"),
    "accelerated computing": ("p4d", "p5", "g4dn", "g4ad", "g5", "g5g", "g6", "g6e", "gr6", "inf1", "inf2", "trn1",
                              "dl1", "f1", "vt1"),
    "storage optimised": ("i3", "i3en", "i4g", "i4i", "im4gn", "is4gen", "d3", "d3en", "h1"),
}  # fmt: skip

SIZES = (
    "nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "3xlarge", "4xlarge", "6xlarge", "8xlarge",
    "9xlarge", "12xlarge", "16xlarge", "18xlarge", "24xlarge", "32xlarge", "48xlarge", "metal", "metal-24xl",
    "metal-48xl",
)  # fmt: skip

_FAMILY_OF = {family: category for category, families in FAMILIES.items() for family in families}
_GRAVITON = re.compile(r"^[a-z]+\d+g[a-z]*$")


def category(instance_type: str) -> str | None:
    """`t4g.small` -> `general purpose`; None for an unknown family or size."""
    family, _, size = instance_type.partition(".")
    if size not in SIZES:
        return None
    return _FAMILY_OF.get(family)


def architecture(instance_type: str) -> str:
    """`arm64` for Graviton families (t4g, m7g, c6gn, ...), `x86_64` otherwise: AMIs must match."""
    family = instance_type.split(".", maxsplit=1)[0]
    return "arm64" if _GRAVITON.match(family) or family in ("a1",) else "x86_64"


def instance_type(section: Section, name: str, default: str | None = None, *, required: bool = False) -> str:
    """Read an instance type setting, refusing families and sizes EC2 does not offer."""
    value = section.text(name, default, required=required)
    if value and category(value) is None:
        families = "; ".join(f"{c}: {', '.join(f)}" for c, f in FAMILIES.items())
        section.error(name, f"is not a known EC2 instance type (family.size). Families: {families}", value)
        return default or ""
    return value
