"""Purchase orders: what a valid order is, and how it moves from pending to approved to processed.

Every state change is a conditional write, so two approvers clicking at once, or an approval racing the
processing job, cannot both win: DynamoDB refuses the second write and the caller is told why.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import boto3
from botocore.exceptions import ClientError

# The table's key and index: the only attributes the table declares (the others are schemaless).
KEY = "id"
STATUS = "status"
CREATED_AT = "createdAt"
STATUS_INDEX = "by-status"

PENDING, APPROVED, PROCESSED = "pending", "approved", "processed"
STATUSES = (PENDING, APPROVED, PROCESSED)

MAX_AMOUNT = Decimal("10000000")
ORDER_FIELDS = ("supplier", "description", "amount", "currency", "requestedBy")
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: which field and what is allowed."""

    field: str
    problem: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "problem": self.problem}


class OrderNotFoundError(Exception):
    """No order has this id."""


class ConflictError(Exception):
    """The order exists but its state does not allow the change (already approved, already processed, ...)."""

    def __init__(self, message: str, order: dict[str, Any]) -> None:
        super().__init__(message)
        self.order = order


class ForbiddenError(Exception):
    """The change is not allowed for this caller (approving one's own order)."""


def now() -> str:
    """UTC time as ISO 8601 with a `Z`: sorts as text, which the status index relies on."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: Any, field: str, limit: int, problems: list[Problem]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(field, "is required and must be a non-empty string"))
        return ""
    if len(value) > limit:
        problems.append(Problem(field, f"must be at most {limit} characters (got {len(value)})"))
    return value.strip()


def parse_amount(value: Any, problems: list[Problem]) -> Decimal:
    """A positive amount with at most two decimals; a string ("1250.00") or a JSON number."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        problems.append(Problem("amount", 'is required and must be a number or a decimal string such as "1250.00"'))
        return Decimal(0)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        problems.append(Problem("amount", f"must be a decimal number, not {value!r}"))
        return Decimal(0)
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        problems.append(Problem("amount", f"must be greater than 0 and at most {MAX_AMOUNT} (got {value})"))
    elif amount != amount.quantize(Decimal("0.01")):
        problems.append(Problem("amount", f"must have at most 2 decimal places (got {value})"))
    return amount.quantize(Decimal("0.01")) if amount.is_finite() else Decimal(0)


def validate_new_order(data: Any, requested_by: str | None = None) -> tuple[dict[str, Any], list[Problem]]:
    """Check a new order's fields; `requested_by` (the signed-in caller) replaces the body's `requestedBy`."""
    if not isinstance(data, dict):
        return {}, [Problem("body", "must be a JSON object with supplier, description, amount, currency")]
    problems: list[Problem] = []
    allowed = set(ORDER_FIELDS)
    unknown = sorted(set(data) - allowed)
    if unknown:
        problems.append(Problem(unknown[0], f"is not a known field (known: {', '.join(ORDER_FIELDS)})"))
    order = {
        "supplier": _text(data.get("supplier"), "supplier", 200, problems),
        "description": _text(data.get("description"), "description", 1000, problems),
        "amount": parse_amount(data.get("amount"), problems),
        "currency": data.get("currency"),
        "requestedBy": requested_by or _text(data.get("requestedBy"), "requestedBy", 200, problems),
    }
    if not isinstance(order["currency"], str) or not _CURRENCY.fullmatch(order["currency"]):
        problems.append(Problem("currency", "must be a three-letter ISO 4217 code in capitals, such as EUR or USD"))
    return order, problems


