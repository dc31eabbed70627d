"""`python -m plan --stack <stack>`: the offline plan a newcomer runs first."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

import plan.__main__
from plan import Plan, run_stack
from plan.__main__ import EXIT_BAD_SETTINGS, EXIT_NO_STACK, main
from plan.engine import ROOT
from tests.conftest import bad_project, build_stack


@pytest.fixture
def shared_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command builds a shipped stack through the suite's shared builder (the plan `dev_plan` is): these tests
    are about what it prints, and a build of the same stack file is the same plan. Other roots build as usual."""

    def build(stack: str, overrides: dict[str, object] | None = None, root: Path = ROOT) -> Plan:
        return build_stack(stack, overrides) if root == ROOT else run_stack(stack, overrides, root)

    monkeypatch.setattr(plan.__main__, "run_stack", build)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(argv), out=out)
    return status, out.getvalue()


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.usefixtures("shared_builds")
def test_the_plan_shows_every_resource_the_outputs_and_a_summary(stack: str, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(f"{stack}_plan")
    status, text = run("--stack", stack)
    assert status == 0
    for resource in plan.resources:
        assert f"{resource.type}  {resource.name}" in text
    for output in plan.outputs:
        assert f"    {output}: " in text
    custom = sum(1 for r in plan.resources if r.custom)
    protected = sum(1 for r in plan.resources if r.protect)
    summary = text.strip().splitlines()[-1]
    assert summary.startswith(f"{custom} resources in {len(plan.resources) - custom} components, {protected} protected")
    assert "/month fixed" in summary


@pytest.mark.usefixtures("shared_builds")
def test_details_show_each_resources_inputs() -> None:
    status, text = run("--stack", "dev", "--details")
    assert status == 0
    assert "httpTokens" in text  # IMDSv2, from the launch templates' metadata options


def test_a_bad_stack_file_prints_only_its_problems_each_with_its_key(tmp_path: Path) -> None:
    status, text = run("--stack", "dev", "--root", str(bad_project(tmp_path)))
    assert status == EXIT_BAD_SETTINGS
    assert "3 problem(s)" in text
    assert "aws-compute-platform:network.azCount: must be at least 1 and at most 6 (got 9)" in text
    assert "aws-compute-platform:keypair: is not a known setting" in text
    assert "aws-compute-plattform:logRetentionDays" in text
    assert "Traceback" not in text


def test_an_unknown_stack_names_the_stacks_there_are() -> None:
    status, text = run("--stack", "staging")
    assert status == EXIT_NO_STACK
    assert "dev" in text and "prod" in text


def test_the_command_runs_as_a_process_and_fails_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "plan", "--stack", "dev", "--root", str(bad_project(tmp_path))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == EXIT_BAD_SETTINGS
    assert "Traceback" not in done.stdout + done.stderr
    assert "aws-compute-platform:network.azCount" in done.stdout
