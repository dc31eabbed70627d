"""HttpApi: the API Gateway HTTP API, its $default stage with throttling and JSON access logs, and one route per
function, each through a Lambda proxy integration and a permission scoped to its own method and path."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.serverless.args import ServerlessApiArgs
from aws_compute_platform.serverless.catalogue import INTEGRATION_TIMEOUT_MS
from aws_compute_platform.serverless.functions import OrdersFunction

ACCESS_LOG_FORMAT = json.dumps(
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
# What a browser may send: the content type, and the headers of a SigV4-signed request.
CORS_HEADERS = ["content-type", "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]


class HttpApi(pulumi.ComponentResource):
    """`<name>-api` with the stage `<name>-stage`; `routes` maps each route key (`GET /orders`) to its function."""

    def __init__(
        self,
        name: str,
        args: ServerlessApiArgs,
        *,
        routes: Mapping[str, OrdersFunction],
        key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        disable_default_endpoint: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:serverless:HttpApi", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        origins = list(args.cors.allow_origins)
        self.api = aws.apigatewayv2.Api(
            f"{name}-api",
            protocol_type="HTTP",
            description="Purchase orders awaiting the finance director's approval",
            cors_configuration=(
                {
                    "allow_origins": origins,
                    "allow_methods": ["GET", "POST", "OPTIONS"],
                    "allow_headers": CORS_HEADERS,
                    "max_age": 3600,
                }
                if origins
                else None
            ),
            # With a custom domain, the only way in: the execute-api address answers 403 ("Custom domain names for
            # HTTP APIs": clients of a disabled default endpoint "receive a 403 Forbidden status code").
            disable_execute_api_endpoint=disable_default_endpoint,
            tags=tagged(tags, f"{name}-api"),
            opts=child,
        )
        self.access_logs = aws.cloudwatch.LogGroup(
            f"{name}-api-access",
            retention_in_days=args.log_retention_days,
            kms_key_id=key_arn,
            tags=tagged(tags, f"{name}-api-access"),
            opts=child,
        )
        self.stage = aws.apigatewayv2.Stage(
            f"{name}-stage",
            api_id=self.api.id,
            # Left unnamed, the stage is auto-named and the API URL gains a path segment nobody expects.
            name="$default",
            auto_deploy=True,
            access_log_settings={"destination_arn": self.access_logs.arn, "format": ACCESS_LOG_FORMAT},
            # Both throttling fields, always: one set without the other leaves it at 0 and every request gets 429.
            default_route_settings={
                "throttling_burst_limit": args.throttle.burst_limit,
                "throttling_rate_limit": args.throttle.rate_limit,
                "detailed_metrics_enabled": False,
            },
            tags=tagged(tags, f"{name}-stage"),
            opts=child,
        )
        authorization = "AWS_IAM" if args.authorization == "iam" else "NONE"
        for route_key, function in routes.items():
            self._route(route_key, function, authorization)

        self.url: pulumi.Output[str] = self.api.api_endpoint
        self.stage_name: pulumi.Output[str] = self.stage.name
        self.register_outputs({"url": self.url})

    def _route(self, route_key: str, function: OrdersFunction, authorization: str) -> None:
        """The route, its integration with the function, and the function's permission for this route only."""
        name = function.pulumi_resource_name
        child = pulumi.ResourceOptions(parent=self)
        integration = aws.apigatewayv2.Integration(
            f"{name}-integration",
            api_id=self.api.id,
            integration_type="AWS_PROXY",
            integration_method="POST",
            integration_uri=function.invoke_arn,
            payload_format_version="2.0",
            timeout_milliseconds=INTEGRATION_TIMEOUT_MS,
            opts=child,
        )
        aws.apigatewayv2.Route(
            f"{name}-route",
            api_id=self.api.id,
            route_key=route_key,
            target=integration.id.apply(lambda i: f"integrations/{i}"),
            authorization_type=authorization,
            opts=child,
        )
        method, path = route_key.split(" ", 1)
        arn_path = re.sub(r"\{[^}]+\}", "*", path)
        aws.lambda_.Permission(
            f"{name}-from-api",
            action="lambda:InvokeFunction",
            function=function.name,
            qualifier=function.qualifier,
            principal="apigateway.amazonaws.com",
            # This API, any stage, this method and path only.
            source_arn=self.api.execution_arn.apply(lambda arn: f"{arn}/*/{method}{arn_path}"),
            opts=child,
        )
