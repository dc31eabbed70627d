"""Lambda entry points: four behind the HTTP API, one on uploads to S3, two on schedules."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

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
_PAGE_SIZE = re.compile(r"[0-9]{1,3}", re.ASCII)  # str.isdigit() also says yes to "²", which int() refuses
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# The processing job stops taking new orders when less than this is left, and leaves them for its next run.
SAFETY_MARGIN_MS = 10_000
DOCUMENT_PREFIX = "purchase-orders/"
IMPORT_NAMESPACE = uuid.UUID("6f1c8a52-3f7e-4d0b-9a57-0d7f2c1e9b41")

# Imports. Rows are written in chunks: each chunk's new orders go out in BatchWriteItem calls of 25, then the
# file's checkpoint moves past the chunk. 500 rows is 20 batch calls (about a second against DynamoDB).
IMPORT_CHUNK_ROWS = 500
# No chunk is started with less than this left: it covers a slow chunk, the checkpoint and the hand-over call.
IMPORT_MARGIN_MS = 10_000
# An import's lease outlives its invocation by this much (the invocation cannot run past its timeout).
LEASE_SLACK_MS = 5_000
# Each invocation hands the rest of a file to the next; a 5 MiB file needs two or three. The cap stops a file that
# makes no progress from invoking the function forever, and keeps the chain far below the 16 invocations after which
# Lambda's recursive loop detection stops an event chain (Lambda developer guide, "recursive loop detection").
MAX_IMPORT_HOPS = 10
CONTINUE_IMPORT = "continueImport"
IMPORT_COLUMNS = ("supplier", "description", "amount", "currency", "requestedBy")

# Reminders: the job stops with this much left, and reminds an order at most once in this interval, so a second run
# on the same day (Lambda's retry after a timeout, or someone re-running it) carries on where the first stopped.
REMIND_MARGIN_MS = 10_000
REMIND_INTERVAL = timedelta(hours=20)


def _order_id(event: Event) -> str:
    order_id = path_parameter(event, "id")
    if not orders.is_order_id(order_id):
        raise BadRequestError(
            "the order id is malformed",
            [Problem("id", f"must be an order id (a UUID), not {orders.shown(order_id)}")],
        )
    return order_id.lower()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- HTTP API -------------------------------------------------------------------------------------------------------


@http_handler
def list_orders(event: Event, context: Any) -> Response:
    """GET /orders?status=pending&limit=50&nextToken=..."""
    problems: list[Problem] = []
    status = query_parameter(event, "status") or orders.PENDING
    if status not in orders.STATUSES:
        problems.append(Problem("status", f"must be one of: {', '.join(orders.STATUSES)} (got {orders.shown(status)})"))
    raw_limit = query_parameter(event, "limit")
    limit = DEFAULT_PAGE
    if raw_limit is not None:
        if not _PAGE_SIZE.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= MAX_PAGE:
            problems.append(
                Problem("limit", f"must be a whole number from 1 to {MAX_PAGE} (got {orders.shown(raw_limit)})")
            )
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
    who = caller(event)
    order, problems = orders.validate_new_order(json_body(event), requested_by=who.arn if who else None)
    if problems:
        raise BadRequestError("the order is invalid", problems)
    requester_id = who.identity if who else orders.named_identity(order["requestedBy"])
    item = orders.create(order, requester_id=requester_id)
    if item is None:  # a freshly drawn UUID4 collided: practically never, but never overwrite an order
        return error(409, "an order with this id already exists; retry")
    logs.info("order.created", orderId=item["id"], amount=str(item["amount"]), currency=item["currency"])
    return respond(201, orders.public(item), headers={"location": f"/orders/{item['id']}"})


@http_handler
def approve_order(event: Event, context: Any) -> Response:
    """POST /orders/{id}/approve, optionally with {approvedBy} when the API is not behind IAM authorization.

    Nobody approves an order they requested. With IAM authorization, "they" is the caller's stable identity
    (web.Caller), not the ARN: an assumed-role ARN ends in a session name the caller chooses, so a second session
    of the same role would otherwise pass for someone else.
    """
    order_id = _order_id(event)
    data = json_body(event, required=False)
    if not isinstance(data, dict):
        raise BadRequestError("the body must be a JSON object", [Problem("body", "must be a JSON object")])
    unknown = sorted(set(data) - {"approvedBy"})
    if unknown:
        raise BadRequestError(
            "the body has unknown fields",
            [Problem(unknown[0][:100], "is not a known field (known: approvedBy)")],
        )
    who = caller(event)
    if who is not None:
        approver, approver_id = who.arn, who.identity
    else:
        named = data.get("approvedBy")
        if not isinstance(named, str) or not named.strip() or len(named) > 200:
            raise BadRequestError(
                "who approves is unknown",
                [Problem("approvedBy", "is required and must be a non-empty string of at most 200 characters")],
            )
        approver, approver_id = named.strip(), orders.named_identity(named)
    try:
        item = orders.approve(order_id, approver, approver_id)
    except orders.OrderNotFoundError:
        return error(404, f"order {order_id} does not exist")
    except orders.ConflictError as exc:
        return error(409, str(exc))
    except orders.ForbiddenError as exc:
        return error(403, str(exc))
    logs.info("order.approved", orderId=order_id, approvedBy=item["approvedBy"])
    return respond(200, orders.public(item))


# -- processing -----------------------------------------------------------------------------------------------------


def _remaining_ms(context: Any) -> int:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return int(remaining()) if callable(remaining) else 900_000


def _document(order: dict[str, Any]) -> bytes:
    """The purchase-order document handed to the supplier: the approved order, frozen at processing time."""
    return json.dumps(
        {"purchaseOrder": orders.public(order), "issuedAt": orders.now()}, indent=2, sort_keys=True
    ).encode()


def _issue_document(bucket: str, key: str, order: dict[str, Any]) -> str:
    """Write the order's document unless one exists: "written", "kept" (issued before) or "busy" (being written).

    The write is conditional (If-None-Match: *, S3 conditional writes; s3:PutObject is the only permission it
    needs), so an issued document never changes: not when the status index (eventually consistent) still shows a
    processed order as approved, and not when a run died between the document and the status change and the next
    run finishes the order. Needs a boto3 with PutObject's IfNoneMatch (1.35 or later; the runtime's has it).
    """
    try:
        orders.s3().put_object(
            Bucket=bucket, Key=key, Body=_document(order), ContentType="application/json", IfNoneMatch="*"
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code == "PreconditionFailed":  # 412: the document exists
            return "kept"
        if code == "ConditionalRequestConflict":  # 409: another run is writing it right now
            return "busy"
        raise
    return "written"


def process_orders(event: Event, context: Any) -> dict[str, Any]:
    """Scheduled: write each approved order's document to S3 (once, never rewritten), then mark it processed."""
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
            # The document comes first: a crash in between leaves an approved order whose document exists, and the
            # next run keeps that document and only changes the status; never a processed order without one.
            outcome = _issue_document(bucket, key, order)
            if outcome == "busy":
                skipped += 1
                logs.info("order.document_in_progress", orderId=order["id"])
                continue
            if outcome == "kept":
                logs.info("order.document_kept", orderId=order["id"], document=f"s3://{bucket}/{key}")
            if orders.mark_processed(order["id"], key):
                processed += 1
                logs.info("order.processed", orderId=order["id"], document=f"s3://{bucket}/{key}")
            else:
                skipped += 1
                logs.info("order.already_processed", orderId=order["id"])
        if start is None:
            return {"processed": processed, "skipped": skipped, "complete": True}


