"""Database: the fleet's RDS for MySQL, private in the data subnets, encrypted, its password kept by RDS."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from aws_compute_platform.foundation.network import NetworkRef
from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.wordpress.args import DatabaseArgs
from aws_compute_platform.wordpress.connections import Connections, security_group

DATABASE_NAME = "wordpress"
MASTER_USERNAME = "wpadmin"
MYSQL_PORT = 3306
# The logs RDS for MySQL exports to CloudWatch Logs, each into /aws/rds/instance/<identifier>/<log> (RDS user guide,
# "Publishing MySQL logs to Amazon CloudWatch Logs").
EXPORTED_LOGS = ("error", "slowquery")
# RDS DB instance identifiers: 1-63 letters, digits and hyphens, starting with a letter, no "--", no trailing "-".
_IDENTIFIER_LENGTH = 63


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
        log_retention_days: int = 30,
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
        child = pulumi.ResourceOptions(parent=self)
        # The instance's identifier ends in a random id that changes exactly when the database is replaced, so each
        # database the stack ever creates has its own name, its own log groups and its own final snapshot
        # (<identifier>-final): a second deletion or replacement never fails with DBSnapshotAlreadyExists. The
        # keepers are the settings whose change replaces the instance (engine, db_name, username, kms_key_id,
        # storage_encrypted are ForceNew in the provider); a rebuilt stack gets a new RandomId, so a new name too.
        suffix = random.RandomId(
            f"{name}-db-id",
            byte_length=4,
            keepers={
                "engine": "mysql",
                "dbName": DATABASE_NAME,
                "username": MASTER_USERNAME,
                "kmsKeyId": key_arn,
                "storageEncrypted": "true",
            },
            opts=child,
        )
        identifier = suffix.hex.apply(lambda h: db_identifier(name, h))
        log_groups = self._log_groups(
            name, args, identifier=identifier, key_arn=key_arn, retention_days=log_retention_days, tags=tags
        )
        parameter_group = self._parameter_group(name, args, tags) if args.export_logs else None
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-db-subnets",
            subnet_ids=list(network.data_subnet_ids),
            description="WordPress database: the data subnets of every AZ",
            tags=tagged(tags, f"{name}-db-subnets"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.instance = aws.rds.Instance(
            f"{name}-db",
            identifier=identifier,
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
            final_snapshot_identifier=identifier.apply(lambda i: f"{i}-final") if args.final_snapshot else None,
            parameter_group_name=parameter_group.name if parameter_group else None,
            enabled_cloudwatch_logs_exports=list(EXPORTED_LOGS) if args.export_logs else None,
            tags=tagged(tags, f"{name}-db"),
            # The log groups first: RDS would otherwise create them itself, unencrypted and kept forever.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=log_groups),
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

    def _log_groups(
        self,
        name: str,
        args: DatabaseArgs,
        *,
        identifier: pulumi.Output[str],
        key_arn: pulumi.Input[str],
        retention_days: int,
        tags: Mapping[str, str],
    ) -> list[aws.cloudwatch.LogGroup]:
        """The log groups RDS exports into, made by the stack: encrypted with its key and kept its retention."""
        if not args.export_logs:
            return []
        return [
            aws.cloudwatch.LogGroup(
                f"{name}-db-{log}-logs",
                name=pulumi.Output.concat("/aws/rds/instance/", identifier, f"/{log}"),
                retention_in_days=retention_days,
                kms_key_id=key_arn,
                tags=tagged(tags, f"{name}-db-{log}-logs"),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for log in EXPORTED_LOGS
        ]

    def _parameter_group(self, name: str, args: DatabaseArgs, tags: Mapping[str, str]) -> aws.rds.ParameterGroup:
        """MySQL's defaults plus the slow query log, written to a file RDS can export (RDS needs log_output FILE)."""
        major_minor = ".".join(args.engine_version.split(".")[:2])
        return aws.rds.ParameterGroup(
            f"{name}-db-params",
            family=f"mysql{major_minor}",
            description="WordPress database: MySQL defaults plus the slow query log, exported to CloudWatch Logs",
            parameters=[
                {"name": "slow_query_log", "value": "1"},
                {"name": "long_query_time", "value": f"{args.slow_query_seconds:g}"},
                {"name": "log_output", "value": "FILE"},
            ],
            tags=tagged(tags, f"{name}-db-params"),
            opts=pulumi.ResourceOptions(parent=self),
        )


def db_identifier(name: str, suffix: str) -> str:
    """`<name>-<suffix>` as an RDS identifier: lowercase letters, digits and single hyphens, at most 63 characters."""
    prefix = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", f"{name}-db".lower())).strip("-")
    prefix = prefix[: _IDENTIFIER_LENGTH - len(suffix) - 1].rstrip("-")
    return f"{prefix}-{suffix}"


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