def is_order_id(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def public(item: dict[str, Any]) -> dict[str, Any]:
    """An order as the API shows it: amounts as exact decimal strings, never floats."""
    shown = dict(item)
    if isinstance(shown.get("amount"), Decimal):
        shown["amount"] = f"{shown['amount']:.2f}"
    return shown


# -- storage --------------------------------------------------------------------------------------------------------
# Clients are made on first use, not at import: importing stays free of network and credential lookups, and a warm
# function reuses them across invocations.


@functools.cache
def table() -> Any:
    return boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


@functools.cache
def s3() -> Any:
    return boto3.client("s3")


def _failed_condition(exc: ClientError) -> bool:
    return bool(exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def create(order: dict[str, Any], *, order_id: str | None = None, source: str | None = None) -> dict[str, Any] | None:
    """Store a new pending order; None when an order with this id already exists (a repeated import)."""
    item = {
        **order,
        KEY: order_id or str(uuid.uuid4()),
        STATUS: PENDING,
        CREATED_AT: now(),
    }
    if source:
        item["source"] = source
    try:
        table().put_item(
            Item=item, ConditionExpression="attribute_not_exists(#id)", ExpressionAttributeNames={"#id": KEY}
        )
    except ClientError as exc:
        if _failed_condition(exc):
            return None
        raise
    return item


def get(order_id: str) -> dict[str, Any]:
    item = table().get_item(Key={KEY: order_id}).get("Item")
    if item is None:
        raise OrderNotFoundError(order_id)
    return dict(item)


def approve(order_id: str, approver: str) -> dict[str, Any]:
    """pending -> approved, once, by someone other than the requester."""
    try:
        result = table().update_item(
            Key={KEY: order_id},
            UpdateExpression="SET #s = :approved, approvedBy = :who, approvedAt = :at",
            ConditionExpression="attribute_exists(#id) AND #s = :pending AND requestedBy <> :who",
            ExpressionAttributeNames={"#s": STATUS, "#id": KEY},
            ExpressionAttributeValues={":approved": APPROVED, ":pending": PENDING, ":who": approver, ":at": now()},
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if not _failed_condition(exc):
            raise
        current = get(order_id)  # raises OrderNotFoundError
        if current[STATUS] != PENDING:
            raise ConflictError(f"order {order_id} is already {current[STATUS]}", current) from exc
        raise ForbiddenError("an order cannot be approved by the person who requested it") from exc
    return dict(result["Attributes"])


def mark_processed(order_id: str, document_key: str) -> bool:
    """approved -> processed; False when another run got there first."""
    try:
        table().update_item(
            Key={KEY: order_id},
            UpdateExpression="SET #s = :processed, processedAt = :at, documentKey = :doc",
            ConditionExpression="#s = :approved",
            ExpressionAttributeNames={"#s": STATUS},
            ExpressionAttributeValues={
                ":processed": PROCESSED,
                ":approved": APPROVED,
                ":at": now(),
                ":doc": document_key,
            },
        )
    except ClientError as exc:
        if _failed_condition(exc):
            return False
        raise
    return True


def mark_reminded(order_id: str) -> bool:
    try:
        table().update_item(
            Key={KEY: order_id},
            UpdateExpression="SET remindedAt = :at",
            ConditionExpression="#s = :pending",
            ExpressionAttributeNames={"#s": STATUS},
            ExpressionAttributeValues={":pending": PENDING, ":at": now()},
        )
    except ClientError as exc:
        if _failed_condition(exc):
            return False
        raise
    return True


def by_status(
    status: str, *, limit: int = 100, start: dict[str, Any] | None = None, created_before: str | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of orders in a status, oldest first, and the key to continue from (None on the last page)."""
    condition = "#s = :s"
    values: dict[str, Any] = {":s": status}
    if created_before is not None:
        condition += " AND #c < :before"
        values[":before"] = created_before
    query: dict[str, Any] = {
        "IndexName": STATUS_INDEX,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": {"#s": STATUS, **({"#c": CREATED_AT} if created_before else {})},
        "ExpressionAttributeValues": values,
        "Limit": limit,
        "ScanIndexForward": True,
    }
    if start:
        query["ExclusiveStartKey"] = start
    page = table().query(**query)
    return [dict(i) for i in page.get("Items", [])], page.get("LastEvaluatedKey")


def encode_token(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode()


def decode_token(token: str) -> dict[str, Any] | None:
    """The continuation key from a `nextToken`; None when the token is not one this API gave out."""
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    expected = {KEY, STATUS, CREATED_AT}
    if not isinstance(key, dict) or set(key) != expected or not all(isinstance(v, str) for v in key.values()):
        return None
    return key
