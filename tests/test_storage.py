"""PrivateBucket: every bucket of the program is private, encrypted as asked and reachable over TLS only."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from aws_compute_platform.foundation.encryption import EncryptionArgs, EncryptionKey
from aws_compute_platform.foundation.storage import PrivateBucket
from aws_compute_platform.foundation.tags import REQUIRED_TAG_KEYS, stack_tags
from plan import Plan, PlannedResource, run_program

TAGS = stack_tags(project="acp", environment="test", owner="platform", cost_center="it")
GRANT = {"Sid": "LetTheServiceWrite", "Effect": "Allow", "Principal": {"Service": "example.amazonaws.com"}}

BUCKET = "aws:s3/bucket:Bucket"
BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"


class Owner(pulumi.ComponentResource):
    """Stands for the component that owns the bucket."""

    def __init__(self, build: Callable[[Owner, EncryptionKey], PrivateBucket]) -> None:
        super().__init__("acp:test:Owner", "owner", None, None)
        key = EncryptionKey("key", EncryptionArgs(deletion_window_days=7, protect=False), TAGS)
        self.bucket = build(self, key)
        self.register_outputs({})


def plan_of(**options: Any) -> Plan:
    """One PrivateBucket named `data` under an owning component, built with `options`."""

    def build(owner: Owner, key: EncryptionKey) -> PrivateBucket:
        kwargs: dict[str, Any] = {"key_arn": key.arn, "versioned": False, "force_destroy": False, **options}
        return PrivateBucket("data", tags=TAGS, opts=pulumi.ResourceOptions(parent=owner), **kwargs)

    return run_program(lambda: Owner(build))


def one(plan: Plan, type_: str) -> PlannedResource:
    [found] = plan.of_type(type_)
    return found


def statements(plan: Plan) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(one(plan, POLICY).inputs["policy"])["Statement"]
    return found


@pytest.fixture(scope="module")
def kms_plan() -> Plan:
    return plan_of(versioned=True, protect=True)


@pytest.fixture(scope="module")
def sse_s3_plan() -> Plan:
    return plan_of(key_arn=None, force_destroy=True, grants=lambda arn: arn.apply(lambda a: [{**GRANT, "Resource": a}]))


def test_no_form_of_public_access_is_allowed(kms_plan: Plan, sse_s3_plan: Plan) -> None:
    for plan in (kms_plan, sse_s3_plan):
        block = one(plan, BLOCK)
        assert block.inputs["bucket"] == plan.id_of(one(plan, BUCKET))
        for setting in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
            assert block.inputs[setting] is True, setting


def test_with_a_key_objects_are_encrypted_with_it_through_a_bucket_key(kms_plan: Plan) -> None:
    key_arn = one(kms_plan, "aws:kms/key:Key").outputs["arn"]
    [rule] = one(kms_plan, ENCRYPTION).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}
    assert rule["bucketKeyEnabled"] is True


def test_without_a_key_objects_are_encrypted_with_s3_managed_keys(sse_s3_plan: Plan) -> None:
    [rule] = one(sse_s3_plan, ENCRYPTION).inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert rule["bucketKeyEnabled"] is False


def test_plain_http_is_refused_on_the_bucket_and_every_object(kms_plan: Plan, sse_s3_plan: Plan) -> None:
    for plan in (kms_plan, sse_s3_plan):
        arn = one(plan, BUCKET).outputs["arn"]
        deny = statements(plan)[-1]
        assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
        assert deny["Resource"] == [arn, f"{arn}/*"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_grants_come_before_the_tls_denial_and_see_the_bucket_arn(kms_plan: Plan, sse_s3_plan: Plan) -> None:
    assert len(statements(kms_plan)) == 1
    arn = one(sse_s3_plan, BUCKET).outputs["arn"]
    assert statements(sse_s3_plan)[:-1] == [{**GRANT, "Resource": arn}]


def test_the_tls_statement_keeps_the_id_it_is_given() -> None:
    assert statements(plan_of())[-1]["Sid"] == "DenyInsecureTransport"
    assert statements(plan_of(tls_statement_id="DenyPlainHttp"))[-1]["Sid"] == "DenyPlainHttp"


def test_versions_are_kept_only_when_asked(kms_plan: Plan, sse_s3_plan: Plan) -> None:
    versioning = one(kms_plan, VERSIONING)
    assert versioning.inputs["bucket"] == kms_plan.id_of(one(kms_plan, BUCKET))
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    assert not sse_s3_plan.of_type(VERSIONING)


def test_the_policy_is_applied_after_the_public_access_block(kms_plan: Plan, sse_s3_plan: Plan) -> None:
    for plan in (kms_plan, sse_s3_plan):
        assert one(plan, BLOCK).urn in one(plan, POLICY).dependencies


def test_protection_and_force_destroy_are_the_callers_choice(kms_plan: Plan, sse_s3_plan: Plan) -> None:
    assert one(kms_plan, BUCKET).protect and one(kms_plan, BUCKET).inputs["forceDestroy"] is False
    assert not one(sse_s3_plan, BUCKET).protect and one(sse_s3_plan, BUCKET).inputs["forceDestroy"] is True


def test_the_bucket_is_tagged_and_named_after_its_logical_name(kms_plan: Plan) -> None:
    bucket = one(kms_plan, BUCKET)
    assert set(REQUIRED_TAG_KEYS) <= set(bucket.inputs["tags"]) and bucket.inputs["tags"]["Name"] == "data"
    # No explicit name: S3 gets the logical name plus a random suffix, so names never collide across stacks.
    assert "bucket" not in bucket.inputs and "bucketPrefix" not in bucket.inputs


def test_the_bucket_and_its_settings_sit_inside_the_component_under_one_name(kms_plan: Plan) -> None:
    component = one(kms_plan, "acp:storage:PrivateBucket")
    children = kms_plan.children_of(component)
    assert {r.type for r in children} == {BUCKET, BLOCK, ENCRYPTION, VERSIONING, POLICY}
    assert all(r.name == "data" for r in children)
