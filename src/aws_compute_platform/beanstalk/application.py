"""PayrollApplication: the Elastic Beanstalk application, its versions bucket and the version built from beanstalk/app.

The version label and the bundle's key carry a hash of every bundled file, so a change to the app is a new
version, and an unchanged app is no change at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import pulumi
import pulumi_aws as aws

from aws_compute_platform.beanstalk.identity import ServiceRole
from aws_compute_platform.foundation.storage import PrivateBucket
from aws_compute_platform.foundation.tags import tagged

APP_DIR = Path(__file__).resolve().parent / "app"


def source_files(root: Path = APP_DIR) -> list[Path]:
    """The files of the source bundle, in a stable order (no caches, no editor leftovers)."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo") and p.name != ".DS_Store"
    )


def source_hash(root: Path = APP_DIR) -> str:
    """A hash of every bundled file's path and content: it changes exactly when the deployed code would."""
    digest = hashlib.sha256()
    for path in source_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


class PayrollApplication(pulumi.ComponentResource):
    """The application (keeping `keep_versions` versions), the bucket of source bundles, and the current version."""

    def __init__(
        self,
        name: str,
        *,
        keep_versions: int,
        service_role: ServiceRole,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:beanstalk:Application", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Elastic Beanstalk cannot read source bundles encrypted with a customer-managed KMS key, so the bundle
        # bucket uses S3-managed keys; it holds only code, never payroll data.
        self.versions = PrivateBucket(
            f"{name}-versions", key_arn=None, tags=tags, versioned=False, force_destroy=True, opts=child
        )
        # The version lifecycle deletes the bundles of the versions it removes.
        service_role.allow_deleting_bundles(self.versions.arn)
        self.application = aws.elasticbeanstalk.Application(
            name,
            description="Payroll uploads: web tier takes the CSV, worker tier checks it and emails the result",
            appversion_lifecycle={
                "service_role": service_role.arn,
                "max_count": keep_versions,
                "delete_source_from_s3": True,
            },
            tags=tagged(tags, name),
            opts=child,
        )
        digest = source_hash()
        label = f"payroll-{digest[:16]}"
        # Pulumi deletes the previous version once both environments run the new one. Keeping it instead would
        # make a revert to the same code fail: its label would already exist. Rolling back is reverting the code.
        bundle = aws.s3.BucketObjectv2(
            f"{name}-bundle",
            bucket=self.versions.id,
            key=f"payroll/{label}.zip",
            source=pulumi.AssetArchive(
                {p.relative_to(APP_DIR).as_posix(): pulumi.FileAsset(str(p)) for p in source_files()}
            ),
            content_type="application/zip",
            tags=tagged(tags, label),
            opts=child,
        )
        self.version = aws.elasticbeanstalk.ApplicationVersion(
            f"{name}-version",
            application=self.application.name,
            name=label,
            bucket=self.versions.id,
            key=bundle.key,
            description=f"beanstalk/app sha256 {digest}",
            tags=tagged(tags, label),
            opts=child,
        )
        self.name: pulumi.Output[str] = self.application.name
        self.version_label: pulumi.Output[str] = self.version.name
        self.register_outputs({"applicationName": self.name, "versionLabel": self.version_label})