# -- reminders ------------------------------------------------------------------------------------------------------


def send_reminder(order: dict[str, Any], pending_days: int) -> None:
    """Tell the approvers about one order waiting for approval.

    A WARNING log event (`order.awaiting_approval`) always, and, when the stack gives the function the approvers'
    SNS topic (APPROVERS_TOPIC_ARN), an email through it to every confirmed approver: the order's id, supplier,
    amount, requester and how long it has waited. A topic rather than SES: approvers subscribe and unsubscribe
    themselves (SNS emails each a confirmation link), no sender identity or domain has to be verified, no SES
    sandbox limits who may receive it, and the message is encrypted with the stack key like everything else.
    """
    details = {
        "orderId": order["id"],
        "supplier": order.get("supplier"),
        "amount": str(order.get("amount")),
        "currency": order.get("currency"),
        "createdAt": order[orders.CREATED_AT],
        "pendingDays": pending_days,
    }
    logs.warning("order.awaiting_approval", **details)
    topic_arn = os.environ.get("APPROVERS_TOPIC_ARN")
    if not topic_arn:
        return
    amount = f"{order.get('amount')} {order.get('currency') or ''}".strip()
    lines = [
        f"Purchase order {order['id']} has been waiting for approval for more than {pending_days} days.",
        "",
        f"Supplier:     {order.get('supplier')}",
        f"Description:  {order.get('description')}",
        f"Amount:       {amount}",
        f"Requested by: {order.get('requestedBy')}",
        f"Created:      {order[orders.CREATED_AT]}",
        "",
        f"Approve it with POST /orders/{order['id']}/approve.",
    ]
    _approvers().publish(
        TopicArn=topic_arn,
        # SNS email subjects: ASCII, at most 100 characters, no line breaks.
        Subject=_subject(f"Purchase order awaiting approval: {order.get('supplier')}"),
        Message="\n".join(lines),
        MessageAttributes={"orderId": {"DataType": "String", "StringValue": str(order["id"])}},
    )


