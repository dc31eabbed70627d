"""Payroll uploads: the web tier stores a CSV in S3 and queues it; the worker tier checks it and emails the result.

One plain WSGI callable, `application`, serves both Elastic Beanstalk environments (the Python platform runs it
with Gunicorn behind nginx); PAYROLL_TIER says which: `web_application` (sign-in, the page, uploads) or
`worker_application` (the jobs sqsd posts from localhost). The web tier has no worker route at all, and the worker
tier no page. Nothing here ever holds a whole file: the upload is checked as it streams to S3, and the worker reads
the object back row by row.

Every web request but the health check needs a signed-in user (signin.py): a browser is sent to sign in, an API call
gets 401. The result email goes to the signed-in user's verified address, never to one typed into the request.

Settings come from environment properties: PAYROLL_TIER, UPLOADS_BUCKET, JOBS_QUEUE_URL, SENDER_EMAIL, the sign-in's
(OIDC_ISSUER, OIDC_CLIENT_ID, PUBLIC_URL, SIGNIN_PARAMETER: see signin.py), and optionally
MAX_UPLOAD_BYTES (web), JOB_TIMEOUT_SECONDS (both; also read by gunicorn.conf.py) and MAX_RECEIVE_COUNT
(worker: the queue's maxReceiveCount, so the last attempt can tell the uploader). boto3 finds credentials, region
and (for local runs) AWS_ENDPOINT_URL itself.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs

import boto3
import payroll_csv
import signin
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

log = logging.getLogger("payroll")
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")

APP_DIR = Path(__file__).resolve().parent
UPLOAD_PREFIX = "uploads/"
RESULT_PREFIX = "results/"
NOTICE_PREFIX = "notices/"
CLAIM_PREFIX = "claims/"
READ_CHUNK = 64 * 1024
MAX_HEADER_BYTES = 4096
MiB = 1024 * 1024
# The app's own limit; nginx's client_max_body_size (.platform/nginx/conf.d/payroll.conf) is 1 MiB larger, so a
# file just over this limit gets the app's clear JSON answer rather than nginx's HTML page.
DEFAULT_MAX_UPLOAD_BYTES = 100 * MiB
# How long one request may run (Gunicorn's `timeout`, see gunicorn.conf.py). sqsd's InactivityTimeout accepts at
# most 36000 s and must be longer than this, so this must be shorter.
DEFAULT_JOB_TIMEOUT_S = 3600
MIN_JOB_TIMEOUT_S, MAX_JOB_TIMEOUT_S = 10, 35_999
# A job stops itself this long before Gunicorn would kill it, so that its last attempt can still email the uploader.
JOB_STOP_MARGIN_S = 60
# Multipart parts of 8 MiB, uploaded two at a time. The request body is not seekable, so s3transfer copies each part
# into memory: at most max_in_memory_upload_chunks parts wait or travel, plus the one part being read (s3transfer's
# own formula), so (2 + 1) x 8 MiB = 24 MiB of parts, plus the part CheckedUpload.read assembles and what botocore
# copies while sending. Peak RSS growth measured by benchmarks/payroll_upload_memory.py for a 100 MiB upload: about
# 36 MiB, against about 71 MiB with s3transfer's default of 10 parts; it does not grow with the file's size.
# Each Gunicorn worker runs one upload at a time, so a web instance needs this per worker process.
UPLOAD_PART_BYTES = 8 * MiB
UPLOAD_PARTS_IN_MEMORY = 2


def _transfer_config() -> TransferConfig:
    config = TransferConfig(
        multipart_threshold=UPLOAD_PART_BYTES,
        multipart_chunksize=UPLOAD_PART_BYTES,
        max_concurrency=2,
        # The CRT transfer client, if installed, manages memory its own way: the bound above is the classic one's.
        preferred_transfer_client="classic",
    )
    # boto3's constructor does not take this s3transfer setting (default 10), but the manager reads the attribute.
    config.max_in_memory_upload_chunks = UPLOAD_PARTS_IN_MEMORY
    return config


TRANSFER = _transfer_config()
# A claim is taken just before an email is sent and settled seconds later (one SES call, one PUT). A delivery that
# finds someone else's claim waits this long for that email's notice before asking sqsd to try again later.
CLAIM_WAIT_S = 20.0
CLAIM_POLL_S = 0.25
# A claim older than this was left by an instance that died between claiming and sending: it may be taken over.
# Longer than the SES client can take with the timeouts and retries below (3 attempts x (10 s + 20 s) + backoff).
CLAIM_LEASE_S = 300
SES_CONFIG = Config(connect_timeout=10, read_timeout=20, retries={"max_attempts": 3, "mode": "standard"})
_EMAIL = re.compile(r"[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
_JOB_ID = re.compile(r"[0-9a-f]{32}")
# Replaced by tests to move time on without waiting.
_clock: Callable[[], float] = time.monotonic
_now: Callable[[], float] = time.time
_sleep: Callable[[float], None] = time.sleep

StartResponse = Callable[..., Any]


class BadRequestError(Exception):
    """The request can never succeed as sent: answer 4xx with this message."""

    def __init__(self, message: str, status: str = "400 Bad Request") -> None:
        super().__init__(message)
        self.status = status


class RetryLaterError(Exception):
    """Another delivery of the same message is finishing the job: answer 409 so sqsd tries again later."""


class JobTimeoutError(Exception):
    """The job ran out of its time (JOB_TIMEOUT_SECONDS) before Gunicorn would have killed it."""


def setting(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError(f"environment property {name} is not set")
    return value


def job_timeout_seconds() -> int:
    """JOB_TIMEOUT_SECONDS: the same value, with the same rules, as gunicorn.conf.py's `timeout`."""
    raw = os.environ.get("JOB_TIMEOUT_SECONDS", "").strip()
    try:
        timeout = int(raw or DEFAULT_JOB_TIMEOUT_S)
    except ValueError:
        timeout = 0
    if not MIN_JOB_TIMEOUT_S <= timeout <= MAX_JOB_TIMEOUT_S:
        raise RuntimeError(
            f"environment property JOB_TIMEOUT_SECONDS must be a whole number of seconds from {MIN_JOB_TIMEOUT_S} "
            f"to {MAX_JOB_TIMEOUT_S}, not {raw!r}"
        )
    return timeout


