"""API Gateway HTTP API (payload format 2.0) requests and responses."""

from __future__ import annotations

import base64
import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
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


class UnknownCallerError(Exception):
    """The request is signed, but by a kind of principal whose identity this API cannot pin down: a 403."""


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
        except ValueError as exc:  # binascii.Error, non-ASCII text, UnicodeDecodeError: all ValueErrors
            raise BadRequestError("the body is not valid UTF-8 text", [Problem("body", "must be UTF-8 JSON")]) from exc
    try:
        # Numbers become Decimals, integers included: exact, and free of int()'s 4,300-digit limit (a longer
        # integer made json.loads raise ValueError). NaN and Infinity are not JSON (RFC 8259) and are refused.
        return json.loads(raw, parse_float=Decimal, parse_int=Decimal, parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        raise BadRequestError(
            "the body is not valid JSON", [Problem("body", f"is not valid JSON ({exc.msg} at character {exc.pos})")]
        ) from exc
    except ValueError as exc:
        raise BadRequestError("the body is not valid JSON", [Problem("body", f"is not valid JSON ({exc})")]) from exc
    except RecursionError as exc:  # the parser recurses once per level of nesting
        raise BadRequestError(
            "the body is nested too deeply", [Problem("body", "is nested too deeply to be an order")]
        ) from exc


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def path_parameter(event: Event, name: str) -> str:
    return str((event.get("pathParameters") or {}).get(name, ""))


def query_parameter(event: Event, name: str) -> str | None:
    value = (event.get("queryStringParameters") or {}).get(name)
    return None if value is None else str(value)


# Roles whose session names the role's trust policy or identity provider sets, not the caller: IAM Identity Center
# permission-set roles (the session name is the user's sign-in name), or roles whose trust policy pins
# sts:RoleSessionName (e.g. to ${aws:username}). Unique role ids (AROA...), comma-separated; empty by default.
VERIFIED_SESSION_ROLES = "APPROVAL_VERIFIED_SESSION_ROLES"


@dataclass(frozen=True)
class Caller:
    """Who signed the request (IAM authorization): `arn` to show, `identity` to compare.

    API Gateway puts the SigV4 signer in requestContext.authorizer.iam: userArn, userId, callerId, accountId,
    principalOrgId, cognitoIdentity (the HTTP API's $context.identity.* variables, see the API Gateway developer
    guide, "Customize HTTP API access logs"). userId is IAM's aws:userid (IAM User Guide, "Policy variables"):
    - an IAM user: its unique id (AIDA...): stable, and a new user of the same name gets a new one;
    - an assumed role: `<role unique id (AROA...)>:<role session name>`. The session name is whatever the caller
      passed to AssumeRole, so it proves nothing: the identity is the role alone, unless the role is listed in
      APPROVAL_VERIFIED_SESSION_ROLES (its session names are set by the identity provider) -- then role + session;
    - a Cognito identity pool's credentials (cognitoIdentity present, "authenticated" in amr): the identity id
      Cognito verified, whatever role the pool mapped it to;
    - a federated user (GetFederationToken): `<account>:<name>`, the name chosen by the IAM user who asked for the
      token, and the request does not say which user that was: every federated user of the account is one identity;
    - the account root: the account.
    """

    arn: str
    identity: str


def _identity(iam: dict[str, Any]) -> str | None:
    arn, user_id = str(iam.get("userArn") or ""), str(iam.get("userId") or "")
    account = str(iam.get("accountId") or "")
    cognito = iam.get("cognitoIdentity") or {}
    if isinstance(cognito, dict) and "authenticated" in (cognito.get("amr") or []):
        pool, identity_id = cognito.get("identityPoolId"), cognito.get("identityId")
        if pool and identity_id:
            return f"cognito:{pool}/{identity_id}"
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not user_id:
        return None
    kind = parts[5].split("/", 1)[0]
    if parts[2] == "sts" and kind == "assumed-role":
        role_id, _, session = user_id.partition(":")
        if not role_id.startswith("AROA") or not session:
            return None
        verified = {r.strip() for r in os.environ.get(VERIFIED_SESSION_ROLES, "").split(",") if r.strip()}
        return f"role:{role_id}:{session}" if role_id in verified else f"role:{role_id}"
    if parts[2] == "sts" and kind == "federated-user" and account:
        return f"federated:{account}"
    if parts[2] == "iam" and kind == "user" and user_id.startswith("AIDA"):
        return f"user:{user_id}"
    if parts[2] == "iam" and parts[5] == "root" and account:
        return f"root:{account}"
    return None


def caller(event: Event) -> Caller | None:
    """The signed-in caller when the route uses IAM authorization, else None.

    Raises UnknownCallerError for a signed request whose principal has no identity this API can compare.
    """
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    iam = authorizer.get("iam") or {}
    if not iam:
        return None
    identity = _identity(iam)
    if identity is None:
        raise UnknownCallerError(f"cannot tell who {iam.get('userArn')!s:.200} is")
    return Caller(arn=str(iam["userArn"]), identity=identity)


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
        except UnknownCallerError as exc:
            logs.warning("request.forbidden", route=route, reason=str(exc))
            return error(403, "this API cannot tell who the caller is; sign the request as an IAM user or role")
        except Exception:
            logs.exception("request.failed", route=route, requestId=request.get("requestId"))
            return error(500, "internal error; the request id is in the apigw-requestid response header")
        logs.info("request.answered", route=route, status=response["statusCode"])
        return response

    return wrapped
