"""Database: the fleet's RDS for MySQL, private in the data subnets, encrypted, its password kept by RDS."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.network import NetworkRef
from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.wordpress.args import DatabaseArgs
from aws_compute_platform.wordpress.connections import Connections, security_group

DATABASE_NAME = "wordpress"
MASTER_USERNAME = "wpadmin"
MYSQL_PORT = 3306


class Database(pulumi.ComponentResource):
    """RDS for MySQL over the data subnets of every AZ; only tiers let in with `allow_from` reach it.

    RDS manages the master password in Secrets Manager (encrypted with the given key) and rotates it; readers get
    it by ARN at run time (`secret_read_statements`), so it never appears in user data, config or state.
    """

    def __init__(
        self,
        name: str,
        args: DatabaseArgs,
        *,
        network: NetworkRef,
        key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:wordpress:Database", name, None, opts)
        self.security_group = security_group(
            name,
            "db-sg",
            "WordPress database: MySQL from the instances only",
            vpc_id=network.vpc_id,
            tags=tags,
            parent=self,
        )
        self.connections = Connections(name, "db", self.security_group, port=MYSQL_PORT, tags=tags, parent=self)
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-db-subnets",
            subnet_ids=list(network.data_subnet_ids),
            description="WordPress database: the data subnets of every AZ",
            tags=tagged(tags, f"{name}-db-subnets"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.instance = aws.rds.Instance(
            f"{name}-db",
            engine="mysql",
            engine_version=args.engine_version,
            # Past the end of standard support RDS bills Extended Support automatically; refuse it, upgrade instead.
            engine_lifecycle_support="open-source-rds-extended-support-disabled",
            auto_minor_version_upgrade=True,
            instance_class=args.instance_class,
            allocated_storage=args.allocated_storage_gb,
            max_allocated_storage=args.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=key_arn,
            db_name=DATABASE_NAME,
            username=MASTER_USERNAME,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=key_arn,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[self.security_group.id],
            publicly_accessible=False,
            multi_az=args.multi_az,
            backup_retention_period=args.backup_retention_days,
            copy_tags_to_snapshot=True,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=not args.final_snapshot,
            final_snapshot_identifier=f"{name}-db-final" if args.final_snapshot else None,
            tags=tagged(tags, f"{name}-db"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.secret_arn: pulumi.Output[str] = self.instance.master_user_secrets.apply(
            lambda secrets: secrets[0].secret_arn if secrets else ""
        )
        self.address: pulumi.Output[str] = self.instance.address
        self.endpoint: pulumi.Output[str] = self.instance.endpoint
        self.database_name = DATABASE_NAME
        self.register_outputs({"endpoint": self.endpoint, "secretArn": self.secret_arn})

    def allow_from(self, source: Connections) -> None:
        """Let `source` (the web instances) connect on MySQL's port; nothing else may."""
        self.connections.allow_from(source)


def secret_read_statements(*, secret_arn: str, key_arn: str, region: str) -> list[dict[str, object]]:
    """IAM statements to read the managed secret: that secret only, decrypted only through Secrets Manager."""
    return [
        {
            "Sid": "ReadTheDatabaseSecret",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            "Resource": secret_arn,
        },
        {
            "Sid": "DecryptTheSecretThroughSecretsManager",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
        },
    ]
