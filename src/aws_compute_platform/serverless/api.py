"""ServerlessApi: the purchase-order API on an HTTP API and Lambda, with DynamoDB, an S3 import and schedules."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from aws_compute_platform.config import Section
from aws_compute_platform.foundation.encryption import EncryptionKey
from aws_compute_platform.foundation.storage import PrivateBucket
from aws_compute_platform.foundation.tags import Tags

APP_DIR = Path(__file__).resolve().parent / "app" / "orders_api"
RUNTIME = "python3.13"
ARCHITECTURE = "arm64"

# An HTTP API integration gives up after 30 s at most (`timeout_milliseconds` 50..30000, not raisable).
INTEGRATION_TIMEOUT_MS = 30_000
# A route's function must stop before the API does, so the caller gets the function's answer, not a 503.
MAX_ROUTE_TIMEOUT_S = INTEGRATION_TIMEOUT_MS // 1000 - 1

ROUTES: dict[str, str] = {
    "listOrders": "GET /orders",
    "getOrder": "GET /orders/{id}",
    "createOrder": "POST /orders",
    "approveOrder": "POST /orders/{id}/approve",
}
HANDLERS: dict[str, str] = {
    "listOrders": "orders_api.handlers.list_orders",
    "getOrder": "orders_api.handlers.get_order",
    "createOrder": "orders_api.handlers.create_order",
    "approveOrder": "orders_api.handlers.approve_order",
    "processOrders": "orders_api.handlers.process_orders",
    "onUpload": "orders_api.handlers.on_upload",
    "remindPending": "orders_api.handlers.remind_pending",
}
# Functions started by EventBridge, and their schedule when config gives none.
SCHEDULED: dict[str, str] = {"processOrders": "rate(15 minutes)", "remindPending": "rate(1 day)"}
UPLOAD_FUNCTION = "onUpload"
# Invoked asynchronously (S3, EventBridge): failures after Lambda's retries go to the failed-events queue.
ASYNC_FUNCTIONS = (*SCHEDULED, UPLOAD_FUNCTION)

# What each function may do, and on what: the table, its status index, a bucket's objects.
ACCESS: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "listOrders": [(("dynamodb:Query",), "index")],
    "getOrder": [(("dynamodb:GetItem",), "table")],
    "createOrder": [(("dynamodb:PutItem",), "table")],
    "approveOrder": [(("dynamodb:UpdateItem", "dynamodb:GetItem"), "table")],
    "processOrders": [
        (("dynamodb:Query",), "index"),
        (("dynamodb:UpdateItem",), "table"),
        (("s3:PutObject",), "documents"),
    ],
    "onUpload": [(("dynamodb:PutItem",), "table"), (("s3:GetObject",), "uploads")],
    "remindPending": [(("dynamodb:Query",), "index"), (("dynamodb:UpdateItem",), "table")],
}

# The table's key and status index: these must match serverless/app/orders_api/orders.py (a test holds them together).
TABLE_KEY = "id"
STATUS_INDEX = "by-status"
INDEX_HASH_KEY = "status"
INDEX_RANGE_KEY = "createdAt"
DOCUMENT_PREFIX = "purchase-orders/"

_RATE = re.compile(r"rate\((?P<n>[1-9]\d*) (?P<unit>minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((?P<fields>[^()]+)\)")
_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:\d{1,5})?"
)


def schedule_problem(expression: str) -> str | None:
    """Why an EventBridge schedule expression is invalid, or None when it is valid."""
    rate = _RATE.fullmatch(expression)
    if rate:
        singular = rate["n"] == "1"
        if singular != (not rate["unit"].endswith("s")):
            return 'must use a singular unit for 1 and plural otherwise, e.g. "rate(1 day)", "rate(5 minutes)"'
        return None
    cron = _CRON.fullmatch(expression)
    if cron:
        fields = cron["fields"].split()
        if len(fields) != 6:
            return "must have 6 cron fields: minutes hours day-of-month month day-of-week year"
        if "?" not in (fields[2], fields[4]):
            return "must put ? in day-of-month or day-of-week, e.g. cron(0 8 ? * MON-FRI *)"
        return None
    return 'must be "rate(<n> <minute(s)|hour(s)|day(s)>)" or "cron(<6 fields>)"'


@dataclass(frozen=True)
class FunctionArgs:
    memory_mb: int = 256
    timeout_s: int = 10
    ephemeral_storage_mb: int = 512
    provisioned_concurrency: int = 0
    schedule: str | None = None


@dataclass(frozen=True)
class ServerlessApiArgs:
    enabled: bool = False
    functions: dict[str, FunctionArgs] = field(default_factory=dict)
    throttle_burst_limit: int = 100
    throttle_rate_limit: int = 50
    cors_allow_origins: tuple[str, ...] = ()
    authorization: str = "iam"
    remind_after_days: int = 3
    point_in_time_recovery: bool = False
    protect: bool = False
    log_retention_days: int = 30

    @classmethod
    def from_config(cls, section: Section, *, protect: bool, log_retention_days: int) -> ServerlessApiArgs:
        enabled = section.flag("enabled", False)
        configured = section.mapping_of_sections("functions")
        for unknown in sorted(set(configured) - set(HANDLERS)):
            section.error(f"functions.{unknown}", f"is not a function of the API (known: {', '.join(HANDLERS)})")
        functions = {name: _function_args(name, configured.get(name)) for name in HANDLERS}

        throttle = section.section("throttle")
        burst = throttle.integer("burstLimit", 100, min=1, max=5000)
        rate = throttle.integer("rateLimit", 50, min=1, max=10000)
        throttle.finish()

        cors = section.section("cors")
        origins = cors.text_list("allowOrigins", [])
        for i, origin in enumerate(origins):
            if not _ORIGIN.fullmatch(origin):
                cors.problems.add(
                    f"{cors.key('allowOrigins')}[{i}]",
                    "must be an origin URL: http(s)://host[:port], no path and no wildcard",
                    origin,
                )
        cors.finish()

        args = cls(
            enabled=enabled,
            functions=functions,
            throttle_burst_limit=burst,
            throttle_rate_limit=rate,
            cors_allow_origins=tuple(o for o in origins if _ORIGIN.fullmatch(o)),
            authorization=section.text("authorization", "iam", choices=("iam", "none")),
            remind_after_days=section.integer("remindAfterDays", 3, min=1, max=365),
            point_in_time_recovery=section.flag("pointInTimeRecovery", False),
            protect=protect,
            log_retention_days=log_retention_days,
        )
        section.finish()
        return args


def _function_args(name: str, section: Section | None) -> FunctionArgs:
    if section is None:
        return FunctionArgs(timeout_s=10 if name in ROUTES else 60, schedule=SCHEDULED.get(name))
    default_timeout = 10 if name in ROUTES else 60
    timeout = section.integer("timeout", default_timeout, min=1, max=900)
    if name in ROUTES and timeout > MAX_ROUTE_TIMEOUT_S:
        section.error(
            "timeout",
            f"must be at most {MAX_ROUTE_TIMEOUT_S} seconds: {name} answers {ROUTES[name]}, and API Gateway gives up "
            f"on an HTTP API integration after {INTEGRATION_TIMEOUT_MS // 1000} seconds",
            timeout,
        )
        timeout = default_timeout
    provisioned = section.integer("provisionedConcurrency", 0, min=0, max=1000)
    if provisioned and name not in ROUTES:
        section.error(
            "provisionedConcurrency",
            f"is only for the API's functions ({', '.join(ROUTES)}); {name} runs in the background",
            provisioned,
        )
        provisioned = 0
    schedule = SCHEDULED.get(name)
    if section.has("schedule") and name not in SCHEDULED:
        section.error("schedule", f"is only for the scheduled functions ({', '.join(SCHEDULED)})")
        section.text("schedule")
    elif name in SCHEDULED:
        schedule = section.text("schedule", SCHEDULED[name])
        problem = schedule_problem(schedule)
        if problem:
            section.error("schedule", problem, schedule)
            schedule = SCHEDULED[name]
    args = FunctionArgs(
        memory_mb=section.integer("memoryMb", 256, min=128, max=10240),
        timeout_s=timeout,
        ephemeral_storage_mb=section.integer("ephemeralStorageMb", 512, min=512, max=10240),
        provisioned_concurrency=provisioned,
        schedule=schedule,
    )
    section.finish()
    return args


def package() -> pulumi.AssetArchive:
    """The deployment package: the handler modules only (no tests, no caches; boto3 comes with the runtime)."""
    return pulumi.AssetArchive(
        {f"orders_api/{path.name}": pulumi.FileAsset(str(path)) for path in sorted(APP_DIR.glob("*.py"))}
    )


def _policy(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _assume(service: str) -> str:
    return _policy([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}])


class ServerlessApi(pulumi.ComponentResource):
    """Purchase orders: an HTTP API with one Lambda per route, a DynamoDB table, a documents bucket, an uploads
    bucket whose CSV files are imported, and scheduled processing and reminders."""

    def __init__(
        self,
        name: str,
        args: ServerlessApiArgs,
        key: EncryptionKey,
        tags: Tags,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:serverless:ServerlessApi", name, None, opts)
        self._name = name
        self._args = args
        self._key = key
        self._tags = tags
        child = pulumi.ResourceOptions(parent=self)
        keep = pulumi.ResourceOptions(parent=self, protect=args.protect)

        self.table = aws.dynamodb.Table(
            f"{name}-orders",
            billing_mode="PAY_PER_REQUEST",
            hash_key=TABLE_KEY,
            # Only the key and index attributes: declaring any other attribute makes the create fail.
            attributes=[
                {"name": TABLE_KEY, "type": "S"},
                {"name": INDEX_HASH_KEY, "type": "S"},
                {"name": INDEX_RANGE_KEY, "type": "S"},
            ],
            global_secondary_indexes=[
                {
                    "name": STATUS_INDEX,
                    "key_schemas": [
                        {"attribute_name": INDEX_HASH_KEY, "key_type": "HASH"},
                        {"attribute_name": INDEX_RANGE_KEY, "key_type": "RANGE"},
                    ],
                    "projection_type": "ALL",
                }
            ],
            server_side_encryption={"enabled": True, "kms_key_arn": key.arn},
            point_in_time_recovery={"enabled": args.point_in_time_recovery},
            deletion_protection_enabled=args.protect,
            tags=tags(f"{name}-orders"),
            opts=keep,
        )

        def bucket(suffix: str) -> PrivateBucket:
            return PrivateBucket(
                f"{name}-{suffix}",
                key_arn=key.arn,
                tags=tags,
                versioned=True,
                # dev is disposable: let `pulumi destroy` empty the bucket. prod keeps it (and protects it).
                force_destroy=not args.protect,
                protect=args.protect,
                tls_statement_id="DenyPlainHttp",
                opts=child,
            )

        self.documents = bucket("documents")
        self.uploads = bucket("uploads")

        self.failed_events = aws.sqs.Queue(
            f"{name}-failed-events",
            kms_master_key_id=key.arn,
            message_retention_seconds=1_209_600,
            tags=tags(f"{name}-failed-events"),
            opts=child,
        )

        code = package()
        self.functions: dict[str, aws.lambda_.Function] = {}
        self.aliases: dict[str, aws.lambda_.Alias] = {}
        for fn_name in HANDLERS:
            self.functions[fn_name] = self._function(fn_name, code)

        self.api = aws.apigatewayv2.Api(
            f"{name}-api",
            protocol_type="HTTP",
            description="Purchase orders awaiting the finance director's approval",
            cors_configuration=(
                {
                    "allow_origins": list(args.cors_allow_origins),
                    "allow_methods": ["GET", "POST", "OPTIONS"],
                    "allow_headers": [
                        "content-type",
                        "authorization",
                        "x-amz-date",
                        "x-amz-security-token",
                        "x-amz-content-sha256",
                    ],
                    "max_age": 3600,
                }
                if args.cors_allow_origins
                else None
            ),
            tags=tags(f"{name}-api"),
            opts=child,
        )
        access_logs = aws.cloudwatch.LogGroup(
            f"{name}-api-access",
            retention_in_days=args.log_retention_days,
            kms_key_id=key.arn,
            tags=tags(f"{name}-api-access"),
            opts=child,
        )
        self.stage = aws.apigatewayv2.Stage(
            f"{name}-stage",
            api_id=self.api.id,
            # Left unnamed, the stage is auto-named and the API URL gains a path segment nobody expects.
            name="$default",
            auto_deploy=True,
            access_log_settings={"destination_arn": access_logs.arn, "format": _ACCESS_LOG_FORMAT},
            # Both throttling fields, always: one set without the other leaves it at 0 and every request gets 429.
            default_route_settings={
                "throttling_burst_limit": args.throttle_burst_limit,
                "throttling_rate_limit": args.throttle_rate_limit,
                "detailed_metrics_enabled": False,
            },
            tags=tags(f"{name}-stage"),
            opts=child,
        )
        for fn_name, route_key in ROUTES.items():
            self._route(fn_name, route_key)

        self._upload_trigger()
        for fn_name in SCHEDULED:
            self._schedule(fn_name)

        self.api_url: pulumi.Output[str] = self.api.api_endpoint
        self.table_name: pulumi.Output[str] = self.table.name
        self.documents_bucket: pulumi.Output[str] = self.documents.bucket
        self.uploads_bucket: pulumi.Output[str] = self.uploads.bucket
        self.failed_events_queue_url: pulumi.Output[str] = self.failed_events.url
        self.register_outputs(
            {
                "apiUrl": self.api_url,
                "tableName": self.table_name,
                "documentsBucket": self.documents_bucket,
                "uploadsBucket": self.uploads_bucket,
                "failedEventsQueueUrl": self.failed_events_queue_url,
            }
        )

    # -- functions ----------------------------------------------------------------------------------------------------
    def _function(self, fn_name: str, code: pulumi.AssetArchive) -> aws.lambda_.Function:
        name = f"{self._name}-{fn_name}"
        fn_args = self._args.functions[fn_name]
        child = pulumi.ResourceOptions(parent=self)
        # Our own group, with retention and the stack key; otherwise Lambda creates one that never expires.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            retention_in_days=self._args.log_retention_days,
            kms_key_id=self._key.arn,
            tags=self._tags(f"{name}-logs"),
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=_assume("lambda.amazonaws.com"),
            description=f"{fn_name}: only the table, index and bucket actions it uses",
            tags=self._tags(f"{name}-role"),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-access",
            role=role.id,
            policy=pulumi.Output.all(
                log_group.arn,
                self.table.arn,
                self.documents.arn,
                self.uploads.arn,
                self._key.arn,
                self.failed_events.arn,
            ).apply(lambda arns: self._role_policy(fn_name, arns)),
            opts=child,
        )
        environment = {
            "TABLE_NAME": self.table.name,
            "DOCUMENTS_BUCKET": self.documents.bucket,
            "REMIND_AFTER_DAYS": str(self._args.remind_after_days),
        }
        warm = fn_args.provisioned_concurrency > 0
        function = aws.lambda_.Function(
            name,
            role=role.arn,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=HANDLERS[fn_name],
            code=code,
            memory_size=fn_args.memory_mb,
            timeout=fn_args.timeout_s,
            ephemeral_storage={"size": fn_args.ephemeral_storage_mb},
            environment={"variables": environment},
            kms_key_arn=self._key.arn,
            tracing_config={"mode": "Active"},
            logging_config={
                "log_format": "JSON",
                "application_log_level": "INFO",
                "system_log_level": "WARN",
                "log_group": log_group.name,
            },
            # Provisioned concurrency attaches to a published version behind an alias, never to $LATEST.
            publish=warm,
            tags=self._tags(name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        if warm:
            alias = aws.lambda_.Alias(
                f"{name}-live",
                function_name=function.name,
                function_version=function.version,
                name="live",
                description="What the API invokes; holds the provisioned (pre-warmed) instances",
                opts=child,
            )
            aws.lambda_.ProvisionedConcurrencyConfig(
                f"{name}-warm",
                function_name=function.name,
                qualifier=alias.name,
                provisioned_concurrent_executions=fn_args.provisioned_concurrency,
                opts=child,
            )
            self.aliases[fn_name] = alias
        if fn_name in ASYNC_FUNCTIONS:
            aws.lambda_.FunctionEventInvokeConfig(
                f"{name}-on-failure",
                function_name=function.name,
                maximum_retry_attempts=2,
                destination_config={"on_failure": {"destination": self.failed_events.arn}},
                opts=child,
            )
        return function

    def _role_policy(self, fn_name: str, arns: list[str]) -> str:
        log_group_arn, table_arn, documents_arn, uploads_arn, key_arn, queue_arn = arns
        resources = {
            "table": table_arn,
            "index": f"{table_arn}/index/{STATUS_INDEX}",
            "documents": f"{documents_arn}/{DOCUMENT_PREFIX}*",
            "uploads": f"{uploads_arn}/*",
        }
        statements: list[dict[str, Any]] = [
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:*",
            },
            {
                # X-Ray has no resource-level permissions: these two actions only accept "*".
                "Sid": "SendTraces",
                "Effect": "Allow",
                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                "Resource": "*",
            },
            {
                # Environment variables, the table, the buckets and the queue are encrypted with the stack key.
                "Sid": "UseStackKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": key_arn,
            },
        ]
        for i, (actions, target) in enumerate(ACCESS[fn_name]):
            statements.append(
                {"Sid": f"Data{i}", "Effect": "Allow", "Action": list(actions), "Resource": resources[target]}
            )
        if fn_name in ASYNC_FUNCTIONS:
            statements.append(
                {"Sid": "ReportFailures", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue_arn}
            )
        return _policy(statements)

    # -- triggers -----------------------------------------------------------------------------------------------------
    def _route(self, fn_name: str, route_key: str) -> None:
        name = f"{self._name}-{fn_name}"
        child = pulumi.ResourceOptions(parent=self)
        function = self.functions[fn_name]
        alias = self.aliases.get(fn_name)
        integration = aws.apigatewayv2.Integration(
            f"{name}-integration",
            api_id=self.api.id,
            integration_type="AWS_PROXY",
            integration_method="POST",
            # The warm capacity serves only requests sent to the alias.
            integration_uri=alias.invoke_arn if alias else function.invoke_arn,
            payload_format_version="2.0",
            timeout_milliseconds=INTEGRATION_TIMEOUT_MS,
            opts=child,
        )
        aws.apigatewayv2.Route(
            f"{name}-route",
            api_id=self.api.id,
            route_key=route_key,
            target=integration.id.apply(lambda i: f"integrations/{i}"),
            authorization_type="AWS_IAM" if self._args.authorization == "iam" else "NONE",
            opts=child,
        )
        method, path = route_key.split(" ", 1)
        arn_path = re.sub(r"\{[^}]+\}", "*", path)
        aws.lambda_.Permission(
            f"{name}-from-api",
            action="lambda:InvokeFunction",
            function=function.name,
            qualifier=alias.name if alias else None,
            principal="apigateway.amazonaws.com",
            # This API, any stage, this method and path only.
            source_arn=self.api.execution_arn.apply(lambda arn: f"{arn}/*/{method}{arn_path}"),
            opts=child,
        )

    def _upload_trigger(self) -> None:
        name = f"{self._name}-{UPLOAD_FUNCTION}"
        function = self.functions[UPLOAD_FUNCTION]
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        permission = aws.lambda_.Permission(
            f"{name}-from-s3",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="s3.amazonaws.com",
            source_arn=self.uploads.arn,
            # Bucket names are global: the account pins the permission to our bucket, not a namesake elsewhere.
            source_account=account.account_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # S3 checks the destination when the notification is saved: the permission must exist first.
        aws.s3.BucketNotification(
            f"{name}-notification",
            bucket=self.uploads.id,
            lambda_functions=[
                {"lambda_function_arn": function.arn, "events": ["s3:ObjectCreated:*"], "filter_suffix": ".csv"}
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )

    def _schedule(self, fn_name: str) -> None:
        name = f"{self._name}-{fn_name}"
        child = pulumi.ResourceOptions(parent=self)
        function = self.functions[fn_name]
        rule = aws.cloudwatch.EventRule(
            f"{name}-sched",
            description=f"Starts {fn_name}",
            schedule_expression=self._args.functions[fn_name].schedule,
            state="ENABLED",
            tags=self._tags(f"{name}-sched"),
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-from-schedule",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            opts=child,
        )
        aws.cloudwatch.EventTarget(f"{name}-target", rule=rule.name, arn=function.arn, opts=child)


_ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "caller": "$context.identity.userArn",
        "requestTime": "$context.requestTime",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "integrationStatus": "$context.integrationStatus",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
    },
    separators=(",", ":"),
)
