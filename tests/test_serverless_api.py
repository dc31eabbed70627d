"""ServerlessApi: every route reaches its function within the API's time limit, data is encrypted and kept,
each trigger reaches the right function with a permission scoped to its source, and each role does only its job."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic.alias_generators import to_snake

from aws_compute_platform.config import ConfigError, SettingsError
from aws_compute_platform.serverless import table as serverless_table
from aws_compute_platform.serverless.app.orders_api import orders as app_orders
from aws_compute_platform.serverless.args import (
    FunctionArgs,
    FunctionsArgs,
    RouteFunctionArgs,
    ServerlessApiArgs,
    schedule_problem,
)
from aws_compute_platform.serverless.catalogue import HANDLERS, INTEGRATION_TIMEOUT_MS, ROUTES, SCHEDULED
from aws_compute_platform.settings import parse_settings
from plan import Plan, PlannedResource
from tests.conftest import DEV_WITHOUT_NAT_PAYROLL_OR_ORDERS

SERVERLESS = "aws-compute-platform:serverless"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"


def component(plan: Plan) -> PlannedResource:
    return next(r for r in plan if r.type == "acp:serverless:ServerlessApi")


def function(plan: Plan, fn_name: str) -> PlannedResource:
    # The Lambda function, not the component of the same name that holds it with its role and log group.
    [found] = [f for f in plan.of_type(FUNCTION) if f.name == f"{component(plan).name}-{fn_name}"]
    return found


def physical_name(plan: Plan, resource: PlannedResource) -> str:
    return str(resource.outputs["name"])


def arn(resource: PlannedResource) -> str:
    return str(resource.outputs["arn"])


def policy_of(plan: Plan, fn_name: str) -> list[dict[str, Any]]:
    policy = plan.named(f"{component(plan).name}-{fn_name}-access")
    statements: list[dict[str, Any]] = json.loads(policy.inputs["policy"])["Statement"]
    return statements


def allowed(statements: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Every allowed action with the resources it is allowed on."""
    found: dict[str, set[str]] = {}
    for s in statements:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        for action in actions:
            found.setdefault(action, set()).update(resources)
    return found


def serverless_config(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"enabled": True}
    config.update(changes)
    return {SERVERLESS: config}


def refused(raw: dict[str, Any]) -> list[ConfigError]:
    """The problems of a stack-file section, after checking that the same Args built in Python report the same."""
    with pytest.raises(SettingsError) as from_config:
        ServerlessApiArgs.from_config(raw)
    with pytest.raises(SettingsError) as from_python:
        ServerlessApiArgs(**{to_snake(k): v for k, v in raw.items()})
    assert [str(p) for p in from_python.value.problems] == [str(p) for p in from_config.value.problems]
    return from_config.value.problems


# -- the HTTP API ---------------------------------------------------------------------------------------------------


def test_every_route_has_a_lambda_proxy_integration_with_payload_2_and_at_most_30_seconds(stack_plan: Plan) -> None:
    routes = {r.inputs["routeKey"]: r for r in stack_plan.of_type("aws:apigatewayv2/route:Route")}
    assert set(routes) == set(ROUTES.values())
    integrations = {f"{i.name}-id": i for i in stack_plan.of_type("aws:apigatewayv2/integration:Integration")}
    for fn_name, route_key in ROUTES.items():
        target = routes[route_key].inputs["target"]
        assert target.startswith("integrations/")
        integration = integrations[target.removeprefix("integrations/")]
        assert integration.inputs["integrationType"] == "AWS_PROXY"
        assert integration.inputs["integrationMethod"] == "POST"
        assert integration.inputs["payloadFormatVersion"] == "2.0"
        assert 50 <= integration.inputs["timeoutMilliseconds"] <= 30_000
        assert physical_name(stack_plan, function(stack_plan, fn_name)) in integration.inputs["integrationUri"]


