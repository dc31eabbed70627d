"""The purchase-order handlers against an in-process AWS (moto), called with real API Gateway v2 (payload format
2.0) events, S3 notifications and EventBridge scheduled events."""

from __future__ import annotations

import base64
import functools
import hashlib
import io
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
from botocore.exceptions import ClientError
from botocore.stub import Stubber
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
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders-onUpload"

ORDER = {"supplier": "Acme Office Supplies", "description": "40 chairs", "amount": "1250.00", "currency": "EUR"}


class Context:
    """What the Lambda runtime passes as `context`, as far as the handlers use it.

    `tick_ms` makes time pass: each look at the clock costs that much, so a test can make an invocation run out of
    time after a known amount of work without sleeping.
    """

    def __init__(self, remaining_ms: int = 60_000, tick_ms: int = 0) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = "orders-onUpload"
        self.invoked_function_arn = FUNCTION_ARN
        self._remaining_ms = remaining_ms
        self._tick_ms = tick_ms

    def get_remaining_time_in_millis(self) -> int:
        remaining = self._remaining_ms
        self._remaining_ms = max(0, self._remaining_ms - self._tick_ms)
        return remaining


def _unique_id(prefix: str, name: str) -> str:
    """An IAM unique id as AWS shows it: a type prefix (AIDA user, AROA role) and 17 characters."""
    return prefix + hashlib.sha256(name.encode()).hexdigest()[:17].upper()


def iam_context(arn: str, cognito: dict[str, Any] | None = None) -> dict[str, Any]:
    """`requestContext.authorizer.iam` as API Gateway fills it for a SigV4-signed request (IAM authorization).

    userId and callerId follow IAM's aws:userid: the user's unique id for an IAM user, `<role unique id>:<session
    name>` for an assumed role (the session name is whatever the caller passed to AssumeRole).
    """
    kind, _, rest = arn.split(":", 5)[5].partition("/")
    if kind == "assumed-role":
        role, _, session = rest.partition("/")
        user_id = f"{_unique_id('AROA', role)}:{session}"
    else:
        user_id = _unique_id("AIDA", rest)
    return {
        "accessKey": "ASIAIOSFODNN7EXAMPLE" if kind == "assumed-role" else "AKIAIOSFODNN7EXAMPLE",
        "accountId": ACCOUNT,
        "callerId": user_id,
        "cognitoIdentity": cognito,
        "principalOrgId": None,
        "userArn": arn,
        "userId": user_id,
    }


def http_event(
    route_key: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    caller: str | None = ALICE,
    cognito: dict[str, Any] | None = None,
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
        request_context["authorizer"] = {"iam": iam_context(caller, cognito)}
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


def create(
    body: dict[str, Any] | None = None, caller: str | None = ALICE, cognito: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    event = http_event("POST /orders", "/orders", body=body or ORDER, caller=caller, cognito=cognito)
    return call(handlers.create_order, event)


def get(order_id: str) -> tuple[int, dict[str, Any]]:
    return call(
        handlers.get_order, http_event("GET /orders/{id}", f"/orders/{order_id}", path_parameters={"id": order_id})
    )


def approve(
    order_id: str, caller: str | None = BOB, body: Any = None, cognito: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    return call(
        handlers.approve_order,
        http_event(
            "POST /orders/{id}/approve",
            f"/orders/{order_id}/approve",
            path_parameters={"id": order_id},
            caller=caller,
            body=body,
            cognito=cognito,
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


def s3_event(
    key: str, size: int, version: str | None = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", etag: str = ""
) -> dict[str, Any]:
    """An S3 ObjectCreated notification; S3 URL-encodes the key (spaces become +).

    `versionId` is there only when the bucket is versioned; `eTag` comes without the quotes S3's API puts around it.
    """
    s3_object: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": size,
        "eTag": etag.strip('"'),
        "sequencer": "0066A1B2C3D4E5F6A7",
    }
    if version is not None:
        s3_object["versionId"] = version
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
                    "object": s3_object,
                },
            }
        ]
    }


