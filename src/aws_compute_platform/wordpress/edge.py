"""SiteEdge: the CloudFront distribution in front of the WordPress load balancer, and the AWS WAF web ACL on it.

Cache behaviours follow AWS's whitepaper "Best Practices for WordPress on AWS" ("CloudFront distribution creation"),
stricter in one respect: every behaviour sends viewers to HTTPS.

- `wp-admin/*`, `wp-login.php`: never cached (Managed-CachingDisabled); every header, cookie and query string
  forwarded, with CloudFront's headers (Managed-AllViewerAndCloudFrontHeaders-2022-06); HTTPS only.
- `wp-content/*`, `wp-includes/*`: cached by path and query string (asset versions); no cookies, no headers.
- default `*`: cached by `Host`, `CloudFront-Forwarded-Proto`, the `comment_*`, `wordpress_*`, `wp-settings-*` cookies
  and the query string, which are also all WordPress receives.

The admin paths use AWS managed policies (ids from the CloudFront developer guide, "Use managed cache policies" and
"Use managed origin request policies"). No managed cache policy keeps query strings without cookies or headers, and
none names WordPress's cookies, so the static and page behaviours use two policies of their own.

CloudFront reaches the load balancer through a VPC origin: the load balancer is internal, in private subnets, and
has no address on the internet (CloudFront developer guide, "Restrict access with VPC origins"). Every request to the
origin still carries the secret origin header the load balancer requires (`ORIGIN_HEADER`), so only this
distribution's requests are forwarded, not another distribution's that found the VPC origin; CloudFront overwrites a
viewer's header of the same name. Standard access logs are off: they need an S3 bucket with
ACLs enabled (the legacy delivery) or a CloudWatch Logs delivery per distribution, the load balancer's access logs
already record every request that reaches WordPress (the client address in X-Forwarded-For), and the WAF keeps
sampled requests and per-rule metrics of the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.domain import US_EAST_1
from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.wordpress.args import CdnArgs
from aws_compute_platform.wordpress.load_balancer import ORIGIN_HEADER

# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html:
# all viewer headers, cookies and query strings, plus CloudFront-Forwarded-Proto (the viewer's scheme).
ALL_VIEWER_AND_CLOUDFRONT_HEADERS = "33f36d7e-f396-46d9-90e0-52428a34d9dc"
# Route 53 answers an alias to any CloudFront distribution from this hosted zone (AWS general reference, "Amazon
# CloudFront endpoints and quotas").
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"

ADMIN_PATHS = ("wp-admin/*", "wp-login.php")
STATIC_PATHS = ("wp-content/*", "wp-includes/*")
# The cookies WordPress sets for commenters, signed-in users and their settings.
SESSION_COOKIES = ("comment_*", "wordpress_*", "wp-settings-*")
PAGE_HEADERS = ("Host", "CloudFront-Forwarded-Proto")
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
READ_METHODS = ["GET", "HEAD"]
ORIGIN_ID = "wordpress"

# AWS managed rule groups (vendor AWS), in evaluation order after the reputation list and the login rate limit.
# https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesWordPressRuleSet",
    "AWSManagedRulesPHPRuleSet",
)
# The core rule set blocks request bodies over 8 KB, which every media upload and most saved posts exceed; the rule
# still counts (visible in metrics and samples), it no longer blocks. AWS WAF developer guide, "Core rule set (CRS)
# managed rule group": SizeRestrictions_BODY.
COUNT_ONLY = {"AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY",)}
LOGIN_RATE_RULE = "wp-login-rate-limit"


def _metric(name: str) -> str:
    """CloudWatch metric names of a web ACL: letters, digits, - and _ (at most 128)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)[:128]


def _visibility(name: str) -> dict[str, object]:
    return {"cloudwatch_metrics_enabled": True, "metric_name": _metric(name), "sampled_requests_enabled": True}


