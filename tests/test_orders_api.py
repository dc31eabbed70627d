"""The purchase-order handlers against an in-process AWS (moto), called with real API Gateway v2 (payload format
2.0) events, S3 notifications and EventBridge scheduled events."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from moto import mock_aws

from aws_compute_platform.serverless.api import DOCUMENT_PREFIX
from aws_compute_platform.serverless.app.orders_api import handlers, orders
from plan.engine import ROOT

REGION = "us-east-1"
ACCOUNT = "123456789012"
TABLE = "orders-test"
DOCUMENTS = "orders-documents-test"
UPLOADS = "orders-uploads-test"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"

ORDER = {"supplier": "Acme Office Supplies", "description": "40 chairs", "amount": "1250.00", "currency": "EUR"}


class Context:
    """What the Lambda runtime passes as `context`, as far as the handlers use it."""

    def __init__(self, remaining_ms: int = 60_000) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = "orders-test"
        self._remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining_ms


def http_event(
    route_key: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    caller: str | None = ALICE,
    base64_body: bool = False,
) -> dict[str, Any]:
    """An HTTP API payload format 2.0 event, as API Gateway sends it for a Lambda proxy integration."""
    method = route_key.split(" ", maxsplit=1)[0]
    text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
    request_context: dict[str, Any] = {
        "accountId": ACCOUNT,
        "apiId": "a1b2c3d4e5",
        "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "a1b2c3d4e5",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.10",
            "userAgent": "curl/8.5.0",
        },
        "requestId": "JKJaXmPLvHcESHA=",
        "routeKey": route_key,
        "stage": "$default",
        "time": "25/Nov/2026:12:00:00 +0000",
        "timeEpoch": 1795608000000,
    }
    if caller:
        request_context["authorizer"] = {
            "iam": {
                "accessKey": "AKIAIOSFODNN7EXAMPLE",
                "accountId": ACCOUNT,
                "callerId": "AIDACKCEVSQ6C2EXAMPLE",
                "cognitoIdentity": None,
                "principalOrgId": None,
                "userArn": caller,
                "userId": "AIDACKCEVSQ6C2EXAMPLE",
            }
        }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={quote_plus(v)}" for k, v in (query or {}).items()),
        "headers": {
            "accept": "*/*",
            "content-type": "application/json",
            "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "user-agent": "curl/8.5.0",
            "x-forwarded-for": "203.0.113.10",
            "x-forwarded-proto": "https",
        },
        "requestContext": request_context,
        "isBase64Encoded": base64_body,
    }
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if text is not None:
        event["body"] = base64.b64encode(text.encode()).decode() if base64_body else text
    return event


def call(handler: Any, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = handler(event, Context())
    assert response["headers"]["content-type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def create(body: dict[str, Any] | None = None, caller: str | None = ALICE) -> tuple[int, dict[str, Any]]:
    return call(handlers.create_order, http_event("POST /orders", "/orders", body=body or ORDER, caller=caller))


def get(order_id: str) -> tuple[int, dict[str, Any]]:
    return call(
        handlers.get_order, http_event("GET /orders/{id}", f"/orders/{order_id}", path_parameters={"id": order_id})
    )


def approve(order_id: str, caller: str | None = BOB, body: Any = None) -> tuple[int, dict[str, Any]]:
    return call(
        handlers.approve_order,
        http_event(
            "POST /orders/{id}/approve",
            f"/orders/{order_id}/approve",
            path_parameters={"id": order_id},
            caller=caller,
            body=body,
        ),
    )


def list_orders(query: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    return call(handlers.list_orders, http_event("GET /orders", "/orders", query=query))


def scheduled_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2026-11-25T08:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/orders-remindPending-sched"],
        "detail": {},
    }


def s3_event(key: str, size: int, version: str = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY") -> dict[str, Any]:
    """An S3 ObjectCreated notification; S3 URL-encodes the key (spaces become +)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2026-11-25T12:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "orders-import",
                    "bucket": {"name": UPLOADS, "arn": f"arn:aws:s3:::{UPLOADS}"},
                    "object": {"key": quote_plus(key, safe="/"), "size": size, "versionId": version},
                },
            }
        ]
    }


@pytest.fixture(scope="module")
def moto_aws() -> Iterator[None]:
    """One in-process AWS for the module: starting it per test costs more than every test together."""
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }
    )
    orders.s3.cache_clear()
    try:
        with mock_aws():
            boto3.client("s3").create_bucket(Bucket=UPLOADS)
            yield
    finally:
        orders.s3.cache_clear()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(autouse=True)
