"""Shared fixtures: the plan of each shipped stack, built once per test session from the real stack files."""

from __future__ import annotations

import functools
import gc
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.yaml_loader import load_yaml

if TYPE_CHECKING:
    from aws_compute_platform.settings import Settings
    from plan import Plan

# The project's modules (and with them Pulumi and pydantic, half a second) are imported where a fixture first needs
# them, not here: with xdist, the controlling process loads this file too, and it starts the test processes only
# after, so what this file imports delays them all.
ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Fewer full garbage collections in each test process.

    A test process holds about a million long-lived objects (pulumi_aws's classes, the session's plans, moto), and
    every full collection walks them all: a quarter of the suite's CPU went to collections that freed little. What
    is imported by now is moved out of the collector's sight (`gc.freeze`), and the youngest generation collects
    after 50,000 allocations instead of 700, so the cycles tests make are still collected, in fewer passes.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


@pytest.hookimpl(trylast=True)  # after pytest's own reordering (by parametrized session fixtures), which it keeps
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules that share something made once per test process run next to each other, at the start; the rest after.

    Tests are split between two processes (`--dist worksteal`: each takes one half in this order, and a process that
    runs out takes the end of the other's share). Modules at the start of the first half all run in one process, so
    what they share is made once, wherever the halves happen to split: first the modules using moto's server (a
    second server costs seconds), then those reading the variant builds shared across files (`dev_with_a_domain`,
    `dev_in_six_zones` below). Within each part, modules and tests keep their usual order (the sort is stable).
    """
    shared_builds = (dev_with_a_domain, dev_in_six_zones)
    tests = [item for item in items if isinstance(item, pytest.Function)]
    served = {test.module for test in tests if "moto_endpoint" in test.fixturenames}
    building = {test.module for test in tests if any(vars(test.module).get(f.__name__) is f for f in shared_builds)}

    def part(item: pytest.Item) -> tuple[bool, bool]:
        module = getattr(item, "module", None)
        return module not in served, module not in building

    items.sort(key=part)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Nothing left for the collector once pytest has made its own last collection (which reports what a test left
    behind): the interpreter's exit would otherwise walk every live object again, a second per test process."""
    gc.freeze()


STACKS = ("dev", "prod")
PROJECT = "aws-compute-platform"
# Dev with no NAT gateway, and so without payroll (its private instances need one), and without the orders API: what
# the tests of a network without NAT and of each of those components turned off read, in one shared build.
DEV_WITHOUT_NAT_PAYROLL_OR_ORDERS = {
    f"{PROJECT}:network": {"cidr": "10.20.0.0/16", "azCount": 2, "natGateways": "none"},
    f"{PROJECT}:beanstalk": {"enabled": False},
    f"{PROJECT}:serverless": {"enabled": False},
}


def _dev_section(key: str) -> Any:
    """A section of the shipped dev stack file, as written there (a fresh copy each time)."""
    config = load_yaml((ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))["config"]
    return config[f"{PROJECT}:{key}"]


def _dev_payroll_load_balanced() -> dict[str, Any]:
    """Dev's payroll made load balanced, its instances private (so behind a NAT gateway), with account-wide volume
    encryption asked for: a load balancer holds a certificate, which a single instance cannot."""
    return {
        **_dev_section("beanstalk"),
        "web": {"minSize": 1, "maxSize": 2},
        "instanceSubnets": "private",
        "encryptVolumesByDefault": True,
    }


def dev_with_a_domain() -> dict[str, Any]:
    """Dev given a hosted zone, one build read by the payroll and the WordPress tests, each reading only its part.

    The zone makes payroll load balanced over HTTPS (private instances, one NAT gateway); WordPress has no CDN (viewers
    reach the load balancer), admin networks, an x86 instance type and request-count scaling; volumes are encrypted
    by default account-wide. None of these edits touches what another one changes.
    """
    return {
        f"{PROJECT}:domain": "example.org",
        # Private instances (payroll's and WordPress's) reach package repositories and AWS APIs through NAT.
        f"{PROJECT}:network": {"cidr": "10.20.0.0/16", "azCount": 2, "natGateways": "single"},
        f"{PROJECT}:beanstalk": _dev_payroll_load_balanced(),
        f"{PROJECT}:wordpress": {
            "enabled": True,
            "instanceType": "t3.small",
            "minSize": 1,
            "maxSize": 3,
            "adminCidrs": ["203.0.113.0/24", "2001:db8::/32"],
            "adminEmail": "webmaster@example.org",
            "cdn": {"enabled": False},
            "publicInstances": False,
            "scalingMetric": "requestCount",
            "scalingTarget": 500,
            "database": {"instanceClass": "db.t4g.micro", "multiAz": False},
        },
    }