@functools.cache
def client(service: str) -> Any:
    """A boto3 client of the module's in-process AWS, made once: making one costs more than most calls through it."""
    return boto3.client(service)  # type: ignore[call-overload]


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
            "TABLE_NAME": TABLE,
        }
    )
    # No client or table resource outlives the mock it was made under (nor comes from before it).
    client.cache_clear()
    orders.s3.cache_clear()
    orders.table.cache_clear()
    try:
        with mock_aws():
            client("s3").create_bucket(Bucket=UPLOADS)
            # Both buckets are versioned, as the component makes them.
            client("s3").put_bucket_versioning(Bucket=UPLOADS, VersioningConfiguration={"Status": "Enabled"})
            yield
    finally:
        client.cache_clear()
        orders.s3.cache_clear()
        orders.table.cache_clear()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(autouse=True)
def aws(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh table and documents bucket for each test.

    The table keeps its name and is deleted after each test, so the handlers' table resource (`orders.table`, one per
    execution environment as in Lambda) is made once for the module; a test that points it elsewhere has it dropped.
    """
    documents = f"{DOCUMENTS}-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DOCUMENTS_BUCKET", documents)
    monkeypatch.setenv("REMIND_AFTER_DAYS", "3")
    dynamodb = client("dynamodb")
    # The same key and index as the component declares (tests/test_serverless_api.py holds them together).
    dynamodb.create_table(
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
    client("s3").create_bucket(Bucket=documents)
    client("s3").put_bucket_versioning(Bucket=documents, VersioningConfiguration={"Status": "Enabled"})
    yield
    dynamodb.delete_table(TableName=TABLE)
    if orders.table.cache_info().currsize and orders.table().name != TABLE:
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
    document = client("s3").get_object(Bucket=os.environ["DOCUMENTS_BUCKET"], Key=processed["documentKey"])
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


def _document_versions(order_id: str) -> list[dict[str, Any]]:
    key = f"{DOCUMENT_PREFIX}{order_id}.json"
    listing = client("s3").list_object_versions(Bucket=os.environ["DOCUMENTS_BUCKET"], Prefix=key)
    return [v for v in listing.get("Versions", []) if v["Key"] == key]


def test_a_stale_index_read_never_rewrites_an_issued_document(monkeypatch: pytest.MonkeyPatch) -> None:
    order_id = create()[1]["id"]
    approve(order_id)
    stale, _ = orders.by_status(orders.APPROVED)  # what a lagging index still shows after the order was processed
    assert handlers.process_orders(scheduled_event(), Context())["processed"] == 1
    [issued] = _document_versions(order_id)

    real_by_status = orders.by_status
    monkeypatch.setattr(
        orders,
        "by_status",
        lambda status, **kw: (stale, None) if status == orders.APPROVED else real_by_status(status, **kw),
    )
    assert handlers.process_orders(scheduled_event(), Context()) == {"processed": 0, "skipped": 1, "complete": True}
    assert _document_versions(order_id) == [issued]


def test_a_document_another_run_is_writing_right_now_is_left_to_that_run(monkeypatch: pytest.MonkeyPatch) -> None:
    order_id = create()[1]["id"]
    approve(order_id)

    def conflict(**kwargs: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "ConditionalRequestConflict", "Message": "A conflicting operation is in progress"}},
            "PutObject",
        )

    monkeypatch.setattr(orders.s3(), "put_object", conflict)
    assert handlers.process_orders(scheduled_event(), Context()) == {"processed": 0, "skipped": 1, "complete": True}
    assert get(order_id)[1]["status"] == "approved"


def test_a_run_that_died_between_document_and_status_is_finished_without_rewriting_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order_id = create()[1]["id"]
    approve(order_id)
    real_mark = orders.mark_processed

    def die(order: str, key: str) -> bool:
        raise RuntimeError("the function timed out")

    monkeypatch.setattr(orders, "mark_processed", die)
    with pytest.raises(RuntimeError):
        handlers.process_orders(scheduled_event(), Context())
    [issued] = _document_versions(order_id)

    monkeypatch.setattr(orders, "mark_processed", real_mark)
    assert handlers.process_orders(scheduled_event(), Context())["processed"] == 1
    assert get(order_id)[1]["status"] == "processed"
    assert _document_versions(order_id) == [issued]


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


HUGE_NUMBER = "9" * 5_000  # past int()'s 4,300-digit limit


def _order_json(amount: str) -> str:
    return '{"supplier": "Acme", "description": "pens", "amount": ' + amount + ', "currency": "USD"}'


@pytest.mark.parametrize(
    ("raw_body", "field"),
    [
        (_order_json('"1e30"'), "amount"),
        (_order_json("1e30"), "amount"),
        (_order_json(f'"{HUGE_NUMBER}"'), "amount"),
        (_order_json(HUGE_NUMBER), "amount"),
        (_order_json('"1E+2"'), "amount"),
        (
            _order_json('"\u0661\u0662\u0660\u0660"'),
            "amount",
        ),  # Arabic-Indic digits: Decimal() takes them, money should not
        (_order_json("NaN"), "body"),
        (_order_json("-Infinity"), "body"),
        ("[" * 100_000 + "]" * 100_000, "body"),
        ('{"supplier": ' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "}", "body"),
    ],
    ids=[
        "amount-1e30-string",
        "amount-1e30-number",
        "amount-5000-digit-string",
        "amount-5000-digit-number",
        "amount-exponent",
        "amount-non-ascii-digits",
        "nan",
        "infinity",
        "deep-array",
        "deep-object",
    ],
)
def test_malformed_input_is_a_400_with_a_json_error_body(raw_body: str, field: str) -> None:
    response = handlers.create_order(http_event("POST /orders", "/orders", raw_body=raw_body), Context())
    assert response["statusCode"] == 400
    body = json.loads(response["body"])
    assert body["message"] and field in [e["field"] for e in body["errors"]]
    assert len(response["body"]) < 1_000  # the answer does not echo 5,000 digits back
    assert list_orders()[1]["orders"] == []


def test_a_deeply_nested_approval_body_is_a_400() -> None:
    order_id = create()[1]["id"]
    event = http_event(
        "POST /orders/{id}/approve",
        f"/orders/{order_id}/approve",
        path_parameters={"id": order_id},
        caller=BOB,
        raw_body="[" * 100_000 + "]" * 100_000,
    )
    status, body = call(handlers.approve_order, event)
    assert status == 400 and body["errors"][0]["field"] == "body"


def test_a_base64_flagged_body_that_is_not_base64_text_is_a_400() -> None:
    event = http_event("POST /orders", "/orders", raw_body="é", base64_body=False)
    event["isBase64Encoded"] = True
    status, body = call(handlers.create_order, event)
    assert status == 400 and body["errors"][0]["field"] == "body"


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "²"},  # str.isdigit() says yes, int() says no
        {"limit": "\u0661\u0660"},  # int() reads Arabic-Indic digits (10); the API takes ASCII digits only
        {"limit": "9" * 5_000},
        {"nextToken": base64.urlsafe_b64encode(("[" * 100_000 + "]" * 100_000).encode()).decode()},
        {"nextToken": base64.urlsafe_b64encode(HUGE_NUMBER.encode()).decode()},
        {"nextToken": "é"},
    ],
    ids=["superscript-two", "arabic-indic-ten", "5000-digit-limit", "nested-token", "huge-token", "non-ascii-token"],
)
def test_a_malformed_list_query_is_a_400(query: dict[str, str]) -> None:
    status, body = list_orders(query)
    assert status == 400 and [e["field"] for e in body["errors"]] == [next(iter(query))]


# -- who may approve ------------------------------------------------------------------------------------------------
# An assumed-role ARN ends in a session name that whoever assumes the role chooses; only the role's unique id, or a
# subject AWS verified (a Cognito identity, a session name the role's trust policy pins), tells people apart.


def _session(role: str, session: str) -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"


def test_a_second_session_of_the_requesters_role_cannot_approve() -> None:
    order_id = create(caller=_session("Purchasing", "alice"))[1]["id"]
    status, body = approve(order_id, caller=_session("Purchasing", "finance-director"))
    assert status == 403 and "requested it" in body["message"]
    assert get(order_id)[1]["status"] == "pending"


def test_another_role_or_an_iam_user_can_approve_an_order_made_through_a_role() -> None:
    first = create(caller=_session("Purchasing", "alice"))[1]["id"]
    status, approved = approve(first, caller=_session("FinanceDirector", "dana"))
    assert status == 200 and approved["approvedBy"] == _session("FinanceDirector", "dana")
    second = create(caller=_session("Purchasing", "alice"))[1]["id"]
    assert approve(second, caller=BOB)[0] == 200


def test_sessions_of_a_role_whose_session_names_are_verified_are_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    role = "AWSReservedSSO_Finance_0123456789abcdef"
    monkeypatch.setenv("APPROVAL_VERIFIED_SESSION_ROLES", f"AROAOTHERROLE12345,{_unique_id('AROA', role)}")
    order_id = create(caller=_session(role, "alice@example.com"))[1]["id"]
    assert approve(order_id, caller=_session(role, "alice@example.com"))[0] == 403
    assert approve(order_id, caller=_session(role, "bob@example.com"))[0] == 200


def test_cognito_identities_are_told_apart_by_the_identity_id_cognito_verified() -> None:
    role = _session("Cognito_OrdersAuth_Role", "CognitoIdentityCredentials")
    pool = f"{REGION}:0a1b2c3d-0000-4000-8000-000000000001"

    def cognito(identity: str) -> dict[str, Any]:
        return {"amr": ["authenticated", "cognito-idp.amazonaws.com"], "identityId": identity, "identityPoolId": pool}

    order_id = create(caller=role, cognito=cognito(f"{REGION}:alice"))[1]["id"]
    # The same person through another role the pool maps them to is still the same person.
    other_role = _session("Cognito_OrdersAdmin_Role", "CognitoIdentityCredentials")
    assert approve(order_id, caller=other_role, cognito=cognito(f"{REGION}:alice"))[0] == 403
    assert approve(order_id, caller=role, cognito=cognito(f"{REGION}:bob"))[0] == 200


def test_federated_users_of_one_account_count_as_one_approver() -> None:
    # GetFederationToken's name is chosen by the IAM user who calls it, and the request does not say who that was.
    order_id = create(caller=f"arn:aws:sts::{ACCOUNT}:federated-user/alice")[1]["id"]
    assert approve(order_id, caller=f"arn:aws:sts::{ACCOUNT}:federated-user/someone-else")[0] == 403
    assert approve(order_id, caller=BOB)[0] == 200


def test_a_signed_request_whose_principal_cannot_be_pinned_down_is_refused() -> None:
    event = http_event("POST /orders", "/orders", body=ORDER, caller=_session("Purchasing", "alice"))
    event["requestContext"]["authorizer"]["iam"]["userId"] = "alice"  # not `<role unique id>:<session>`
    status, body = call(handlers.create_order, event)
    assert status == 403 and "cannot tell who the caller is" in body["message"]
    assert list_orders()[1]["orders"] == []


def test_the_identity_compared_is_kept_with_the_order_but_not_shown() -> None:
    order_id = create(caller=_session("Purchasing", "alice"))[1]["id"]
    stored = orders.get(order_id)
    assert stored["requesterId"] == f"role:{_unique_id('AROA', 'Purchasing')}"
    assert "requesterId" not in get(order_id)[1]


# -- uploads --------------------------------------------------------------------------------------------------------

CSV = (
    "supplier,description,amount,currency,requestedBy\n"
    "Acme Office Supplies,40 chairs,1250.00,EUR,alice@example.com\n"
    "Paper & Co,Printer paper,89.90,EUR,bob@example.com\n"
    "Broken Ltd,,-3,euro,carol@example.com\n"
)


def upload(key: str, content: bytes) -> dict[str, Any]:
    """Put a file in the uploads bucket and return the notification S3 sends for it."""
    put = client("s3").put_object(Bucket=UPLOADS, Key=key, Body=content)
    return s3_event(key, len(content), version=put["VersionId"], etag=put["ETag"])


def test_an_uploaded_csv_creates_one_pending_order_per_valid_row() -> None:
    event = upload("imports/march orders.csv", CSV.encode())
    assert handlers.on_upload(event, Context()) == {"created": 2, "duplicates": 0, "rejected": 1, "continued": 0}
    pending = list_orders()[1]["orders"]
    assert sorted(o["supplier"] for o in pending) == ["Acme Office Supplies", "Paper & Co"]
    assert all(o["source"].startswith(f"s3://{UPLOADS}/imports/march orders.csv#row=") for o in pending)


def test_a_notification_delivered_twice_creates_each_order_once() -> None:
    event = upload("orders.csv", CSV.encode())
    handlers.on_upload(event, Context())
    # The second delivery finds the file imported: it reads nothing and names the rows already there.
    assert handlers.on_upload(event, Context()) == {"created": 0, "duplicates": 2, "rejected": 0, "continued": 0}
    assert len(list_orders()[1]["orders"]) == 2


def test_a_file_that_is_not_utf8_or_lacks_columns_is_rejected_without_retrying() -> None:
    assert handlers.on_upload(upload("latin1.csv", "supplier\nCafé\n".encode("latin-1")), Context())["rejected"] == 1
    assert handlers.on_upload(upload("short.csv", b"supplier,amount\nAcme,5\n"), Context())["rejected"] == 1
    assert list_orders()[1]["orders"] == []


HEADER = "supplier,description,amount,currency,requestedBy\n"


def _pending_suppliers() -> list[str]:
    found: list[str] = []
    start: dict[str, Any] | None = None
    while True:
        items, start = orders.by_status(orders.PENDING, start=start)
        found += [i["supplier"] for i in items]
        if start is None:
            return sorted(found)


def test_a_bad_row_is_reported_and_skipped_and_the_rows_after_it_imported(caplog: pytest.LogCaptureFixture) -> None:
    content = (
        HEADER + "Acme Office Supplies,40 chairs,1250.00,EUR,alice@example.com\n"
        "Huge Ltd,too much,1e30,EUR,bob@example.com\n"
        "Nan Ltd,not a number,NaN,EUR,bob@example.com\n"
        f"Long Ltd,too many digits,{HUGE_NUMBER},EUR,bob@example.com\n"
        f"Wide Ltd,{'x' * 200_000},5.00,EUR,bob@example.com\n"  # past the csv module's 131,072-character field limit
        "Paper & Co,Printer paper,89.90,EUR,bob@example.com\n"
    )
    with caplog.at_level(logging.INFO, logger="orders_api"):
        result = handlers.on_upload(upload("bad-rows.csv", content.encode()), Context())
    assert result == {"created": 2, "duplicates": 0, "rejected": 4, "continued": 0}
    assert _pending_suppliers() == ["Acme Office Supplies", "Paper & Co"]
    rejected = [r.__dict__ for r in caplog.records if r.getMessage() == "upload.row_rejected"]
    assert [r["row"] for r in rejected] == [3, 4, 5, 6]
    assert all(len(json.dumps(r["errors"])) < 1_000 for r in rejected)


def test_the_import_reads_the_object_version_its_event_names() -> None:
    first = upload("orders.csv", (HEADER + "Acme Office Supplies,40 chairs,1250.00,EUR,alice@example.com\n").encode())
    second = upload("orders.csv", (HEADER + "Paper & Co,Printer paper,89.90,EUR,bob@example.com\n").encode())
    handlers.on_upload(second, Context())
    handlers.on_upload(first, Context())  # the first version's notification arrives late
    assert _pending_suppliers() == ["Acme Office Supplies", "Paper & Co"]


def test_without_versioning_the_import_reads_only_the_content_its_event_names(caplog: pytest.LogCaptureFixture) -> None:
    plain = f"{UPLOADS}-plain"
    s3 = client("s3")
    s3.create_bucket(Bucket=plain)
    first = s3.put_object(Bucket=plain, Key="o.csv", Body=(HEADER + "Acme,chairs,5.00,EUR,a@example.com\n").encode())
    second = s3.put_object(Bucket=plain, Key="o.csv", Body=(HEADER + "Paper,paper,6.00,EUR,b@example.com\n").encode())

    def event(put: dict[str, Any]) -> dict[str, Any]:
        notification = s3_event("o.csv", 60, version=None, etag=put["ETag"])
        notification["Records"][0]["s3"]["bucket"] = {"name": plain, "arn": f"arn:aws:s3:::{plain}"}
        return notification

    with caplog.at_level(logging.INFO, logger="orders_api"):
        assert handlers.on_upload(event(first), Context())["created"] == 0  # its content is gone
    assert "upload.superseded" in [r.getMessage() for r in caplog.records]
    assert handlers.on_upload(event(second), Context())["created"] == 1
    assert _pending_suppliers() == ["Paper"]


# -- large uploads --------------------------------------------------------------------------------------------------


def _row(n: int) -> str:
    return f"Supplier {n % 97},Item {n} for office {n % 12},{n % 5000 + 1}.{n % 100:02d},EUR,b{n % 31}@example.com\n"


def _csv(rows: int) -> bytes:
    return (HEADER + "".join(_row(n) for n in range(rows))).encode()


def _csv_of_size(size: int) -> tuple[bytes, int]:
    """A CSV as large as `size` bytes allows, and how many rows it holds (every one valid)."""
    out = io.StringIO()
    out.write(HEADER)
    used, rows = len(HEADER), 0
    while True:
        line = _row(rows)
        if used + len(line) > size:
            return out.getvalue().encode(), rows
        out.write(line)
        used += len(line)
        rows += 1


def _written_rows(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The id of every order the import sends to DynamoDB, in order; single puts are refused."""
    client = orders.table().meta.client
    real = client.batch_write_item
    written: list[str] = []

    def spy(**kwargs: Any) -> Any:
        for requests in kwargs["RequestItems"].values():
            written.extend(r["PutRequest"]["Item"]["id"] for r in requests)
        return real(**kwargs)

    def refuse(**kwargs: Any) -> Any:
        raise AssertionError("one put_item per row: the import must write in batches")

    monkeypatch.setattr(client, "batch_write_item", spy)
    monkeypatch.setattr(orders.table(), "put_item", refuse)
    return written


