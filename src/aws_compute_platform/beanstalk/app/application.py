"""Payroll uploads: the web tier stores a CSV in S3 and queues it; the worker tier checks it and emails the result.

One plain WSGI callable, `application`, serves both Elastic Beanstalk environments (the Python platform runs it
with Gunicorn behind nginx). Nothing here ever holds a whole file: the upload is checked as it streams to S3, and
the worker reads the object back row by row.

Settings come from environment properties: UPLOADS_BUCKET, JOBS_QUEUE_URL, SENDER_EMAIL, and optionally
MAX_UPLOAD_BYTES. boto3 finds credentials, region and (for local runs) AWS_ENDPOINT_URL itself.
"""

from __future__ import annotations

import codecs
import html
import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, BinaryIO
from urllib.parse import parse_qs

import boto3
import payroll_csv
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

log = logging.getLogger("payroll")
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")

UPLOAD_PREFIX = "uploads/"
RESULT_PREFIX = "results/"
NOTICE_PREFIX = "notices/"
READ_CHUNK = 64 * 1024
MAX_HEADER_BYTES = 4096
# Multipart parts of 8 MiB, two in flight: an upload holds at most a few parts in memory, whatever its size.
TRANSFER = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024, max_concurrency=2)
_EMAIL = re.compile(r"[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
_JOB_ID = re.compile(r"[0-9a-f]{32}")

StartResponse = Callable[..., Any]


class BadRequestError(Exception):
    """The request can never succeed as sent: answer 4xx with this message."""

    def __init__(self, message: str, status: str = "400 Bad Request") -> None:
        super().__init__(message)
        self.status = status


def setting(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError(f"environment property {name} is not set")
    return value


@cache
def clients() -> tuple[Any, Any, Any]:
    """S3, SQS and SES v2 clients, made once per process (creating a client costs milliseconds and megabytes)."""
    return boto3.client("s3"), boto3.client("sqs"), boto3.client("sesv2")


# -- web tier -----------------------------------------------------------------------------------------------------
class CheckedUpload:
    """A file-like view of the request body that S3 reads from: it stops at Content-Length and refuses non-text.

    The header line was read (and checked) before; it is handed out first, then the rest of the body as it
    arrives. Each chunk goes through an incremental UTF-8 decoder, so a binary file fails the upload midway
    (the multipart upload is aborted) without the file ever being held in memory.
    """

    def __init__(self, first: bytes, body: BinaryIO, remaining: int) -> None:
        self._pending = first
        self._body = body
        self._remaining = remaining
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.size = len(first)

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
        self._check(chunk, final=not self._pending and self._remaining == 0)
        return chunk

    def _check(self, chunk: bytes, *, final: bool) -> None:
        try:
            text = self._decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            raise BadRequestError("the file is not UTF-8 text (is it a spreadsheet rather than a CSV export?)") from exc
        if "\x00" in text:
            raise BadRequestError("the file contains NUL bytes: it is not a CSV file")


def read_header(body: BinaryIO, length: int) -> bytes:
    """The first line of the body, read without reading further than needed."""
    first = body.readline(min(MAX_HEADER_BYTES, length)) if length else b""
    problem = payroll_csv.header_problem(first.decode("utf-8", errors="replace"))
    if problem:
        raise BadRequestError(problem)
    return first


def upload(environ: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    email = _query(environ).get("email") or environ.get("HTTP_X_NOTIFY_EMAIL", "")
    if not _EMAIL.fullmatch(email):
        raise BadRequestError("give the address to notify as ?email=name@example.com")
    content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type not in ("text/csv", "application/csv", "text/plain"):
        raise BadRequestError(
            "send the file itself as the body, with Content-Type: text/csv", "415 Unsupported Media Type"
        )
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError as exc:
        raise BadRequestError("a Content-Length is required", "411 Length Required") from exc
    limit = int(os.environ.get("MAX_UPLOAD_BYTES", str(100 * 1024 * 1024)))
    if length > limit:
        raise BadRequestError(f"the file is larger than {limit} bytes", "413 Content Too Large")

    body: BinaryIO = environ["wsgi.input"]
    first = read_header(body, length)
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
    log.info("queued job %s (%d bytes)", job_id, stream.size)
    return "202 Accepted", {"jobId": job_id, "status": "queued", "bytes": stream.size}


# -- worker tier --------------------------------------------------------------------------------------------------
def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def _put_once(s3: Any, bucket: str, key: str, document: dict[str, Any]) -> bool:
    """Write `key` only if nobody has yet (S3 conditional write); False when it already existed."""
    try:
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=json.dumps(document).encode(),
            ContentType="application/json",
            IfNoneMatch="*",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
            return False
        raise
    return True


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


def process(job: dict[str, str]) -> dict[str, Any]:
    """Check the file and total it (once), email the outcome (once), and say what was done.

    Each step leaves an object keyed by the job id and is skipped when that object exists, so a message that
    sqsd delivers twice, or retries after a failure halfway, finishes the job without repeating it.
    """
    s3, _, ses = clients()
    bucket, job_id = job["bucket"], job["jobId"]
    notice_key = f"{NOTICE_PREFIX}{job_id}.json"
    result_key = f"{RESULT_PREFIX}{job_id}.json"
    if _exists(s3, bucket, notice_key):
        return {"jobId": job_id, "status": "already done"}

    if _exists(s3, bucket, result_key):
        result = json.loads(s3.get_object(Bucket=bucket, Key=result_key)["Body"].read())
    else:
        body = s3.get_object(Bucket=bucket, Key=job["key"])["Body"]
        summary = payroll_csv.summarise(payroll_csv.text_lines(body))
        result = {"jobId": job_id, "file": job["key"], **summary.as_json()}
        if not _put_once(s3, bucket, result_key, result):
            result = json.loads(s3.get_object(Bucket=bucket, Key=result_key)["Body"].read())

    subject, text = email_text(result)
    ses.send_email(
        FromEmailAddress=setting("SENDER_EMAIL"),
        Destination={"ToAddresses": [job["email"]]},
        Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}}},
    )
    _put_once(s3, bucket, notice_key, {"jobId": job_id, "to": job["email"], "subject": subject})
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
    return subject, text + f"\nJob: {job_id}\n"