def test_every_route_function_may_be_invoked_only_by_this_api_on_its_own_method_and_path(stack_plan: Plan) -> None:
    api = stack_plan.of_type("aws:apigatewayv2/api:Api")[0]
    execution_arn = api.outputs["executionArn"]
    for fn_name, route_key in ROUTES.items():
        method, path = route_key.split(" ")
        fn = physical_name(stack_plan, function(stack_plan, fn_name))
        permissions = [
            p
            for p in stack_plan.of_type(PERMISSION)
            if p.inputs["function"] == fn and p.inputs["principal"] == "apigateway.amazonaws.com"
        ]
        assert len(permissions) == 1, fn_name
        source = permissions[0].inputs["sourceArn"]
        assert source == f"{execution_arn}/*/{method}{path.replace('{id}', '*')}"


def test_every_route_function_stops_before_the_api_gives_up(stack_plan: Plan) -> None:
    for fn_name in ROUTES:
        assert function(stack_plan, fn_name).inputs["timeout"] * 1000 < INTEGRATION_TIMEOUT_MS, fn_name


def test_a_route_function_timeout_beyond_the_api_limit_is_refused_naming_its_key() -> None:
    raw = {"enabled": True, "functions": {"approveOrder": {"timeout": 45}, "processOrders": {"timeout": 300}}}
    [problem] = refused(raw)
    assert problem.key == f"{SERVERLESS}.functions.approveOrder.timeout"
    assert "30 seconds" in problem.problem and problem.value == 45
    # A route function's own Args, built alone in Python, refuse it for the same reason.
    with pytest.raises(SettingsError, match="30 seconds") as alone:
        RouteFunctionArgs(timeout_s=45)
    assert alone.value.keys == ["RouteFunctionArgs.timeout"]


def test_the_stage_is_the_default_one_deploys_itself_and_sets_both_throttling_limits(stack_plan: Plan) -> None:
    stage = stack_plan.of_type("aws:apigatewayv2/stage:Stage")[0]
    assert stage.inputs["name"] == "$default"
    assert stage.inputs["autoDeploy"] is True
    throttling = stage.inputs["defaultRouteSettings"]
    expected = {"dev": (20, 10), "prod": (100, 50)}[stack_plan.stack]
    assert (throttling["throttlingBurstLimit"], throttling["throttlingRateLimit"]) == expected
    assert "loggingLevel" not in throttling and "dataTraceEnabled" not in throttling  # WebSocket-only


def test_access_logs_go_as_json_to_a_log_group_encrypted_with_the_stack_key(stack_plan: Plan) -> None:
    stage = stack_plan.of_type("aws:apigatewayv2/stage:Stage")[0]
    group = next(
        g
        for g in stack_plan.of_type("aws:cloudwatch/logGroup:LogGroup")
        if arn(g) == stage.inputs["accessLogSettings"]["destinationArn"]
    )
    assert group.inputs["kmsKeyId"] == stack_plan.outputs["kmsKeyArn"]
    assert group.inputs["retentionInDays"] == {"dev": 14, "prod": 90}[stack_plan.stack]
    assert json.loads(stage.inputs["accessLogSettings"]["format"])["status"] == "$context.status"


def test_routes_require_signed_iam_requests(stack_plan: Plan) -> None:
    assert {r.inputs["authorizationType"] for r in stack_plan.of_type("aws:apigatewayv2/route:Route")} == {"AWS_IAM"}


def test_routes_are_open_only_when_config_says_none(plan_with: Callable[..., Plan]) -> None:
    open_plan = plan_with("dev", serverless_config(authorization="none"))
    assert {r.inputs["authorizationType"] for r in open_plan.of_type("aws:apigatewayv2/route:Route")} == {"NONE"}


def test_cors_allows_only_the_configured_origins(prod_plan: Plan, dev_plan: Plan) -> None:
    assert prod_plan.of_type("aws:apigatewayv2/api:Api")[0].inputs["corsConfiguration"]["allowOrigins"] == [
        "https://example.com"
    ]
    assert dev_plan.of_type("aws:apigatewayv2/api:Api")[0].inputs["corsConfiguration"]["allowOrigins"] == [
        "http://localhost:3000"
    ]


# -- functions ------------------------------------------------------------------------------------------------------


