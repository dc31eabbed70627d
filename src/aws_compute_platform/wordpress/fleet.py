"""WordPressFleet: highly available WordPress over several AZs behind an Application Load Balancer.

Instances run from a launch template in an Auto Scaling group spread over every AZ; `wp-content` and the shared
salts live on EFS; the database is RDS for MySQL with its master password managed by Secrets Manager. Instances read
that password at boot (and after each rotation) with their own role; it never appears in user data or state.

    internet --80/443--> LoadBalancer --80--> WebInstances --3306--> Database
                                                           --2049--> SharedContent

Each box is a child component in its own module; the arrows are the only security group paths there are.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from aws_compute_platform.foundation.network import NetworkRef
from aws_compute_platform.wordpress.args import DatabaseArgs, LoadBalancerArgs, WordPressArgs
from aws_compute_platform.wordpress.content import SharedContent
from aws_compute_platform.wordpress.database import Database
from aws_compute_platform.wordpress.instances import WebInstances
from aws_compute_platform.wordpress.load_balancer import LoadBalancer


class WordPressFleet(pulumi.ComponentResource):
    """ALB in every public subnet, an Auto Scaling group over every AZ, RDS MySQL and EFS for shared content.

    Takes what a team already has: a network by its ids (`Network` or `ExistingNetwork`), a KMS key ARN that
    encrypts the database, its secret, the file system and the volumes, and the tags every resource carries.
    """

    def __init__(
        self,
        name: str,
        args: WordPressArgs,
        *,
        network: NetworkRef,
        key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:compute:WordPressFleet", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.load_balancer = LoadBalancer(
            name,
            args.load_balancer,
            certificate_arn=args.certificate_arn,
            log_retention_days=args.log_retention_days,
            network=network,
            tags=tags,
            opts=child,
        )
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
            tags=tags,
            opts=child,
        )
        # Each tier accepts only the tier in front of it.
        self.instances.connections.allow_from(self.load_balancer.connections)
        self.database.allow_from(self.instances.connections)
        self.content.allow_from(self.instances.connections)

        if not args.https:
            pulumi.log.warn(
                "the WordPress site is served over plain HTTP: logins and admin pages cross the internet unencrypted. "
                "Set wordpress.certificateArn to an ACM certificate for the site's domain.",
                resource=self,
            )
        scheme = "https" if args.https else "http"
        self.site_url: pulumi.Output[str] = self.load_balancer.dns_name.apply(lambda d: f"{scheme}://{d}/")
        self.load_balancer_dns_name: pulumi.Output[str] = self.load_balancer.dns_name
        self.autoscaling_group_name: pulumi.Output[str] = self.instances.group_name
        self.database_endpoint: pulumi.Output[str] = self.database.endpoint
        self.db_secret_arn: pulumi.Output[str] = self.database.secret_arn
        self.register_outputs(
            {
                "siteUrl": self.site_url,
                "loadBalancerDnsName": self.load_balancer_dns_name,
                "autoScalingGroupName": self.autoscaling_group_name,
                "databaseEndpoint": self.database_endpoint,
                "databaseSecretArn": self.db_secret_arn,
            }
        )


__all__ = ["DatabaseArgs", "LoadBalancerArgs", "WordPressArgs", "WordPressFleet"]
