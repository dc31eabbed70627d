"""Uploads: the private, versioned bucket that holds payroll files, their results and delivery markers for a while."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.storage import PrivateBucket

# Where the app writes (beanstalk/app): uploaded files, the worker's results, claims on a job's email (who is sending
# it) and markers of emails already sent.
UPLOADS_PREFIX = "uploads/"
RESULTS_PREFIX = "results/"
CLAIMS_PREFIX = "claims/"
NOTICES_PREFIX = "notices/"


class Uploads(pulumi.ComponentResource):
    """A `PrivateBucket` under the stack key whose uploads, claims, notices and old versions expire after
    `expire_days`."""

    def __init__(
        self,
        name: str,
        *,
        expire_days: int,
        key_arn: pulumi.Input[str],
        protect: bool,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:beanstalk:Uploads", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.store = PrivateBucket(
            name,
            key_arn=key_arn,
            tags=tags,
            versioned=True,
            force_destroy=not protect,
            protect=protect,
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.store.id,
            rules=[
                {
                    "id": "expire-processed-uploads",
                    "status": "Enabled",
                    "filter": {"prefix": UPLOADS_PREFIX},
                    "expiration": {"days": expire_days},
                },
                {
                    "id": "expire-delivery-markers",
                    "status": "Enabled",
                    "filter": {"prefix": NOTICES_PREFIX},
                    "expiration": {"days": expire_days},
                },
                {
                    # A claim matters only while its job can still be delivered (SQS keeps a message 4 days).
                    "id": "expire-email-claims",
                    "status": "Enabled",
                    "filter": {"prefix": CLAIMS_PREFIX},
                    "expiration": {"days": expire_days},
                },
                {
                    # Versioning keeps overwritten or expired objects as noncurrent versions: drop those too, and
                    # the parts of uploads that never completed (a rejected file aborts its multipart upload).
                    "id": "expire-old-versions-and-abandoned-parts",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {"noncurrent_days": expire_days},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                },
            ],
            opts=child,
        )
        self.id: pulumi.Output[str] = self.store.id
        self.arn: pulumi.Output[str] = self.store.arn
        self.bucket: pulumi.Output[str] = self.store.bucket
        self.register_outputs({"bucket": self.bucket, "arn": self.arn})
