"""Security groups that name each other: `database.allow_from(instances)` opens exactly that path, both ways.

Each tier of the fleet owns one security group and the port it serves. Opening a path between two tiers adds the
ingress rule on the target and the matching egress rule on the source, each a separate
`aws.vpc.SecurityGroup{Ingress,Egress}Rule` (so groups can name each other without a cycle) named after the path:
`db-from-web` and `web-to-db`. Nothing else is open: a group starts with no rules at all.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.tags import tagged


def security_group(
    name: str,
    suffix: str,
    description: str,
    *,
    vpc_id: pulumi.Input[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.ec2.SecurityGroup:
    """An empty security group `<name>-<suffix>`: rules are added one path at a time through `Connections`."""
    return aws.ec2.SecurityGroup(
        f"{name}-{suffix}",
        description=description,
        vpc_id=vpc_id,
        tags=tagged(tags, f"{name}-{suffix}"),
        opts=pulumi.ResourceOptions(parent=parent),
    )


class Connections:
    """A tier's security group (`label`: web, db, ...) and the TCP port it serves."""

    def __init__(
        self,
        name: str,
        label: str,
        group: aws.ec2.SecurityGroup,
        *,
        port: int | None,
        tags: Mapping[str, str],
        parent: pulumi.Resource,
    ) -> None:
        self.name = name
        self.label = label
        self.group = group
        self.port = port
        self.tags = tags
        self.parent = parent

    def allow_from(self, source: Connections) -> None:
        """`source` may open connections to this tier's port: `<self>-from-<source>` and `<source>-to-<self>`."""
        if self.port is None:
            raise ValueError(f"{self.label} serves no port that another tier could reach")
        self._rule(
            aws.vpc.SecurityGroupIngressRule,
            f"{self.label}-from-{source.label}",
            self.group,
            self.port,
            referenced_security_group_id=source.group.id,
        )
        self._rule(
            aws.vpc.SecurityGroupEgressRule,
            f"{source.label}-to-{self.label}",
            source.group,
            self.port,
            referenced_security_group_id=self.group.id,
        )

    def allow_from_cidr(self, rule: str, port: int, cidr: str) -> None:
        """Connections from a network (IPv4 or IPv6 CIDR) to `port` of this tier."""
        family = "cidr_ipv6" if ":" in cidr else "cidr_ipv4"
        self._rule(aws.vpc.SecurityGroupIngressRule, rule, self.group, port, **{family: cidr})

    def allow_from_prefix_list(self, rule: str, port: int, prefix_list_id: pulumi.Input[str]) -> None:
        """Connections from the addresses of a managed prefix list (e.g. CloudFront's origin-facing servers)."""
        self._rule(aws.vpc.SecurityGroupIngressRule, rule, self.group, port, prefix_list_id=prefix_list_id)

    def allow_to_cidr(self, rule: str, port: int, cidr: str) -> None:
        """Connections from this tier to `port` of a network (IPv4 or IPv6 CIDR)."""
        family = "cidr_ipv6" if ":" in cidr else "cidr_ipv4"
        self._rule(aws.vpc.SecurityGroupEgressRule, rule, self.group, port, **{family: cidr})

    def _rule(
        self,
        kind: type[aws.vpc.SecurityGroupIngressRule | aws.vpc.SecurityGroupEgressRule],
        rule: str,
        group: aws.ec2.SecurityGroup,
        port: int,
        **peer: pulumi.Input[str],
    ) -> None:
        kind(
            f"{self.name}-{rule}",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=rule,
            tags=tagged(self.tags, f"{self.name}-{rule}"),
            opts=pulumi.ResourceOptions(parent=self.parent),
            **peer,
        )
