"""Deliveries of one job that overlap, fail or come last: one email per job, and the uploader hears of a failure.

Standard SQS queues deliver at least once, and sqsd may hand a message to a second worker while the first still runs.
The worker claims the email with an S3 conditional write before sending, so exactly one leaves; when the last
attempt fails (X-Aws-Sqsd-Receive-Count reaches MAX_RECEIVE_COUNT), the uploader is told and the file is kept.
"""

from __future__ import annotations

import json
import runpy
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

APP_DIR = Path(__file__).resolve().parent.parent / "src" / "aws_compute_platform" / "beanstalk" / "app"
sys.path.insert(0, str(APP_DIR))

import application  # noqa: E402
import payroll_csv  # noqa: E402

from tests import test_payroll_app as payroll  # noqa: E402
from tests.test_payroll_app import BUCKET, GOOD_FILE, HR, SENDER, Aws, deliver, post_task, upload  # noqa: E402

# The AWS side and the app over HTTP, shared with tests/test_payroll_app.py (moto's server, the threaded app).
issuer, app_url, aws = payroll.issuer, payroll.app_url, payroll.aws


class _SerialPuts:
    """The app's S3 client with its PUTs taken one at a time.

    moto checks If-None-Match and then writes, in two steps that two requests can interleave; S3 decides a
    conditional write atomically. Serialising the PUTs gives moto S3's behaviour; everything else stays concurrent.
    """

    def __init__(self, s3: Any) -> None:
        self._s3 = s3
        self._lock = threading.Lock()

    def put_object(self, **kwargs: Any) -> Any:
        with self._lock:
            return self._s3.put_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


