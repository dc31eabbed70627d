"""Sign-in for the web tier: the OpenID Connect authorization-code flow against the Cognito user pool, with Authlib.

Elastic Beanstalk's load balancer cannot authenticate (its listener rules only forward), so the app does it:

1. A request without a valid session cookie: a browser is redirected to the pool's sign-in page (Authlib makes the
   authorization URL with `state`, a `nonce` and a PKCE challenge, kept in a short-lived signed cookie); an API
   call gets 401.
2. The pool sends the browser back to /auth/callback with a code. The app checks `state`, exchanges the code for
   tokens with its client secret (Authlib), and checks the ID token (joserfc, Authlib's JOSE library, against the
   pool's published keys; Authlib's `CodeIDToken` for issuer, audience, expiry, nonce and access-token hash).
3. Only a user whose email address Cognito has verified is let in. The session cookie then carries that user's
   subject and verified address, signed (HS256) with a key from that parameter, HttpOnly, Secure, SameSite=Lax,
   and `__Host-` prefixed (no Domain, Path=/): it cannot be read by scripts, sent over plain HTTP to another
   host, or sent with another site's POST.

Settings (environment properties): OIDC_ISSUER (https://cognito-idp.<region>.amazonaws.com/<pool id>),
OIDC_CLIENT_ID, PUBLIC_URL (where users reach the app: the callback is PUBLIC_URL/auth/callback) and
SIGNIN_PARAMETER (an SSM SecureString parameter {"clientSecret": ..., "sessionKey": ...}, read at run time).
"""

from __future__ import annotations

import hmac
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import boto3
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, OctKey

CALLBACK_PATH = "/auth/callback"
SESSION_COOKIE = "__Host-payroll-session"
PENDING_COOKIE = "__Host-payroll-signin"
SESSION_S = 8 * 3600  # a working day; then sign in again (the pool's own session may make that one click)
PENDING_S = 600  # time to sign in, MFA included
HTTP_TIMEOUT_S = 10
LEEWAY_S = 60
SESSION_AUDIENCE = "payroll-session"
PENDING_AUDIENCE = "payroll-signin"
# Cognito signs ID tokens with RS256 only.
ID_TOKEN_ALGORITHMS = ["RS256"]
SCOPES = "openid email"

_clock: Callable[[], float] = time.time


class SignInError(Exception):
    """The sign-in cannot complete (tampered, expired, refused or unverified): the user starts again."""


@dataclass(frozen=True)
class User:
    """A signed-in user: Cognito's subject and the email address Cognito has verified for them."""

    subject: str
    email: str