def test_each_handler_runs_as_its_own_arm64_python_function_with_encrypted_settings_and_tracing(
    stack_plan: Plan,
) -> None:
    functions = {f.name.removeprefix(f"{component(stack_plan).name}-"): f for f in stack_plan.of_type(FUNCTION)}
    assert set(functions) == set(HANDLERS)
    for fn_name, fn in functions.items():
        assert fn.inputs["handler"] == HANDLERS[fn_name]
        assert fn.inputs["runtime"] in ("python3.12", "python3.13")
        assert fn.inputs["architectures"] == ["arm64"]
        assert fn.inputs["kmsKeyArn"] == stack_plan.outputs["kmsKeyArn"]
        assert fn.inputs["tracingConfig"] == {"mode": "Active"}
        assert 128 <= fn.inputs["memorySize"] <= 10240
        assert 512 <= fn.inputs["ephemeralStorage"]["size"] <= 10240


def test_each_function_logs_as_json_into_its_own_encrypted_group_with_retention(stack_plan: Plan) -> None:
    groups = {g.outputs["name"]: g for g in stack_plan.of_type("aws:cloudwatch/logGroup:LogGroup")}
    seen = set()
    for fn in stack_plan.of_type(FUNCTION):
        logging = fn.inputs["loggingConfig"]
        assert logging["logFormat"] == "JSON"
        group = groups[logging["logGroup"]]
        assert group.inputs["kmsKeyId"] == stack_plan.outputs["kmsKeyArn"]
        assert group.inputs["retentionInDays"] == {"dev": 14, "prod": 90}[stack_plan.stack]
        seen.add(logging["logGroup"])
    assert len(seen) == len(HANDLERS)


def test_the_package_holds_only_the_handler_modules(dev_plan: Plan) -> None:
    archive = function(dev_plan, "listOrders").inputs["code"]
    names = sorted(archive.assets)
    assert names == [
        "orders_api/__init__.py",
        "orders_api/handlers.py",
        "orders_api/logs.py",
        "orders_api/orders.py",
        "orders_api/web.py",
    ]
    for handler in HANDLERS.values():
        module, _, entry_point = handler.rpartition(".")
        assert f"{module.replace('.', '/')}.py" in names
        assert callable(
            getattr(importlib.import_module(f"aws_compute_platform.serverless.app.{module}"), entry_point)
        ), handler


def test_stack_config_sizes_reach_the_functions(prod_plan: Plan) -> None:
    assert function(prod_plan, "listOrders").inputs["memorySize"] == 512
    assert function(prod_plan, "processOrders").inputs["timeout"] == 120
    assert function(prod_plan, "remindPending").inputs["memorySize"] == 256  # the default


