"""ServerlessApi used alone, as a team would: its Args built in Python, a KMS key ARN it did not create, its own tags.

Nothing of this project's stack (key, network, tags object) is needed; the API is a tree of small components.
"""

from __future__ import annotations

import json

import pulumi
import pytest

from aws_compute_platform.serverless.api import ServerlessApi
from aws_compute_platform.serverless.args import CorsArgs, FunctionsArgs, RouteFunctionArgs, ServerlessApiArgs
from aws_compute_platform.serverless.catalogue import HANDLERS, ROUTES, SCHEDULED, UPLOAD_FUNCTION
from plan import Plan, run_program
from plan.taggable import accepts_tags

KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TAGS = {"team": "finance", "app": "purchase-orders"}


def build(args: ServerlessApiArgs) -> Plan:
    def program() -> None:
        api = ServerlessApi("po", args, key_arn=KEY_ARN, tags=TAGS)
        pulumi.export("apiUrl", api.api_url)
        pulumi.export("tableName", api.table_name)

    return run_program(program, stack="team", config={"aws:region": "us-east-1"})


@pytest.fixture(scope="module")
def alone() -> Plan:
    return build(
        ServerlessApiArgs(
            enabled=True,
            authorization="none",
            functions=FunctionsArgs(list_orders=RouteFunctionArgs(provisioned_concurrency=2, memory_mb=512)),
            cors=CorsArgs(allow_origins=("https://orders.example.org",)),
            protect=True,
            log_retention_days=7,
        )
    )


def test_it_builds_with_a_plain_key_arn_and_declares_no_key_or_network_of_its_own(alone: Plan) -> None:
    types = {r.type for r in alone}
    assert not {t for t in types if t.startswith(("aws:kms/", "aws:ec2/"))}
    assert alone.outputs["apiUrl"].startswith("https://") and alone.outputs["tableName"]


def test_the_given_key_encrypts_the_table_queue_logs_buckets_and_function_settings(alone: Plan) -> None:
    [table] = alone.of_type("aws:dynamodb/table:Table")
    assert table.inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": KEY_ARN}
    [queue] = alone.of_type("aws:sqs/queue:Queue")
    assert queue.inputs["kmsMasterKeyId"] == KEY_ARN
    groups = alone.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert len(groups) == len(HANDLERS) + 1  # one per function, and the API's access logs
    assert {g.inputs["kmsKeyId"] for g in groups} == {KEY_ARN}
    assert {f.inputs["kmsKeyArn"] for f in alone.of_type("aws:lambda/function:Function")} == {KEY_ARN}
    encryption = alone.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert len(encryption) == 2
    for config in encryption:
        assert config.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == KEY_ARN
    for policy in [p for p in alone.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("-access")]:
        statements = json.loads(policy.inputs["policy"])["Statement"]
        assert next(s for s in statements if s["Sid"] == "UseStackKey")["Resource"] == KEY_ARN


def test_every_taggable_resource_carries_the_given_tags_and_its_name(alone: Plan) -> None:
    taggable = [r for r in alone if r.custom and accepts_tags(r.type)]
    assert len(taggable) > len(HANDLERS)
    for resource in taggable:
        tags = resource.inputs.get("tags") or {}
        assert {k: tags.get(k) for k in TAGS} == TAGS, resource.name
        assert tags.get("Name", "").startswith("po"), resource.name


def test_python_args_reach_the_resources(alone: Plan) -> None:
    assert {r.inputs["authorizationType"] for r in alone.of_type("aws:apigatewayv2/route:Route")} == {"NONE"}
    [api] = alone.of_type("aws:apigatewayv2/api:Api")
    assert api.inputs["corsConfiguration"]["allowOrigins"] == ["https://orders.example.org"]
    [warm] = alone.of_type("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
    assert warm.name == "po-listOrders-warm" and warm.inputs["provisionedConcurrentExecutions"] == 2
    assert {g.inputs["retentionInDays"] for g in alone.of_type("aws:cloudwatch/logGroup:LogGroup")} == {7}
    [table] = alone.of_type("aws:dynamodb/table:Table")
    assert table.protect and table.inputs["deletionProtectionEnabled"] is True
    assert all(b.protect for b in alone.of_type("aws:s3/bucket:Bucket"))


def test_an_unprotected_api_can_be_destroyed_with_its_data() -> None:
    plan = build(ServerlessApiArgs(enabled=True))
    [table] = plan.of_type("aws:dynamodb/table:Table")
    assert not table.protect and table.inputs["deletionProtectionEnabled"] is False
    buckets = plan.of_type("aws:s3/bucket:Bucket")
    assert len(buckets) == 2 and all(not b.protect and b.inputs["forceDestroy"] is True for b in buckets)
    assert plan.of_type("aws:lambda/alias:Alias") == []


def test_the_api_is_a_tree_of_one_component_per_concern(alone: Plan) -> None:
    [root] = [r for r in alone if r.type == "acp:serverless:ServerlessApi"]
    assert all(r is root or r in alone.within(root) for r in alone)  # nothing is declared outside the API
    children = sorted(r.type for r in alone.children_of(root))
    assert children == sorted(
        [
            "acp:serverless:OrdersTable",
            "acp:storage:PrivateBucket",
            "acp:storage:PrivateBucket",
            "aws:sqs/queue:Queue",
            *["acp:serverless:OrdersFunction"] * len(HANDLERS),
            "acp:serverless:HttpApi",
            "acp:serverless:UploadImport",
            "acp:serverless:Schedules",
        ]
    )

    def under(component_type: str, name: str = "po") -> set[str]:
        [component] = [r for r in alone if r.type == component_type and r.name == name]
        return {r.name for r in alone.children_of(component)}

    assert under("acp:serverless:OrdersTable") == {"po-orders"}
    assert under("acp:serverless:OrdersFunction", "po-listOrders") == {
        f"po-listOrders{suffix}" for suffix in ("", "-logs", "-role", "-access", "-live", "-warm")
    }
    assert under("acp:serverless:OrdersFunction", "po-onUpload") == {
        f"po-onUpload{suffix}" for suffix in ("", "-logs", "-role", "-access", "-continue", "-on-failure")
    }
    assert under("acp:serverless:HttpApi") == {"po-api", "po-api-access", "po-stage"} | {
        f"po-{fn_name}{suffix}" for fn_name in ROUTES for suffix in ("-integration", "-route", "-from-api")
    }
    assert under("acp:serverless:UploadImport") == {
        f"po-{UPLOAD_FUNCTION}-from-s3",
        f"po-{UPLOAD_FUNCTION}-notification",
    }
    assert under("acp:serverless:Schedules") == {
        f"po-{fn_name}{suffix}" for fn_name in SCHEDULED for suffix in ("-sched", "-from-schedule", "-target")
    }