def cookies(environ: Mapping[str, Any]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(str(environ.get("HTTP_COOKIE", "")))
    except Exception:  # a malformed Cookie header is no cookie at all
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def set_cookie(name: str, value: str, max_age: int) -> tuple[str, str]:
    """A Set-Cookie header: `__Host-` names need Secure, Path=/ and no Domain."""
    return ("Set-Cookie", f"{name}={value}; Max-Age={max_age}; Path=/; Secure; HttpOnly; SameSite=Lax")


def clear_cookie(name: str) -> tuple[str, str]:
    return set_cookie(name, "", 0)


def safe_next(path: str) -> str:
    """Where to go after signing in: a path of this site only (never another host: no open redirect)."""
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


class SignIn:
    """The app's side of the flow for one user pool client; `http` fetches the pool's discovery document and keys."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        session_key: str,
        public_url: str,
    ) -> None:
        if len(session_key) < 32:
            raise RuntimeError("the session key in the sign-in secret must have at least 32 characters")
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self._session_key = OctKey.import_key(session_key.encode())
        self.redirect_uri = public_url.rstrip("/") + CALLBACK_PATH
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    @classmethod
    def from_environment(cls) -> SignIn:
        """The sign-in the environment properties describe, its secrets read from SSM Parameter Store now."""
        names = ("OIDC_ISSUER", "OIDC_CLIENT_ID", "PUBLIC_URL", "SIGNIN_PARAMETER")
        missing = [n for n in names if not os.environ.get(n)]
        if missing:
            raise RuntimeError(f"environment properties {', '.join(missing)} are not set: sign-in cannot work")
        parameter = boto3.client("ssm").get_parameter(Name=os.environ["SIGNIN_PARAMETER"], WithDecryption=True)
        values = json.loads(parameter["Parameter"]["Value"])
        return cls(
            issuer=os.environ["OIDC_ISSUER"],
            client_id=os.environ["OIDC_CLIENT_ID"],
            client_secret=values["clientSecret"],
            session_key=values["sessionKey"],
            public_url=os.environ["PUBLIC_URL"],
        )

    # -- the pool --------------------------------------------------------------------------------------------------
    def _session(self, **kwargs: Any) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self._client_secret,
            scope=SCOPES,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            **kwargs,
        )

    def metadata(self) -> dict[str, Any]:
        """The pool's OpenID configuration (fetched once): its sign-in, token and key addresses."""
        if self._metadata is None:
            with self._session() as http:
                answer = http.get(
                    f"{self.issuer}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT_S, withhold_token=True
                )
                answer.raise_for_status()
                document: dict[str, Any] = answer.json()
            if document.get("issuer") != self.issuer:
                raise RuntimeError(f"the discovery document names issuer {document.get('issuer')!r}, not {self.issuer}")
            self._metadata = document
        return self._metadata

    def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            with self._session() as http:
                answer = http.get(self.metadata()["jwks_uri"], timeout=HTTP_TIMEOUT_S, withhold_token=True)
                answer.raise_for_status()
                self._keys = KeySet.import_key_set(answer.json())
        return self._keys

    # -- the flow --------------------------------------------------------------------------------------------------
    def start(self, next_path: str) -> tuple[str, tuple[str, str]]:
        """The pool's sign-in URL for this browser, and the cookie that remembers what was asked."""
        verifier, nonce = generate_token(64), generate_token(32)
        with self._session() as client:
            url, state = client.create_authorization_url(
                self.metadata()["authorization_endpoint"], code_verifier=verifier, nonce=nonce
            )
        now = int(_clock())
        pending = self._sign(
            {
                "aud": PENDING_AUDIENCE,
                "exp": now + PENDING_S,
                "state": state,
                "nonce": nonce,
                "verifier": verifier,
                "next": safe_next(next_path),
            }
        )
        return str(url), set_cookie(PENDING_COOKIE, pending, PENDING_S)

    def finish(self, query: Mapping[str, str], jar: Mapping[str, str]) -> tuple[User, str, list[tuple[str, str]]]:
        """The user the pool signed in, where they were going, and the cookies that end the flow."""
        pending = self._verify(jar.get(PENDING_COOKIE, ""), PENDING_AUDIENCE)
        if pending is None:
            raise SignInError("the sign-in took too long or did not start here")
        if "error" in query:
            raise SignInError(f"the user pool refused the sign-in ({query.get('error')})")
        if not hmac.compare_digest(str(query.get("state", "")), str(pending["state"])):
            raise SignInError("the sign-in answer does not belong to this browser's sign-in")
        code = query.get("code", "")
        if not code:
            raise SignInError("the sign-in answer has no code")
        with self._session(state=pending["state"]) as client:
            token = client.fetch_token(
                self.metadata()["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=pending["verifier"],
                timeout=HTTP_TIMEOUT_S,
            )
        claims = self._id_token_claims(dict(token), str(pending["nonce"]))
        if claims.get("email_verified") not in (True, "true") or not claims.get("email"):
            raise SignInError("the account has no verified email address: ask an administrator to verify it")
        user = User(subject=str(claims["sub"]), email=str(claims["email"]))
        now = int(_clock())
        session = self._sign(
            {"aud": SESSION_AUDIENCE, "iat": now, "exp": now + SESSION_S, "sub": user.subject, "email": user.email}
        )
        headers = [set_cookie(SESSION_COOKIE, session, SESSION_S), clear_cookie(PENDING_COOKIE)]
        return user, str(pending["next"]), headers

    def user(self, jar: Mapping[str, str]) -> User | None:
        """The user of a valid session cookie, or None (no cookie, a forged one, or an expired one)."""
        claims = self._verify(jar.get(SESSION_COOKIE, ""), SESSION_AUDIENCE)
        if claims is None or not isinstance(claims.get("sub"), str) or not isinstance(claims.get("email"), str):
            return None
        return User(subject=claims["sub"], email=claims["email"])

    # -- tokens ----------------------------------------------------------------------------------------------------
    def _id_token_claims(self, token: dict[str, Any], nonce: str) -> dict[str, Any]:
        if "id_token" not in token:
            raise SignInError("the user pool returned no ID token")
        try:
            try:
                decoded = jwt.decode(token["id_token"], self._key_set(), algorithms=ID_TOKEN_ALGORITHMS)
            except InvalidKeyIdError:  # the pool rotated its keys since they were fetched
                decoded = jwt.decode(token["id_token"], self._key_set(refresh=True), algorithms=ID_TOKEN_ALGORITHMS)
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {
                    "iss": {"essential": True, "value": self.issuer},
                    "aud": {"essential": True, "value": self.client_id},
                    "exp": {"essential": True},
                },
                {"nonce": nonce, "client_id": self.client_id, "access_token": token.get("access_token")},
            )
            claims.validate(leeway=LEEWAY_S)
        except (JoseError, ValueError) as exc:
            raise SignInError(f"the ID token is not valid ({exc})") from exc
        if claims.get("token_use", "id") != "id":
            raise SignInError("the token is not an ID token")
        return dict(claims)

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "HS256"}, claims, self._session_key, algorithms=["HS256"])

    def _verify(self, value: str, audience: str) -> dict[str, Any] | None:
        if not value:
            return None
        try:
            token = jwt.decode(value, self._session_key, algorithms=["HS256"])
            jwt.JWTClaimsRegistry(
                now=int(_clock()), aud={"essential": True, "value": audience}, exp={"essential": True}
            ).validate(token.claims)
        except (JoseError, ValueError):
            return None
        return dict(token.claims)