def _subject(text: str) -> str:
    """An SNS email subject: printable ASCII on one line, at most 100 characters."""
    return " ".join(text.split()).encode("ascii", "replace").decode()[:100]


@functools.cache
def _approvers() -> Any:
    """The SNS client the reminders go through (one per execution environment)."""
    return boto3.client("sns")


def remind_pending(event: Event, context: Any) -> dict[str, Any]:
    """Scheduled: remind the approvers of every order pending for longer than REMIND_AFTER_DAYS.

    Each order is claimed (remindedAt, conditionally) before its reminder goes out, so two runs never both send it;
    a run stops before its timeout and leaves the rest to the next run.
    """
    days = int(os.environ.get("REMIND_AFTER_DAYS", "3"))
    moment = datetime.now(UTC)
    cutoff, not_since = _stamp(moment - timedelta(days=days)), _stamp(moment - REMIND_INTERVAL)
    reminded = 0
    start: dict[str, Any] | None = None
    while True:
        items, start = orders.by_status(
            orders.PENDING, start=start, created_before=cutoff, not_reminded_since=not_since
        )
        for order in items:
            if _remaining_ms(context) < REMIND_MARGIN_MS:
                logs.warning("orders.reminders_deferred", reminded=reminded, reason="time is running out")
                return {"reminded": reminded, "olderThanDays": days, "complete": False}
            if orders.mark_reminded(order["id"], not_since):
                send_reminder(order, days)
                reminded += 1
        if start is None:
            logs.info("orders.reminders_sent", reminded=reminded, olderThanDays=days)
            return {"reminded": reminded, "olderThanDays": days, "complete": True}


# -- uploads --------------------------------------------------------------------------------------------------------
#
# A file is imported by one invocation at a time, in chunks, with a checkpoint after each chunk (the ledger item in
# the orders table, see orders.claim_import). When its time runs low, an invocation saves the checkpoint and hands
# the rest to the function itself: an asynchronous Invoke (InvocationType=Event) of its own ARN with a small
# `continueImport` event. Why this way:
# - the checkpoint lives with the orders (no new table or queue), and a conditional write makes only the
#   invocation holding the file move it, so a duplicate notification cannot import the file a second time beside
#   the first;
# - an asynchronous invoke gets Lambda's retries and the on-failure destination (the failed-events queue) like the
#   S3 notification does, and it needs only lambda:InvokeFunction on the function itself;
# - a continuation carries where the file is, not where the import stands: the ledger says that, so a continuation
#   delivered twice, or a retried S3 notification, resumes from the same checkpoint and writes nothing twice.
# BatchWriteItem takes no condition, so a row is written only once its id is known not to exist: ids are
# deterministic per file version and row, rows past the checkpoint are unwritten except for those of the one chunk
# an earlier invocation may have been writing when it died, and that chunk is checked (BatchGetItem) before it is
# written again. An order approved meanwhile is therefore never written back to pending.


