"""The purchase-order API alone: API Gateway in front of Lambdas, DynamoDB and S3, under your own KMS key."""

import pulumi

from aws_compute_platform.serverless.api import ServerlessApi
from aws_compute_platform.serverless.args import ServerlessApiArgs

config = pulumi.Config()
api = ServerlessApi(
    "orders",
    # The same typed Args the platform's stack files use: a bad value fails here, naming its key.
    ServerlessApiArgs.from_config(config.get_object("api") or {}, key="orders-api:api"),
    key_arn=config.require("kmsKeyArn"),
    tags={"Team": "finance", "CostCenter": "fin-42"},
)
pulumi.export("apiUrl", api.api_url)
pulumi.export("uploadsBucket", api.uploads_bucket)
