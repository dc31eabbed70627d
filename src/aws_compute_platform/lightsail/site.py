"""LightsailSite: fixed-price Lightsail instances and managed databases for small sites.

Each instance (`instance.py`) gets a static IP (its default public address changes on every stop and start), the
public ports its Args list and nothing else, and daily automatic snapshots when data is protected. Each database
(`database.py`) gets a generated master password that exists only as a secret, no public access unless asked for,
and a final snapshot on deletion when data is protected. Blueprint and bundle ids are checked against
`lightsail/catalog.py` when the Args are built; an instance on a blueprint its publisher withdrew (Bitnami's
application blueprints) is built as asked but warned about on `pulumi preview` and `pulumi up`.

With a hosted zone (`domain`, the stack's `domain`), each instance is also named `<instance>.<zone>` by an A record
to its static IP, and a shipped launch script obtains a Let's Encrypt certificate for that name and serves the site
only over HTTPS.

The site lives in the region of its AWS provider; a zone left out is that region's first (`<region>a`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.domain import Domain
from aws_compute_platform.lightsail.args import LightsailArgs
from aws_compute_platform.lightsail.database import LightsailDatabase
from aws_compute_platform.lightsail.instance import LightsailInstance, site_url
from aws_compute_platform.lightsail.peering import DefaultVpcPeering


class LightsailSite(pulumi.ComponentResource):
    """Lightsail instances with static IPs and explicit public ports, managed databases, optional VPC peering."""

    def __init__(
        self,
        name: str,
        args: LightsailArgs,
        tags: Mapping[str, str],
        domain: Domain | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:lightsail:LightsailSite", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        first_zone = region.apply(lambda r: f"{r}a")

        self.instances = {
            spec.name: LightsailInstance(
                f"{name}-{spec.name}",
                spec,
                availability_zone=spec.availability_zone or first_zone,
                snapshot_time=args.snapshot_time if args.snapshots else None,
                protect=args.protect,
                tags=tags,
                domain=domain,
                opts=child,
            )
            for spec in args.instances
        }
        self.databases = {
            db.name: LightsailDatabase(
                f"{name}-{db.name}",
                db,
                availability_zone=db.availability_zone or first_zone,
                protect=args.protect,
                tags=tags,
                opts=child,
            )
            for db in args.databases
        }
        self.static_ips: dict[str, pulumi.Output[str]] = {n: i.static_ip for n, i in self.instances.items()}
        self.urls: dict[str, pulumi.Output[str]] = {n: i.url for n, i in self.instances.items()}
        self.endpoints: dict[str, pulumi.Output[str]] = {n: d.endpoint for n, d in self.databases.items()}

        self.peering: DefaultVpcPeering | None = None
        if args.peer_with_default_vpc:
            self.peering = DefaultVpcPeering(f"{name}-default-vpc-peering", region=region, opts=child)

        self.register_outputs(
            {
                "staticIps": self.static_ips,
                "urls": self.urls,
                "databaseEndpoints": self.endpoints,
                "monthlyUsd": args.monthly_usd,
            }
        )


__all__ = ["LightsailSite", "site_url"]
