"""How long the purchase-order import takes for a 5 MiB CSV (the largest it accepts), against moto in-process.

    uv run python benchmarks/orders_import.py [--bytes N] [--timeout-s 60]

Generates a CSV of valid rows just under the size, uploads it to a versioned bucket, delivers the S3 notification
to `on_upload` with a context whose remaining time is the real clock against the function's timeout, and delivers
every continuation the function hands to itself, as Lambda would. Prints the rows, invocations and wall-clock
duration. It checks that every row arrived exactly once (exit status 1 otherwise) and asserts nothing about time:
moto is not DynamoDB, and this machine is shared, so the number is for comparing runs, not a promise.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
import uuid
from typing import Any

import boto3
from moto import mock_aws

from aws_compute_platform.serverless.app.orders_api import handlers, orders

REGION = "us-east-1"
BUCKET = "orders-uploads-benchmark"
TABLE = "orders-benchmark"
HEADER = "supplier,description,amount,currency,requestedBy\n"


class Context:
    """A Lambda context whose remaining time runs on the wall clock from the moment it is made."""

    def __init__(self, timeout_s: float) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:orders-onUpload"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def generate(size: int) -> tuple[bytes, int]:
    out = io.StringIO()
    out.write(HEADER)
    used, rows = len(HEADER), 0
    while True:
        line = (
            f"Supplier {rows % 97},Item {rows} for office {rows % 12},"
            f"{rows % 5000 + 1}.{rows % 100:02d},EUR,buyer{rows % 31}@example.com\n"
        )
        if used + len(line) > size:
            return out.getvalue().encode(), rows
        out.write(line)
        used += len(line)
        rows += 1


def create_table() -> None:
    boto3.client("dynamodb").create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": orders.KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": orders.KEY, "AttributeType": "S"},
            {"AttributeName": orders.STATUS, "AttributeType": "S"},
            {"AttributeName": orders.CREATED_AT, "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": orders.STATUS_INDEX,
                "KeySchema": [
                    {"AttributeName": orders.STATUS, "KeyType": "HASH"},
                    {"AttributeName": orders.CREATED_AT, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def count_orders() -> int:
    count, start = 0, None
    while True:
        page = orders.table().scan(
            Select="COUNT",
            FilterExpression="#s = :p",
            ExpressionAttributeNames={"#s": orders.STATUS},
            ExpressionAttributeValues={":p": orders.PENDING},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        count += int(page["Count"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bytes", type=int, default=handlers.MAX_UPLOAD_BYTES, help="file size (default: the limit)")
    parser.add_argument("--timeout-s", type=float, default=60.0, help="the function's timeout (prod: 60)")
    args = parser.parse_args()

    for name, value in {
        "AWS_ACCESS_KEY_ID": "benchmark",
        "AWS_SECRET_ACCESS_KEY": "benchmark",
        "AWS_DEFAULT_REGION": REGION,
        "TABLE_NAME": TABLE,
    }.items():
        os.environ[name] = value
    content, rows = generate(args.bytes)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        create_table()
        put = s3.put_object(Bucket=BUCKET, Key="imports/benchmark.csv", Body=content)
        event: dict[str, Any] = {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": REGION,
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
                        "object": {
                            "key": "imports/benchmark.csv",
                            "size": len(content),
                            "eTag": put["ETag"].strip('"'),
                            "versionId": put["VersionId"],
                        },
                    },
                }
            ]
        }
        handed: list[dict[str, Any]] = []
        handlers.hand_over = lambda context, payload: handed.append(json.loads(json.dumps(payload)))

        started = time.perf_counter()
        results = [handlers.on_upload(event, Context(args.timeout_s))]
        while handed:
            results.append(handlers.on_upload(handed.pop(0), Context(args.timeout_s)))
        duration = time.perf_counter() - started

        created = sum(r["created"] for r in results)
        stored = count_orders()
    print(f"file: {len(content):,} bytes, {rows:,} rows")
    print(f"invocations: {len(results)} (timeout {args.timeout_s:g} s each)")
    print(f"orders created: {created:,}; in the table: {stored:,}")
    print(f"duration: {duration:.1f} s ({rows / duration:,.0f} rows/s)")
    # The figures as one JSON object on the last line, for `python -m benchmarks`.
    print(json.dumps({"seconds": duration, "rows_per_s": rows / duration, "invocations": len(results)}))
    if created != rows or stored != rows:
        print("MISMATCH: rows lost or imported twice", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