def test_background_functions_send_failed_events_to_an_encrypted_queue(stack_plan: Plan) -> None:
    queue = stack_plan.of_type("aws:sqs/queue:Queue")
    queue_arn = next(arn(q) for q in queue if q.name.endswith("-failed-events"))
    assert (
        next(q for q in queue if q.name.endswith("-failed-events")).inputs["kmsMasterKeyId"]
        == stack_plan.outputs["kmsKeyArn"]
    )
    configs = {
        c.inputs["functionName"]: c
        for c in stack_plan.of_type("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
    }
    for fn_name in ("processOrders", "onUpload", "remindPending"):
        config = configs[physical_name(stack_plan, function(stack_plan, fn_name))]
        assert config.inputs["destinationConfig"]["onFailure"]["destination"] == queue_arn
        assert allowed(policy_of(stack_plan, fn_name))["sqs:SendMessage"] == {queue_arn}
    assert len(configs) == 3


# -- cold starts ----------------------------------------------------------------------------------------------------


def test_prod_keeps_list_orders_warm_through_an_alias_the_api_actually_invokes(prod_plan: Plan) -> None:
    fn = function(prod_plan, "listOrders")
    assert fn.inputs["publish"] is True
    alias = prod_plan.named(f"{fn.name}-live")
    assert alias.inputs["functionVersion"] == fn.outputs["version"]
    warm = prod_plan.named(f"{fn.name}-warm")
    assert warm.inputs["qualifier"] == "live" and warm.inputs["provisionedConcurrentExecutions"] == 1
    integration = prod_plan.named(f"{fn.name}-integration")
    assert integration.inputs["integrationUri"] == alias.outputs["invokeArn"]
    assert prod_plan.named(f"{fn.name}-from-api").inputs["qualifier"] == "live"


def test_dev_reserves_no_concurrency_at_all(dev_plan: Plan) -> None:
    assert dev_plan.of_type("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig") == []
    assert dev_plan.of_type("aws:lambda/alias:Alias") == []
    for fn in dev_plan.of_type(FUNCTION):
        assert not fn.inputs.get("publish") and "reservedConcurrentExecutions" not in fn.inputs


def test_provisioned_concurrency_is_refused_on_a_background_function() -> None:
    [problem] = refused({"functions": {"onUpload": {"provisionedConcurrency": 2}}})
    assert problem.key == f"{SERVERLESS}.functions.onUpload.provisionedConcurrency"
    assert "only for the API's functions" in problem.problem and problem.value == 2


# -- storage --------------------------------------------------------------------------------------------------------


def test_the_table_is_on_demand_encrypted_with_the_stack_key_and_indexed_by_status(stack_plan: Plan) -> None:
    table = stack_plan.of_type("aws:dynamodb/table:Table")[0]
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": stack_plan.outputs["kmsKeyArn"]}
    index = table.inputs["globalSecondaryIndexes"][0]
    assert index["name"] == app_orders.STATUS_INDEX
    assert [(k["attributeName"], k["keyType"]) for k in index["keySchemas"]] == [
        (app_orders.STATUS, "HASH"),
        (app_orders.CREATED_AT, "RANGE"),
    ]


def test_the_table_declares_only_the_key_and_index_attributes_the_handlers_use(stack_plan: Plan) -> None:
    table = stack_plan.of_type("aws:dynamodb/table:Table")[0]
    assert table.inputs["hashKey"] == app_orders.KEY
    assert {a["name"] for a in table.inputs["attributes"]} == {app_orders.KEY, app_orders.STATUS, app_orders.CREATED_AT}


def test_prod_tables_have_point_in_time_recovery_and_are_protected(prod_plan: Plan, dev_plan: Plan) -> None:
    prod_table = prod_plan.of_type("aws:dynamodb/table:Table")[0]
    assert prod_table.inputs["pointInTimeRecovery"]["enabled"] is True
    assert prod_table.inputs["deletionProtectionEnabled"] is True and prod_table.protect
    dev_table = dev_plan.of_type("aws:dynamodb/table:Table")[0]
    assert dev_table.inputs["pointInTimeRecovery"]["enabled"] is False
    assert not dev_table.inputs["deletionProtectionEnabled"] and not dev_table.protect


def test_both_buckets_are_private_versioned_kms_encrypted_and_refuse_plain_http(stack_plan: Plan) -> None:
    buckets = [r for r in stack_plan.within(component(stack_plan)) if r.type == "aws:s3/bucket:Bucket"]
    assert len(buckets) == 2
    for bucket in buckets:
        bucket_id = f"{bucket.name}-id"

        def one(type_: str, bucket_id: str = bucket_id) -> PlannedResource:
            found = [r for r in stack_plan.of_type(type_) if r.inputs["bucket"] == bucket_id]
            assert len(found) == 1, type_
            return found[0]

        block = one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
        assert all(
            block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        )
        assert one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"] == {
            "status": "Enabled"
        }
        rule = one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs[
            "rules"
        ][0]["applyServerSideEncryptionByDefault"]
        assert rule == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": stack_plan.outputs["kmsKeyArn"]}
        policy = json.loads(one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
        assert policy["Statement"][0]["Effect"] == "Deny"
        assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert bucket.protect == (stack_plan.stack == "prod")


# -- triggers -------------------------------------------------------------------------------------------------------


def test_uploads_notify_the_import_function_through_a_permission_scoped_to_that_bucket(stack_plan: Plan) -> None:
    [uploads] = [
        b
        for b in stack_plan.of_type("aws:s3/bucket:Bucket")
        if b.name == f"aws-compute-platform-{stack_plan.stack}-orders-uploads"
    ]
    on_upload = function(stack_plan, "onUpload")
    notification = stack_plan.of_type("aws:s3/bucketNotification:BucketNotification")[0]
    assert notification.inputs["bucket"] == f"{uploads.name}-id"
    [target] = notification.inputs["lambdaFunctions"]
    assert target["lambdaFunctionArn"] == arn(on_upload)
    assert target["events"] == ["s3:ObjectCreated:*"]
    [permission] = [p for p in stack_plan.of_type(PERMISSION) if p.inputs["principal"] == "s3.amazonaws.com"]
    assert permission.inputs["function"] == physical_name(stack_plan, on_upload)
    assert permission.inputs["sourceArn"] == arn(uploads)
    assert permission.inputs["sourceAccount"] == "123456789012"
    assert permission.urn in notification.dependencies


@pytest.mark.parametrize("fn_name", sorted(SCHEDULED))
def test_each_schedule_rule_starts_its_own_function(stack_plan: Plan, fn_name: str) -> None:
    fn = function(stack_plan, fn_name)
    rule = stack_plan.named(f"{fn.name}-sched")
    expected = {
        ("dev", "remindPending"): "rate(1 day)",
        ("prod", "remindPending"): "cron(0 8 ? * MON-FRI *)",
    }.get((stack_plan.stack, fn_name), "rate(15 minutes)")
    assert rule.inputs["scheduleExpression"] == expected
    target = stack_plan.named(f"{fn.name}-target")
    assert target.inputs["rule"] == rule.outputs["name"] and target.inputs["arn"] == arn(fn)
    permission = stack_plan.named(f"{fn.name}-from-schedule")
    assert permission.inputs["principal"] == "events.amazonaws.com"
    assert permission.inputs["sourceArn"] == arn(rule)
    assert permission.inputs["function"] == physical_name(stack_plan, fn)


# -- least privilege ------------------------------------------------------------------------------------------------

EXPECTED_DATA_ACCESS = {
    "listOrders": {"dynamodb:Query": "index"},
    "getOrder": {"dynamodb:GetItem": "table"},
    "createOrder": {"dynamodb:PutItem": "table"},
    "approveOrder": {"dynamodb:UpdateItem": "table", "dynamodb:GetItem": "table"},
    "processOrders": {"dynamodb:Query": "index", "dynamodb:UpdateItem": "table", "s3:PutObject": "documents"},
    "onUpload": {
        "dynamodb:BatchWriteItem": "table",
        "dynamodb:BatchGetItem": "table",
        "dynamodb:UpdateItem": "table",
        "dynamodb:GetItem": "table",
        "s3:GetObject": "uploads",
        "s3:GetObjectVersion": "uploads",
    },
    "remindPending": {"dynamodb:Query": "index", "dynamodb:UpdateItem": "table"},
}


@pytest.mark.parametrize("fn_name", sorted(HANDLERS))
def test_each_role_has_only_the_data_actions_its_function_uses_on_exact_arns(stack_plan: Plan, fn_name: str) -> None:
    table_arn = arn(stack_plan.of_type("aws:dynamodb/table:Table")[0])
    buckets = {
        b.name.rsplit("-", 1)[-1]: arn(b)
        for b in stack_plan.within(component(stack_plan))
        if b.type == "aws:s3/bucket:Bucket"
    }
    where = {
        "table": table_arn,
        "index": f"{table_arn}/index/{app_orders.STATUS_INDEX}",
        "documents": f"{buckets['documents']}/purchase-orders/*",
        "uploads": f"{buckets['uploads']}/*",
    }
    grants = allowed(policy_of(stack_plan, fn_name))
    data = {a: r for a, r in grants.items() if a.split(":")[0] in ("dynamodb", "s3")}
    assert data == {a: {where[t]} for a, t in EXPECTED_DATA_ACCESS[fn_name].items()}
    wildcard = {a for a, r in grants.items() if "*" in r}
    assert wildcard <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}  # X-Ray takes no resource ARNs
    log_group = stack_plan.named(f"{component(stack_plan).name}-{fn_name}-logs")
    assert grants["logs:PutLogEvents"] == {f"{arn(log_group)}:*"}
    assert grants["kms:Decrypt"] == {stack_plan.outputs["kmsKeyArn"]}


