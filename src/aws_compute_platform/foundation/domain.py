"""Domain: names for the web-facing parts in a Route 53 hosted zone, with certificates ACM validates through it.

Each web-facing component takes a `Domain` (or nothing) and asks it for a name (`payroll.example.org`), a
certificate for that name, and an alias record pointing the name at its load balancer, distribution or API.

Certificates are validated by DNS: ACM tells which CNAME proves control of the name, the record is written into
the zone, and `CertificateValidation` waits until ACM has issued the certificate, so nothing uses it before.
https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html

CloudFront takes certificates only from us-east-1 ("To use an ACM certificate with CloudFront, make sure you
request the certificate in the US East (N. Virginia) Region", https://docs.aws.amazon.com/acm/latest/userguide/
acm-regions.html). pulumi-aws v7 places any resource in another region with its `region` argument, which uses the
stack's own credentials and settings; a second provider would need them configured twice. `US_EAST_1` is that
explicit region, named wherever a resource must live there.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.tags import tagged

US_EAST_1 = "us-east-1"


class Certificate(pulumi.ComponentResource):
    """An ACM certificate for one name, validated through the zone; `arn` resolves once ACM has issued it."""

    def __init__(
        self,
        name: str,
        *,
        fqdn: str,
        zone_id: pulumi.Input[str],
        tags: Mapping[str, str],
        region: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:edge:Certificate", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.certificate = aws.acm.Certificate(
            name,
            domain_name=fqdn,
            validation_method="DNS",
            region=region,
            tags=tagged(tags, fqdn),
            opts=child,
        )
        option = self.certificate.domain_validation_options[0]
        self.validation_record = aws.route53.Record(
            f"{name}-validation",
            zone_id=zone_id,
            name=option.resource_record_name.apply(lambda n: n or ""),
            type=option.resource_record_type.apply(lambda t: t or "CNAME"),
            records=[option.resource_record_value.apply(lambda v: v or "")],
            ttl=300,
            # ACM gives the same record to every certificate for the name: a second one may find it written.
            allow_overwrite=True,
            opts=child,
        )
        self.validation = aws.acm.CertificateValidation(
            name,
            certificate_arn=self.certificate.arn,
            validation_record_fqdns=[self.validation_record.fqdn],
            region=region,
            opts=child,
        )
        self.arn: pulumi.Output[str] = self.validation.certificate_arn
        self.register_outputs({"arn": self.arn})


class Domain(pulumi.ComponentResource):
    """A public Route 53 hosted zone the stack's names live in, looked up by its name at preview."""

    def __init__(
        self,
        name: str,
        zone_name: str,
        *,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:edge:Domain", name, None, opts)
        self._name = name
        self._tags = dict(tags)
        self.zone_name = zone_name.rstrip(".")
        zone = aws.route53.get_zone_output(
            name=self.zone_name, private_zone=False, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        self.zone_id: pulumi.Output[str] = zone.zone_id
        self.register_outputs({"zoneId": self.zone_id, "zoneName": self.zone_name})

    def fqdn(self, label: str | None) -> str:
        """`payroll` -> `payroll.example.org`; None or "" -> the zone's apex."""
        return f"{label}.{self.zone_name}" if label else self.zone_name

    def certificate(self, name: str, fqdn: str, *, region: str | None = None) -> Certificate:
        """A DNS-validated certificate for `fqdn`; `region=US_EAST_1` for CloudFront."""
        return Certificate(
            name,
            fqdn=fqdn,
            zone_id=self.zone_id,
            tags=self._tags,
            region=region,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def alias(
        self,
        name: str,
        fqdn: str,
        *,
        target_dns_name: pulumi.Input[str],
        target_zone_id: pulumi.Input[str],
        ipv6: bool = False,
        evaluate_target_health: bool = True,
    ) -> list[aws.route53.Record]:
        """An A alias record (and AAAA with `ipv6`, for targets that answer on IPv6) pointing `fqdn` at a target.

        `evaluate_target_health=False` for a CloudFront distribution: "You can't set EvaluateTargetHealth to true
        when the alias target is a CloudFront distribution" (Route 53 API reference, AliasTarget).
        """
        return [
            aws.route53.Record(
                f"{name}-{record_type.lower()}",
                zone_id=self.zone_id,
                name=fqdn,
                type=record_type,
                aliases=[
                    {
                        "name": target_dns_name,
                        "zone_id": target_zone_id,
                        "evaluate_target_health": evaluate_target_health,
                    }
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )
            for record_type in (("A", "AAAA") if ipv6 else ("A",))
        ]
