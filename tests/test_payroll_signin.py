"""Sign-in, over real HTTP against the web tier: nothing without a valid sign-in, and the result email goes only to
the signed-in user's verified address. `LocalIssuer` (tests/test_payroll_app.py) stands in for the Cognito user pool
with its own RSA key, served from 127.0.0.1; `forge` makes it issue an ID token that is wrong in one way.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

APP_DIR = Path(__file__).resolve().parent.parent / "src" / "aws_compute_platform" / "beanstalk" / "app"
sys.path.insert(0, str(APP_DIR))

import signin  # noqa: E402

from tests import test_payroll_app as payroll  # noqa: E402
from tests.test_payroll_app import (  # noqa: E402
    BROWSER,
    CLIENT_ID,
    GOOD_FILE,
    HR,
    SESSION_KEY,
    Aws,
    LocalIssuer,
    cookie_value,
    deliver,
    exchange,
    request,
    session_cookie,
    sign_in_flow,
    upload,
)

issuer, app_url, aws = payroll.issuer, payroll.app_url, payroll.aws
ATTACKER = "attacker@example.net"
CSV = {"Content-Type": "text/csv", "Content-Length": str(len(GOOD_FILE.encode()))}


@pytest.fixture
def forged(issuer: LocalIssuer) -> Iterator[dict[str, Any]]:
    """What the next ID tokens get wrong; put right after the test."""
    yield issuer.forge
    issuer.forge.clear()


def session_token(key: str = SESSION_KEY, **claims: Any) -> str:
    now = int(time.time())
    body = {"aud": signin.SESSION_AUDIENCE, "iat": now, "exp": now + 3600, "sub": "sub-x", "email": HR, **claims}
    return jwt.encode({"alg": "HS256"}, body, OctKey.import_key(key.encode()))


# -- nothing without a sign-in --------------------------------------------------------------------------------------
def test_a_browser_without_a_sign_in_is_sent_to_the_pool_with_state_nonce_and_pkce(aws: Aws, app_url: str) -> None:
    status, headers, set_cookies, _ = exchange(app_url, "GET", "/", headers=BROWSER)
    assert status == 303 and headers["Cache-Control"] == "no-store"
    location = urlsplit(headers["Location"])
    asked = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert location.path == "/oauth2/authorize"
    assert asked["response_type"] == "code" and asked["client_id"] == CLIENT_ID
    assert asked["redirect_uri"] == f"{app_url}/auth/callback" and set(asked["scope"].split()) == {"openid", "email"}
    assert asked["state"] and asked["nonce"] and asked["code_challenge_method"] == "S256" and asked["code_challenge"]
    [pending] = set_cookies
    assert pending.startswith(f"{signin.PENDING_COOKIE}=")
    assert {"HttpOnly", "Secure", "SameSite=Lax", "Path=/"} <= {a.strip() for a in pending.split(";")}


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("POST", "/uploads", CSV),
        ("POST", "/uploads?email=attacker@example.net", CSV),
        ("GET", "/", {"Accept": "application/json"}),
        ("GET", "/upload.js", {}),
    ],
)
def test_a_request_without_a_sign_in_is_refused_and_nothing_is_stored(
    aws: Aws, app_url: str, method: str, path: str, headers: dict[str, str]
) -> None:
    body = GOOD_FILE.encode() if method == "POST" else None
    status, answer = request(app_url, method, path, body, headers)
    assert status == 401 and "sign in" in answer["error"]
    assert aws.objects() == [] and aws.waiting(aws.queue_url) == 0


@pytest.mark.parametrize(
    "cookie",
    [
        session_token(key="another-key-" + "x" * 52),  # signed with a key that is not the app's
        session_token(exp=int(time.time()) - 10),  # expired
        session_token(aud=signin.PENDING_AUDIENCE),  # a sign-in-in-progress cookie passed off as a session
        session_token().rsplit(".", 1)[0] + ".AAAA",  # a signature that does not match
        "not-a-token",
    ],
    ids=["other-key", "expired", "pending-cookie", "bad-signature", "garbage"],
)
def test_a_forged_or_expired_session_cookie_is_no_sign_in(aws: Aws, app_url: str, cookie: str) -> None:
    headers = {**CSV, "Cookie": f"{signin.SESSION_COOKIE}={cookie}"}
    assert request(app_url, "POST", "/uploads", GOOD_FILE.encode(), headers)[0] == 401
    assert aws.objects() == [] and aws.waiting(aws.queue_url) == 0


def test_the_session_cookie_of_a_signed_in_user_is_http_only_secure_and_same_site(aws: Aws, app_url: str) -> None:
    status, set_cookies, location = sign_in_flow(app_url, HR, next_path="/upload.js")
    assert status == 303 and location == "/upload.js"  # back where the user was going
    session = next(c for c in set_cookies if c.startswith(f"{signin.SESSION_COOKIE}="))
    attributes = {a.strip() for a in session.split(";")}
    assert {"HttpOnly", "Secure", "SameSite=Lax", "Path=/"} <= attributes and not any("Domain" in a for a in attributes)
    assert f"{signin.PENDING_COOKIE}=;" in "".join(set_cookies)  # the sign-in in progress is over


# -- ID tokens the app refuses ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "forgery",
    [
        {"key": RSAKey.generate_key(2048, parameters={"kid": "pool-key-1"})},  # not the pool's key
        {"claims": {"aud": "another-client"}},
        {"claims": {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"}},
        {"claims": {"nonce": "replayed"}},
        {"claims": {"exp": int(time.time()) - 3600}},
        {"claims": {"token_use": "access"}},
        {"claims": {"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}},
    ],
    ids=["other-key", "audience", "issuer", "nonce", "expired", "token-use", "at-hash"],
)
def test_an_id_token_that_is_not_the_pools_for_this_sign_in_signs_nobody_in(
    aws: Aws, app_url: str, forged: dict[str, Any], forgery: dict[str, Any]
) -> None:
    forged.update(forgery)
    status, set_cookies, answer = sign_in_flow(app_url, HR)
    assert status == 401 and "ID token" in answer["error"]
    assert not [c for c in set_cookies if c.startswith(f"{signin.SESSION_COOKIE}=")]


def test_a_user_without_a_verified_email_address_is_not_let_in(aws: Aws, app_url: str) -> None:
    status, set_cookies, answer = sign_in_flow(app_url, HR, verified=False)
    assert status == 401 and "verified email" in answer["error"]
    assert not [c for c in set_cookies if c.startswith(f"{signin.SESSION_COOKIE}=")]


def test_a_callback_for_another_browsers_sign_in_is_refused(aws: Aws, app_url: str) -> None:
    # Someone else's code and state, brought to this browser (login CSRF): its own pending cookie does not match.
    _, _, set_cookies, _ = exchange(app_url, "GET", "/", headers=BROWSER)
    mine = cookie_value(set_cookies, signin.PENDING_COOKIE)
    status, answer = request(
        app_url, "GET", "/auth/callback?code=stolen&state=theirs", headers={"Cookie": f"{signin.PENDING_COOKIE}={mine}"}
    )
    assert status == 401 and "does not belong" in answer["error"]
    status, answer = request(app_url, "GET", "/auth/callback?code=stolen&state=theirs")
    assert status == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "evil"])
def test_after_signing_in_the_app_only_ever_sends_the_user_to_its_own_pages(target: str) -> None:
    assert signin.safe_next(target) == "/"
    assert signin.safe_next("/upload.js?x=1") == "/upload.js?x=1"


# -- the email goes to the signed-in user -------------------------------------------------------------------------
def test_the_result_goes_to_the_signed_in_users_verified_address_never_one_the_request_names(
    aws: Aws, app_url: str
) -> None:
    headers = {**CSV, "Cookie": session_cookie(app_url, HR), "X-Notify-Email": ATTACKER}
    status, answer = request(app_url, "POST", f"/uploads?email={ATTACKER}", GOOD_FILE.encode(), headers)
    assert status == 202
    assert deliver(aws, app_url)[0] == 200
    [email] = aws.emails()
    assert email["destinations"]["ToAddresses"] == [HR]
    assert ATTACKER not in str(aws.json_object(f"notices/{answer['jobId']}.json"))


def test_each_user_gets_their_own_result(aws: Aws, app_url: str) -> None:
    other = "payroll.clerk@example.com"
    upload(app_url, GOOD_FILE.encode(), user=other)
    deliver(aws, app_url)
    [email] = aws.emails()
    assert email["destinations"]["ToAddresses"] == [other]


# -- the worker route ---------------------------------------------------------------------------------------------
def test_the_worker_route_does_not_exist_on_the_web_tier_even_for_a_signed_in_user(aws: Aws, app_url: str) -> None:
    job = {"jobId": "0" * 32, "bucket": payroll.BUCKET, "key": f"uploads/{'0' * 32}.csv", "email": ATTACKER}
    for cookie in ({}, {"Cookie": session_cookie(app_url)}):
        headers = {"Content-Type": "application/json", **cookie}
        status, _ = request(app_url, "POST", "/tasks/payroll", str(job).encode(), headers)
        assert status in (401, 404)
    assert request(app_url, "POST", "/tasks/payroll", b"{}", {"Cookie": session_cookie(app_url)})[0] == 404
    assert aws.emails() == []


def test_the_worker_tier_serves_no_page_and_no_uploads(aws: Aws, app_url: str) -> None:
    worker = payroll.WORKER_OF[app_url]
    assert request(worker, "GET", "/", headers=BROWSER)[0] == 404
    assert request(worker, "POST", "/uploads", GOOD_FILE.encode(), CSV)[0] == 404