def test_every_function_has_a_role_of_its_own(stack_plan: Plan) -> None:
    roles = [f.inputs["role"] for f in stack_plan.of_type(FUNCTION)]
    assert len(set(roles)) == len(HANDLERS)


# -- settings -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key", "problem"),
    [
        ({"functions": {"listOrders": {"memoryMb": 64}}}, "functions.listOrders.memoryMb", "at least 128"),
        ({"functions": {"getOrder": {"memoryMb": 20000}}}, "functions.getOrder.memoryMb", "at most 10240"),
        ({"functions": {"onUpload": {"timeout": 901}}}, "functions.onUpload.timeout", "at most 900"),
        ({"functions": {"onUpload": {"ephemeralStorageMb": 256}}}, "functions.onUpload.ephemeralStorageMb", "512"),
        ({"functions": {"remindPending": {"schedule": "every day"}}}, "functions.remindPending.schedule", "rate("),
        (
            {"functions": {"remindPending": {"schedule": "rate(1 days)"}}},
            "functions.remindPending.schedule",
            "singular",
        ),
        ({"functions": {"processOrders": {"schedule": "cron(0 8 * * *)"}}}, "functions.processOrders.schedule", "6"),
        ({"functions": {"getOrder": {"schedule": "rate(1 day)"}}}, "functions.getOrder.schedule", "only for"),
        ({"functions": {"onUpload": {"schedule": "rate(1 day)"}}}, "functions.onUpload.schedule", "only for"),
        (
            {"functions": {"processOrders": {"provisionedConcurrency": 1}}},
            "functions.processOrders.provisionedConcurrency",
            "only for",
        ),
        ({"functions": {"deleteOrder": {}}}, "functions.deleteOrder", "not a known setting"),
        ({"functions": {"getOrder": None}}, "functions.getOrder", "must be an object"),
        ({"functions": {"getOrder": {"timeOut": 5}}}, "functions.getOrder.timeOut", "not a known setting"),
        ({"cors": {"allowOrigins": ["example.com"]}}, "cors.allowOrigins[0]", "origin URL"),
        ({"cors": {"allowOrigins": ["*"]}}, "cors.allowOrigins[0]", "no wildcard"),
        ({"cors": {"allowOrigins": ["https://example.com/app"]}}, "cors.allowOrigins[0]", "no path"),
        ({"throttle": {"burstLimit": 0}}, "throttle.burstLimit", "at least 1"),
        ({"throttle": {"rateLimit": 20000}}, "throttle.rateLimit", "at most 10000"),
        ({"authorization": "cognito"}, "authorization", "one of"),
        ({"remindAfterDays": 0}, "remindAfterDays", "at least 1 and at most 365"),
        ({"pointInTimeRecovery": "yes"}, "pointInTimeRecovery", "true or false"),
        ({"enabled": 1}, "enabled", "true or false"),
    ],
)
def test_bad_serverless_settings_are_refused_with_the_key_named(raw: dict[str, Any], key: str, problem: str) -> None:
    [found] = refused(raw)
    assert found.key == f"{SERVERLESS}.{key}"
    assert problem in found.problem


