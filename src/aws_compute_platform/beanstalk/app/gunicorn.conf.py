"""Gunicorn settings, read from the environment properties each tier sets.

`timeout` is how long one request may run: JOB_TIMEOUT_SECONDS (default 3600, a whole number from 10 to 35999;
application.job_timeout_seconds() reads the same value and stops a job up to a minute earlier by itself, so its
last attempt can still email the uploader). On the worker tier it must be shorter than sqsd's InactivityTimeout,
itself shorter than the message's VisibilityTimeout:

    JOB_TIMEOUT_SECONDS < InactivityTimeout (at most 36000) < VisibilityTimeout (at most 43200)

Otherwise sqsd gives up on a job that is still running (it stops waiting after InactivityTimeout and the message
comes back), and the message is delivered again while the first job runs. A value that is not a whole number in
range stops Gunicorn at start with the message below.
"""

import os

DEFAULT_JOB_TIMEOUT_S = 3600
MIN_JOB_TIMEOUT_S, MAX_JOB_TIMEOUT_S = 10, 35_999

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
try:
    timeout = int(os.environ.get("JOB_TIMEOUT_SECONDS", "").strip() or DEFAULT_JOB_TIMEOUT_S)
except ValueError:
    timeout = 0
if not MIN_JOB_TIMEOUT_S <= timeout <= MAX_JOB_TIMEOUT_S:
    raise ValueError(
        f"environment property JOB_TIMEOUT_SECONDS must be a whole number of seconds from {MIN_JOB_TIMEOUT_S} "
        f"to {MAX_JOB_TIMEOUT_S}, not {os.environ.get('JOB_TIMEOUT_SECONDS')!r}"
    )
graceful_timeout = 30
accesslog = "-"
