"""Run the purchase-order handlers on your machine against moto: import a CSV, list, approve, process.

    uv run python -m moto.server -H 127.0.0.1 -p 5000 &
    AWS_ENDPOINT_URL=http://127.0.0.1:5000 uv run python examples/samples/orders_local.py

Without AWS_ENDPOINT_URL it starts moto in-process instead. It creates the table (with the `by-status` index) and the
two buckets as the component does, uploads `orders.csv` beside this file, and calls the handlers with the events
AWS would send them: an S3 notification for `onUpload`, API Gateway HTTP API (payload 2.0) requests without IAM
authorization (the body names requester and approver, as with `authorization: none`), and a scheduled event for
`processOrders`. Each step prints what the handler answered.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "orders.csv"
REGION = "us-east-1"
ACCOUNT = "123456789012"
TABLE, DOCUMENTS, UPLOADS = "orders-local", "orders-documents-local", "orders-uploads-local"


class Context:
    """The part of Lambda's context object the handlers use."""

    function_name = "orders-local"
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders-local"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def http(route_key: str, path: str, body: Any = None, query: str = "", path_id: str | None = None) -> dict[str, Any]:
    """An API Gateway HTTP API request event (payload format 2.0), unsigned."""
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "queryStringParameters": dict(p.split("=", 1) for p in query.split("&") if p) or None,
        "headers": {"content-type": "application/json"},
        "pathParameters": {"id": path_id} if path_id else None,
        "requestContext": {"http": {"method": route_key.split(maxsplit=1)[0], "path": path}, "requestId": "local"},
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


@contextlib.contextmanager
def aws() -> Iterator[None]:
    """moto: the server at AWS_ENDPOINT_URL, or in-process."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ["AWS_DEFAULT_REGION"] = REGION
    if os.environ.get("AWS_ENDPOINT_URL"):
        yield
        return
    from moto import mock_aws  # noqa: PLC0415 (only without a server)

    with mock_aws():
        yield


def create_resources() -> None:
    boto3.client("dynamodb").create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("id", "status", "createdAt")],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-status",
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "createdAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    s3 = boto3.client("s3")
    for bucket in (DOCUMENTS, UPLOADS):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def run(sample: Path = SAMPLE) -> dict[str, Any]:
    """The whole walk-through; returns what each step answered."""
    os.environ.update(TABLE_NAME=TABLE, DOCUMENTS_BUCKET=DOCUMENTS, UPLOADS_BUCKET=UPLOADS)
    from aws_compute_platform.serverless.app.orders_api import handlers  # noqa: PLC0415 (after the environment)

    create_resources()
    key = f"imports/{sample.name}"
    put = boto3.client("s3").put_object(Bucket=UPLOADS, Key=key, Body=sample.read_bytes())
    notification = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": UPLOADS},
                    "object": {
                        "key": key,
                        "size": sample.stat().st_size,
                        "eTag": put["ETag"].strip('"'),
                        "versionId": put.get("VersionId"),
                    },
                },
            }
        ]
    }
    steps: dict[str, Any] = {"onUpload": handlers.on_upload(notification, Context())}
    listed = handlers.list_orders(http("GET /orders", "/orders", query="status=pending"), Context())
    steps["listOrders"] = json.loads(listed["body"])
    first = steps["listOrders"]["orders"][0]["id"]
    approved = handlers.approve_order(
        http(
            "POST /orders/{id}/approve", f"/orders/{first}/approve", {"approvedBy": "finance-director"}, path_id=first
        ),
        Context(),
    )
    steps["approveOrder"] = {"statusCode": approved["statusCode"], **json.loads(approved["body"])}
    steps["processOrders"] = handlers.process_orders(
        {"source": "aws.events", "detail-type": "Scheduled Event"}, Context()
    )
    document = boto3.client("s3").get_object(Bucket=DOCUMENTS, Key=f"purchase-orders/{first}.json")["Body"].read()
    steps["document"] = json.loads(document)
    return steps


def main() -> int:
    with aws():
        for step, answer in run().items():
            print(f"{step}:\n{json.dumps(answer, indent=2, default=str)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