def test_every_problem_of_the_section_is_reported_together() -> None:
    raw = {
        "functions": {
            "getOrder": {"timeout": 45, "memoryMb": 64, "schedule": "rate(1 day)"},
            "onUpload": {"provisionedConcurrency": 2, "timeOut": 5},
        },
        "throttle": {"rateLimit": 0},
        "cors": {"allowOrigins": ["https://example.com", "*"]},
    }
    assert sorted(p.key for p in refused(raw)) == sorted(
        f"{SERVERLESS}.{key}"
        for key in (
            "functions.getOrder.timeout",
            "functions.getOrder.memoryMb",
            "functions.getOrder.schedule",
            "functions.onUpload.provisionedConcurrency",
            "functions.onUpload.timeOut",
            "throttle.rateLimit",
            "cors.allowOrigins[1]",
        )
    )


def test_an_unknown_function_is_refused_listing_every_function_of_the_api() -> None:
    [problem] = refused({"functions": {"deleteOrder": {}}})
    assert problem.key == f"{SERVERLESS}.functions.deleteOrder"
    assert all(fn_name in problem.problem for fn_name in HANDLERS)


def test_the_functions_settings_name_exactly_the_api_functions() -> None:
    assert [info.alias for info in FunctionsArgs.model_fields.values()] == list(HANDLERS)
    with pytest.raises(KeyError, match="listOrders"):
        FunctionsArgs()["deleteOrder"]


