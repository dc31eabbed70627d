"""The server's public address: a fixed Elastic IP, the instance's auto-assigned one, or none."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.tags import tagged


@dataclass(frozen=True)
class PublicAddress:
    """What the server is reached at from the internet (empty strings for a private server)."""

    ip: pulumi.Output[str]
    dns: pulumi.Output[str]
    elastic_ip: aws.ec2.Eip | None = None


def public_address(
    name: str,
    mode: Literal["elastic", "auto", "none"],
    instance: aws.ec2.Instance,
    *,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource] | None = None,
) -> PublicAddress:
    """`elastic`: an Elastic IP `<name>-eip` attached to the instance (it survives stop/start); `auto`: the address
    the subnet assigns at launch; `none`: reachable only inside the VPC."""
    if mode == "elastic":
        eip = aws.ec2.Eip(
            f"{name}-eip",
            domain="vpc",
            instance=instance.id,
            tags=tagged(tags, f"{name}-eip"),
            opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on or []),
        )
        return PublicAddress(eip.public_ip, eip.public_dns, eip)
    if mode == "auto":
        return PublicAddress(instance.public_ip, instance.public_dns)
    return PublicAddress(pulumi.Output.from_input(""), pulumi.Output.from_input(""))