@pytest.fixture
def serial_puts(app_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    s3, sqs, ses = application.clients()
    monkeypatch.setattr(application, "clients", lambda: (_SerialPuts(s3), sqs, ses))


def _claim(state: Aws, job: str, **fields: Any) -> None:
    state.s3.put_object(Bucket=BUCKET, Key=f"claims/{job}.json", Body=json.dumps(fields).encode())


# -- exactly one email ---------------------------------------------------------------------------------------------
def test_two_overlapping_deliveries_of_one_message_send_exactly_one_email(
    aws: Aws,
    app_url: str,
    serial_puts: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = upload(app_url, GOOD_FILE.encode())[1]["jobId"]
    message = aws.receive()
    assert message is not None
    # Both deliveries are past the "already emailed?" check and checking the file at the same moment, as when sqsd
    # hands the message to a second worker while the first still runs.
    both_checking = threading.Barrier(2, timeout=30)
    summarise = payroll_csv.summarise

    def summarise_together(lines: Any) -> payroll_csv.Summary:
        both_checking.wait()
        return summarise(lines)

    monkeypatch.setattr(payroll_csv, "summarise", summarise_together)
    answers: list[tuple[int, Any]] = []
    threads = [threading.Thread(target=lambda: answers.append(post_task(app_url, message))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(status for status, _ in answers) == [200, 200]
    assert sorted(answer["status"] for _, answer in answers) == ["accepted", "already done"]
    [email] = aws.emails()
    assert "accepted: 3 employees" in email["subject"]
    claim = aws.json_object(f"claims/{job}.json")
    assert claim["released"] is False and aws.json_object(f"notices/{job}.json")["by"] == claim["owner"]


def test_a_delivery_that_finds_a_fresh_claim_and_no_email_asks_to_be_retried_later(
    aws: Aws,
    app_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = upload(app_url, GOOD_FILE.encode())[1]["jobId"]
    _claim(aws, job, owner="another-worker", claimedAt=application._now(), released=False)
    monkeypatch.setattr(application, "CLAIM_WAIT_S", 0.5)
    slept: list[float] = []
    monkeypatch.setattr(application, "_sleep", slept.append)  # the wait, counted instead of spent
    status, answer = deliver(aws, app_url)
    assert status == 409 and "another delivery" in answer["error"]  # not 200: the message stays for a retry
    assert sum(slept) >= application.CLAIM_WAIT_S  # it gave up only after waiting all the time allowed
    assert aws.emails() == []


def test_a_claim_left_by_a_worker_that_died_is_taken_over_and_the_email_sent(
    aws: Aws,
    app_url: str,
) -> None:
    job = upload(app_url, GOOD_FILE.encode())[1]["jobId"]
    stale = application._now() - application.CLAIM_LEASE_S - 1
    _claim(aws, job, owner="died", claimedAt=stale, released=False)
    status, answer = deliver(aws, app_url)
    assert (status, answer["status"]) == (200, "accepted")
    assert len(aws.emails()) == 1 and aws.json_object(f"claims/{job}.json")["owner"] != "died"


def test_a_send_that_fails_releases_its_claim_so_the_retry_sends(
    aws: Aws,
    app_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = upload(app_url, GOOD_FILE.encode())[1]["jobId"]
    _, _, ses = application.clients()
    real_send = ses.send_email
    failures = iter([RuntimeError("SES unavailable")])

    def flaky_send(**kwargs: Any) -> Any:
        failure = next(failures, None)
        if failure:
            raise failure
        return real_send(**kwargs)

    monkeypatch.setattr(ses, "send_email", flaky_send)
    assert deliver(aws, app_url)[0] == 500
    assert aws.json_object(f"claims/{job}.json")["released"] is True and aws.emails() == []
    status, answer = deliver(aws, app_url)  # at once: no waiting for the lease
    assert (status, answer["status"]) == (200, "accepted") and len(aws.emails()) == 1


# -- the last attempt ----------------------------------------------------------------------------------------------
def _clock_that_jumps(after_calls: int) -> Callable[[], float]:
    """A monotonic clock that stands still, then jumps a day ahead: the job's deadline passes with no waiting."""
    calls = {"n": 0}

    def clock() -> float:
        calls["n"] += 1
        return 0.0 if calls["n"] <= after_calls else 86_400.0

    return clock


def test_a_job_that_runs_out_of_time_on_its_last_attempt_emails_the_uploader_that_the_file_is_kept(
    aws: Aws,
    app_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAX_RECEIVE_COUNT", "2")
    monkeypatch.setenv("JOB_TIMEOUT_SECONDS", "1800")
    job = upload(app_url, GOOD_FILE.encode())[1]["jobId"]
    for receive_count in (1, 2):
        monkeypatch.setattr(application, "_clock", _clock_that_jumps(after_calls=2))
        message = aws.receive()
        assert message is not None and message["Attributes"]["ApproximateReceiveCount"] == str(receive_count)
        assert post_task(app_url, message)[0] == 500
        assert len(aws.emails()) == receive_count - 1  # the first attempt tells nobody
    [email] = aws.emails()
    assert email["source"] == SENDER and email["destinations"]["ToAddresses"] == [HR]
    assert email["subject"] == f"Payroll {job[:8]} could not be processed"
    assert "after 2 attempt(s): it took longer than the limit of 30 minutes" in email["body"]
    assert "The file you uploaded is kept" in email["body"] and "do not need to upload the file again" in email["body"]
    assert aws.objects(f"uploads/{job}") == [f"uploads/{job}.csv"] and aws.objects("results/") == []
    assert aws.receive() is None and aws.waiting(aws.dlq_url) == 1


def test_a_failure_after_the_result_was_emailed_sends_no_failure_email(
    aws: Aws,
    app_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAX_RECEIVE_COUNT", "1")
    job = upload(app_url, GOOD_FILE.encode())[1]["jobId"]
    job_message = {"jobId": job, "bucket": BUCKET, "key": f"uploads/{job}.csv", "email": HR}
    assert application.process(job_message)["status"] == "accepted"
    application.tell_failure(job_message, 1, RuntimeError("late"), "owner")
    assert len(aws.emails()) == 1


# -- the job's time limit ------------------------------------------------------------------------------------------
def _gunicorn_timeout(monkeypatch: pytest.MonkeyPatch, value: str | None) -> Any:
    if value is None:
        monkeypatch.delenv("JOB_TIMEOUT_SECONDS", raising=False)
    else:
        monkeypatch.setenv("JOB_TIMEOUT_SECONDS", value)
    return runpy.run_path(str(APP_DIR / "gunicorn.conf.py"))["timeout"]


@pytest.mark.parametrize(("value", "expected"), [(None, 3600), ("", 3600), ("1800", 1800), ("35999", 35999)])
def test_gunicorn_and_the_app_read_the_same_job_timeout(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: int
) -> None:
    assert _gunicorn_timeout(monkeypatch, value) == application.job_timeout_seconds() == expected
    assert expected - 60 <= application.job_deadline_seconds() < expected  # the job stops itself first


@pytest.mark.parametrize("value", ["0", "9", "36000", "1.5", "thirty minutes"])
def test_a_job_timeout_sqsd_could_not_wait_for_stops_gunicorn_and_the_app(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    with pytest.raises(ValueError, match="JOB_TIMEOUT_SECONDS must be a whole number of seconds from 10 to 35999"):
        _gunicorn_timeout(monkeypatch, value)
    with pytest.raises(RuntimeError, match="JOB_TIMEOUT_SECONDS must be a whole number"):
        application.job_timeout_seconds()
