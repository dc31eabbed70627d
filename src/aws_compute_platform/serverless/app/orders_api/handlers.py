"""Lambda entry points: four behind the HTTP API, one on uploads to S3, two on schedules."""

from __future__ import annotations

import csv
import io
import json
import os
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from . import logs, orders
from .orders import Problem
from .web import (
    BadRequestError,
    Event,
    Response,
    caller,
    error,
    http_handler,
    json_body,
    path_parameter,
    query_parameter,
    respond,
)

MAX_PAGE = 100
DEFAULT_PAGE = 50
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# The processing job stops taking new orders when less than this is left, and leaves them for its next run.
SAFETY_MARGIN_MS = 10_000
DOCUMENT_PREFIX = "purchase-orders/"
IMPORT_NAMESPACE = uuid.UUID("6f1c8a52-3f7e-4d0b-9a57-0d7f2c1e9b41")


def _order_id(event: Event) -> str:
    order_id = path_parameter(event, "id")
    if not orders.is_order_id(order_id):
        raise BadRequestError(
            "the order id is malformed", [Problem("id", f"must be an order id (a UUID), not {order_id!r}")]
        )
    return order_id.lower()


# -- HTTP API -------------------------------------------------------------------------------------------------------


@http_handler
def list_orders(event: Event, context: Any) -> Response:
    """GET /orders?status=pending&limit=50&nextToken=..."""
    problems: list[Problem] = []
    status = query_parameter(event, "status") or orders.PENDING
    if status not in orders.STATUSES:
        problems.append(Problem("status", f"must be one of: {', '.join(orders.STATUSES)} (got {status!r})"))
    raw_limit = query_parameter(event, "limit")
    limit = DEFAULT_PAGE
    if raw_limit is not None:
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_PAGE:
            problems.append(Problem("limit", f"must be a whole number from 1 to {MAX_PAGE} (got {raw_limit!r})"))
        else:
            limit = int(raw_limit)
    token = query_parameter(event, "nextToken")
    start = None
    if token is not None:
        start = orders.decode_token(token)
        if start is None or start.get(orders.STATUS) != status:
            problems.append(Problem("nextToken", "is not a token this API returned for this status"))
    if problems:
        raise BadRequestError("the query is invalid", problems)
    items, last = orders.by_status(status, limit=limit, start=start)
    body: dict[str, Any] = {"orders": [orders.public(i) for i in items]}
    next_token = orders.encode_token(last)
    if next_token:
        body["nextToken"] = next_token
    return respond(200, body)


@http_handler
def get_order(event: Event, context: Any) -> Response:
    """GET /orders/{id}"""
    order_id = _order_id(event)
    try:
        return respond(200, orders.public(orders.get(order_id)))
    except orders.OrderNotFoundError:
        return error(404, f"order {order_id} does not exist")


@http_handler
def create_order(event: Event, context: Any) -> Response:
    """POST /orders with {supplier, description, amount, currency[, requestedBy]}"""
    order, problems = orders.validate_new_order(json_body(event), requested_by=caller(event))
    if problems:
        raise BadRequestError("the order is invalid", problems)
    item = orders.create(order)
    if item is None:  # a freshly drawn UUID4 collided: practically never, but never overwrite an order
        return error(409, "an order with this id already exists; retry")
    logs.info("order.created", orderId=item["id"], amount=str(item["amount"]), currency=item["currency"])
    return respond(201, orders.public(item), headers={"location": f"/orders/{item['id']}"})


@http_handler
def approve_order(event: Event, context: Any) -> Response:
    """POST /orders/{id}/approve, optionally with {approvedBy} when the API is not behind IAM authorization"""
    order_id = _order_id(event)
    data = json_body(event, required=False)
    if not isinstance(data, dict):
        raise BadRequestError("the body must be a JSON object", [Problem("body", "must be a JSON object")])
    unknown = sorted(set(data) - {"approvedBy"})
    if unknown:
        raise BadRequestError(
            "the body has unknown fields", [Problem(unknown[0], "is not a known field (known: approvedBy)")]
        )
    approver = caller(event) or data.get("approvedBy")
    if not isinstance(approver, str) or not approver.strip():
        raise BadRequestError(
            "who approves is unknown", [Problem("approvedBy", "is required and must be a non-empty string")]
        )
    try:
        item = orders.approve(order_id, approver.strip())
    except orders.OrderNotFoundError:
        return error(404, f"order {order_id} does not exist")
    except orders.ConflictError as exc:
        return error(409, str(exc))
    except orders.ForbiddenError as exc:
        return error(403, str(exc))
    logs.info("order.approved", orderId=order_id, approvedBy=item["approvedBy"])
    return respond(200, orders.public(item))


# -- asynchronous ---------------------------------------------------------------------------------------------------


def _remaining_ms(context: Any) -> int:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return int(remaining()) if callable(remaining) else 900_000


