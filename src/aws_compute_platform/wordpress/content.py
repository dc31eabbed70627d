"""SharedContent: `wp-content` and the shared salts on EFS, mounted by every instance in every AZ over TLS."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.network import NetworkRef
from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.wordpress.connections import Connections, security_group
from aws_compute_platform.wordpress.iam import policy_document

NFS_PORT = 2049


class SharedContent(pulumi.ComponentResource):
    """An encrypted, elastic-throughput EFS file system with a mount target in the data subnet of every AZ."""

    def __init__(
        self,
        name: str,
        *,
        network: NetworkRef,
        key_arn: pulumi.Input[str],
        backups: bool,
        protect: bool,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:wordpress:SharedContent", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.security_group = security_group(
            name,
            "efs-sg",
            "WordPress content: NFS from the instances only",
            vpc_id=network.vpc_id,
            tags=tags,
            parent=self,
        )
        self.connections = Connections(name, "efs", self.security_group, port=NFS_PORT, tags=tags, parent=self)
        self.file_system = aws.efs.FileSystem(
            f"{name}-content",
            encrypted=True,
            kms_key_id=key_arn,
            # Bursting throughput runs out of credits on small file systems and stalls PHP; elastic does not.
            throughput_mode="elastic",
            lifecycle_policies=[
                {"transition_to_ia": "AFTER_30_DAYS"},
                {"transition_to_primary_storage_class": "AFTER_1_ACCESS"},
            ],
            tags=tagged(tags, f"{name}-content"),
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        aws.efs.BackupPolicy(
            f"{name}-content-backup",
            file_system_id=self.file_system.id,
            backup_policy={"status": "ENABLED" if backups else "DISABLED"},
            opts=child,
        )
        aws.efs.FileSystemPolicy(
            f"{name}-content-policy",
            file_system_id=self.file_system.id,
            policy=self.file_system.arn.apply(_mount_only_over_tls),
            opts=child,
        )
        self.mount_targets = [
            aws.efs.MountTarget(
                f"{name}-content-mount-{i}",
                file_system_id=self.file_system.id,
                subnet_id=subnet_id,
                security_groups=[self.security_group.id],
                opts=child,
            )
            for i, subnet_id in enumerate(network.data_subnet_ids)
        ]
        self.file_system_id: pulumi.Output[str] = self.file_system.id
        self.register_outputs({"fileSystemId": self.file_system_id})

    def allow_from(self, source: Connections) -> None:
        """Let `source` (the web instances) mount the file system over NFS; nothing else may."""
        self.connections.allow_from(source)


def _mount_only_over_tls(file_system_arn: str) -> str:
    return policy_document(
        {
            "Sid": "MountThroughTheMountTargets",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "elasticfilesystem:ClientMount",
                "elasticfilesystem:ClientWrite",
                "elasticfilesystem:ClientRootAccess",
            ],
            "Resource": file_system_arn,
            "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
        },
        {
            "Sid": "RefuseUnencryptedClients",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": file_system_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )
