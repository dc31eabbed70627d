"""Gunicorn settings, read from the environment properties each tier sets.

The worker tier runs jobs for minutes inside one request: its timeout follows sqsd's InactivityTimeout
(JOB_TIMEOUT_SECONDS), or Gunicorn would kill a job that is still running and sqsd would retry it.
"""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
timeout = int(os.environ.get("JOB_TIMEOUT_SECONDS", "120"))
graceful_timeout = 30
accesslog = "-"
