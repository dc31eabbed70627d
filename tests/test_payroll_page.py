"""The upload page's script under Node (no browser here): every answer and every network failure ends in a message
and an enabled button; nginx lets a file just over the app's limit through so that the app's message is the one shown.

The script (beanstalk/app/upload.js) is the file the page loads; the tests `require` it and drive its functions with
plain objects standing in for the form, the status line and `fetch`.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

APP_DIR = Path(__file__).resolve().parent.parent / "src" / "aws_compute_platform" / "beanstalk" / "app"
sys.path.insert(0, str(APP_DIR))

import application  # noqa: E402

from tests import test_payroll_app as payroll  # noqa: E402
from tests.test_payroll_app import Aws  # noqa: E402

# The AWS side and the app over HTTP, shared with tests/test_payroll_app.py (moto's server, the threaded app).
issuer, app_url, aws = payroll.issuer, payroll.app_url, payroll.aws

SCRIPT = APP_DIR / "upload.js"
NGINX = APP_DIR / ".platform" / "nginx" / "conf.d" / "payroll.conf"
LIMIT = application.DEFAULT_MAX_UPLOAD_BYTES
NGINX_413 = (
    "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413</h1></center>"
)
ALB_502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>"

DRIVER = """
const page = require(process.argv[2]);

// Stand-ins for the page's elements and for fetch, recording what the user would have seen and when.
function element() { return { textContent: "", disabled: false, dataset: {} }; }
async function run(scenario) {
  if (scenario.describe) {
    return scenario.describe.map(([status, body]) => page.describeAnswer(status, body, scenario.maxBytes));
  }
  const ui = { file: { size: scenario.fileSize }, maxBytes: scenario.maxBytes,
               button: element(), status: element() };
  const calls = [];
  const fetchImpl = (url, init) => {
    calls.push({ url: url, method: init.method, contentType: init.headers["Content-Type"],
                 buttonDisabled: ui.button.disabled, status: ui.status.textContent });
    const answer = scenario.answer;
    if (answer.networkError) { return Promise.reject(new TypeError(answer.networkError)); }
    return Promise.resolve({
      status: answer.status,
      text: () => answer.bodyLost ? Promise.reject(new TypeError("network error")) : Promise.resolve(answer.body),
    });
  };
  const first = page.submitUpload(ui, fetchImpl);
  const second = scenario.doubleSubmit ? page.submitUpload(ui, fetchImpl) : Promise.resolve();
  await Promise.all([first, second]);
  return { calls: calls, message: ui.status.textContent, outcome: ui.status.dataset.outcome,
           buttonDisabled: ui.button.disabled };
}
// One scenario per line on stdin, one answer per line on stdout, each finished before the next is read.
(async () => {
  for await (const line of require("readline").createInterface({ input: process.stdin })) {
    console.log(JSON.stringify(await run(JSON.parse(line))));
  }
})();
"""


Page = Callable[[dict[str, Any]], Any]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    """The page's script under node, one process for the module: each scenario gets fresh stand-ins (`run` makes
    them), and the script keeps nothing between calls (no state outside its functions). Starting node costs more
    than most scenarios."""
    executable = shutil.which("node")
    assert executable, "node is needed to run the upload page's script"
    driver = tmp_path_factory.mktemp("page") / "driver.js"
    driver.write_text(DRIVER)
    process = subprocess.Popen(
        [executable, str(driver), str(SCRIPT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None

    def run(scenario: dict[str, Any]) -> Any:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(scenario) + "\n")
        process.stdin.flush()
        answer = process.stdout.readline()
        assert answer, process.stderr.read() if process.stderr else "node stopped"
        return json.loads(answer)

    try:
        yield run
    finally:
        process.stdin.close()
        process.wait(timeout=30)


def upload_run(page: Page, answer: dict[str, Any], file_size: int = 1000, **extra: Any) -> Any:
    return page({"maxBytes": LIMIT, "fileSize": file_size, "answer": answer, **extra})


# -- answers ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "body", "ok", "expected"),
    [
        (202, '{"jobId": "abc", "status": "queued", "encoding": "UTF-8"}', True, "Received: job abc."),
        (413, NGINX_413, False, "larger than the limit of 100 MiB"),
        (413, '{"error": "the file is 104857601 bytes, larger than the limit"}', False, "104857601 bytes"),
        (400, '{"error": "line 1: the header must be ..."}', False, "Not uploaded: line 1: the header must be"),
        (415, "", False, "the server refused the file (HTTP 415)"),
        (502, ALB_502, False, "unavailable (HTTP 502)"),
        (503, "", False, "unavailable (HTTP 503)"),
        (504, "<html>504 Gateway Time-out</html>", False, "may or may not have been received"),
        (500, '{"error": "internal error; the request can be retried"}', False, "the server failed (HTTP 500)"),
        (200, "<html>captive portal</html>", False, "Unexpected answer from the server (HTTP 200)"),
        (202, "<html>not json</html>", False, "Unexpected answer"),
    ],
)
def test_every_answer_becomes_a_message(page: Page, status: int, body: str, ok: bool, expected: str) -> None:
    [outcome] = page({"maxBytes": LIMIT, "describe": [[status, body]]})
    assert outcome["ok"] is ok and expected in outcome["message"]


def test_a_file_read_as_windows_1252_is_pointed_out_on_the_page(page: Page) -> None:
    [outcome] = page({"maxBytes": LIMIT, "describe": [[202, '{"jobId": "j", "encoding": "Windows-1252"}']]})
    assert outcome["ok"] and "read as Windows-1252" in outcome["message"]


# -- one upload, start to end -------------------------------------------------------------------------------------
def test_the_button_is_disabled_while_uploading_and_enabled_after(page: Page) -> None:
    result = upload_run(page, {"status": 202, "body": '{"jobId": "j1", "status": "queued"}'})
    [call] = result["calls"]
    assert call["buttonDisabled"] is True and call["status"].startswith("Uploading")
    # The request names no recipient: the result goes to the signed-in user's own address.
    assert (call["url"], call["method"], call["contentType"]) == ("/uploads", "POST", "text/csv")
    assert result["buttonDisabled"] is False and result["outcome"] == "ok" and "j1" in result["message"]


def test_a_second_submit_while_uploading_sends_nothing(page: Page) -> None:
    result = upload_run(page, {"status": 202, "body": '{"jobId": "j1"}'}, doubleSubmit=True)
    assert len(result["calls"]) == 1


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"networkError": "Failed to fetch"}, "could not be reached (Failed to fetch)"),
        ({"status": 413, "body": NGINX_413}, "larger than the limit of 100 MiB"),
        ({"status": 502, "body": ALB_502}, "unavailable (HTTP 502)"),
        ({"status": 504, "bodyLost": True}, "did not answer in time (HTTP 504)"),
    ],
)
def test_a_failed_upload_says_why_and_gives_the_button_back(page: Page, answer: dict[str, Any], expected: str) -> None:
    result = upload_run(page, answer)
    assert expected in result["message"] and result["outcome"] == "error" and result["buttonDisabled"] is False


def test_a_file_over_the_limit_is_refused_before_sending(page: Page) -> None:
    result = upload_run(page, {"status": 202, "body": "{}"}, file_size=LIMIT + 1)
    assert result["calls"] == [] and "larger than the limit of 100 MiB" in result["message"]


def test_the_apps_own_413_reaches_the_page_as_its_message(aws: Aws, app_url: str, page: Page) -> None:
    host, port = app_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:  # the length is announced, the body never sent: the app answers from the headers
        connection.putrequest("POST", "/uploads")
        connection.putheader("Cookie", payroll.session_cookie(app_url))
        connection.putheader("Content-Type", "text/csv")
        connection.putheader("Content-Length", str(LIMIT + 1))
        connection.endheaders()
        response = connection.getresponse()
        status, body = response.status, response.read().decode()
    finally:
        connection.close()
    assert status == 413 and response.getheader("Content-Type") == "application/json"
    [outcome] = page({"maxBytes": LIMIT, "describe": [[status, body]]})
    assert (
        outcome["message"]
        == f"Not uploaded: the file is {LIMIT + 1} bytes, larger than the limit of {LIMIT} bytes (100 MiB)."
    )
    assert aws.objects() == []


# -- nginx and the app ---------------------------------------------------------------------------------------------
def _nginx_bytes(directive: str) -> int:
    match = re.search(rf"^{directive} (\d+)([kmg]?);", NGINX.read_text(), re.MULTILINE)
    assert match, directive
    return int(match.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2)]


def test_nginx_lets_a_file_just_over_the_apps_limit_through_to_the_app() -> None:
    nginx_limit = _nginx_bytes("client_max_body_size")
    assert LIMIT < nginx_limit <= LIMIT + 2 * 1024 * 1024  # larger, but only slightly


def test_nginx_waits_for_the_longest_job_sqsd_can_wait_for() -> None:
    match = re.search(r"^proxy_read_timeout (\d+)s;", NGINX.read_text(), re.MULTILINE)
    assert match and int(match.group(1)) >= 36_000  # sqsd's largest InactivityTimeout
    assert application.MAX_JOB_TIMEOUT_S < 36_000
