"""ServerlessApi: the purchase-order API on an HTTP API and Lambda, with DynamoDB, an S3 import and schedules.

```
client --SigV4--> [api.<domain>] --> HttpApi (stage: throttling, access logs) --> route functions --> OrdersTable
uploads bucket --*.csv--> onUpload -----------------------------------------------> OrdersTable
Schedules --> processOrders, remindPending --> OrdersTable, documents bucket
background functions --failures after retries--> failed-events queue
```
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.domain import Domain
from aws_compute_platform.foundation.storage import PrivateBucket
from aws_compute_platform.foundation.tags import tagged
from aws_compute_platform.serverless.args import ServerlessApiArgs
from aws_compute_platform.serverless.catalogue import (
    ACCESS,
    ASYNC_FUNCTIONS,
    CONTINUING_FUNCTIONS,
    DOCUMENT_PREFIX,
    HANDLERS,
    ROUTES,
    SCHEDULED,
    UPLOAD_FUNCTION,
)
from aws_compute_platform.serverless.custom_domain import ApiCustomDomain
from aws_compute_platform.serverless.functions import Grant, OrdersFunction, package
from aws_compute_platform.serverless.http_api import HttpApi
from aws_compute_platform.serverless.schedules import Schedules
from aws_compute_platform.serverless.table import (
    INDEX_HASH_KEY,
    INDEX_RANGE_KEY,
    STATUS_INDEX,
    TABLE_KEY,
    OrdersTable,
)
from aws_compute_platform.serverless.uploads import UploadImport


class ServerlessApi(pulumi.ComponentResource):
    """Purchase orders: an HTTP API with one Lambda per route, a DynamoDB table, a documents bucket, an uploads
    bucket whose CSV files are imported, and scheduled processing and reminders.

    `key_arn` (a KMS key ARN) encrypts the table, buckets, queue, logs and the functions' settings; `tags` go on
    every taggable resource. Child components are named after the API, or after the function they serve. With a
    `domain`, the API answers at https://api.<domain> only (its execute-api address is switched off); IAM
    authorization is the same either way.
    """

    def __init__(
        self,
        name: str,
        args: ServerlessApiArgs,
        key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        *,
        domain: Domain | None = None,
        approvers_topic_arn: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:serverless:ServerlessApi", name, None, opts)
        self.approvers_topic_arn = approvers_topic_arn
        child = pulumi.ResourceOptions(parent=self)

        self.table = OrdersTable(
            name,
            key_arn=key_arn,
            point_in_time_recovery=args.point_in_time_recovery,
            protect=args.protect,
            tags=tags,
            opts=child,
        )
        self.documents = self._bucket(f"{name}-documents", args, key_arn, tags)
        self.uploads = self._bucket(f"{name}-uploads", args, key_arn, tags)
        # What the background functions still fail on after Lambda's retries, kept 14 days for someone to look at.
        self.failed_events = aws.sqs.Queue(
            f"{name}-failed-events",
            kms_master_key_id=key_arn,
            message_retention_seconds=1_209_600,
            tags=tagged(tags, f"{name}-failed-events"),
            opts=child,
        )

        code = package()
        self.functions: dict[str, OrdersFunction] = {
            fn_name: OrdersFunction(
                f"{name}-{fn_name}",
                fn_name,
                args.functions[fn_name],
                code=code,
                environment={
                    "TABLE_NAME": self.table.name,
                    "DOCUMENTS_BUCKET": self.documents.bucket,
                    "REMIND_AFTER_DAYS": str(args.remind_after_days),
                    **(
                        {"APPROVERS_TOPIC_ARN": approvers_topic_arn}
                        if approvers_topic_arn is not None and self._reminds(fn_name)
                        else {}
                    ),
                },
                grants=self._grants(fn_name),
                key_arn=key_arn,
                failed_events_arn=self.failed_events.arn if fn_name in ASYNC_FUNCTIONS else None,
                log_retention_days=args.log_retention_days,
                tags=tags,
                continues_itself=fn_name in CONTINUING_FUNCTIONS,
                opts=child,
            )
            for fn_name in HANDLERS
        }

        self.http_api = HttpApi(
            name,
            args,
            routes={route_key: self.functions[fn_name] for fn_name, route_key in ROUTES.items()},
            key_arn=key_arn,
            tags=tags,
            disable_default_endpoint=domain is not None,
            opts=child,
        )
        self.custom_domain = (
            ApiCustomDomain(
                name,
                domain=domain,
                api_id=self.http_api.api.id,
                stage_name=self.http_api.stage_name,
                tags=tags,
                opts=child,
            )
            if domain is not None
            else None
        )
        self.upload_import = UploadImport(
            name, bucket=self.uploads, function=self.functions[UPLOAD_FUNCTION], opts=child
        )
        scheduled = args.functions.schedules()
        self.schedules = Schedules(
            name,
            {fn_name: (self.functions[fn_name], expression) for fn_name, expression in scheduled.items()},
            tags=tags,
            opts=child,
        )

        self.api_url: pulumi.Output[str] = (
            pulumi.Output.from_input(self.custom_domain.url) if self.custom_domain else self.http_api.url
        )
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

    def _bucket(
        self, name: str, args: ServerlessApiArgs, key_arn: pulumi.Input[str], tags: Mapping[str, str]
    ) -> PrivateBucket:
        return PrivateBucket(
            name,
            key_arn=key_arn,
            tags=tags,
            versioned=True,
            # A disposable stack lets `pulumi destroy` empty the bucket; a protected one keeps it (and protects it).
            force_destroy=not args.protect,
            protect=args.protect,
            tls_statement_id="DenyPlainHttp",
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _grants(self, fn_name: str) -> list[Grant]:
        """The data actions `fn_name` may take (ACCESS), each on the exact ARN it needs."""
        where: dict[str, pulumi.Input[str]] = {
            "table": self.table.arn,
            "index": self.table.index_arn,
            "documents": self.documents.arn.apply(lambda arn: f"{arn}/{DOCUMENT_PREFIX}*"),
            "uploads": self.uploads.arn.apply(lambda arn: f"{arn}/*"),
        }
        if self.approvers_topic_arn is not None:
            where["approvers"] = self.approvers_topic_arn
        return [(actions, where[target]) for actions, target in ACCESS[fn_name] if target in where]

    def _reminds(self, fn_name: str) -> bool:
        """Whether `fn_name` sends reminders to the approvers' topic (which the stack may not have)."""
        return self.approvers_topic_arn is not None and any(t == "approvers" for _, t in ACCESS[fn_name])


# The names a program or test reaches through this module: the component, its Args, and the API's shape.
__all__ = [
    "DOCUMENT_PREFIX",
    "HANDLERS",
    "INDEX_HASH_KEY",
    "INDEX_RANGE_KEY",
    "ROUTES",
    "SCHEDULED",
    "STATUS_INDEX",
    "TABLE_KEY",
    "ServerlessApi",
    "ServerlessApiArgs",
    "package",
]
