"""API Gateway HTTP API (payload format 2.0) requests and responses."""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from . import logs
from .orders import Problem

Event = dict[str, Any]
Response = dict[str, Any]
Handler = Callable[[Event, Any], Response]


class BadRequestError(Exception):
    """The request is malformed; the answer is a 400 listing what is wrong."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def respond(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **(headers or {})},
        "body": json.dumps(body, default=_default),
    }


def error(status: int, message: str, problems: list[Problem] | None = None) -> Response:
    body: dict[str, Any] = {"message": message}
    if problems:
        body["errors"] = [p.as_dict() for p in problems]
    return respond(status, body)


def json_body(event: Event, *, required: bool = True) -> Any:
    """The request body parsed as JSON (base64-decoded first when API Gateway encoded it)."""
    raw = event.get("body")
    if raw is None or raw == "":
        if required:
            raise BadRequestError("the request needs a JSON body", [Problem("body", "is required")])
        return {}
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise BadRequestError("the body is not valid UTF-8 text", [Problem("body", "must be UTF-8 JSON")]) from exc
    try:
        return json.loads(raw, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise BadRequestError(
            "the body is not valid JSON", [Problem("body", f"is not valid JSON ({exc.msg} at character {exc.pos})")]
        ) from exc


def path_parameter(event: Event, name: str) -> str:
    return str((event.get("pathParameters") or {}).get(name, ""))


def query_parameter(event: Event, name: str) -> str | None:
    value = (event.get("queryStringParameters") or {}).get(name)
    return None if value is None else str(value)


def caller(event: Event) -> str | None:
    """The signed-in caller's IAM ARN when the route uses IAM authorization, else None."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    iam = authorizer.get("iam") or {}
    arn = iam.get("userArn")
    return str(arn) if arn else None


def http_handler(handler: Handler) -> Handler:
    """Turn known failures into 400s and anything unexpected into a logged 500 that leaks nothing."""

    @functools.wraps(handler)
    def wrapped(event: Event, context: Any) -> Response:
        request = event.get("requestContext") or {}
        route = event.get("routeKey", "")
        try:
            response = handler(event, context)
        except BadRequestError as exc:
            logs.info("request.rejected", route=route, reason=str(exc), errors=[p.as_dict() for p in exc.problems])
            return error(400, str(exc), exc.problems)
        except Exception:
            logs.exception("request.failed", route=route, requestId=request.get("requestId"))
            return error(500, "internal error; the request id is in the apigw-requestid response header")
        logs.info("request.answered", route=route, status=response["statusCode"])
        return response

    return wrapped