def dev_in_six_zones() -> dict[str, Any]:
    """Dev without a domain in a six-zone network (one NAT gateway), one build read by the payroll and the WordPress
    tests, each reading only its part: payroll load balanced with private instances; WordPress on a type every zone
    offers, a longer load balancer idle timeout, database logs not exported."""
    wordpress = _dev_section("wordpress")
    return {
        f"{PROJECT}:network": {"cidr": "10.20.0.0/16", "azCount": 6, "natGateways": "single"},
        f"{PROJECT}:beanstalk": _dev_payroll_load_balanced(),
        f"{PROJECT}:wordpress": {
            **wordpress,
            "instanceType": "t3.micro",
            "loadBalancer": {"idleTimeoutSeconds": 300},
            "database": {**wordpress["database"], "exportLogs": False},
        },
    }


def bad_project(tmp_path: Path) -> Path:
    """A copy of the program in `tmp_path` with a dev stack file carrying three mistakes: an out-of-range value, an
    unknown key and a misspelt project name; the commands' tests check that each is reported with its key."""
    for name in ("__main__.py", "Pulumi.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    stack = load_yaml((ROOT / "Pulumi.dev.yaml").read_text())
    config = stack["config"]
    config[f"{PROJECT}:network"]["azCount"] = 9
    config[f"{PROJECT}:keypair"] = "mine"
    config["aws-compute-plattform:logRetentionDays"] = 14
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack))
    return tmp_path


@functools.cache
def stack_settings(stack: str) -> Settings:
    """What a shipped stack file asks for, read by the same models as the program: tests compare a plan with it."""
    from aws_compute_platform.settings import parse_settings

    config = load_yaml((ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]
    raw = {k.removeprefix(f"{PROJECT}:"): v for k, v in config.items() if k.startswith(f"{PROJECT}:")}
    return parse_settings(PROJECT, stack, config.get("aws:region"), raw)


def stacks_with(component: str) -> list[str]:
    """The stacks whose file turns `component` on: tests of that component are promises about each of them."""
    return [s for s in STACKS if getattr(stack_settings(s), component).enabled]


@functools.cache
def _built(stack: str, overrides: str) -> Plan:
    from plan import run_stack

    plan = run_stack(stack, json.loads(overrides))
    # The plan is kept until the process ends: after its build's garbage is collected (the build runs with the
    # collector paused, so all of it is still in the youngest generations), what is left is moved out of the
    # collector's sight, as at start, rather than walked by every full collection from here on.
    gc.collect(1)
    gc.freeze()
    return plan


def build_stack(stack: str, overrides: dict[str, Any] | None = None) -> Plan:
    """A stack's plan with some config replaced, built once per test process for each stack and overrides.

    A whole stack takes seconds to build under the mock engine, and several tests ask for the same one: they only
    read a plan, so they share it. (A build that fails raises each time: it is not kept.)
    """
    return _built(stack, json.dumps(overrides or {}, sort_keys=True))


@pytest.fixture(scope="session")
def dev_plan() -> Plan:
    return build_stack("dev")


@pytest.fixture(scope="session")
def prod_plan() -> Plan:
    return build_stack("prod")


@pytest.fixture(scope="session", params=STACKS)
def stack_plan(request: pytest.FixtureRequest) -> Plan:
    """Each shipped stack in turn: a test using it is a promise about both dev and prod."""
    plan: Plan = request.getfixturevalue(f"{request.param}_plan")
    return plan


@pytest.fixture
def plan_with() -> Callable[..., Plan]:
    """A stack's plan with some config replaced: `plan_with("dev", {"aws-compute-platform:network": {...}})`."""

    return build_stack


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server in a child process on 127.0.0.1, started once per test process for the payroll app's tests.

    Each test that uses it starts from an empty account (`Aws` in tests/test_payroll_app.py resets it), so sharing
    it across modules changes nothing a test sees; it saves a start per module, and the first call to each of its
    services, which loads that service's models in the server (about a second for the four the app uses).
    """
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    endpoint = ""
    for line in server.stdout:
        if "Running on http://" in line:
            endpoint = line.split("Running on ", 1)[1].strip()
            break
    assert endpoint.startswith("http://127.0.0.1:"), "moto server did not start"
    # Keep reading its output so the child never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in server.stdout or []], daemon=True).start()
    try:
        yield endpoint
    finally:
        server.kill()  # it keeps nothing: SIGTERM let it spend most of a second tearing down what it had loaded
        server.wait(timeout=10)
