"""LightsailDatabase: a managed database and the master password generated for it, which exists only as a secret."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.lightsail.args import LightsailDatabaseArgs
from aws_compute_platform.lightsail.catalog import end_of_life_notice

# The master password may hold any printable ASCII character except "/", '"' and "@" (CreateRelationalDatabase).
# RandomPassword's default special set includes "@", so the allowed ones are given explicitly.
SPECIAL_CHARACTERS = "!#$%&*()-_=+[]{}<>:?"
# MySQL takes 8-41 characters, PostgreSQL 8-128.
PASSWORD_LENGTH = 32


class LightsailDatabase(pulumi.ComponentResource):
    """A MySQL or PostgreSQL database, private unless asked otherwise, with a final snapshot when protected."""

    def __init__(
        self,
        name: str,
        args: LightsailDatabaseArgs,
        *,
        availability_zone: pulumi.Input[str],
        protect: bool,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:lightsail:LightsailDatabase", name, None, opts)
        password = random.RandomPassword(
            f"{name}-master-password",
            length=PASSWORD_LENGTH,
            special=True,
            override_special=SPECIAL_CHARACTERS,
            min_lower=1,
            min_upper=1,
            min_numeric=1,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.database = aws.lightsail.Database(
            name,
            relational_database_name=name,
            availability_zone=availability_zone,
            blueprint_id=args.blueprint,
            bundle_id=args.bundle,
            master_database_name=args.database_name,
            master_username=args.master_username,
            master_password=password.result.apply(pulumi.Output.secret),
            backup_retention_enabled=args.backup_retention,
            preferred_backup_window=args.backup_window,
            preferred_maintenance_window=args.maintenance_window,
            publicly_accessible=args.publicly_accessible,
            skip_final_snapshot=not protect,
            final_snapshot_name=f"{name}-final" if protect else None,
            tags=tagged(tags, name, Bundle=args.bundle),
            # The name is fixed (Lightsail requires one), so a replacement cannot be created next to the old
            # database: delete first. When protected the database is never replaced silently.
            opts=pulumi.ResourceOptions(parent=self, protect=protect, delete_before_replace=True),
        )
        # An engine version out of support is still accepted (a running database must not be replaced by a stack
        # file edit), but never silently.
        notice = end_of_life_notice(args.blueprint)
        if notice is not None:
            pulumi.log.warn(f"Lightsail database '{args.name}': {notice}", resource=self.database)
        self.endpoint: pulumi.Output[str] = pulumi.Output.concat(
            self.database.master_endpoint_address, ":", self.database.master_endpoint_port.apply(str)
        )
        self.register_outputs({"endpoint": self.endpoint})
