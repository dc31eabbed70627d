"""The server's own security group: exactly the ports its settings list, nothing else inbound."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.servers.args import PortRule, is_ipv6


def server_security_group(
    name: str,
    ports: Sequence[PortRule],
    *,
    vpc_id: pulumi.Input[str],
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.ec2.SecurityGroup:
    """A security group `<name>-sg` opening each configured port to its networks (IPv4 and IPv6 kept apart)."""
    return aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=vpc_id,
        description=f"{name}: exactly the ports its configuration opens",
        ingress=[
            aws.ec2.SecurityGroupIngressArgs(
                protocol=rule.protocol,
                from_port=rule.port,
                to_port=rule.port,
                cidr_blocks=[c for c in rule.cidrs if not is_ipv6(c)] or None,
                ipv6_cidr_blocks=[c for c in rule.cidrs if is_ipv6(c)] or None,
                description=f"{rule.port}/{rule.protocol} from configured networks",
            )
            for rule in ports
        ],
        # Outbound is open so the server can fetch updates; inbound is what the configuration lists, nothing more.
        egress=[
            aws.ec2.SecurityGroupEgressArgs(
                protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"], description="all outbound"
            )
        ],
        tags=tagged(tags, f"{name}-sg"),
        opts=opts,
    )