@dataclass(frozen=True)
class Upload:
    """One uploaded file version: the object's bucket and key, and its version id (or, unversioned, its ETag)."""

    bucket: str
    key: str
    version: str | None
    etag: str | None

    @property
    def seed(self) -> str:
        return self.version or self.etag or ""

    def describe(self) -> dict[str, str]:
        return {"bucket": self.bucket, "key": self.key, "version": self.seed}

    def continuation(self, hop: int) -> dict[str, Any]:
        return {
            CONTINUE_IMPORT: {
                "bucket": self.bucket,
                "key": self.key,
                "version": self.version,
                "etag": self.etag,
                "hop": hop,
            }
        }


def import_id(bucket: str, key: str, version: str) -> str:
    """The ledger id of one file version's import."""
    return str(uuid.uuid5(IMPORT_NAMESPACE, f"{bucket}/{key}/{version}"))


def _row_order_id(upload: Upload, row_number: int) -> str:
    # The same file version imports each row under the same id, however often it is delivered or resumed.
    return str(uuid.uuid5(IMPORT_NAMESPACE, f"{upload.bucket}/{upload.key}/{upload.seed}/{row_number}"))


def hand_over(context: Any, payload: dict[str, Any]) -> None:
    """Invoke this function again, asynchronously, with `payload` (the rest of an import)."""
    orders.lambda_client().invoke(
        FunctionName=context.invoked_function_arn, InvocationType="Event", Payload=json.dumps(payload).encode()
    )


class _RejectedFileError(Exception):
    """The file itself cannot be imported; retrying cannot change that."""

    def __init__(self, event: str, reason: str, *, counts_as_rejected: bool = True) -> None:
        super().__init__(reason)
        self.event = event
        self.counts_as_rejected = counts_as_rejected


