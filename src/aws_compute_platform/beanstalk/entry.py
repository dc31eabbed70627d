"""PayrollEntry: how users reach the web tier: the load balancer's security group, HTTPS under payroll.<domain> with
plain HTTP redirected, the worker route closed at the load balancer, and the alias record.

Elastic Beanstalk creates the load balancer and its listeners; what it lets us set is listed in "General options for
all environments" (awsdocs/aws-elastic-beanstalk-developer-guide doc_source/command-options-general.md):
- `aws:elbv2:listener:443` takes the certificate and TLS policy; `aws:elbv2:loadbalancer` `SecurityGroups` and
  `ManagedSecurityGroup` put the load balancer in a group of ours ("Elastic Beanstalk adds a rule to the instances'
  security group that allows inbound traffic from the managed security group").
- `aws:elbv2:listenerrule:<name>` only forwards to a process: it has no redirect and no fixed response. So the
  redirect to HTTPS and the 404 for /tasks/* are listener rules of our own on Beanstalk's listeners, found from the
  environment's load balancer (`load_balancers` lists its ARN). Beanstalk's documented alternative, a redirect by
  nginx on the instances (configuring-https-httpredirect.md), would leave the HTTP listener forwarding to them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.domain import Domain
from aws_compute_platform.foundation.tags import tagged

PAYROLL_LABEL = "payroll"
WORKER_PATHS = ["/tasks/*"]
# Every path: ALB path patterns are case sensitive and `*` matches any characters, `/` included.
EVERY_PATH = ["/*"]
EVERYONE = "0.0.0.0/0"


class PayrollEntry(pulumi.ComponentResource):
    """The load balancer's way in. With `domain`: 443 (and 80, redirected) from `allowed_cidrs` or everyone. Without
    one: plain HTTP on 80, from `allowed_cidrs` only (the caller has checked there are some). Without a load balancer
    (`load_balanced=False`, a SingleInstance web tier) only the public URL: no group, no rules (InstanceFirewalls
    guards the instance)."""

    def __init__(
        self,
        name: str,
        *,
        vpc_id: pulumi.Input[str],
        domain: Domain | None,
        allowed_cidrs: Sequence[str],
        tags: Mapping[str, str],
        load_balanced: bool = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:beanstalk:Entry", name, None, opts)
        self._name = name
        self._domain = domain
        self._tags = dict(tags)
        sources = list(allowed_cidrs) or [EVERYONE]
        ports = (80, 443) if domain else (80,)
        self.security_group: aws.ec2.SecurityGroup | None = None
        if load_balanced:
            self.security_group = self._load_balancer_group(vpc_id, sources, ports)
        self.fqdn: str | None = domain.fqdn(PAYROLL_LABEL) if domain else None
        self.certificate_arn: pulumi.Output[str] | None = None
        if domain is not None and self.fqdn is not None:
            self.certificate_arn = domain.certificate(f"{name}-certificate", self.fqdn).arn
        # Where users (and Cognito's redirect) reach the app. Cognito accepts a plain-HTTP callback only for
        # localhost, so a stack without a domain signs in through a local forward (docs/signin.md).
        self.public_url = f"https://{self.fqdn}" if self.fqdn else "http://localhost:8000"
        group_id = self.security_group.id if self.security_group else None
        self.register_outputs({"securityGroupId": group_id, "publicUrl": self.public_url})

    def _load_balancer_group(
        self, vpc_id: pulumi.Input[str], sources: list[str], ports: tuple[int, ...]
    ) -> aws.ec2.SecurityGroup:
        name = self._name
        return aws.ec2.SecurityGroup(
            f"{name}-lb",
            vpc_id=vpc_id,
            description="Payroll load balancer: HTTPS (and HTTP, redirected) from the allowed networks",
            ingress=[
                {"protocol": "tcp", "from_port": port, "to_port": port, "cidr_blocks": sources, "description": desc}
                for port, desc in ((80, "HTTP"), (443, "HTTPS"))
                if port in ports
            ],
            # The load balancer talks to the instances' nginx on port 80, and to nothing else.
            egress=[{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": [EVERYONE]}],
            tags=tagged(self._tags, f"{name}-lb"),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def serve(self, load_balancer_arn: pulumi.Output[str]) -> None:
        """The rules on the environment's listeners, and the alias record pointing payroll.<domain> at them."""
        name = self._name
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        http = aws.lb.get_listener_output(load_balancer_arn=load_balancer_arn, port=80, opts=invoke)
        if self._domain is not None:
            aws.lb.ListenerRule(
                f"{name}-to-https",
                listener_arn=http.arn,
                priority=1,
                conditions=[{"path_pattern": {"values": EVERY_PATH}}],
                actions=[
                    {
                        "type": "redirect",
                        "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"},
                    }
                ],
                tags=tagged(self._tags, f"{name}-to-https"),
                opts=child,
            )
            public = aws.lb.get_listener_output(load_balancer_arn=load_balancer_arn, port=443, opts=invoke)
        else:
            public = http
        aws.lb.ListenerRule(
            f"{name}-no-tasks",
            listener_arn=public.arn,
            priority=2,
            conditions=[{"path_pattern": {"values": WORKER_PATHS}}],
            actions=[
                {
                    "type": "fixed-response",
                    "fixed_response": {
                        "content_type": "application/json",
                        "message_body": '{"error": "not found"}',
                        "status_code": "404",
                    },
                }
            ],
            tags=tagged(self._tags, f"{name}-no-tasks"),
            opts=child,
        )
        if self._domain is not None and self.fqdn is not None:
            balancer = aws.lb.get_load_balancer_output(arn=load_balancer_arn, opts=invoke)
            self._domain.alias(
                f"{name}-alias", self.fqdn, target_dns_name=balancer.dns_name, target_zone_id=balancer.zone_id
            )
