"""UploadImport: a CSV file landing in the uploads bucket starts the import function, and only that bucket may."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from aws_compute_platform.foundation.storage import PrivateBucket
from aws_compute_platform.serverless.functions import OrdersFunction


class UploadImport(pulumi.ComponentResource):
    """S3 notifies `function` of each new `.csv` object in `bucket`, through a permission pinned to that bucket."""

    def __init__(
        self,
        name: str,
        *,
        bucket: PrivateBucket,
        function: OrdersFunction,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("acp:serverless:UploadImport", name, None, opts)
        fn = function.pulumi_resource_name
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        permission = aws.lambda_.Permission(
            f"{fn}-from-s3",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="s3.amazonaws.com",
            source_arn=bucket.arn,
            # Bucket names are global: the account pins the permission to our bucket, not a namesake elsewhere.
            source_account=account.account_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # S3 checks the destination when the notification is saved: the permission must exist first.
        aws.s3.BucketNotification(
            f"{fn}-notification",
            bucket=bucket.id,
            lambda_functions=[
                {"lambda_function_arn": function.arn, "events": ["s3:ObjectCreated:*"], "filter_suffix": ".csv"}
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )
        self.register_outputs({})
