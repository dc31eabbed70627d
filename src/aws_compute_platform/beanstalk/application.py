"""PayrollApplication: the Elastic Beanstalk application, its versions bucket and the version built from beanstalk/app.

The version label and the bundle's key carry a hash of every bundled file, so a change to the app is a new
version, and an unchanged app is no change at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import pulumi
import pulumi_aws as aws

from aws_compute_platform.beanstalk.identity import ServiceRole
from aws_compute_platform.foundation.storage import PrivateBucket
from aws_compute_platform.foundation.tags import tagged

APP_DIR = Path(__file__).resolve().parent / "app"

# The environments' Auto Scaling groups publish GroupInServiceInstances, which the worker's backlog-per-instance
# scaling divides by (scaling.py); Auto Scaling publishes group metrics only for a group that collects them, and
# Elastic Beanstalk creates its group without. A configuration file may "modify properties on the resources" that
# Elastic Beanstalk creates, AWSEBAutoScalingGroup among them ("Modifying the resources that Elastic Beanstalk
# creates for your environment"); MetricsCollection is a property of AWS::AutoScaling::AutoScalingGroup. Group
# metrics cost nothing. Infrastructure, not application code: it is added to the bundle here, beside beanstalk/app.
GROUP_METRICS = ".ebextensions/group-metrics.config"
PLATFORM_FILES: Mapping[str, str] = {
    GROUP_METRICS: json.dumps(
        {
            "Resources": {
                "AWSEBAutoScalingGroup": {
                    "Type": "AWS::AutoScaling::AutoScalingGroup",
                    "Properties": {
                        "MetricsCollection": [{"Granularity": "1Minute", "Metrics": ["GroupInServiceInstances"]}]
                    },
                }
            }
        },
        indent=2,
    )
    + "\n",
}


def source_files(root: Path = APP_DIR) -> list[Path]:
    """The files of the source bundle, in a stable order (no caches, no editor leftovers)."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo") and p.name != ".DS_Store"
    )


def bundle_contents(root: Path = APP_DIR) -> dict[str, bytes]:
    """Every file of the source bundle by its path in the bundle: the app's files, then `PLATFORM_FILES`."""
    contents = {p.relative_to(root).as_posix(): p.read_bytes() for p in source_files(root)}
    clash = sorted(set(contents) & set(PLATFORM_FILES))
    if clash:
        raise ValueError(f"beanstalk/app has files the bundle generates itself: {', '.join(clash)}")
    return {**contents, **{path: text.encode() for path, text in PLATFORM_FILES.items()}}


def source_hash(root: Path = APP_DIR) -> str:
    """A hash of every bundled file's path and content: it changes exactly when the deployed code would."""
    digest = hashlib.sha256()
    for path, content in bundle_contents(root).items():
        digest.update(path.encode() + b"\0")
        digest.update(content + b"\0")
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
        # S3-managed keys (SSE-S3), not the stack key. Elastic Beanstalk documents no support for application
        # versions under a customer-managed KMS key: its only word on encrypting its storage is S3 default
        # encryption ("Using Elastic Beanstalk with Amazon S3"), and the request for it is open (aws/elastic-
        # beanstalk-roadmap#209, "Encrypt application version and KMS support", Proposed). Nor does it document who
        # reads the bundle: the instance profile "retrieves application versions" ("Service roles, instance
        # profiles, and user policies"), yet the managed tier policies grant S3 only on elasticbeanstalk-* buckets,
        # as if the service copies the version there first, with credentials it does not name. A kms:Decrypt grant
        # cannot be aimed at an unnamed reader, and a miss would surface only as a failed deployment. The bucket
        # holds only code, never payroll data, and is private and TLS-only like every other.
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
                {
                    **{p.relative_to(APP_DIR).as_posix(): pulumi.FileAsset(str(p)) for p in source_files()},
                    **{path: pulumi.StringAsset(text) for path, text in PLATFORM_FILES.items()},
                }
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
