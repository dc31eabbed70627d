"""Structured logs: one event name per line, its facts as fields.

Lambda's JSON log format (`logging_config.log_format = "JSON"`) writes each record as a JSON object with the
timestamp, level and request id, and adds the keys passed in `extra` as top-level fields. Locally the same
records reach pytest's `caplog` with the fields as attributes. Field values must be plain JSON (str, int, list,
dict): the runtime's encoder has no fallback, so a Decimal would turn the line into a logging error.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("orders_api")
logger.setLevel(logging.INFO)


def info(event: str, **fields: Any) -> None:
    logger.info(event, extra=fields)


def warning(event: str, **fields: Any) -> None:
    logger.warning(event, extra=fields)


def error(event: str, **fields: Any) -> None:
    logger.error(event, extra=fields)


def exception(event: str, **fields: Any) -> None:
    logger.exception(event, extra=fields)