def aws(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh table and documents bucket for each test."""
    suffix = uuid.uuid4().hex[:8]
    table_name, documents = f"{TABLE}-{suffix}", f"{DOCUMENTS}-{suffix}"
    monkeypatch.setenv("TABLE_NAME", table_name)
    monkeypatch.setenv("DOCUMENTS_BUCKET", documents)
    monkeypatch.setenv("REMIND_AFTER_DAYS", "3")
    orders.table.cache_clear()
    # The same key and index as the component declares (tests/test_serverless_api.py holds them together).
    boto3.client("dynamodb").create_table(
        TableName=table_name,
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
    boto3.client("s3").create_bucket(Bucket=documents)
    yield
    orders.table.cache_clear()


# -- the life cycle -------------------------------------------------------------------------------------------------


def test_an_order_goes_from_pending_to_approved_to_processed_with_its_document_in_s3() -> None:
    status, created = create()
    assert status == 201
    order_id = created["id"]
    assert created["status"] == "pending" and created["amount"] == "1250.00" and created["requestedBy"] == ALICE

    assert list_orders()[1]["orders"] == [created]
    assert get(order_id) == (200, created)

    status, approved = approve(order_id)
    assert status == 200
    assert approved["status"] == "approved" and approved["approvedBy"] == BOB and approved["approvedAt"]
    assert list_orders()[1]["orders"] == []
    assert [o["id"] for o in list_orders({"status": "approved"})[1]["orders"]] == [order_id]

    assert handlers.process_orders(scheduled_event(), Context()) == {"processed": 1, "skipped": 0, "complete": True}
    status, processed = get(order_id)
    assert processed["status"] == "processed"
    assert processed["documentKey"] == f"{DOCUMENT_PREFIX}{order_id}.json"
    document = boto3.client("s3").get_object(Bucket=os.environ["DOCUMENTS_BUCKET"], Key=processed["documentKey"])
    assert json.loads(document["Body"].read())["purchaseOrder"]["amount"] == "1250.00"
    assert document["ContentType"] == "application/json"

    # A second run finds nothing left to do.
    assert handlers.process_orders(scheduled_event(), Context()) == {"processed": 0, "skipped": 0, "complete": True}


def test_an_order_cannot_be_approved_twice() -> None:
    order_id = create()[1]["id"]
    assert approve(order_id)[0] == 200
    status, body = approve(order_id, caller=f"arn:aws:iam::{ACCOUNT}:user/carol")
    assert status == 409
    assert body["message"] == f"order {order_id} is already approved"
    assert get(order_id)[1]["approvedBy"] == BOB  # the first approval stands


def test_an_order_cannot_be_approved_after_it_was_processed() -> None:
    order_id = create()[1]["id"]
    approve(order_id)
    handlers.process_orders(scheduled_event(), Context())
    status, body = approve(order_id)
    assert status == 409 and "already processed" in body["message"]


def test_nobody_approves_their_own_order() -> None:
    order_id = create(caller=ALICE)[1]["id"]
    status, body = approve(order_id, caller=ALICE)
    assert status == 403 and "requested it" in body["message"]
    assert get(order_id)[1]["status"] == "pending"


def test_processing_skips_an_order_another_run_processed_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    order_id = create()[1]["id"]
    approve(order_id)
    real_put = orders.s3().put_object

    def put_then_race(**kwargs: Any) -> Any:
        result = real_put(**kwargs)
        orders.mark_processed(order_id, kwargs["Key"])  # the other run wins the state change
        return result

    monkeypatch.setattr(orders.s3(), "put_object", put_then_race)
    assert handlers.process_orders(scheduled_event(), Context()) == {"processed": 0, "skipped": 1, "complete": True}


def test_processing_stops_before_the_function_times_out_and_leaves_the_rest() -> None:
    order_id = create()[1]["id"]
    approve(order_id)
    result = handlers.process_orders(scheduled_event(), Context(remaining_ms=5_000))
    assert result == {"processed": 0, "skipped": 0, "complete": False}
    assert get(order_id)[1]["status"] == "approved"


# -- bad input ------------------------------------------------------------------------------------------------------


def test_an_invalid_order_is_refused_with_every_problem_named() -> None:
    status, body = create({"supplier": "", "amount": "-5", "currency": "eur"})
    assert status == 400
    fields = {e["field"]: e["problem"] for e in body["errors"]}
    assert set(fields) == {"supplier", "description", "amount", "currency"}
    assert "greater than 0" in fields["amount"]
    assert "ISO 4217" in fields["currency"]
    assert list_orders()[1]["orders"] == []


@pytest.mark.parametrize(
    ("amount", "problem"),
    [("12.345", "2 decimal places"), ("abc", "decimal number"), (True, "number"), ("20000000", "at most")],
)
def test_amounts_must_be_positive_money_with_two_decimals(amount: Any, problem: str) -> None:
    status, body = create({**ORDER, "amount": amount})
    assert status == 400
    assert body["errors"][0]["field"] == "amount" and problem in body["errors"][0]["problem"]


def test_a_json_number_amount_is_kept_exact() -> None:
    status, body = call(
        handlers.create_order,
        http_event(
            "POST /orders",
            "/orders",
            raw_body='{"supplier": "Acme", "description": "pens", "amount": 0.10, "currency": "USD"}',
        ),
    )
    assert status == 201 and body["amount"] == "0.10"


def test_unknown_fields_are_refused_rather_than_ignored() -> None:
    status, body = create({**ORDER, "priority": "high"})
    assert status == 400 and body["errors"][0]["field"] == "priority"


@pytest.mark.parametrize(("raw_body", "field"), [("{not json", "body"), ("[1, 2]", "body"), (None, "body")])
def test_a_body_that_is_not_a_json_object_is_a_400(raw_body: str | None, field: str) -> None:
    status, body = call(handlers.create_order, http_event("POST /orders", "/orders", raw_body=raw_body))
    assert status == 400 and body["errors"][0]["field"] == field


def test_a_base64_encoded_body_is_decoded() -> None:
    event = http_event("POST /orders", "/orders", body=ORDER, base64_body=True)
    assert call(handlers.create_order, event)[0] == 201


def test_unknown_orders_are_404_and_malformed_ids_400() -> None:
    unknown = str(uuid.uuid4())
    assert get(unknown)[0] == 404
    assert approve(unknown)[0] == 404
    status, body = get("not-an-id")
    assert status == 400 and body["errors"] == [
        {"field": "id", "problem": "must be an order id (a UUID), not 'not-an-id'"}
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"nextToken": "x"}, "nextToken"),
    ],
)
def test_a_bad_list_query_is_a_400_naming_the_parameter(query: dict[str, str], field: str) -> None:
    status, body = list_orders(query)
    assert status == 400 and [e["field"] for e in body["errors"]] == [field]


def test_lists_are_paged_oldest_first() -> None:
    ids = [create({**ORDER, "description": f"order {i}"})[1]["id"] for i in range(3)]
    status, first = list_orders({"limit": "2"})
    assert status == 200 and [o["id"] for o in first["orders"]] == ids[:2]
    status, second = list_orders({"limit": "2", "nextToken": first["nextToken"]})
    assert [o["id"] for o in second["orders"]] == ids[2:]
    assert "nextToken" not in second or list_orders({"nextToken": second["nextToken"]})[1]["orders"] == []
    # A token for one status is not accepted for another.
    assert list_orders({"status": "approved", "nextToken": first["nextToken"]})[0] == 400


def test_without_iam_authorization_the_body_names_requester_and_approver() -> None:
    status, body = create(ORDER, caller=None)
    assert status == 400 and body["errors"][0]["field"] == "requestedBy"
    status, created = create({**ORDER, "requestedBy": "alice@example.com"}, caller=None)
    assert status == 201 and created["requestedBy"] == "alice@example.com"
    assert approve(created["id"], caller=None)[0] == 400
    status, approved = approve(created["id"], caller=None, body={"approvedBy": "director@example.com"})
    assert status == 200 and approved["approvedBy"] == "director@example.com"


def test_an_unexpected_failure_is_a_500_that_reveals_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    orders.table.cache_clear()
    status, body = create()
    assert status == 500
    assert body == {"message": "internal error; the request id is in the apigw-requestid response header"}


# -- uploads --------------------------------------------------------------------------------------------------------

CSV = (
    "supplier,description,amount,currency,requestedBy\n"
    "Acme Office Supplies,40 chairs,1250.00,EUR,alice@example.com\n"
    "Paper & Co,Printer paper,89.90,EUR,bob@example.com\n"
    "Broken Ltd,,-3,euro,carol@example.com\n"
)


def upload(key: str, content: bytes) -> dict[str, Any]:
    boto3.client("s3").put_object(Bucket=UPLOADS, Key=key, Body=content)
    return s3_event(key, len(content))


def test_an_uploaded_csv_creates_one_pending_order_per_valid_row() -> None:
    event = upload("imports/march orders.csv", CSV.encode())
    assert handlers.on_upload(event, Context()) == {"created": 2, "duplicates": 0, "rejected": 1}
    pending = list_orders()[1]["orders"]
    assert sorted(o["supplier"] for o in pending) == ["Acme Office Supplies", "Paper & Co"]
    assert all(o["source"].startswith(f"s3://{UPLOADS}/imports/march orders.csv#row=") for o in pending)


def test_a_notification_delivered_twice_creates_each_order_once() -> None:
    event = upload("orders.csv", CSV.encode())
    handlers.on_upload(event, Context())
    assert handlers.on_upload(event, Context()) == {"created": 0, "duplicates": 2, "rejected": 1}
    assert len(list_orders()[1]["orders"]) == 2


def test_a_file_that_is_not_utf8_or_lacks_columns_is_rejected_without_retrying() -> None:
    assert handlers.on_upload(upload("latin1.csv", "supplier\nCafé\n".encode("latin-1")), Context())["rejected"] == 1
    assert handlers.on_upload(upload("short.csv", b"supplier,amount\nAcme,5\n"), Context())["rejected"] == 1
    assert list_orders()[1]["orders"] == []


# -- the reminder schedule ------------------------------------------------------------------------------------------


def _order_created(days_ago: int, status: str = "pending") -> str:
    order_id = str(uuid.uuid4())
    created = (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    orders.table().put_item(
        Item={**ORDER, "requestedBy": ALICE, "id": order_id, "status": status, "createdAt": created}
    )
    return order_id


def test_orders_pending_longer_than_the_limit_are_flagged_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    stale = _order_created(days_ago=5)
    fresh = _order_created(days_ago=1)
    _order_created(days_ago=10, status="approved")
    with caplog.at_level(logging.INFO, logger="orders_api"):
        assert handlers.remind_pending(scheduled_event(), Context()) == {"reminded": 1, "olderThanDays": 3}
    assert "remindedAt" in get(stale)[1]
    assert "remindedAt" not in get(fresh)[1]
    [reminder] = [r for r in caplog.records if r.getMessage() == "order.awaiting_approval"]
    assert reminder.levelno == logging.WARNING
    assert reminder.__dict__["orderId"] == stale and reminder.__dict__["pendingDays"] == 3


# -- logs and cold starts -------------------------------------------------------------------------------------------


def test_logs_are_structured_events_with_their_facts_as_fields(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="orders_api"):
        order_id = create()[1]["id"]
        create({"supplier": "x"})
    created = next(r for r in caplog.records if r.getMessage() == "order.created")
    assert created.__dict__["orderId"] == order_id and created.__dict__["currency"] == "EUR"
    rejected = next(r for r in caplog.records if r.getMessage() == "request.rejected")
    assert {e["field"] for e in rejected.__dict__["errors"]} >= {"description", "amount"}


def test_every_log_field_is_plain_json_as_the_lambda_runtime_encodes_it(caplog: pytest.LogCaptureFixture) -> None:
    standard = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
    with caplog.at_level(logging.INFO, logger="orders_api"):
        order_id = create()[1]["id"]
        approve(order_id)
        handlers.process_orders(scheduled_event(), Context())
        _order_created(days_ago=9)
        handlers.remind_pending(scheduled_event(), Context())
        handlers.on_upload(upload("log-check.csv", CSV.encode()), Context())
    assert len(caplog.records) >= 8
    for record in caplog.records:
        fields = {k: v for k, v in record.__dict__.items() if k not in standard}
        json.JSONEncoder().encode(fields)  # the runtime's encoder: no default=, so Decimal would fail


def test_importing_the_handlers_makes_no_network_call() -> None:
    script = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise AssertionError('network at import')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "import aws_compute_platform.serverless.app.orders_api.handlers as h\n"
        "assert h.orders.table.cache_info().currsize == 0\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, env={"PATH": "/usr/bin:/bin"}, cwd=ROOT, timeout=60)