def _read(upload: Upload) -> str:
    """The text of exactly the file version the notification names."""
    request: dict[str, Any] = {"Bucket": upload.bucket, "Key": upload.key}
    if upload.version:
        request["VersionId"] = upload.version  # needs s3:GetObjectVersion
    elif upload.etag:
        request["IfMatch"] = f'"{upload.etag}"'  # an unversioned bucket: only if it still holds this content
    try:
        response = orders.s3().get_object(**request)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in {"NoSuchKey", "NoSuchVersion"}:
            raise _RejectedFileError("upload.missing", "the object was deleted before it was imported") from exc
        if code == "PreconditionFailed":
            # Overwritten since: the newer content has its own notification and is imported under its own ETag.
            raise _RejectedFileError(
                "upload.superseded", "the object was overwritten before it was imported", counts_as_rejected=False
            ) from exc
        raise
    body = response["Body"].read(MAX_UPLOAD_BYTES + 1)
    if len(body) > MAX_UPLOAD_BYTES:
        raise _RejectedFileError("upload.rejected", f"larger than {MAX_UPLOAD_BYTES} bytes")
    try:
        return str(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise _RejectedFileError("upload.rejected", "not UTF-8 text") from exc


def _records(text: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(row number, row, problem) for each record after the header; a record the csv module cannot read comes with
    its problem (a field past the 131,072-character limit, ...) and the records after it still come."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        columns = reader.fieldnames or []
    except csv.Error as exc:
        raise _RejectedFileError("upload.rejected", f"the header cannot be read ({exc})") from exc
    missing = [c for c in IMPORT_COLUMNS if c not in columns]
    if missing:
        raise _RejectedFileError("upload.rejected", f"missing columns: {', '.join(missing)}")
    row_number = 1  # row 1 is the header
    while True:
        row_number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield row_number, None, str(exc)
            continue
        yield row_number, {k: v for k, v in row.items() if k}, None


class _Import:
    """One invocation's share of a file's import."""

    def __init__(self, upload: Upload, context: Any, hop: int) -> None:
        self.upload, self.context, self.hop = upload, context, hop
        self.id = import_id(upload.bucket, upload.key, upload.seed)
        self.owner = str(getattr(context, "aws_request_id", "") or uuid.uuid4())
        self.counts = {"created": 0, "duplicates": 0, "rejected": 0, "continued": 0}
        self.totals: dict[str, int] = {}
        self.next_row = 0  # rows before this one (0 = the first after the header) are done

    def time_left(self) -> int:
        return _remaining_ms(self.context)

    def _ledger_counts(self) -> dict[str, int]:
        return {
            "rowsCreated": self.totals["rowsCreated"] + self.counts["created"],
            "rowsDuplicate": self.totals["rowsDuplicate"] + self.counts["duplicates"],
            "rowsRejected": self.totals["rowsRejected"] + self.counts["rejected"],
        }

    def run(self) -> dict[str, int]:
        ledger = orders.claim_import(
            self.id, owner=self.owner, lease_ms=self.time_left() + LEASE_SLACK_MS, source=self.upload.describe()
        )
        if ledger is None:
            return self._not_ours()
        self.totals = {c: int(ledger.get(c, 0)) for c in ("rowsCreated", "rowsDuplicate", "rowsRejected")}
        try:
            return self._import(int(ledger["nextRow"]), resumed=int(ledger["attempts"]) > 1)
        except Exception:
            orders.release_import(self.id, owner=self.owner)  # Lambda's retry can take the file back at once
            raise

    def _not_ours(self) -> dict[str, int]:
        ledger = orders.get_import(self.id) or {}
        if ledger.get("completedAt"):
            done = int(ledger.get("rowsCreated", 0)) + int(ledger.get("rowsDuplicate", 0))
            logs.info("upload.already_imported", **self.upload.describe(), rows=done)
            return {**self.counts, "duplicates": done}
        logs.info("upload.in_progress", **self.upload.describe(), heldBy=str(ledger.get("holder")))
        return self.counts

    def _finish(self, next_row: int, outcome: str | None = None) -> None:
        orders.save_import_progress(
            self.id,
            owner=self.owner,
            next_row=next_row,
            counts=self._ledger_counts(),
            complete=True,
            outcome=outcome,
        )

    def _import(self, next_row: int, *, resumed: bool) -> dict[str, int]:
        """Import from row `next_row` on; `resumed`: an earlier invocation held the file and may have written part
        of the chunk that starts there."""
        self.next_row = next_row
        try:
            records = _records(_read(self.upload))
            chunk: list[tuple[int, dict[str, Any] | None, str | None]] = []
            first = True
            for record in records:
                if record[0] - 2 < next_row:
                    continue  # done by an earlier invocation
                chunk.append(record)
                if len(chunk) == IMPORT_CHUNK_ROWS:
                    if not self._chunk(chunk, check_existing=first and resumed):
                        return self.counts
                    first, chunk = False, []
            if chunk and not self._chunk(chunk, check_existing=first and resumed):
                return self.counts
        except _RejectedFileError as rejected:
            logs.error(rejected.event, **self.upload.describe(), reason=str(rejected))
            self._finish(self.next_row, outcome=f"{rejected.event}: {rejected}")  # retrying cannot change it
            if rejected.counts_as_rejected:
                self.counts["rejected"] += 1  # the file, not a row: the ledger's row counts leave it out
            return self.counts
        self._finish(self.next_row)
        totals = self._ledger_counts()
        logs.info(
            "upload.imported",
            **self.upload.describe(),
            ordersCreated=totals["rowsCreated"],
            duplicateRows=totals["rowsDuplicate"],
            rejectedRows=totals["rowsRejected"],
            invocations=self.hop + 1,
        )
        return self.counts

    def _chunk(self, chunk: list[tuple[int, dict[str, Any] | None, str | None]], *, check_existing: bool) -> bool:
        """Write one chunk and move the checkpoint past it; False when this invocation stops (hand-over, lost
        lease)."""
        start_row = chunk[0][0] - 2
        if self.time_left() < IMPORT_MARGIN_MS:
            self._hand_over(start_row)
            return False
        items: list[dict[str, Any]] = []
        for row_number, row, problem in chunk:
            order, problems = (
                orders.validate_new_order(row)
                if row is not None
                else ({}, [Problem("row", f"cannot be read as CSV ({problem})")])
            )
            if problems:
                self.counts["rejected"] += 1
                logs.warning(
                    "upload.row_rejected", key=self.upload.key, row=row_number, errors=[p.as_dict() for p in problems]
                )
                continue
            items.append(
                orders.new_item(
                    order,
                    requester_id=orders.named_identity(order["requestedBy"]),
                    order_id=_row_order_id(self.upload, row_number),
                    source=f"s3://{self.upload.bucket}/{self.upload.key}#row={row_number}",
                )
            )
        try:
            if check_existing and items:
                there = orders.existing_ids((i[orders.KEY] for i in items), self.time_left)
                self.counts["duplicates"] += len(there)
                items = [i for i in items if i[orders.KEY] not in there]
            orders.put_new_items(items, self.time_left)
        except orders.OutOfTimeError:
            # Part of this chunk may be written: the checkpoint stays before it, and the next invocation checks it.
            self._hand_over(start_row)
            return False
        self.counts["created"] += len(items)
        self.next_row = chunk[-1][0] - 1
        if not orders.save_import_progress(
            self.id, owner=self.owner, next_row=self.next_row, counts=self._ledger_counts()
        ):
            logs.warning("upload.lease_lost", **self.upload.describe(), nextRow=self.next_row)
            return False
        return True

    def _hand_over(self, next_row: int) -> None:
        if not orders.save_import_progress(
            self.id, owner=self.owner, next_row=next_row, counts=self._ledger_counts(), release=True
        ):
            logs.warning("upload.lease_lost", **self.upload.describe(), nextRow=next_row)
            return
        if self.hop + 1 > MAX_IMPORT_HOPS:
            # Checkpoint saved and the file released: Lambda's retry, or a redrive from the failed-events queue,
            # resumes it.
            logs.error("upload.too_many_invocations", **self.upload.describe(), nextRow=next_row, hops=self.hop)
            raise RuntimeError(f"the import of {self.upload.key} is still unfinished after {self.hop + 1} invocations")
        hand_over(self.context, self.upload.continuation(self.hop + 1))
        self.counts["continued"] += 1
        logs.info("upload.continued", **self.upload.describe(), nextRow=next_row, hop=self.hop + 1)


def _uploads(event: Event) -> Iterator[tuple[Upload | None, int]]:
    """The file versions an event asks to import, with the hop count (None: a file refused outright)."""
    if CONTINUE_IMPORT in event:
        rest = event[CONTINUE_IMPORT]
        yield Upload(rest["bucket"], rest["key"], rest.get("version"), rest.get("etag")), int(rest.get("hop", 1))
        return
    for record in event.get("Records", []):
        s3_object = record["s3"]["object"]
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(s3_object["key"])
        if int(s3_object.get("size", 0)) > MAX_UPLOAD_BYTES:
            logs.error("upload.rejected", bucket=bucket, key=key, reason=f"larger than {MAX_UPLOAD_BYTES} bytes")
            yield None, 0
            continue
        yield Upload(bucket, key, s3_object.get("versionId") or None, s3_object.get("eTag") or None), 0


def on_upload(event: Event, context: Any) -> dict[str, Any]:
    """S3 ObjectCreated (or this function's own continuation): import the orders of an uploaded CSV
    (supplier,description,amount,currency,requestedBy).

    Returns this invocation's counts: orders created, rows found already imported, rows (or files) rejected, and
    imports handed on to a further invocation.
    """
    totals = {"created": 0, "duplicates": 0, "rejected": 0, "continued": 0}
    for upload, hop in _uploads(event):
        if upload is None:
            totals["rejected"] += 1
            continue
        for name, count in _Import(upload, context, hop).run().items():
            totals[name] += count
    return totals
