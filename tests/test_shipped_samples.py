"""The sample files the docs use are valid input for the apps that read them, and the orders API's local run works."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from moto import mock_aws

from aws_compute_platform.serverless.app.orders_api import orders
from aws_compute_platform.serverless.app.orders_api.handlers import IMPORT_COLUMNS
from plan.engine import ROOT

SAMPLES = ROOT / "examples" / "samples"
APP_DIR = ROOT / "src" / "aws_compute_platform" / "beanstalk" / "app"
sys.path.insert(0, str(APP_DIR))

import payroll_csv  # noqa: E402  (the app's own module, as it runs on the platform)


def test_the_sample_payroll_file_is_accepted_with_its_totals() -> None:
    summary = payroll_csv.summarise(io.StringIO((SAMPLES / "payroll.csv").read_text(encoding="utf-8")))
    result: dict[str, Any] = summary.as_json()
    assert summary.accepted, result
    assert result["rows"] == 5


def test_the_sample_orders_file_has_the_import_columns_and_only_valid_orders() -> None:
    rows = list(csv.DictReader(io.StringIO((SAMPLES / "orders.csv").read_text(encoding="utf-8"))))
    assert rows and list(rows[0]) == list(IMPORT_COLUMNS)
    for row in rows:
        _order, problems = orders.validate_new_order(row)
        assert problems == [], (row, [p.as_dict() for p in problems])


def _local_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("orders_local", SAMPLES / "orders_local.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_orders_local_run_imports_approves_and_processes_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "TABLE_NAME", "DOCUMENTS_BUCKET", "UPLOADS_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    orders.table.cache_clear()
    orders.s3.cache_clear()
    local = _local_run()
    try:
        with mock_aws():
            steps = local.run()
    finally:
        for name in ("TABLE_NAME", "DOCUMENTS_BUCKET", "UPLOADS_BUCKET"):
            os.environ.pop(name, None)
        orders.table.cache_clear()
        orders.s3.cache_clear()
    sample_rows = len((SAMPLES / "orders.csv").read_text(encoding="utf-8").strip().splitlines()) - 1
    assert steps["onUpload"]["created"] == sample_rows and steps["onUpload"]["rejected"] == 0
    assert len(steps["listOrders"]["orders"]) == sample_rows
    assert steps["approveOrder"]["statusCode"] == 200 and steps["approveOrder"]["status"] == "approved"
    assert steps["processOrders"]["processed"] == 1
    assert steps["document"]["purchaseOrder"]["id"] == steps["approveOrder"]["id"]
    json.dumps(steps, default=str)


def test_the_docs_run_the_apps_on_the_sample_files() -> None:
    payroll = (ROOT / "docs" / "payroll.md").read_text(encoding="utf-8")
    serverless = (ROOT / "docs" / "serverless.md").read_text(encoding="utf-8")
    assert "@examples/samples/payroll.csv" in payroll
    assert "uv run python examples/samples/orders_local.py" in serverless
    for path in (Path("examples/samples/payroll.csv"), Path("examples/samples/orders.csv")):
        assert (ROOT / path).is_file()