def _document(order: dict[str, Any]) -> bytes:
    """The purchase-order document handed to the supplier: the approved order, frozen at processing time."""
    return json.dumps(
        {"purchaseOrder": orders.public(order), "issuedAt": orders.now()}, indent=2, sort_keys=True
    ).encode()


def process_orders(event: Event, context: Any) -> dict[str, Any]:
    """Scheduled: write each approved order's document to S3, then mark it processed (once)."""
    bucket = os.environ["DOCUMENTS_BUCKET"]
    processed = skipped = 0
    start: dict[str, Any] | None = None
    while True:
        items, start = orders.by_status(orders.APPROVED, start=start)
        for order in items:
            if _remaining_ms(context) < SAFETY_MARGIN_MS:
                logs.warning("orders.processing_deferred", processed=processed, reason="time is running out")
                return {"processed": processed, "skipped": skipped, "complete": False}
            key = f"{DOCUMENT_PREFIX}{order['id']}.json"
            # Written before the state change: a crash in between leaves an approved order whose document is
            # rewritten on the next run, never a processed order without a document.
            orders.s3().put_object(Bucket=bucket, Key=key, Body=_document(order), ContentType="application/json")
            if orders.mark_processed(order["id"], key):
                processed += 1
                logs.info("order.processed", orderId=order["id"], document=f"s3://{bucket}/{key}")
            else:
                skipped += 1
                logs.info("order.already_processed", orderId=order["id"])
        if start is None:
            return {"processed": processed, "skipped": skipped, "complete": True}


def remind_pending(event: Event, context: Any) -> dict[str, Any]:
    """Scheduled: flag every order pending for longer than REMIND_AFTER_DAYS, for the finance director."""
    days = int(os.environ.get("REMIND_AFTER_DAYS", "3"))
    cutoff = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    reminded = 0
    start: dict[str, Any] | None = None
    while True:
        items, start = orders.by_status(orders.PENDING, start=start, created_before=cutoff)
        for order in items:
            if orders.mark_reminded(order["id"]):
                reminded += 1
                logs.warning(
                    "order.awaiting_approval",
                    orderId=order["id"],
                    supplier=order.get("supplier"),
                    amount=str(order.get("amount")),
                    currency=order.get("currency"),
                    createdAt=order[orders.CREATED_AT],
                    pendingDays=days,
                )
        if start is None:
            logs.info("orders.reminders_sent", reminded=reminded, olderThanDays=days)
            return {"reminded": reminded, "olderThanDays": days}


def _import_rows(bucket: str, key: str, version: str, text: str) -> dict[str, int]:
    created = duplicates = rejected = 0
    reader = csv.DictReader(io.StringIO(text))
    missing = [
        f
        for f in ("supplier", "description", "amount", "currency", "requestedBy")
        if f not in (reader.fieldnames or [])
    ]
    if missing:
        logs.error("upload.rejected", bucket=bucket, key=key, reason=f"missing columns: {', '.join(missing)}")
        return {"created": 0, "duplicates": 0, "rejected": 1}
    for row_number, row in enumerate(reader, start=2):  # row 1 is the header
        order, problems = orders.validate_new_order({k: v for k, v in row.items() if k})
        if problems:
            rejected += 1
            logs.warning("upload.row_rejected", key=key, row=row_number, errors=[p.as_dict() for p in problems])
            continue
        # The same file delivered twice (S3 retries, a re-upload of the same version) creates each order once.
        order_id = str(uuid.uuid5(IMPORT_NAMESPACE, f"{bucket}/{key}/{version}/{row_number}"))
        if orders.create(order, order_id=order_id, source=f"s3://{bucket}/{key}#row={row_number}") is None:
            duplicates += 1
        else:
            created += 1
    return {"created": created, "duplicates": duplicates, "rejected": rejected}


def on_upload(event: Event, context: Any) -> dict[str, Any]:
    """S3 ObjectCreated: import the orders of an uploaded CSV (supplier,description,amount,currency,requestedBy)."""
    totals = {"created": 0, "duplicates": 0, "rejected": 0}
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        size = int(record["s3"]["object"].get("size", 0))
        version = record["s3"]["object"].get("versionId") or record["s3"]["object"].get("eTag", "")
        if size > MAX_UPLOAD_BYTES:
            logs.error("upload.rejected", bucket=bucket, key=key, reason=f"larger than {MAX_UPLOAD_BYTES} bytes")
            totals["rejected"] += 1
            continue
        body = orders.s3().get_object(Bucket=bucket, Key=key)["Body"].read()
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Retrying cannot fix the file: say so and return, rather than fail into the dead-letter queue.
            logs.error("upload.rejected", bucket=bucket, key=key, reason="not UTF-8 text")
            totals["rejected"] += 1
            continue
        result = _import_rows(bucket, key, version, text)
        logs.info(
            "upload.imported",
            bucket=bucket,
            key=key,
            ordersCreated=result["created"],
            duplicateRows=result["duplicates"],
            rejectedRows=result["rejected"],
        )
        for name, count in result.items():
            totals[name] += count
    return totals
