"""Delivery: pull requests preview every stack under the policy pack; a merge deploys dev, then prod if approved."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import STACKS

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def workflow(name: str) -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the bare key `on` as True.
    loaded["on"] = loaded.pop(True, loaded.get("on"))
    return loaded


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(f"{action}@")]


def all_steps() -> list[dict[str, Any]]:
    return [
        step
        for path in sorted(WORKFLOWS.glob("*.yml"))
        for job in workflow(path.name)["jobs"].values()
        for step in job.get("steps", [])
    ]


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version_alongside() -> None:
    lines = [line for path in WORKFLOWS.glob("*.yml") for line in path.read_text().splitlines() if "uses:" in line]
    external = [line for line in lines if "./.github/" not in line]
    assert external
    for line in external:
        reference, _, comment = line.split("uses:")[1].partition("#")
        assert PINNED.match(reference.strip()), line
        assert re.fullmatch(r" v\d+\.\d+\.\d+", comment), line


def test_a_pull_request_previews_every_stack_with_the_policy_pack_and_comments() -> None:
    pr = workflow("pull-request.yml")
    assert pr["on"] == {"pull_request": {"branches": ["main"]}}
    preview = pr["jobs"]["preview"]
    assert preview["needs"] == "checks"
    assert preview["strategy"]["matrix"]["stack"] == list(STACKS)
    (step,) = steps_using(preview, "pulumi/actions")
    assert step["with"]["command"] == "preview"
    assert step["with"]["stack-name"] == "${{ matrix.stack }}"
    assert step["with"]["comment-on-pr"] is True
    assert step["with"]["policyPacks"] == "policy"
    assert step["with"]["policyPackConfigs"] == "policy/config/${{ matrix.stack }}.json"
    assert preview["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_has_its_own_policy_config(stack: str) -> None:
    assert (WORKFLOWS.parent.parent / "policy" / "config" / f"{stack}.json").is_file()


def test_checks_run_lint_types_workflows_and_tests_before_any_preview_or_deploy() -> None:
    runs = [s.get("run") for s in workflow("checks.yml")["jobs"]["checks"]["steps"]]
    for command in ("uv sync --locked", "uv run ruff check .", "uv run mypy", "uv run actionlint", "uv run pytest"):
        assert command in runs
    assert workflow("pull-request.yml")["jobs"]["checks"]["uses"] == "./.github/workflows/checks.yml"
    assert workflow("deploy.yml")["jobs"]["checks"]["uses"] == "./.github/workflows/checks.yml"


def test_merging_deploys_dev_then_prod_through_the_protected_production_environment() -> None:
    deploy = workflow("deploy.yml")
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    dev, prod = deploy["jobs"]["dev"], deploy["jobs"]["prod"]
    assert dev["needs"] == "checks" and prod["needs"] == "dev"
    assert "environment" not in dev
    assert prod["environment"] == "production"
    for job, stack in ((dev, "dev"), (prod, "prod")):
        (step,) = steps_using(job, "pulumi/actions")
        assert step["with"]["command"] == "up"
        assert step["with"]["stack-name"] == stack
        assert step["with"]["policyPacks"] == "policy"
        assert step["with"]["policyPackConfigs"] == f"policy/config/{stack}.json"


def test_two_deploys_of_one_stack_never_overlap_and_a_running_one_is_never_cancelled() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    assert jobs["dev"]["concurrency"] == {"group": "deploy-dev", "cancel-in-progress": False}
    assert jobs["prod"]["concurrency"] == {"group": "deploy-prod", "cancel-in-progress": False}


def test_aws_credentials_come_only_from_oidc_roles_named_in_repository_variables() -> None:
    pr = workflow("pull-request.yml")["jobs"]["preview"]
    deploy = workflow("deploy.yml")["jobs"]
    expected = [
        (pr, "${{ vars.AWS_PREVIEW_ROLE_ARN }}"),
        (deploy["dev"], "${{ vars.AWS_DEPLOY_ROLE_ARN }}"),
        (deploy["prod"], "${{ vars.AWS_DEPLOY_ROLE_ARN }}"),
    ]
    for job, role in expected:
        (step,) = steps_using(job, "aws-actions/configure-aws-credentials")
        assert step["with"]["role-to-assume"] == role
        assert job["permissions"]["id-token"] == "write"
    for step in all_steps():
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(step.get("with", {}))
        assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} & set(step.get("env", {}))


def test_state_backend_and_passphrase_are_repository_settings() -> None:
    for step in all_steps():
        if str(step.get("uses", "")).startswith("pulumi/actions@"):
            assert step["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
            assert step["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"


def test_the_cost_estimate_is_posted_beside_the_preview() -> None:
    steps = workflow("pull-request.yml")["jobs"]["preview"]["steps"]
    names = [s.get("name") for s in steps]
    cost = steps[names.index("Cost estimate")]
    assert names.index("Cost estimate") == names.index("Preview") + 1
    assert "if" not in cost  # every pull request gets its estimate
    assert 'uv run python -m costs --stack "$STACK" --format markdown' in cost["run"]
