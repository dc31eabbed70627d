"""OrdersFunction: one of the API's Lambda functions with its own role, its own log group, and warm instances."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.serverless.args import FunctionArgs, RouteFunctionArgs
from aws_compute_platform.serverless.catalogue import HANDLERS

APP_DIR = Path(__file__).resolve().parent / "app" / "orders_api"
RUNTIME = "python3.13"
ARCHITECTURE = "arm64"

Grant = tuple[Sequence[str], pulumi.Input[str]]
"""Actions a function may take, and the one resource ARN (or ARN pattern) it may take them on."""


def package() -> pulumi.AssetArchive:
    """The deployment package: the handler modules only (no tests, no caches; boto3 comes with the runtime)."""
    return pulumi.AssetArchive(
        {f"orders_api/{path.name}": pulumi.FileAsset(str(path)) for path in sorted(APP_DIR.glob("*.py"))}
    )


def _policy(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _assume(service: str) -> str:
    return _policy([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}])


def role_policy(
    *, log_group_arn: str, key_arn: str, grants: Sequence[tuple[Sequence[str], str]], failed_events_arn: str | None
) -> str:
    """A function's inline policy: its own logs, traces, the stack key, its data grants, and its failure queue."""
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
    for i, (actions, resource) in enumerate(grants):
        statements.append({"Sid": f"Data{i}", "Effect": "Allow", "Action": list(actions), "Resource": resource})
    if failed_events_arn is not None:
        statements.append(
            {"Sid": "ReportFailures", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": failed_events_arn}
        )
    return _policy(statements)


class OrdersFunction(pulumi.ComponentResource):
    """The function `fn_name` (named `name`), running its handler from `code` with only the `grants` it needs.

    `failed_events_arn` is for functions invoked asynchronously (S3, EventBridge): what still fails after Lambda's
    two retries is sent there. A route function with provisioned concurrency is published behind the alias `live`,
    which holds the warm instances; `invoke_arn` and `qualifier` name what a trigger must invoke to use them.
    """

    def __init__(
        self,
        name: str,
        fn_name: str,
        args: FunctionArgs,
        *,
        code: pulumi.Archive,
        environment: Mapping[str, pulumi.Input[str]],
        grants: Sequence[Grant],
        key_arn: pulumi.Input[str],
        failed_events_arn: pulumi.Input[str] | None,
        log_retention_days: int,
        tags: Mapping[str, str],
        continues_itself: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:serverless:OrdersFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Our own group, with retention and the stack key; otherwise Lambda creates one that never expires.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            retention_in_days=log_retention_days,
            kms_key_id=key_arn,
            tags=tagged(tags, f"{name}-logs"),
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=_assume("lambda.amazonaws.com"),
            description=f"{fn_name}: only the table, index and bucket actions it uses",
            tags=tagged(tags, f"{name}-role"),
            opts=child,
        )
        resources = [resource for _, resource in grants]
        policy = aws.iam.RolePolicy(
            f"{name}-access",
            role=self.role.id,
            policy=pulumi.Output.all(self.log_group.arn, key_arn, failed_events_arn, *resources).apply(
                lambda arns: role_policy(
                    log_group_arn=arns[0],
                    key_arn=arns[1],
                    failed_events_arn=arns[2],
                    grants=[(actions, arn) for (actions, _), arn in zip(grants, arns[3:], strict=True)],
                )
            ),
            opts=child,
        )
        warm = args.provisioned_concurrency if isinstance(args, RouteFunctionArgs) else 0
        self.function = aws.lambda_.Function(
            name,
            role=self.role.arn,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=HANDLERS[fn_name],
            code=code,
            memory_size=args.memory_mb,
            timeout=args.timeout_s,
            ephemeral_storage={"size": args.ephemeral_storage_mb},
            environment={"variables": environment},
            kms_key_arn=key_arn,
            tracing_config={"mode": "Active"},
            logging_config={
                "log_format": "JSON",
                "application_log_level": "INFO",
                "system_log_level": "WARN",
                "log_group": self.log_group.name,
            },
            # Provisioned concurrency attaches to a published version behind an alias, never to $LATEST.
            publish=warm > 0,
            tags=tagged(tags, name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.alias: aws.lambda_.Alias | None = None
        if warm:
            self.alias = aws.lambda_.Alias(
                f"{name}-live",
                function_name=self.function.name,
                function_version=self.function.version,
                name="live",
                description="What the API invokes; holds the provisioned (pre-warmed) instances",
                opts=child,
            )
            aws.lambda_.ProvisionedConcurrencyConfig(
                f"{name}-warm",
                function_name=self.function.name,
                qualifier=self.alias.name,
                provisioned_concurrent_executions=warm,
                opts=child,
            )
        if continues_itself:
            # Work that outlasts one invocation hands the rest to a new, asynchronous invocation of the same function
            # (the orders import). A policy of its own, declared after the function: the function already depends
            # on its access policy, which therefore cannot name the function's ARN.
            aws.iam.RolePolicy(
                f"{name}-continue",
                role=self.role.id,
                policy=self.function.arn.apply(
                    lambda arn: _policy(
                        [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": [arn, f"{arn}:*"]}]
                    )
                ),
                opts=child,
            )
        if failed_events_arn is not None:
            aws.lambda_.FunctionEventInvokeConfig(
                f"{name}-on-failure",
                function_name=self.function.name,
                maximum_retry_attempts=2,
                destination_config={"on_failure": {"destination": failed_events_arn}},
                opts=child,
            )

        self.name: pulumi.Output[str] = self.function.name
        self.arn: pulumi.Output[str] = self.function.arn
        # The warm capacity serves only requests sent to the alias.
        self.invoke_arn: pulumi.Output[str] = self.alias.invoke_arn if self.alias else self.function.invoke_arn
        self.qualifier: pulumi.Output[str] | None = self.alias.name if self.alias else None
        self.register_outputs({"name": self.name, "arn": self.arn})