def task(environ: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or "0")
    except ValueError:
        length = 0
    job = parse_job(environ["wsgi.input"].read(min(length, 64 * 1024)))
    log.info(
        "job %s: sqsd message %s, delivery %s",
        job["jobId"],
        environ.get("HTTP_X_AWS_SQSD_MSGID", "-"),
        environ.get("HTTP_X_AWS_SQSD_RECEIVE_COUNT", "-"),
    )
    return "200 OK", process(job)


# -- routing ------------------------------------------------------------------------------------------------------
FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Payroll upload</title></head>
<body>
<h1>Upload the payroll</h1>
<p>A CSV file whose first line is <code>{header}</code>. You get an email when it has been checked.</p>
<form id="upload">
  <label>Your email <input type="email" name="email" required></label><br>
  <label>Payroll file <input type="file" name="file" accept=".csv,text/csv" required></label><br>
  <button type="submit">Upload</button>
</form>
<p id="status" role="status"></p>
<script>
// The file is sent as the request body itself, so the server can stream it to storage without parsing a form.
document.getElementById("upload").addEventListener("submit", async (event) => {{
  event.preventDefault();
  const form = event.target;
  const status = document.getElementById("status");
  status.textContent = "Uploading...";
  const response = await fetch("/uploads?email=" + encodeURIComponent(form.email.value), {{
    method: "POST", headers: {{"Content-Type": "text/csv"}}, body: form.file.files[0]
  }});
  const answer = await response.json();
  status.textContent = response.ok ? "Received. Job " + answer.jobId + ": you will get an email." : answer.error;
}});
</script>
</body></html>
"""


def _query(environ: dict[str, Any]) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _respond(start_response: StartResponse, status: str, body: bytes, content_type: str) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
    routes: dict[tuple[str, str], Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]] = {
        ("POST", "/uploads"): upload,
        ("POST", "/tasks/payroll"): task,
    }
    if (method, path) == ("GET", "/"):
        page = FORM.format(header=html.escape(payroll_csv.HEADER_LINE)).encode()
        return _respond(start_response, "200 OK", page, "text/html; charset=utf-8")
    if (method, path) == ("GET", "/health"):
        return _respond(start_response, "200 OK", b'{"status": "ok"}', "application/json")
    handler = routes.get((method, path))
    if handler is None:
        return _respond(start_response, "404 Not Found", b'{"error": "not found"}', "application/json")
    try:
        status, answer = handler(environ)
    except BadRequestError as exc:
        status, answer = exc.status, {"error": str(exc)}
    except Exception:
        # Anything else may pass on a retry (S3 or SES briefly unavailable): 500 makes sqsd deliver it again.
        log.exception("%s %s failed", method, path)
        status, answer = "500 Internal Server Error", {"error": "internal error; the request can be retried"}
    return _respond(start_response, status, json.dumps(answer).encode(), "application/json")


if __name__ == "__main__":
    from wsgiref.simple_server import make_server

    port = int(os.environ.get("PORT", "8000"))
    with make_server("127.0.0.1", port, application) as server:
        log.info("serving on http://127.0.0.1:%d", port)
        server.serve_forever()
