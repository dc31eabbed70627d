"""PrivateBucket: the one way the program makes an S3 bucket: private, encrypted, TLS-only."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.tags import tagged

Statements = Sequence[dict[str, Any]]


class PrivateBucket(pulumi.ComponentResource):
    """A bucket that blocks every form of public access, encrypts at rest and refuses plain HTTP.

    `key_arn` encrypts with the stack key (and an S3 Bucket Key, so the KMS bill stays flat); `None` means SSE-S3, for
    the few services that cannot write to or read from a bucket under a customer-managed key. `grants` adds
    statements to the bucket policy, ahead of the TLS-only denial; it receives the bucket ARN.
    """

    def __init__(
        self,
        name: str,
        *,
        key_arn: pulumi.Input[str] | None,
        tags: Mapping[str, str],
        versioned: bool,
        force_destroy: bool,
        protect: bool = False,
        grants: Callable[[pulumi.Output[str]], pulumi.Input[Statements]] | None = None,
        tls_statement_id: str = "DenyInsecureTransport",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:storage:PrivateBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.resource = aws.s3.Bucket(
            name,
            force_destroy=force_destroy,
            tags=tagged(tags, name),
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        self.public_access = aws.s3.BucketPublicAccessBlock(
            name,
            bucket=self.resource.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        default: dict[str, pulumi.Input[str]] = (
            {"sse_algorithm": "aws:kms", "kms_master_key_id": key_arn}
            if key_arn is not None
            else {"sse_algorithm": "AES256"}
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=self.resource.id,
            # A Bucket Key means one data key per bucket instead of one KMS call per object; SSE-S3 has no use for it.
            rules=[{"apply_server_side_encryption_by_default": default, "bucket_key_enabled": key_arn is not None}],
            opts=child,
        )
        if versioned:
            aws.s3.BucketVersioning(
                name, bucket=self.resource.id, versioning_configuration={"status": "Enabled"}, opts=child
            )
        extra: pulumi.Input[Statements] = grants(self.resource.arn) if grants else []
        self.policy = aws.s3.BucketPolicy(
            name,
            bucket=self.resource.id,
            policy=pulumi.Output.all(self.resource.arn, extra).apply(lambda a: _policy(a[0], a[1], tls_statement_id)),
            # S3 refuses a bucket policy while the public access block is still being applied.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access]),
        )
        # The names of aws.s3.Bucket's own outputs, so a caller reads a PrivateBucket as it would read the bucket.
        self.id: pulumi.Output[str] = self.resource.id
        self.arn: pulumi.Output[str] = self.resource.arn
        self.bucket: pulumi.Output[str] = self.resource.bucket
        self.register_outputs({"bucket": self.bucket, "arn": self.arn})


def _policy(bucket_arn: str, grants: Statements, tls_statement_id: str) -> str:
    deny_plain_http = {
        "Sid": tls_statement_id,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [*grants, deny_plain_http]})