@pytest.mark.parametrize(
    "expression",
    ["rate(1 minute)", "rate(5 minutes)", "rate(2 hours)", "cron(0 8 ? * MON-FRI *)", "cron(15 3 1 * ? *)"],
)
def test_valid_schedule_expressions_pass(expression: str) -> None:
    assert schedule_problem(expression) is None


@pytest.mark.parametrize(
    "args",
    [
        ServerlessApiArgs.from_config({"enabled": True, "functions": {"processOrders": {"timeout": 120}}}),
        ServerlessApiArgs(enabled=True, functions=FunctionsArgs(process_orders={"timeout_s": 120})),
    ],
    ids=["config", "python"],
)
def test_functions_left_out_of_config_get_safe_defaults(args: ServerlessApiArgs) -> None:
    assert all(args.functions[f].timeout_s * 1000 < INTEGRATION_TIMEOUT_MS for f in ROUTES)
    assert all(
        getattr(args.functions[f], "provisioned_concurrency", 0) == 0 and args.functions[f].memory_mb == 256
        for f in HANDLERS
    )
    assert args.functions.schedules() == SCHEDULED
    assert args.functions["processOrders"].timeout_s == 120
    assert args.functions["onUpload"].timeout_s == 60 and type(args.functions["onUpload"]) is FunctionArgs


def test_the_stack_wide_protection_and_log_retention_reach_the_api_unless_it_sets_its_own() -> None:
    base = {"owner": "platform-team", "costCenter": "cc-1234", "protectData": True, "logRetentionDays": 90}
    inherited = parse_settings("aws-compute-platform", "dev", "us-east-1", base).serverless
    assert (inherited.protect, inherited.log_retention_days) == (True, 90)
    own = parse_settings(
        "aws-compute-platform", "dev", "us-east-1", {**base, "serverless": {"protect": False, "logRetentionDays": 7}}
    ).serverless
    assert (own.protect, own.log_retention_days) == (False, 7)


def test_bad_serverless_settings_are_reported_with_every_other_problem_of_the_stack() -> None:
    with pytest.raises(SettingsError) as failure:
        parse_settings(
            "aws-compute-platform",
            "dev",
            "us-east-1",
            {"costCenter": "cc-1234", "serverless": {"throttle": {"burstLimit": 0}}},
        )
    assert sorted(failure.value.keys) == [
        "aws-compute-platform:owner",
        "aws-compute-platform:serverless.throttle.burstLimit",
    ]


def test_a_disabled_api_declares_nothing(plan_with: Callable[..., Plan]) -> None:
    plan = plan_with("dev", DEV_WITHOUT_NAT_PAYROLL_OR_ORDERS)
    assert not [r for r in plan if r.type.startswith("acp:serverless")]
    assert plan.of_type(FUNCTION) == [] and "ordersApiUrl" not in plan.outputs


def test_outputs_name_the_api_url_table_and_buckets(stack_plan: Plan) -> None:
    outputs = stack_plan.outputs
    [api] = stack_plan.of_type("aws:apigatewayv2/api:Api")
    names = [d.inputs["domainName"] for d in stack_plan.of_type("aws:apigatewayv2/domainName:DomainName")]
    # The custom domain's address where the stack has a domain, the execute-api one where it has none.
    assert outputs["ordersApiUrl"] == (f"https://{names[0]}" if names else api.outputs["apiEndpoint"])
    assert outputs["ordersTableName"] == stack_plan.of_type("aws:dynamodb/table:Table")[0].outputs["name"]
    buckets = {
        b.outputs["bucket"] for b in stack_plan.within(component(stack_plan)) if b.type == "aws:s3/bucket:Bucket"
    }
    assert {outputs["ordersDocumentsBucket"], outputs["ordersUploadsBucket"]} == buckets


def test_the_table_key_matches_the_handlers() -> None:
    assert serverless_table.TABLE_KEY == app_orders.KEY
    assert serverless_table.STATUS_INDEX == app_orders.STATUS_INDEX
    assert (serverless_table.INDEX_HASH_KEY, serverless_table.INDEX_RANGE_KEY) == (
        app_orders.STATUS,
        app_orders.CREATED_AT,
    )