class SiteEdge(pulumi.ComponentResource):
    """CloudFront in front of the internal load balancer `origin_arn`, asked for as `origin_domain` (HTTPS to it when
    `origin_https`), with a WAF web ACL if `args.waf`.

    With `aliases` and `certificate_arn` (a us-east-1 ACM certificate for them) viewers use the site's own name;
    without, CloudFront's default certificate serves https://<id>.cloudfront.net. Viewers are always on HTTPS.
    """

    def __init__(
        self,
        name: str,
        args: CdnArgs,
        *,
        origin_arn: pulumi.Input[str],
        origin_domain: pulumi.Input[str],
        origin_https: bool,
        origin_secret: pulumi.Input[str],
        aliases: list[str],
        certificate_arn: pulumi.Input[str] | None,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:wordpress:SiteEdge", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if bool(aliases) != (certificate_arn is not None):
            raise ValueError("aliases and certificate_arn go together: a name needs a certificate for it")

        static = aws.cloudfront.CachePolicy(
            f"{name}-static",
            name=f"{name}-static",
            comment="WordPress wp-content and wp-includes: cached by path and query string, no cookies or headers",
            min_ttl=0,
            default_ttl=86_400,
            max_ttl=31_536_000,
            parameters_in_cache_key_and_forwarded_to_origin={
                "cookies_config": {"cookie_behavior": "none"},
                "headers_config": {"header_behavior": "none"},
                "query_strings_config": {"query_string_behavior": "all"},
                "enable_accept_encoding_gzip": True,
                "enable_accept_encoding_brotli": True,
            },
            opts=child,
        )
        pages = aws.cloudfront.CachePolicy(
            f"{name}-pages",
            name=f"{name}-pages",
            comment="WordPress pages: cached per host, scheme, WordPress session cookies and query string",
            min_ttl=0,
            # A news site's pages change often: five minutes unless WordPress says otherwise (Cache-Control).
            default_ttl=300,
            max_ttl=86_400,
            parameters_in_cache_key_and_forwarded_to_origin={
                # Cookie names take * wildcards (CloudFront, "wildcard cookies", 2014; the whitepaper's list).
                "cookies_config": {"cookie_behavior": "whitelist", "cookies": {"items": list(SESSION_COOKIES)}},
                "headers_config": {"header_behavior": "whitelist", "headers": {"items": list(PAGE_HEADERS)}},
                "query_strings_config": {"query_string_behavior": "all"},
                "enable_accept_encoding_gzip": True,
                "enable_accept_encoding_brotli": True,
            },
            opts=child,
        )

        self.web_acl = self._web_acl(name, args, tags) if args.waf else None
        # CloudFront's own network interfaces in the load balancer's subnets carry the requests; the load balancer's
        # security group admits them through CloudFront's origin-facing prefix list. The protocol cannot be changed
        # in place: a change replaces the VPC origin (and the distribution's origin with it).
        self.vpc_origin = aws.cloudfront.VpcOrigin(
            f"{name}-origin",
            vpc_origin_endpoint_config={
                "name": f"{name}-origin",
                "arn": origin_arn,
                "http_port": 80,
                "https_port": 443,
                "origin_protocol_policy": "https-only" if origin_https else "http-only",
                "origin_ssl_protocols": {"items": ["TLSv1.2"], "quantity": 1},
            },
            tags=tagged(tags, f"{name}-origin"),
            opts=child,
        )
        admin = [
            {
                "path_pattern": path,
                "target_origin_id": ORIGIN_ID,
                "viewer_protocol_policy": "https-only",
                "allowed_methods": ALL_METHODS,
                "cached_methods": READ_METHODS,
                "cache_policy_id": CACHING_DISABLED,
                "origin_request_policy_id": ALL_VIEWER_AND_CLOUDFRONT_HEADERS,
                "compress": True,
            }
            for path in ADMIN_PATHS
        ]
        assets = [
            {
                "path_pattern": path,
                "target_origin_id": ORIGIN_ID,
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": READ_METHODS,
                "cached_methods": READ_METHODS,
                "cache_policy_id": static.id,
                "compress": True,
            }
            for path in STATIC_PATHS
        ]
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-cdn",
            enabled=True,
            comment=f"{name}: WordPress",
            aliases=aliases or None,
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class=args.price_class,
            origins=[
                {
                    "origin_id": ORIGIN_ID,
                    # The name CloudFront asks for (Host and TLS server name); the VPC origin says where it is.
                    "domain_name": origin_domain,
                    "vpc_origin_config": {"vpc_origin_id": self.vpc_origin.id, "origin_read_timeout": 60},
                    "custom_headers": [{"name": ORIGIN_HEADER, "value": origin_secret}],
                }
            ],
            # Admin paths first: CloudFront takes the first behaviour whose pattern matches.
            ordered_cache_behaviors=[*admin, *assets],
            default_cache_behavior={
                "target_origin_id": ORIGIN_ID,
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ALL_METHODS,
                "cached_methods": READ_METHODS,
                "cache_policy_id": pages.id,
                "compress": True,
            },
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=(
                {
                    "acm_certificate_arn": certificate_arn,
                    "ssl_support_method": "sni-only",
                    "minimum_protocol_version": "TLSv1.2_2021",
                }
                if certificate_arn is not None
                else {"cloudfront_default_certificate": True}
            ),
            web_acl_id=self.web_acl.arn if self.web_acl is not None else None,
            tags=tagged(tags, f"{name}-cdn"),
            opts=child,
        )
        self.domain_name: pulumi.Output[str] = self.distribution.domain_name
        self.hosted_zone_id: pulumi.Output[str] = self.distribution.hosted_zone_id
        self.distribution_id: pulumi.Output[str] = self.distribution.id
        self.register_outputs({"domainName": self.domain_name, "distributionId": self.distribution_id})

    def _web_acl(self, name: str, args: CdnArgs, tags: Mapping[str, str]) -> aws.wafv2.WebAcl:
        """A CLOUDFRONT-scope web ACL, created in us-east-1 whatever the stack's region; allows unless a rule blocks."""
        login_limit = {
            "name": LOGIN_RATE_RULE,
            "priority": 1,
            "action": {"block": {}},
            "statement": {
                "rate_based_statement": {
                    "limit": args.login_rate_limit,
                    "evaluation_window_sec": 300,
                    "aggregate_key_type": "IP",
                    "scope_down_statement": {
                        "byte_match_statement": {
                            "search_string": "/wp-login.php",
                            "positional_constraint": "STARTS_WITH",
                            "field_to_match": {"uri_path": {}},
                            "text_transformations": [{"priority": 0, "type": "LOWERCASE"}],
                        }
                    },
                }
            },
            "visibility_config": _visibility(f"{name}-{LOGIN_RATE_RULE}"),
        }
        managed = [
            {
                "name": group,
                "priority": 0 if group == "AWSManagedRulesAmazonIpReputationList" else 1 + i,
                "override_action": {"none": {}},
                "statement": {
                    "managed_rule_group_statement": {
                        "vendor_name": "AWS",
                        "name": group,
                        "rule_action_overrides": [
                            {"name": rule, "action_to_use": {"count": {}}} for rule in COUNT_ONLY.get(group, ())
                        ]
                        or None,
                    }
                },
                "visibility_config": _visibility(f"{name}-{group}"),
            }
            for i, group in enumerate(MANAGED_RULE_GROUPS)
        ]
        return aws.wafv2.WebAcl(
            f"{name}-waf",
            name=f"{name}-waf",
            description="WordPress: AWS managed rules, IP reputation and a rate limit on wp-login.php",
            scope="CLOUDFRONT",
            region=US_EAST_1,
            default_action={"allow": {}},
            rules=[login_limit, *managed],
            visibility_config=_visibility(f"{name}-waf"),
            tags=tagged(tags, f"{name}-waf"),
            opts=pulumi.ResourceOptions(parent=self),
        )


__all__ = [
    "ADMIN_PATHS",
    "ALL_VIEWER_AND_CLOUDFRONT_HEADERS",
    "CACHING_DISABLED",
    "CLOUDFRONT_ZONE_ID",
    "MANAGED_RULE_GROUPS",
    "SESSION_COOKIES",
    "STATIC_PATHS",
    "SiteEdge",
]
