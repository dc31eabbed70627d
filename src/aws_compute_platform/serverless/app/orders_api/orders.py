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
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
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
# Money as text: ASCII digits, an optional sign and at most a few decimals; no exponent ("1e30"), no NaN, no
# underscores or non-ASCII digits (which Decimal() would otherwise accept). Eight decimals are read so that "12.345"
# gets the precise "at most 2 decimal places" answer; the length bound keeps Decimal away from 5,000-digit input.
_AMOUNT_TEXT = re.compile(r"[+-]?[0-9]{1,12}(?:\.[0-9]{1,8})?", re.ASCII)
_CENTS = Decimal("0.01")

# Who created or approved an order, as compared for the four-eyes rule (see web.Caller).
REQUESTER_ID = "requesterId"
APPROVER_ID = "approverId"
_INTERNAL = (REQUESTER_ID, APPROVER_ID)


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


def shown(value: Any, limit: int = 40) -> str:
    """A value as an error message quotes it: never more than `limit` characters of what the caller sent."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}... ({len(text)} characters)"


def parse_amount(value: Any, problems: list[Problem]) -> Decimal:
    """A positive amount with at most two decimals; a string ("1250.00") or a JSON number.

    Whatever the input, this returns a Decimal or records a problem: it never raises. Anything refused comes back as
    Decimal(0) with its problem, and nothing past the checks does arithmetic on an unbounded number (quantizing
    1e30 to cents needs 33 digits, more than the default context's 28, and raised InvalidOperation).
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        problems.append(Problem("amount", 'is required and must be a number or a decimal string such as "1250.00"'))
        return Decimal(0)
    if isinstance(value, str):
        text = value.strip()
        if not _AMOUNT_TEXT.fullmatch(text):
            problems.append(Problem("amount", f'must be a decimal number such as "1250.00", not {shown(value)}'))
            return Decimal(0)
        amount = Decimal(text)
    elif isinstance(value, float):
        amount = Decimal(repr(value))  # the shortest text that reads back as this float: 0.1 -> 0.1, 1e30 -> 1E+30
    else:
        amount = Decimal(value)  # int or Decimal: exact, whatever the number of digits (no str() round trip)
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        problems.append(Problem("amount", f"must be greater than 0 and at most {MAX_AMOUNT} (got {shown(value)})"))
        return Decimal(0)
    # 0 < amount <= MAX_AMOUNT: quantizing to cents stays far inside the context's 28 digits.
    cents = amount.quantize(_CENTS)
    if amount != cents:
        problems.append(Problem("amount", f"must have at most 2 decimal places (got {shown(value)})"))
        return Decimal(0)
    return cents


def validate_new_order(data: Any, requested_by: str | None = None) -> tuple[dict[str, Any], list[Problem]]:
    """Check a new order's fields; `requested_by` (the signed-in caller) replaces the body's `requestedBy`."""
    if not isinstance(data, dict):
        return {}, [Problem("body", "must be a JSON object with supplier, description, amount, currency")]
    problems: list[Problem] = []
    allowed = set(ORDER_FIELDS)
    unknown = sorted(set(data) - allowed)
    if unknown:
        problems.append(Problem(unknown[0][:100], f"is not a known field (known: {', '.join(ORDER_FIELDS)})"))
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
    """An order as the API shows it: amounts as exact decimal strings, never floats; identity keys kept inside."""
    view = {k: v for k, v in item.items() if k not in _INTERNAL}
    if isinstance(view.get("amount"), Decimal):
        view["amount"] = f"{view['amount']:.2f}"
    return view


# -- storage --------------------------------------------------------------------------------------------------------
# Clients are made on first use, not at import: importing stays free of network and credential lookups, and a warm
# function reuses them across invocations.


@functools.cache
def table() -> Any:
    return boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


@functools.cache
def s3() -> Any:
    return boto3.client("s3")


@functools.cache
def lambda_client() -> Any:
    return boto3.client("lambda")


def epoch_ms() -> int:
    """Wall-clock time in milliseconds: what import leases are measured in (one clock, so tests can move it)."""
    return int(time.time() * 1000)


def _failed_condition(exc: ClientError) -> bool:
    return bool(exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def new_item(
    order: dict[str, Any], *, requester_id: str, order_id: str | None = None, source: str | None = None
) -> dict[str, Any]:
    """A new pending order as stored: the validated fields, its id, status, creation time and requester identity."""
    item = {
        **order,
        KEY: order_id or str(uuid.uuid4()),
        STATUS: PENDING,
        CREATED_AT: now(),
        REQUESTER_ID: requester_id,
    }
    if source:
        item["source"] = source
    return item


def create(order: dict[str, Any], *, requester_id: str) -> dict[str, Any] | None:
    """Store a new pending order; None when an order with this id already exists."""
    item = new_item(order, requester_id=requester_id)
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


def approve(order_id: str, approver: str, approver_id: str) -> dict[str, Any]:
    """pending -> approved, once, by someone other than the requester.

    `approver` is shown (approvedBy); `approver_id` is compared with the requester's identity (see web.Caller). An
    order without a requester identity cannot be approved: the rule fails closed.
    """
    try:
        result = table().update_item(
            Key={KEY: order_id},
            UpdateExpression="SET #s = :approved, approvedBy = :who, #approver = :whoId, approvedAt = :at",
            ConditionExpression=(
                "attribute_exists(#id) AND #s = :pending AND attribute_exists(#requester) AND #requester <> :whoId"
            ),
            ExpressionAttributeNames={
                "#s": STATUS,
                "#id": KEY,
                "#requester": REQUESTER_ID,
                "#approver": APPROVER_ID,
            },
            ExpressionAttributeValues={
                ":approved": APPROVED,
                ":pending": PENDING,
                ":who": approver,
                ":whoId": approver_id,
                ":at": now(),
            },
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


def mark_reminded(order_id: str, not_since: str) -> bool:
    """Claim today's reminder for a pending order; False when it is no longer pending or was reminded since
    `not_since` (an earlier run, or a retry of this one, already sent it)."""
    try:
        table().update_item(
            Key={KEY: order_id},
            UpdateExpression="SET remindedAt = :at",
            ConditionExpression="#s = :pending AND (attribute_not_exists(remindedAt) OR remindedAt < :since)",
            ExpressionAttributeNames={"#s": STATUS},
            ExpressionAttributeValues={":pending": PENDING, ":at": now(), ":since": not_since},
        )
    except ClientError as exc:
        if _failed_condition(exc):
            return False
        raise
    return True


def by_status(
    status: str,
    *,
    limit: int = 100,
    start: dict[str, Any] | None = None,
    created_before: str | None = None,
    not_reminded_since: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of orders in a status, oldest first, and the key to continue from (None on the last page).

    A page can be empty and still have a continuation when `not_reminded_since` filters out everything on it.
    """
    condition = "#s = :s"
    names = {"#s": STATUS}
    values: dict[str, Any] = {":s": status}
    if created_before is not None:
        condition += " AND #c < :before"
        names["#c"] = CREATED_AT
        values[":before"] = created_before
    query: dict[str, Any] = {
        "IndexName": STATUS_INDEX,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "Limit": limit,
        "ScanIndexForward": True,
    }
    if not_reminded_since is not None:
        query["FilterExpression"] = "attribute_not_exists(remindedAt) OR remindedAt < :since"
        values[":since"] = not_reminded_since
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
    if len(token) > 1_000 or not token.isascii():  # ours are about 200 ASCII characters
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        return None
    expected = {KEY, STATUS, CREATED_AT}
    if not isinstance(key, dict) or set(key) != expected or not all(isinstance(v, str) for v in key.values()):
        return None
    return key


def named_identity(name: str) -> str:
    """The identity of someone known only by the name a body or a CSV row gives (no IAM authorization)."""
    return f"name:{name.strip().casefold()}"


# -- batch writes ---------------------------------------------------------------------------------------------------

BATCH_WRITE_MAX = 25  # BatchWriteItem: at most 25 put or delete requests per call
BATCH_GET_MAX = 100  # BatchGetItem: at most 100 keys per call
# Unprocessed items mean DynamoDB is throttling: back off exponentially (0.05 s, 0.1 s, ... capped at 2 s) and give up
# after this many rounds, which fail the invocation into Lambda's retry (the import resumes from its checkpoint).
BATCH_RETRIES = 8
# A retry round is not started with less than this much of the invocation left.
BATCH_RETRY_FLOOR_MS = 5_000


class OutOfTimeError(Exception):
    """A batch could not be finished before the invocation's time ran out; part of it may have been written."""


TimeLeft = Callable[[], int]


def _backoff(attempt: int, time_left_ms: TimeLeft) -> None:
    if attempt > BATCH_RETRIES:
        raise RuntimeError(f"DynamoDB left items unprocessed {BATCH_RETRIES} times in a row")
    delay = min(0.05 * 2 ** (attempt - 1), 2.0)
    if time_left_ms() - delay * 1000 < BATCH_RETRY_FLOOR_MS:
        raise OutOfTimeError
    time.sleep(delay)


def put_new_items(items: Sequence[dict[str, Any]], time_left_ms: TimeLeft) -> None:
    """Write items with BatchWriteItem, 25 at a time, writing again whatever DynamoDB leaves unprocessed.

    BatchWriteItem takes no condition: the caller makes sure none of these items exists yet (see existing_ids).
    `time_left_ms()` is the invocation's remaining time; OutOfTimeError when a retry would not fit.
    """
    client, name = table().meta.client, table().name
    for start in range(0, len(items), BATCH_WRITE_MAX):
        pending: list[dict[str, Any]] = [{"PutRequest": {"Item": i}} for i in items[start : start + BATCH_WRITE_MAX]]
        attempt = 0
        while pending:
            response = client.batch_write_item(RequestItems={name: pending})
            pending = response.get("UnprocessedItems", {}).get(name, [])
            if pending:
                attempt += 1
                _backoff(attempt, time_left_ms)


def existing_ids(ids: Iterable[str], time_left_ms: TimeLeft) -> set[str]:
    """Which of these order ids exist (strongly consistent reads, 100 per BatchGetItem)."""
    client, name = table().meta.client, table().name
    wanted = list(ids)
    found: set[str] = set()
    for start in range(0, len(wanted), BATCH_GET_MAX):
        request: dict[str, Any] = {
            "Keys": [{KEY: i} for i in wanted[start : start + BATCH_GET_MAX]],
            "ProjectionExpression": "#id",
            "ExpressionAttributeNames": {"#id": KEY},
            "ConsistentRead": True,
        }
        attempt = 0
        while request:
            response = client.batch_get_item(RequestItems={name: request})
            found.update(str(i[KEY]) for i in response.get("Responses", {}).get(name, []))
            request = response.get("UnprocessedKeys", {}).get(name) or {}
            if request:
                attempt += 1
                _backoff(attempt, time_left_ms)
    return found


# -- import ledger --------------------------------------------------------------------------------------------------
# One item per uploaded file version, in the orders table under a key no order can have (orders are UUIDs) and
# without a status (so the status index never shows it). It records how far the import got (`nextRow`: rows before
# it are done), the running counts, whether it is complete, and which invocation holds it (`holder`, `leaseUntil`):
# only the holder writes rows or moves the checkpoint, so two deliveries of one file never import it side by side.

LEDGER_PREFIX = "import#"
_COUNTS = ("rowsCreated", "rowsDuplicate", "rowsRejected")


def _ledger_key(import_id: str) -> dict[str, str]:
    return {KEY: f"{LEDGER_PREFIX}{import_id}"}


def claim_import(
    import_id: str, *, owner: str, lease_ms: int, source: dict[str, str] | None = None
) -> dict[str, Any] | None:
    """Take (or take back) the import of one file version for `lease_ms`; its ledger, or None when the import is
    complete or another invocation holds an unexpired lease (get_import tells which)."""
    now_ms = epoch_ms()
    values: dict[str, Any] = {":me": owner, ":until": now_ms + lease_ms, ":now": now_ms, ":zero": 0, ":one": 1}
    sets = [
        "#holder = :me",
        "leaseUntil = :until",
        "nextRow = if_not_exists(nextRow, :zero)",
        "attempts = if_not_exists(attempts, :zero) + :one",
        "startedAt = if_not_exists(startedAt, :started)",
        *(f"{c} = if_not_exists({c}, :zero)" for c in _COUNTS),
    ]
    values[":started"] = now()
    names = {"#id": KEY, "#holder": "holder"}
    for i, (name, value) in enumerate(sorted((source or {}).items())):  # placeholders: "bucket" is a reserved word
        sets.append(f"#src{i} = :src{i}")
        names[f"#src{i}"], values[f":src{i}"] = name, value
    try:
        result = table().update_item(
            Key=_ledger_key(import_id),
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression=(
                "attribute_not_exists(#id) OR "
                "(attribute_not_exists(completedAt) AND (leaseUntil < :now OR #holder = :me))"
            ),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if _failed_condition(exc):
            return None
        raise
    return dict(result["Attributes"])


def get_import(import_id: str) -> dict[str, Any] | None:
    item = table().get_item(Key=_ledger_key(import_id), ConsistentRead=True).get("Item")
    return None if item is None else dict(item)


def save_import_progress(
    import_id: str,
    *,
    owner: str,
    next_row: int,
    counts: dict[str, int],
    complete: bool = False,
    release: bool = False,
    outcome: str | None = None,
) -> bool:
    """Move the checkpoint (and the running counts) to `next_row`; False when `owner` no longer holds the import.

    `complete` closes the import for good; `release` lets the next invocation take it at once.
    """
    sets = ["nextRow = :next", *(f"{c} = :{c}" for c in _COUNTS)]
    values: dict[str, Any] = {":me": owner, ":next": next_row, **{f":{c}": int(counts.get(c, 0)) for c in _COUNTS}}
    if complete:
        sets.append("completedAt = :at")
        values[":at"] = now()
    if release or complete:
        sets.append("leaseUntil = :zero")
        values[":zero"] = 0
    if outcome:
        sets.append("outcome = :outcome")
        values[":outcome"] = outcome
    try:
        table().update_item(
            Key=_ledger_key(import_id),
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression="#holder = :me AND attribute_not_exists(completedAt)",
            ExpressionAttributeNames={"#holder": "holder"},
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if _failed_condition(exc):
            return False
        raise
    return True


def release_import(import_id: str, *, owner: str) -> bool:
    """Give the import up without moving its checkpoint (the invocation is failing): a retry may take it at once."""
    try:
        table().update_item(
            Key=_ledger_key(import_id),
            UpdateExpression="SET leaseUntil = :zero",
            ConditionExpression="#holder = :me AND attribute_not_exists(completedAt)",
            ExpressionAttributeNames={"#holder": "holder"},
            ExpressionAttributeValues={":me": owner, ":zero": 0},
        )
    except ClientError as exc:
        if _failed_condition(exc):
            return False
        raise
    return True