def test_the_import_may_read_the_exact_object_version_write_in_batches_and_continue_only_itself(
    stack_plan: Plan,
) -> None:
    grants = allowed(policy_of(stack_plan, "onUpload"))
    uploads = next(b for b in stack_plan.of_type("aws:s3/bucket:Bucket") if b.name.endswith("-orders-uploads"))
    table = next(t for t in stack_plan.of_type("aws:dynamodb/table:Table"))
    assert grants["s3:GetObjectVersion"] == {f"{arn(uploads)}/*"}
    for action in ("dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:GetItem"):
        assert grants[action] == {arn(table)}
    assert "dynamodb:PutItem" not in grants
    continuation = stack_plan.named(f"{component(stack_plan).name}-onUpload-continue")
    own = arn(function(stack_plan, "onUpload"))
    assert allowed(json.loads(continuation.inputs["policy"])["Statement"]) == {
        "lambda:InvokeFunction": {own, f"{own}:*"}
    }
    # No other function may start itself (or anything else) again.
    others = [p for p in stack_plan.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("-continue")]
    assert others == [continuation]


# -- api.<domain> ---------------------------------------------------------------------------------------------------
API_DOMAIN = "aws:apigatewayv2/domainName:DomainName"


def test_with_a_domain_the_api_answers_at_api_dot_domain_over_tls_1_2_with_the_zones_certificate(
    prod_plan: Plan,
) -> None:
    # The shipped prod file names a hosted zone (example.org, its placeholder).
    [api] = prod_plan.of_type("aws:apigatewayv2/api:Api")
    [stage] = prod_plan.of_type("aws:apigatewayv2/stage:Stage")
    [domain] = prod_plan.of_type(API_DOMAIN)
    assert domain.inputs["domainName"] == "api.example.org"
    configuration = domain.inputs["domainNameConfiguration"]
    assert configuration["endpointType"] == "REGIONAL" and configuration["securityPolicy"] == "TLS_1_2"
    [certificate] = [
        c for c in prod_plan.of_type("aws:acm/certificate:Certificate") if c.inputs["domainName"] == "api.example.org"
    ]
    assert certificate.inputs["validationMethod"] == "DNS" and not certificate.inputs.get("region")
    [validation] = [
        v
        for v in prod_plan.of_type("aws:acm/certificateValidation:CertificateValidation")
        if v.inputs["certificateArn"] == certificate.outputs["arn"]
    ]
    assert configuration["certificateArn"] == validation.outputs["certificateArn"]
    [mapping] = prod_plan.of_type("aws:apigatewayv2/apiMapping:ApiMapping")
    assert mapping.inputs["apiId"] == f"{api.name}-id" and mapping.inputs["stage"] == stage.outputs["name"]
    assert mapping.inputs["domainName"] == f"{domain.name}-id"
    [alias] = [r for r in prod_plan.of_type("aws:route53/record:Record") if r.inputs["name"] == "api.example.org"]
    target = alias.inputs["aliases"][0]
    assert target["name"] == configuration_output(domain)["targetDomainName"]
    assert target["zoneId"] == configuration_output(domain)["hostedZoneId"]
    # One way in, and it still takes SigV4-signed requests only.
    assert api.inputs["disableExecuteApiEndpoint"] is True
    assert {r.inputs["authorizationType"] for r in prod_plan.of_type("aws:apigatewayv2/route:Route")} == {"AWS_IAM"}
    assert prod_plan.outputs["ordersApiUrl"] == "https://api.example.org"


def configuration_output(domain: PlannedResource) -> dict[str, Any]:
    configuration: dict[str, Any] = domain.outputs["domainNameConfiguration"]
    return configuration


def test_without_a_domain_the_api_keeps_its_execute_api_address(dev_plan: Plan) -> None:
    assert not dev_plan.of_type(API_DOMAIN) and not dev_plan.of_type("aws:apigatewayv2/apiMapping:ApiMapping")
    [api] = dev_plan.of_type("aws:apigatewayv2/api:Api")
    assert not api.inputs.get("disableExecuteApiEndpoint")
    assert dev_plan.outputs["ordersApiUrl"] == api.outputs["apiEndpoint"]
