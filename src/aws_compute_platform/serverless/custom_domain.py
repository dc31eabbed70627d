"""ApiCustomDomain: the orders API at api.<domain>: an API Gateway custom domain name (regional, TLS 1.2), the
domain's certificate, the mapping to the API's stage, and the alias record.

A regional custom domain takes a certificate from the API's own region, the one `Domain.certificate` makes by default;
for HTTP APIs "TLS 1.2 is the only supported TLS version" and an HTTP API cannot be mapped to a domain with an
enhanced (`SecurityPolicy_*`) policy (API Gateway developer guide, "Custom domain names for HTTP APIs" and "Choose a
security policy for your custom domain"), so the policy is `TLS_1_2`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.domain import Domain
from aws_compute_platform.foundation.tags import tagged

API_LABEL = "api"
SECURITY_POLICY = "TLS_1_2"


class ApiCustomDomain(pulumi.ComponentResource):
    """`api.<domain>` serving the stage `stage_name` of the API `api_id`; `url` is its HTTPS address."""

    def __init__(
        self,
        name: str,
        *,
        domain: Domain,
        api_id: pulumi.Input[str],
        stage_name: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:serverless:ApiCustomDomain", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.fqdn = domain.fqdn(API_LABEL)
        self.certificate = domain.certificate(f"{name}-certificate", self.fqdn)
        self.domain_name = aws.apigatewayv2.DomainName(
            f"{name}-domain",
            domain_name=self.fqdn,
            domain_name_configuration={
                "certificate_arn": self.certificate.arn,
                "endpoint_type": "REGIONAL",
                "security_policy": SECURITY_POLICY,
            },
            tags=tagged(tags, self.fqdn),
            opts=child,
        )
        self.mapping = aws.apigatewayv2.ApiMapping(
            f"{name}-mapping",
            api_id=api_id,
            domain_name=self.domain_name.id,
            stage=stage_name,
            opts=child,
        )
        configuration = self.domain_name.domain_name_configuration
        domain.alias(
            f"{name}-alias",
            self.fqdn,
            target_dns_name=configuration.apply(lambda c: c.target_domain_name or ""),
            target_zone_id=configuration.apply(lambda c: c.hosted_zone_id or ""),
        )
        self.url: str = f"https://{self.fqdn}"
        self.register_outputs({"url": self.url})
