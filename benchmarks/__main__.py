"""`python -m benchmarks`: the figures that matter, measured, printed, never asserted.

Each figure is min / median / max over several fresh processes (the machine is shared and noisy: one run says
little). Budgets are printed beside the figures they apply to, for a person to judge; nothing here fails a build.

    uv run python -m benchmarks              # everything but the test suite
    uv run python -m benchmarks --suite      # also the whole test suite's wall time
    uv run python -m benchmarks --quick      # one run each, small inputs: the CI smoke step
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass
class Figure:
    name: str
    values: list[float]
    unit: str
    budget: float | None = None

    def line(self) -> str:
        low, mid, high = min(self.values), statistics.median(self.values), max(self.values)
        shown = (
            f"{low:,.2f} / {mid:,.2f} / {high:,.2f} {self.unit}" if len(self.values) > 1 else f"{mid:,.2f} {self.unit}"
        )
        verdict = ""
        if self.budget is not None:
            verdict = f"   budget <= {self.budget:g} {self.unit}: {'within' if mid <= self.budget else 'OVER'}"
        return f"  {self.name:<52} {shown}{verdict}"


def timed_process(argv: Sequence[str], runs: int, env: dict[str, str] | None = None) -> list[float]:
    """Wall seconds of `argv` as a fresh process, `runs` times."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, env=env)
        seconds.append(time.perf_counter() - started)
    return seconds


def child_figures(code: str, runs: int) -> list[dict[str, float]]:
    """Run `code` in fresh processes; each prints one JSON object of figures on its last line."""
    results = []
    for _ in range(runs):
        done = subprocess.run([PYTHON, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return results


def stacks() -> list[str]:
    return sorted(p.stem.removeprefix("Pulumi.") for p in ROOT.glob("Pulumi.*.yaml"))


def plan_figures(runs: int) -> list[Figure]:
    figures = []
    for stack in stacks():
        seconds = timed_process([PYTHON, "-m", "plan", "--stack", stack], runs)
        figures.append(Figure(f"offline plan, {stack} (fresh process)", seconds, "s", budget=3))
    for stack in stacks():
        seconds = timed_process([PYTHON, "-m", "costs", "--stack", stack, "--format", "json"], runs)
        figures.append(Figure(f"cost estimate, {stack} (fresh process)", seconds, "s", budget=3))
    count = (
        "import json, contextlib, io\n"
        "from plan import run_stack\n"
        "with contextlib.redirect_stderr(io.StringIO()):\n"
        f"    plans = {{s: run_stack(s) for s in {stacks()!r}}}\n"
        "print(json.dumps({s: sum(r.custom for r in p.resources) for s, p in plans.items()}))\n"
    )
    [resources] = child_figures(count, 1)
    figures += [Figure(f"resources declared, {stack}", [n], "resources") for stack, n in resources.items()]
    return figures


PAYROLL_ROWS = """
import io, json, resource, sys, time
sys.path.insert(0, "src/aws_compute_platform/beanstalk/app")
import payroll_csv

ROWS = {rows}

class Rows(io.RawIOBase):
    # A payroll CSV generated as it is read, so the file itself takes no memory.
    def __init__(self):
        self.i = 0
        self.pending = payroll_csv.HEADER_LINE.encode() + b"\\n"
    def readable(self):
        return True
    def readinto(self, buffer):
        while len(self.pending) < len(buffer) and self.i < ROWS:
            self.i += 1
            self.pending += b"E%07d,Employee %d,3000.00,600.00,2400.00\\n" % (self.i, self.i)
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n

started = time.perf_counter()
summary = payroll_csv.summarise(payroll_csv.text_lines(io.BufferedReader(Rows())))
seconds = time.perf_counter() - started
peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"rows_per_s": ROWS / seconds, "peak_mib": peak_mib}}))
"""


def payroll_figures(runs: int, sizes: Sequence[int]) -> list[Figure]:
    figures = []
    for rows in sizes:
        results = child_figures(PAYROLL_ROWS.format(rows=rows), runs)
        figures.append(
            Figure(f"payroll worker, {rows:,} rows: throughput", [r["rows_per_s"] for r in results], "rows/s")
        )
        figures.append(Figure(f"payroll worker, {rows:,} rows: peak RSS", [r["peak_mib"] for r in results], "MiB"))
    return figures


COLD_IMPORT = """
import json, time
started = time.perf_counter()
import {module}
print(json.dumps({{"s": time.perf_counter() - started}}))
"""


def import_figures(runs: int) -> list[Figure]:
    handlers = [
        r["s"]
        for r in child_figures(
            COLD_IMPORT.format(module="aws_compute_platform.serverless.app.orders_api.handlers"), runs
        )
    ]
    boto3 = [r["s"] for r in child_figures(COLD_IMPORT.format(module="boto3"), runs)]
    ratio = [h / b for h, b in zip(sorted(handlers), sorted(boto3), strict=True)]
    return [
        Figure("Lambda handlers cold import", handlers, "s"),
        Figure("bare `import boto3`", boto3, "s"),
        Figure("handlers cold import / boto3 import", ratio, "x"),
    ]


# Benchmarks that live in scripts of their own beside this one; each prints its figures as JSON on its last line.
# (name, arguments, arguments for --quick)
SCRIPTS = (
    (
        "orders CSV import (5 MiB; --quick 200 kB)",
        ["benchmarks/orders_import.py"],
        ["benchmarks/orders_import.py", "--bytes", "200000"],
    ),
    (
        "payroll upload (100 MiB; --quick 8 MiB)",
        ["benchmarks/payroll_upload_memory.py", "--size-mib", "100"],
        ["benchmarks/payroll_upload_memory.py", "--size-mib", "8"],
    ),
)


def script_figures(runs: int, quick: bool) -> list[Figure]:
    figures = []
    for name, argv, quick_argv in SCRIPTS:
        values: dict[str, list[float]] = {}
        for _ in range(runs):
            done = subprocess.run(
                [PYTHON, *(quick_argv if quick else argv)], cwd=ROOT, check=True, capture_output=True, text=True
            )
            for key, value in json.loads(done.stdout.strip().splitlines()[-1]).items():
                values.setdefault(key, []).append(float(value))
        figures += [Figure(f"{name}: {key}", v, "") for key, v in values.items()]
    return figures


def suite_figure(runs: int) -> Figure:
    # A first run after the tests change also rewrites their bytecode (tests/__init__.py); the median is the figure.
    seconds = timed_process(["uv", "run", "pytest", "-q"], runs, env=dict(os.environ))
    return Figure("whole test suite (uv run pytest, warm cache)", seconds, "s", budget=20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per figure (default 5)")
    parser.add_argument("--quick", action="store_true", help="one run each on small inputs (CI's smoke step)")
    parser.add_argument("--suite", action="store_true", help="also time the whole test suite")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"{time.strftime('%Y-%m-%d')} on {machine}")
    print("  figure" + " " * 47 + "min / median / max")
    sections: list[Callable[[], list[Figure]]] = [
        lambda: plan_figures(runs),
        lambda: payroll_figures(runs, (10_000,) if args.quick else (100_000, 2_000_000)),
        lambda: import_figures(max(runs, 3)),
        lambda: script_figures(1 if args.quick else min(runs, 3), args.quick),
    ]
    if args.suite:
        sections.append(lambda: [suite_figure(min(runs, 3))])
    for section in sections:
        for figure in section():
            print(figure.line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
