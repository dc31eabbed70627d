"""SSH access: an imported public key becomes a key pair; an existing key pair is used by name; no private key."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.servers.args import KeyPairArgs


def server_key_pair(
    name: str, args: KeyPairArgs | None, *, tags: Mapping[str, str], opts: pulumi.ResourceOptions
) -> tuple[aws.ec2.KeyPair | None, pulumi.Input[str] | None]:
    """The imported key pair (if a public key was given) and the key name the instance uses (None: no SSH key)."""
    if args is None:
        return None, None
    if args.public_key:
        pair = aws.ec2.KeyPair(f"{name}-key", public_key=args.public_key, tags=tagged(tags, f"{name}-key"), opts=opts)
        return pair, pair.key_name
    return None, args.name