def job_deadline_seconds() -> float:
    """How long a job may run before stopping itself: a margin (at most a tenth) before Gunicorn's timeout."""
    timeout = job_timeout_seconds()
    return timeout - min(JOB_STOP_MARGIN_S, timeout / 10)


def max_upload_bytes() -> int:
    raw = os.environ.get("MAX_UPLOAD_BYTES", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_UPLOAD_BYTES


@cache
def clients() -> tuple[Any, Any, Any]:
    """S3, SQS and SES v2 clients, made once per process (creating a client costs milliseconds and megabytes)."""
    return boto3.client("s3"), boto3.client("sqs"), boto3.client("sesv2", config=SES_CONFIG)


# -- web tier -----------------------------------------------------------------------------------------------------
class CheckedUpload:
    """A file-like view of the request body that S3 reads from: it stops at Content-Length and refuses non-text.

    The header line was read (and checked) before; it is handed out first, then the rest of the body as it
    arrives. Each chunk goes through the same line-by-line text check as the worker's (payroll_csv.TextCheck), so
    a binary file fails the upload midway (the multipart upload is aborted) without ever being held in memory.
    """

    def __init__(self, first: bytes, body: BinaryIO, remaining: int) -> None:
        self._pending = first
        self._body = body
        self._remaining = remaining
        self._text = payroll_csv.TextCheck()
        self.size = len(first)

    @property
    def encoding(self) -> str:
        return payroll_csv.ENCODING_NAMES[self._text.encoding]

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (all that is left when negative): short only at the end, as S3 transfers expect."""
        wanted = self.size_left() if size is None or size < 0 else size
        parts = []
        while wanted > 0:
            chunk = self._next(min(wanted, READ_CHUNK))
            if not chunk:
                break
            parts.append(chunk)
            wanted -= len(chunk)
        return b"".join(parts)

    def size_left(self) -> int:
        return len(self._pending) + self._remaining

    def _next(self, want: int) -> bytes:
        if self._pending:
            chunk, self._pending = self._pending[:want], self._pending[want:]
        elif self._remaining > 0:
            chunk = self._body.read(min(want, self._remaining))
            if not chunk:
                raise BadRequestError("the upload ended before its Content-Length")
            self._remaining -= len(chunk)
            self.size += len(chunk)
        else:
            return b""
        try:
            self._text.feed(chunk, final=not self._pending and self._remaining == 0)
        except payroll_csv.TextProblemError as exc:
            raise BadRequestError(str(exc)) from exc
        return chunk


def read_header(body: BinaryIO, length: int) -> tuple[bytes, str]:
    """The first bytes of the body (up to the first LF) and the header's delimiter, reading no further than needed.

    With CR-only line endings the bytes read may hold several lines: only the first is the header, the rest is
    handed on with it.
    """
    first = body.readline(min(MAX_HEADER_BYTES, length)) if length else b""
    if len(first) >= MAX_HEADER_BYTES and b"\n" not in first and b"\r" not in first:
        raise BadRequestError(
            f"line 1 has no line break within its first {MAX_HEADER_BYTES} bytes: it is not the payroll header "
            f"{payroll_csv.HEADER_LINE!r}"
        )
    try:
        delimiter, problem = payroll_csv.read_header(payroll_csv.first_line(first))
    except payroll_csv.TextProblemError as exc:
        raise BadRequestError(str(exc)) from exc
    if delimiter is None:
        raise BadRequestError(problem or "line 1 is not the payroll header")
    return first, delimiter


def upload(environ: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    # The signed-in user's verified address (the router let only a signed-in request through): nothing the request
    # itself says decides who is emailed.
    user: signin.User = environ["payroll.user"]
    email = user.email
    if not _EMAIL.fullmatch(email):
        raise BadRequestError("your account's email address cannot receive the result: ask an administrator")
    content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type not in ("text/csv", "application/csv", "text/plain"):
        raise BadRequestError(
            "send the file itself as the body, with Content-Type: text/csv", "415 Unsupported Media Type"
        )
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError as exc:
        raise BadRequestError("a Content-Length is required", "411 Length Required") from exc
    limit = max_upload_bytes()
    if length > limit:
        raise BadRequestError(
            f"the file is {length} bytes, larger than the limit of {limit} bytes ({limit / MiB:g} MiB)",
            "413 Content Too Large",
        )

    body: BinaryIO = environ["wsgi.input"]
    first, delimiter = read_header(body, length)
    bucket = setting("UPLOADS_BUCKET")
    job_id = uuid.uuid4().hex
    key = f"{UPLOAD_PREFIX}{job_id}.csv"
    s3, sqs, _ = clients()
    stream = CheckedUpload(first, body, length - len(first))
    s3.upload_fileobj(
        stream,
        bucket,
        key,
        ExtraArgs={"ContentType": "text/csv", "Metadata": {"job-id": job_id}},
        Config=TRANSFER,
    )
    sqs.send_message(
        QueueUrl=setting("JOBS_QUEUE_URL"),
        MessageBody=json.dumps({"jobId": job_id, "bucket": bucket, "key": key, "email": email}),
    )
    log.info("queued job %s for %s (%d bytes, %s)", job_id, user.subject, stream.size, stream.encoding)
    return "202 Accepted", {
        "jobId": job_id,
        "status": "queued",
        "bytes": stream.size,
        "encoding": stream.encoding,
        "delimiter": delimiter,
    }


# -- worker tier: objects written once ----------------------------------------------------------------------------
def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _code(exc) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def _put_if(s3: Any, bucket: str, key: str, document: dict[str, Any], **condition: str) -> str | None:
    """Write `key` under an S3 conditional-write header (IfNoneMatch="*" or IfMatch=<etag>): its new ETag, or None.

    S3 answers 412 when the condition does not hold, and 409 ConditionalRequestConflict when another write to the
    key raced this one, which its documentation says to retry: the retry then meets the winner's object.
    """
    for _ in range(3):
        try:
            answer = s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=json.dumps(document).encode(),
                ContentType="application/json",
                **condition,
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalRequestConflict":
                continue
            if _code(exc) in ("PreconditionFailed", "412", "NoSuchKey", "404"):
                return None
            raise
        return str(answer["ETag"])
    return None


def _put_once(s3: Any, bucket: str, key: str, document: dict[str, Any]) -> bool:
    """Write `key` only if nobody has yet (S3 conditional write); False when it already existed."""
    return _put_if(s3, bucket, key, document, IfNoneMatch="*") is not None


def _claim(s3: Any, bucket: str, key: str, owner: str) -> str | None:
    """Take the claim at `key` for `owner`: the claim's ETag when this delivery now holds it, else None.

    A claim is free when no object exists, when its holder released it (its send failed), or when it is older
    than CLAIM_LEASE_S (its holder died). Each takeover is conditional on the ETag just read, so of two deliveries
    that find the same stale claim only one gets it.
    """
    record = {"owner": owner, "claimedAt": _now(), "released": False}
    etag = _put_if(s3, bucket, key, record, IfNoneMatch="*")
    if etag is not None:
        return etag
    try:
        current = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _code(exc) in ("404", "NoSuchKey"):
            return None
        raise
    held = json.loads(current["Body"].read())
    if held.get("released") or _now() - float(held.get("claimedAt", 0)) > CLAIM_LEASE_S:
        log.warning("taking over the claim %s from %s", key, held.get("owner"))
        return _put_if(s3, bucket, key, record, IfMatch=current["ETag"])
    return None


def _release(s3: Any, bucket: str, key: str, owner: str, etag: str) -> None:
    """Give a claim back after a failed send, so the retry need not wait for the lease to run out."""
    try:
        _put_if(s3, bucket, key, {"owner": owner, "claimedAt": _now(), "released": True}, IfMatch=etag)
    except ClientError:
        log.exception("could not release the claim %s (it frees itself after %d s)", key, CLAIM_LEASE_S)


def send_once(job: dict[str, str], kind: str, subject: str, text: str, owner: str) -> bool:
    """Email the uploader about `job` exactly once per `kind` ("result", "failure"), however many deliveries run.

    The notice object says an email left; the claim object says who is sending it. A delivery sends only after
    creating the claim with a conditional write (If-None-Match: *), which S3 grants to exactly one writer. A
    delivery that loses waits for the winner's notice; if none comes, it asks sqsd to retry later. So two
    overlapping deliveries send one email; a duplicate is possible only if an instance dies between sending and
    writing the notice (the retry then finds a stale claim and no notice).
    """
    s3, _, ses = clients()
    bucket, job_id = job["bucket"], job["jobId"]
    suffix = "" if kind == "result" else f".{kind}"
    notice_key = f"{NOTICE_PREFIX}{job_id}{suffix}.json"
    claim_key = f"{CLAIM_PREFIX}{job_id}{suffix}.json"
    if _exists(s3, bucket, notice_key):
        return False
    etag = _claim(s3, bucket, claim_key, owner)
    if etag is None:
        waited = 0.0
        while waited < CLAIM_WAIT_S:
            if _exists(s3, bucket, notice_key):
                return False
            _sleep(CLAIM_POLL_S)
            waited += CLAIM_POLL_S
        raise RetryLaterError(f"another delivery is sending the {kind} email of job {job_id}; retry later")
    try:
        ses.send_email(
            FromEmailAddress=setting("SENDER_EMAIL"),
            Destination={"ToAddresses": [job["email"]]},
            Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}}},
        )
    except Exception:
        _release(s3, bucket, claim_key, owner, etag)
        raise
    _put_once(s3, bucket, notice_key, {"jobId": job_id, "to": job["email"], "subject": subject, "by": owner})
    return True


# -- worker tier: the job ----------------------------------------------------------------------------------------
def parse_job(raw: bytes) -> dict[str, str]:
    try:
        job = json.loads(raw)
    except ValueError as exc:
        raise BadRequestError("the message is not JSON") from exc
    if not isinstance(job, dict) or not all(isinstance(job.get(k), str) for k in ("jobId", "bucket", "key", "email")):
        raise BadRequestError("the message must be {jobId, bucket, key, email}")
    if not _JOB_ID.fullmatch(job["jobId"]) or job["key"] != f"{UPLOAD_PREFIX}{job['jobId']}.csv":
        raise BadRequestError("the message names no upload of this application")
    if job["bucket"] != setting("UPLOADS_BUCKET"):
        raise BadRequestError("the message names another bucket")
    if not _EMAIL.fullmatch(job["email"]):
        raise BadRequestError("the message has no valid address to notify")
    return {k: job[k] for k in ("jobId", "bucket", "key", "email")}


def _until(deadline: float, lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        if _clock() > deadline:
            raise JobTimeoutError(f"the job took longer than its limit of {job_timeout_seconds()} seconds")
        yield line


def process(job: dict[str, str], owner: str = "") -> dict[str, Any]:
    """Check the file and total it (once), email the outcome (once), and say what was done.

    Each step leaves an object keyed by the job id and is skipped when that object exists, so a message that
    sqsd delivers twice, or retries after a failure halfway, finishes the job without repeating it.
    """
    s3, _, _ = clients()
    bucket, job_id = job["bucket"], job["jobId"]
    result_key = f"{RESULT_PREFIX}{job_id}.json"
    if _exists(s3, bucket, f"{NOTICE_PREFIX}{job_id}.json"):
        return {"jobId": job_id, "status": "already done"}

    if _exists(s3, bucket, result_key):
        result = json.loads(s3.get_object(Bucket=bucket, Key=result_key)["Body"].read())
    else:
        deadline = _clock() + job_deadline_seconds()
        lines = payroll_csv.TextLines(s3.get_object(Bucket=bucket, Key=job["key"])["Body"])
        summary = payroll_csv.summarise(_until(deadline, lines))
        summary.encoding = lines.encoding
        result = {"jobId": job_id, "file": job["key"], **summary.as_json()}
        if not _put_once(s3, bucket, result_key, result):
            result = json.loads(s3.get_object(Bucket=bucket, Key=result_key)["Body"].read())

    subject, text = email_text(result)
    if not send_once(job, "result", subject, text, owner or uuid.uuid4().hex):
        return {"jobId": job_id, "status": "already done"}
    return {"jobId": job_id, "status": result["status"], "rows": result["rows"], "errorCount": result["errorCount"]}


def email_text(result: dict[str, Any]) -> tuple[str, str]:
    job_id = result["jobId"]
    if result["status"] == "accepted":
        totals = result["totals"]
        subject = f"Payroll {job_id[:8]} accepted: {result['rows']} employees"
        text = (
            f"Your payroll file was checked and accepted.\n\nEmployees: {result['rows']}\n"
            f"Gross pay: {totals['grossPay']}\nTax withheld: {totals['taxWithheld']}\nNet pay: {totals['netPay']}\n"
        )
    else:
        subject = f"Payroll {job_id[:8]} rejected: {result['errorCount']} problem(s)"
        listed = "\n".join(f"- {e}" for e in result["errors"])
        more = result["errorCount"] - len(result["errors"])
        text = f"Your payroll file was not accepted. Correct these lines and upload it again:\n\n{listed}\n" + (
            f"... and {more} more.\n" if more > 0 else ""
        )
    notes = result.get("notes") or []
    if notes:
        text += "\n" + "\n".join(f"Note: {n}" for n in notes) + "\n"
    return subject, text + f"\nJob: {job_id}\n"


def failure_text(job: dict[str, str], attempts: int, reason: str, file_kept: bool) -> tuple[str, str]:
    subject = f"Payroll {job['jobId'][:8]} could not be processed"
    kept = (
        "The file you uploaded is kept, and so is the job: the operations team can run it again once the cause is "
        "fixed, and you will then get the result by email. You do not need to upload the file again."
        if file_kept
        else "The file you uploaded is no longer stored: upload it again."
    )
    text = f"Your payroll file could not be processed after {attempts} attempt(s): {reason}.\n\n{kept}\n"
    return subject, text + f"\nJob: {job['jobId']}\n"


def tell_failure(job: dict[str, str], attempts: int, error: Exception, owner: str) -> None:
    """The last attempt failed: email the uploader (once) that the job failed and whether the file is kept."""
    s3, _, _ = clients()
    if _exists(s3, job["bucket"], f"{NOTICE_PREFIX}{job['jobId']}.json"):
        return  # the result was emailed already; this failure came after it
    reason = (
        f"it took longer than the limit of {job_timeout_seconds() // 60} minutes"
        if isinstance(error, JobTimeoutError)
        else "an internal error, not a problem in your file"
    )
    subject, text = failure_text(job, attempts, reason, _exists(s3, job["bucket"], job["key"]))
    send_once(job, "failure", subject, text, owner)


def _count(raw: str | None) -> int:
    return int(raw) if raw and raw.strip().isdigit() else 0


def task(environ: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or "0")
    except ValueError:
        length = 0
    job = parse_job(environ["wsgi.input"].read(min(length, 64 * 1024)))
    received = _count(environ.get("HTTP_X_AWS_SQSD_RECEIVE_COUNT"))
    max_receives = _count(os.environ.get("MAX_RECEIVE_COUNT"))
    owner = f"{environ.get('HTTP_X_AWS_SQSD_MSGID', '-')}/{received}/{uuid.uuid4().hex[:8]}"
    log.info("job %s: delivery %s (receive %d of %s)", job["jobId"], owner, received, max_receives or "?")
    try:
        return "200 OK", process(job, owner)
    except (BadRequestError, RetryLaterError):
        raise
    except Exception as exc:
        # sqsd stops after MaxRetries (= the queue's maxReceiveCount) and SQS keeps the message in the dead-letter
        # queue: on that last attempt, tell the uploader rather than leave them waiting for an email.
        if max_receives and received >= max_receives:
            try:
                tell_failure(job, received, exc, owner)
            except Exception:
                log.exception("job %s: could not tell the uploader that it failed", job["jobId"])
        raise


# -- routing ------------------------------------------------------------------------------------------------------
FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Payroll upload</title></head>
<body>
<h1>Upload the payroll</h1>
<p>A CSV file of at most {limit_text} whose first line is <code>{header}</code> (columns separated by
<code>,</code> or <code>;</code>). When it has been checked, the result is emailed to you at {email}.</p>
<form id="upload" data-max-bytes="{limit}">
  <label>Payroll file <input type="file" name="file" accept=".csv,text/csv" required></label><br>
  <button type="submit">Upload</button>
</form>
<p id="status" role="status" aria-live="polite"></p>
<script src="/upload.js"></script>
</body></html>
"""


def _query(environ: dict[str, Any]) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _respond(start_response: StartResponse, status: str, body: bytes, content_type: str) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def page(user: signin.User) -> bytes:
    limit = max_upload_bytes()
    return FORM.format(
        header=html.escape(payroll_csv.HEADER_LINE),
        limit=limit,
        limit_text=f"{limit / MiB:g} MiB",
        email=html.escape(user.email),
    ).encode()


Handler = Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]
JSON = "application/json"