def _run_import(event: dict[str, Any], monkeypatch: pytest.MonkeyPatch, context: Any = None) -> list[dict[str, Any]]:
    """Deliver `event`, then every continuation the function hands to itself, as Lambda would (JSON on the wire)."""
    handed: list[dict[str, Any]] = []
    monkeypatch.setattr(handlers, "hand_over", lambda ctx, payload: handed.append(json.loads(json.dumps(payload))))
    make = context or Context
    results = [handlers.on_upload(event, make())]
    while handed:
        results.append(handlers.on_upload(handed.pop(0), make()))
    return results


def _order_count() -> int:
    count, start = 0, None
    while True:
        page = orders.table().scan(
            Select="COUNT",
            FilterExpression="#s = :p",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":p": orders.PENDING},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        count += int(page["Count"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return count


def test_a_large_upload_is_imported_across_invocations_with_no_row_lost_or_written_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The mechanism at a size moto imports in under a second: chunks of 100 rows, and every look at the clock costs 10
    # of the function's 60 s, so each invocation writes five chunks and hands the rest on; three invocations (the
    # first, one that both continues and hands on, the last) are every kind there is. benchmarks/orders_import.py
    # runs a full 5 MiB file (about 78,000 rows) through the same path and prints how long it takes.
    monkeypatch.setattr(handlers, "IMPORT_CHUNK_ROWS", 100)
    content, rows = _csv_of_size(80_000)
    written = _written_rows(monkeypatch)
    event = upload("imports/year.csv", content)
    results = _run_import(event, monkeypatch, lambda: Context(remaining_ms=60_000, tick_ms=10_000))
    assert rows > 1_000 and len(results) == -(-rows // 500) >= 3
    assert all(r["continued"] == 1 for r in results[:-1]) and results[-1]["continued"] == 0
    assert sum(r["created"] for r in results) == rows
    assert sum(r["duplicates"] + r["rejected"] for r in results) == 0
    assert len(written) == rows and len(set(written)) == rows
    assert _order_count() == rows


def test_an_upload_at_the_size_limit_is_imported_and_one_byte_more_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "MAX_UPLOAD_BYTES", 1_000)  # the limit's logic, at a size moto imports quickly
    content, rows = _csv_of_size(1_000)
    assert len(content) <= 1_000
    assert handlers.on_upload(upload("limit.csv", content), Context())["created"] == rows
    too_big = content + b"x" * (1_001 - len(content))
    assert handlers.on_upload(upload("over.csv", too_big), Context()) == {
        "created": 0,
        "duplicates": 0,
        "rejected": 1,
        "continued": 0,
    }


def test_rows_dynamodb_leaves_unprocessed_are_written_again(monkeypatch: pytest.MonkeyPatch) -> None:
    client = orders.table().meta.client
    real = client.batch_write_item
    calls: list[int] = []

    def throttled(**kwargs: Any) -> Any:
        [(name, requests)] = kwargs["RequestItems"].items()
        calls.append(len(requests))
        if len(calls) == 1:  # DynamoDB takes part of the batch and hands the rest back
            real(RequestItems={name: requests[:3]})
            return {"UnprocessedItems": {name: requests[3:]}}
        return real(**kwargs)

    monkeypatch.setattr(client, "batch_write_item", throttled)
    result = handlers.on_upload(upload("throttled.csv", _csv(10)), Context())
    assert result["created"] == 10 and calls == [10, 7]
    assert _order_count() == 10


def test_an_import_that_died_mid_file_resumes_without_writing_a_row_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "IMPORT_CHUNK_ROWS", 100)  # chunks as in the test above: the same checkpoints
    rows = handlers.IMPORT_CHUNK_ROWS * 2 + 37
    event = upload("crash.csv", _csv(rows))
    written = _written_rows(monkeypatch)
    real_progress = orders.save_import_progress

    def die(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the function timed out")

    monkeypatch.setattr(orders, "save_import_progress", die)
    with pytest.raises(RuntimeError):  # Lambda retries the event later
        handlers.on_upload(event, Context())
    assert len(written) == handlers.IMPORT_CHUNK_ROWS  # one chunk written, its checkpoint lost

    # Meanwhile an order of that chunk is approved: the retry must not write it back to pending.
    first_id = next(iter(written))
    assert approve(first_id)[0] == 200

    monkeypatch.setattr(orders, "save_import_progress", real_progress)
    later = orders.epoch_ms() + 16 * 60 * 1000  # Lambda retries after the dead invocation's lease ran out
    monkeypatch.setattr(orders, "epoch_ms", lambda: later)
    result = handlers.on_upload(event, Context())
    assert result["created"] == rows - handlers.IMPORT_CHUNK_ROWS
    assert result["duplicates"] == handlers.IMPORT_CHUNK_ROWS
    assert len(written) == rows and len(set(written)) == rows
    assert get(first_id)[1]["status"] == "approved"
    assert _order_count() == rows - 1


def test_a_notification_delivered_while_the_file_is_being_imported_leaves_it_to_that_import(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    event = upload("busy.csv", _csv(5))
    record = event["Records"][0]["s3"]
    import_id = handlers.import_id(UPLOADS, "busy.csv", record["object"]["versionId"])
    assert orders.claim_import(import_id, owner="another-request", lease_ms=60_000) is not None
    with caplog.at_level(logging.INFO, logger="orders_api"):
        assert handlers.on_upload(event, Context())["created"] == 0
    assert "upload.in_progress" in [r.getMessage() for r in caplog.records]
    assert _order_count() == 0


def test_the_rest_of_an_import_is_handed_to_the_function_itself_asynchronously() -> None:
    client = orders.lambda_client()
    payload = {"continueImport": {"bucket": UPLOADS, "key": "k.csv", "version": "v1", "hop": 1}}
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {"FunctionName": FUNCTION_ARN, "InvocationType": "Event", "Payload": json.dumps(payload).encode()},
        )
        handlers.hand_over(Context(), payload)
        stub.assert_no_pending_responses()


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
        result = handlers.remind_pending(scheduled_event(), Context())
    assert result == {"reminded": 1, "olderThanDays": 3, "complete": True}
    assert "remindedAt" in get(stale)[1]
    assert "remindedAt" not in get(fresh)[1]
    [reminder] = [r for r in caplog.records if r.getMessage() == "order.awaiting_approval"]
    assert reminder.levelno == logging.WARNING
    assert reminder.__dict__["orderId"] == stale and reminder.__dict__["pendingDays"] == 3


def test_reminders_stop_before_the_timeout_and_the_next_run_sends_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[str] = []
    monkeypatch.setattr(handlers, "send_reminder", lambda order, days: sent.append(order["id"]))
    stale = [_order_created(days_ago=d) for d in (9, 8, 7)]
    # Each look at the clock costs 2 s: the run has to stop partway.
    first = handlers.remind_pending(scheduled_event(), Context(remaining_ms=13_000, tick_ms=2_000))
    assert first["complete"] is False and 0 < first["reminded"] < 3
    assert len(sent) == first["reminded"]
    # A run the same day (Lambda's retry, or someone re-running it) sends the rest and nobody gets two.
    second = handlers.remind_pending(scheduled_event(), Context())
    assert second == {"reminded": 3 - first["reminded"], "olderThanDays": 3, "complete": True}
    assert sorted(sent) == sorted(stale)


def test_each_reminder_goes_through_one_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(handlers, "send_reminder", lambda order, days: calls.append((order["supplier"], days)))
    _order_created(days_ago=4)
    handlers.remind_pending(scheduled_event(), Context())
    assert calls == [(ORDER["supplier"], 3)]


def test_a_reminder_reaches_the_approvers_topic_with_the_orders_details(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through SNS, as the stack wires it (APPROVERS_TOPIC_ARN): a queue subscribed to the topic stands in for the
    approvers' mailboxes and receives exactly what each confirmed address is emailed."""
    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name=f"approvers-{uuid.uuid4().hex[:8]}")["TopicArn"]
    inbox = sqs.create_queue(QueueName=f"approvers-inbox-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
    monkeypatch.setenv("APPROVERS_TOPIC_ARN", topic)
    handlers._approvers.cache_clear()
    stale = _order_created(days_ago=6)
    _order_created(days_ago=1)

    assert handlers.remind_pending(scheduled_event(), Context())["reminded"] == 1

    received = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    [notification] = [json.loads(m["Body"]) for m in received]
    assert notification["TopicArn"] == topic
    assert notification["Subject"] == f"Purchase order awaiting approval: {ORDER['supplier']}"
    text = notification["Message"]
    for fact in (stale, ORDER["supplier"], ORDER["description"], "1250.00 EUR", ALICE, "more than 3 days"):
        assert fact in text
    assert notification["MessageAttributes"]["orderId"]["Value"] == stale


def test_without_an_approvers_topic_a_reminder_is_only_logged(caplog: pytest.LogCaptureFixture) -> None:
    os.environ.pop("APPROVERS_TOPIC_ARN", None)
    with Stubber(handlers._approvers()) as stub, caplog.at_level(logging.INFO, logger="orders_api"):
        _order_created(days_ago=5)
        handlers.remind_pending(scheduled_event(), Context())
        stub.assert_no_pending_responses()  # no SNS call was made (any call would fail the stubbed client)
    assert [r for r in caplog.records if r.getMessage() == "order.awaiting_approval"]


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
