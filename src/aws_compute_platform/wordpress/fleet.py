"""WordPressFleet: highly available WordPress over several AZs behind an Application Load Balancer.

Instances run from a launch template in an Auto Scaling group spread over every AZ; `wp-content` and the shared
salts live on EFS; the database is RDS for MySQL with its master password managed by Secrets Manager. Instances read
that password at boot (and after each rotation) with their own role; it never appears in user data or state.

    viewers --HTTPS--> SiteEdge (CloudFront + WAF) --VPC origin, 443 (80 without a domain), secret header-->
        LoadBalancer (internal) --80--> WebInstances --3306--> Database
                                          --2049--> SharedContent

Each box is a child component in its own module; the arrows are the only security group paths there are. With
`cdn.enabled: false` viewers reach the load balancer directly on 80/443. The first boot installs WordPress with
WP-CLI (title, administrator, and a password generated into Secrets Manager: `AdminPassword`), so the install wizard
is never reachable.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from aws_compute_platform.foundation.domain import US_EAST_1, Domain
from aws_compute_platform.foundation.network import NetworkRef
from aws_compute_platform.wordpress.admin import AdminPassword
from aws_compute_platform.wordpress.args import CdnArgs, DatabaseArgs, LoadBalancerArgs, WordPressArgs
from aws_compute_platform.wordpress.content import SharedContent
from aws_compute_platform.wordpress.database import Database
from aws_compute_platform.wordpress.edge import SiteEdge
from aws_compute_platform.wordpress.instances import WebInstances
from aws_compute_platform.wordpress.load_balancer import LoadBalancer


class WordPressFleet(pulumi.ComponentResource):
    """An ALB over every AZ (internal behind CloudFront), an Auto Scaling group over every AZ, RDS MySQL and EFS for
    shared content; in front, a CloudFront distribution with a WAF web ACL, unless `args.cdn` turns it off.

    Takes what a team already has: a network by its ids (`Network` or `ExistingNetwork`), a KMS key ARN that
    encrypts the database, its secret, the administrator's secret, the file system and the volumes, the tags every
    resource carries, and optionally the hosted zone (`Domain`) the site is named in and certified through.
    """

    def __init__(
        self,
        name: str,
        args: WordPressArgs,
        *,
        network: NetworkRef,
        key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        domain: Domain | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:compute:WordPressFleet", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cdn = args.cdn.enabled
        site_fqdn = domain.fqdn(args.hostname) if domain is not None else None
        # CloudFront asks the load balancer for origin.<site> (static paths) and for the site's own name (paths that
        # forward the viewer's Host), so with a domain the load balancer holds a certificate for each.
        origin_fqdn = f"origin.{site_fqdn}" if site_fqdn is not None and cdn else None
        certificates: list[pulumi.Input[str]] = []
        if domain is not None and site_fqdn is not None:
            certificates.append(domain.certificate(f"{name}-site", site_fqdn).arn)
            if origin_fqdn is not None:
                certificates.insert(0, domain.certificate(f"{name}-origin", origin_fqdn).arn)

        self.load_balancer = LoadBalancer(
            name,
            args.load_balancer,
            certificate_arns=certificates,
            behind_cdn=cdn,
            log_retention_days=args.log_retention_days,
            network=network,
            tags=tags,
            opts=child,
        )
        self.edge: SiteEdge | None = None
        origin_secret = self.load_balancer.origin_secret
        if origin_secret is not None:
            viewer_certificate = (
                domain.certificate(f"{name}-cdn", site_fqdn, region=US_EAST_1).arn
                if domain is not None and site_fqdn is not None
                else None
            )
            self.edge = SiteEdge(
                name,
                args.cdn,
                origin_arn=self.load_balancer.arn,
                origin_domain=origin_fqdn if origin_fqdn is not None else self.load_balancer.dns_name,
                origin_https=origin_fqdn is not None,
                origin_secret=origin_secret,
                aliases=[site_fqdn] if site_fqdn is not None else [],
                certificate_arn=viewer_certificate,
                tags=tags,
                opts=child,
            )
        if domain is not None and site_fqdn is not None:
            if self.edge is not None and origin_fqdn is not None:
                domain.alias(
                    f"{name}-site",
                    site_fqdn,
                    target_dns_name=self.edge.domain_name,
                    target_zone_id=self.edge.hosted_zone_id,
                    ipv6=True,
                    # Route 53 refuses EvaluateTargetHealth on an alias to a CloudFront distribution.
                    evaluate_target_health=False,
                )
                domain.alias(
                    f"{name}-origin",
                    origin_fqdn,
                    target_dns_name=self.load_balancer.dns_name,
                    target_zone_id=self.load_balancer.zone_id,
                )
            else:
                domain.alias(
                    f"{name}-site",
                    site_fqdn,
                    target_dns_name=self.load_balancer.dns_name,
                    target_zone_id=self.load_balancer.zone_id,
                )

        # The address WordPress knows itself by (WP_HOME), and the scheme viewers use.
        if site_fqdn is not None:
            self.site_url: pulumi.Output[str] = pulumi.Output.from_input(f"https://{site_fqdn}/")
        elif self.edge is not None:
            self.site_url = self.edge.domain_name.apply(lambda d: f"https://{d}/")
        else:
            self.site_url = self.load_balancer.dns_name.apply(lambda d: f"http://{d}/")
            pulumi.log.warn(
                "the WordPress site is served over plain HTTP: logins and admin pages cross the internet unencrypted. "
                "Turn wordpress.cdn on (HTTPS through CloudFront) or set aws-compute-platform:domain.",
                resource=self,
            )

        self.admin_password = AdminPassword(name, key_arn=key_arn, protect=args.protect, tags=tags, opts=child)
        self.database = Database(
            name,
            args.database,
            network=network,
            key_arn=key_arn,
            tags=tags,
            log_retention_days=args.log_retention_days,
            opts=child,
        )
        self.content = SharedContent(
            name,
            network=network,
            key_arn=key_arn,
            backups=args.content_backups,
            protect=args.protect,
            tags=tags,
            opts=child,
        )
        self.instances = WebInstances(
            name,
            args,
            network=network,
            key_arn=key_arn,
            database=self.database,
            content=self.content,
            load_balancer=self.load_balancer,
            site_url=self.site_url,
            admin_password=self.admin_password,
            tags=tags,
            opts=child,
        )
        # Each tier accepts only the tier in front of it.
        self.instances.connections.allow_from(self.load_balancer.connections)
        self.database.allow_from(self.instances.connections)
        self.content.allow_from(self.instances.connections)

        self.load_balancer_dns_name: pulumi.Output[str] = self.load_balancer.dns_name
        self.distribution_domain_name: pulumi.Output[str] | None = (
            self.edge.domain_name if self.edge is not None else None
        )
        self.admin_password_secret_arn: pulumi.Output[str] = self.admin_password.secret_arn
        self.autoscaling_group_name: pulumi.Output[str] = self.instances.group_name
        self.database_endpoint: pulumi.Output[str] = self.database.endpoint
        self.db_secret_arn: pulumi.Output[str] = self.database.secret_arn
        self.register_outputs(
            {
                "siteUrl": self.site_url,
                "loadBalancerDnsName": self.load_balancer_dns_name,
                "distributionDomainName": self.distribution_domain_name,
                "adminPasswordSecretArn": self.admin_password_secret_arn,
                "autoScalingGroupName": self.autoscaling_group_name,
                "databaseEndpoint": self.database_endpoint,
                "databaseSecretArn": self.db_secret_arn,
            }
        )


__all__ = ["CdnArgs", "DatabaseArgs", "LoadBalancerArgs", "WordPressArgs", "WordPressFleet"]
