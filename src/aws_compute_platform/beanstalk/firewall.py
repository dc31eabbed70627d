"""InstanceFirewalls: the security groups of payroll instances that run in public subnets, with public addresses.

Elastic Beanstalk's default instance group admits port 80 from the whole internet in a single-instance environment
("Managing EC2 security groups", using-features.managing.ec2.instances.sg). Instances in public subnets get these
groups instead (DisableDefaultEC2SecurityGroup, options._placement):

    allowedCidrs --80--> web instance        (nothing else in)
    (nothing)     -----> worker instance     (sqsd reads the queue and calls the app on the instance itself)
    both --443--> Elastic Beanstalk, SQS, SES, S3, CloudWatch Logs, CloudFormation, package repositories, PyPI

Every service the tiers call is HTTPS, so 443 is the only way out. Security groups do not filter the Amazon DNS
server, the instance metadata service or the Amazon Time Sync Service (Amazon VPC User Guide, "Security group
rules"), which the instances also use. A group made here starts with no rule at all (the provider removes the
allow-all egress rule AWS adds); each rule is its own resource named after its path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.tags import tagged

HTTP, HTTPS = 80, 443


class InstanceFirewalls(pulumi.ComponentResource):
    """The web tier's group (port 80 from `allowed_cidrs` only), the worker tier's (nothing in); both send 443 only."""

    def __init__(
        self,
        name: str,
        *,
        vpc_id: pulumi.Input[str],
        allowed_cidrs: Sequence[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:beanstalk:InstanceFirewalls", name, None, opts)
        self._name, self._tags = name, tags
        self.web = self._group("web", "Payroll web instances: port 80 from the allowed networks only", vpc_id)
        self.worker = self._group("worker", "Payroll worker instances: nothing in", vpc_id)
        for i, cidr in enumerate(allowed_cidrs):
            self._rule(aws.vpc.SecurityGroupIngressRule, f"web-from-allowed-{i}", self.web, HTTP, cidr)
        for label, group in (("web", self.web), ("worker", self.worker)):
            self._rule(aws.vpc.SecurityGroupEgressRule, f"{label}-to-https", group, HTTPS, "0.0.0.0/0")
        self.web_group_id: pulumi.Output[str] = self.web.id
        self.worker_group_id: pulumi.Output[str] = self.worker.id
        self.register_outputs({"webGroupId": self.web.id, "workerGroupId": self.worker.id})

    def _group(self, label: str, description: str, vpc_id: pulumi.Input[str]) -> aws.ec2.SecurityGroup:
        name = f"{self._name}-{label}-instances"
        return aws.ec2.SecurityGroup(
            name,
            description=description,
            vpc_id=vpc_id,
            tags=tagged(self._tags, name),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _rule(
        self,
        kind: type[aws.vpc.SecurityGroupIngressRule | aws.vpc.SecurityGroupEgressRule],
        rule: str,
        group: aws.ec2.SecurityGroup,
        port: int,
        cidr: str,
    ) -> None:
        family = "cidr_ipv6" if ":" in cidr else "cidr_ipv4"
        kind(
            f"{self._name}-{rule}",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=rule,
            tags=tagged(self._tags, f"{self._name}-{rule}"),
            opts=pulumi.ResourceOptions(parent=self),
            **{family: cidr},
        )