def _answer(
    start_response: StartResponse, method: str, path: str, handler: Handler, environ: dict[str, Any]
) -> list[bytes]:
    try:
        status, answer = handler(environ)
    except BadRequestError as exc:
        status, answer = exc.status, {"error": str(exc)}
    except RetryLaterError as exc:
        status, answer = "409 Conflict", {"error": str(exc)}
    except Exception:
        # Anything else may pass on a retry (S3 or SES briefly unavailable): 500 makes sqsd deliver it again.
        log.exception("%s %s failed", method, path)
        status, answer = "500 Internal Server Error", {"error": "internal error; the request can be retried"}
    return _respond(start_response, status, json.dumps(answer).encode(), JSON)


def _redirect(start_response: StartResponse, location: str, *cookies: tuple[str, str]) -> list[bytes]:
    start_response(
        "303 See Other", [("Location", location), ("Cache-Control", "no-store"), ("Content-Length", "0"), *cookies]
    )
    return [b""]


@cache
def sign_in() -> signin.SignIn:
    """The sign-in (its secret read from Parameter Store once per process)."""
    return signin.SignIn.from_environment()


def _wants_page(environ: dict[str, Any]) -> bool:
    """A browser navigating (sent to sign in), rather than a script calling the API (answered 401)."""
    return environ.get("REQUEST_METHOD") == "GET" and "text/html" in environ.get("HTTP_ACCEPT", "")


def web_application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The web tier: the health check is open; everything else needs a signed-in user."""
    method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
    if (method, path) == ("GET", "/health"):
        return _respond(start_response, "200 OK", b'{"status": "ok"}', JSON)
    if (method, path) == ("GET", signin.CALLBACK_PATH):
        try:
            signed_in, next_path, cookies = sign_in().finish(_query(environ), signin.cookies(environ))
        except signin.SignInError as exc:
            log.warning("sign-in refused: %s", exc)
            body = json.dumps({"error": f"not signed in: {exc}; open the page again to sign in"}).encode()
            start_response(
                "401 Unauthorized",
                [
                    ("Content-Type", JSON),
                    ("Content-Length", str(len(body))),
                    signin.clear_cookie(signin.PENDING_COOKIE),
                ],
            )
            return [body]
        log.info("signed in %s", signed_in.subject)
        return _redirect(start_response, next_path, *cookies)
    if path == "/auth/signed-out":
        return _respond(start_response, "200 OK", b"<!doctype html><p>You are signed out.</p>", "text/html")

    user = sign_in().user(signin.cookies(environ))
    if user is None:
        if _wants_page(environ):
            location, pending = sign_in().start(path)
            return _redirect(start_response, location, pending)
        body = b'{"error": "sign in first: open the payroll page in a browser"}'
        start_response("401 Unauthorized", [("Content-Type", JSON), ("Content-Length", str(len(body)))])
        return [body]
    environ["payroll.user"] = user
    if (method, path) == ("GET", "/"):
        return _respond(start_response, "200 OK", page(user), "text/html; charset=utf-8")
    if (method, path) == ("GET", "/upload.js"):
        script = (APP_DIR / "upload.js").read_bytes()
        return _respond(start_response, "200 OK", script, "text/javascript; charset=utf-8")
    if (method, path) == ("POST", "/uploads"):
        return _answer(start_response, method, path, upload, environ)
    return _respond(start_response, "404 Not Found", b'{"error": "not found"}', JSON)


def worker_application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The worker tier: only sqsd's job posts (it has no load balancer; sqsd posts from the instance itself)."""
    method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
    if (method, path) == ("GET", "/health"):
        return _respond(start_response, "200 OK", b'{"status": "ok"}', JSON)
    if (method, path) == ("POST", "/tasks/payroll"):
        return _answer(start_response, method, path, task, environ)
    return _respond(start_response, "404 Not Found", b'{"error": "not found"}', JSON)


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """PAYROLL_TIER=worker serves the worker tier; anything else the web tier, which has no worker route."""
    tier = worker_application if os.environ.get("PAYROLL_TIER") == "worker" else web_application
    return tier(environ, start_response)


if __name__ == "__main__":
    from wsgiref.simple_server import make_server

    port = int(os.environ.get("PORT", "8000"))
    with make_server("127.0.0.1", port, application) as server:
        log.info("serving on http://127.0.0.1:%d", port)
        server.serve_forever()
