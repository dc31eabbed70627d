"""Delivery: pull requests preview dev under the policy pack; a merge deploys dev, previews prod on the merged commit
and applies exactly that plan once approved. Workflows are read as YAML, the comment script is run."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bootstrap.bootstrap import DEPLOY_SESSION_SECONDS, PREVIEW_SESSION_SECONDS
from tests.conftest import STACKS
from tests.yaml_loader import load_yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
COMMENT_SCRIPT = ROOT / ".github" / "scripts" / "pr-comment.sh"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
GUARD = ("env.FROM_FORK != 'true'", "env.FROM_DEPENDABOT != 'true'")


def workflow(name: str) -> dict[str, Any]:
    loaded: dict[Any, Any] = load_yaml((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the bare key `on` as True.
    loaded["on"] = loaded.pop(True, loaded.get("on"))
    return loaded


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(f"{action}@")]


def step(job: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [s for s in job["steps"] if s.get("name") == name]
    result: dict[str, Any] = found
    return result


def jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path.name, name, job)
        for path in sorted(WORKFLOWS.glob("*.yml"))
        for name, job in workflow(path.name)["jobs"].items()
    ]


def all_steps() -> list[dict[str, Any]]:
    return [s for _, _, job in jobs() for s in job.get("steps", [])]


def touches_aws_or_pulumi(s: dict[str, Any]) -> bool:
    uses = str(s.get("uses", ""))
    run = str(s.get("run", ""))
    return (
        uses.startswith(("aws-actions/configure-aws-credentials@", "pulumi/actions@"))
        or "pulumi " in run
        or "policy/venv" in run
        or "aws s3" in run
    )


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version_alongside() -> None:
    lines = [line for path in WORKFLOWS.glob("*.yml") for line in path.read_text().splitlines() if "uses:" in line]
    external = [line for line in lines if "./.github/" not in line]
    assert external
    for line in external:
        reference, _, comment = line.split("uses:")[1].partition("#")
        assert PINNED.match(reference.strip()), line
        assert re.fullmatch(r" v\d+\.\d+\.\d+", comment), line


def test_a_pull_request_previews_dev_only_with_the_policy_pack() -> None:
    pr = workflow("pull-request.yml")
    assert pr["on"] == {"pull_request": {"branches": ["main"]}}
    preview = pr["jobs"]["preview"]
    assert preview["needs"] == "checks"
    # Prod's state and key are usable only from main: pull requests never preview it.
    assert preview["strategy"]["matrix"]["stack"] == ["dev"]
    assert "prod" in STACKS and "environment" not in preview
    run = step(preview, "Preview")["run"]
    assert 'pulumi preview --stack "$STACK"' in run and "--policy-pack policy" in run
    assert '--policy-pack-config "policy/config/$STACK.json"' in run and "set -o pipefail" in run
    assert preview["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}


def test_fork_and_dependabot_pull_requests_skip_every_aws_and_pulumi_step_and_say_why() -> None:
    preview = workflow("pull-request.yml")["jobs"]["preview"]
    env = preview["env"]
    assert env["FROM_FORK"] == "${{ github.event.pull_request.head.repo.full_name != github.repository }}"
    assert "github.event.pull_request.user.login == 'dependabot[bot]'" in env["FROM_DEPENDABOT"]
    guarded = [s for s in preview["steps"] if touches_aws_or_pulumi(s)]
    assert len(guarded) >= 4
    for s in guarded:
        assert all(condition in s.get("if", "") for condition in GUARD), s
    explain = step(preview, "Explain a skipped preview")
    assert explain["if"] == "env.FROM_FORK == 'true' || env.FROM_DEPENDABOT == 'true'"
    assert '>> "$GITHUB_STEP_SUMMARY"' in explain["run"] and "fork" in explain["run"]
    # The checks (lint, types, tests) carry no such guard: they run for every pull request.
    assert "if" not in workflow("pull-request.yml")["jobs"]["checks"]
    assert not any("if" in s for s in workflow("checks.yml")["jobs"]["checks"]["steps"])


def test_the_preview_comment_and_cost_estimate_are_posted_also_when_the_preview_fails() -> None:
    preview = workflow("pull-request.yml")["jobs"]["preview"]
    names = [s.get("name") for s in preview["steps"]]
    run = step(preview, "Preview")
    assert run["continue-on-error"] is True and run["id"] == "preview"
    cost = step(preview, "Cost estimate")
    assert cost["if"] == "always()" and 'uv run python -m costs --stack "$STACK" --format markdown' in cost["run"]
    comment = step(preview, "Comment on the pull request")
    assert comment["if"].startswith("always() && ")
    assert comment["env"]["OUTCOME"] == "${{ steps.preview.outcome }}"
    assert comment["run"] == 'bash .github/scripts/pr-comment.sh "$STACK" "$OUTCOME" preview.txt cost-estimate.md'
    fail = step(preview, "Fail when the preview failed")
    assert fail["if"] == "steps.preview.outcome == 'failure'" and "exit 1" in fail["run"]
    assert names.index("Preview") < names.index("Cost estimate") < names.index("Comment on the pull request")
    assert names.index("Comment on the pull request") < names.index("Fail when the preview failed")
    # No pulumi/actions comment of its own (it would post only after a successful preview).
    assert all("comment-on-pr" not in s.get("with", {}) for s in all_steps())


def test_merging_deploys_dev_previews_prod_on_main_and_applies_the_approved_plan() -> None:
    deploy = workflow("deploy.yml")
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    dev, preview, prod = deploy["jobs"]["dev"], deploy["jobs"]["preview-prod"], deploy["jobs"]["prod"]
    assert dev["needs"] == "checks" and preview["needs"] == "dev" and prod["needs"] == "preview-prod"
    assert "environment" not in dev and "environment" not in preview
    assert prod["environment"] == "production"
    assert "pulumi up --stack dev --yes" in step(dev, "Up")["run"]
    saved = step(preview, "Preview")["run"]
    assert "pulumi preview --stack prod" in saved and "--save-plan prod-plan.json" in saved
    shown = step(preview, "Show the preview to the approver")
    assert shown["if"] == "always()" and '>> "$GITHUB_STEP_SUMMARY"' in shown["run"] and "preview.txt" in shown["run"]
    kept = step(preview, "Keep the plan for the approved up")
    assert 'ci-plans/prod/${GITHUB_SHA}.json"' in kept["run"]
    applied = step(prod, "Up the approved plan")["run"]
    assert 'ci-plans/prod/${GITHUB_SHA}.json" prod-plan.json' in applied
    assert "pulumi up --stack prod --yes" in applied and "--plan prod-plan.json" in applied
    for job, stack in ((dev, "dev"), (preview, "prod"), (prod, "prod")):
        text = json.dumps(job["steps"])
        assert "--policy-pack policy" in text and f"--policy-pack-config policy/config/{stack}.json" in text


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_has_its_own_policy_config(stack: str) -> None:
    assert (ROOT / "policy" / "config" / f"{stack}.json").is_file()


def test_checks_run_lint_types_workflows_and_tests_before_any_preview_or_deploy() -> None:
    runs = [s.get("run") for s in workflow("checks.yml")["jobs"]["checks"]["steps"]]
    for command in ("uv sync --locked", "uv run ruff check .", "uv run mypy", "uv run actionlint", "uv run pytest"):
        assert command in runs
    assert workflow("pull-request.yml")["jobs"]["checks"]["uses"] == "./.github/workflows/checks.yml"
    assert workflow("deploy.yml")["jobs"]["checks"]["uses"] == "./.github/workflows/checks.yml"


def test_two_deploys_of_one_stack_never_overlap_and_a_running_one_is_never_cancelled() -> None:
    jobs_ = workflow("deploy.yml")["jobs"]
    assert jobs_["dev"]["concurrency"] == {"group": "deploy-dev", "cancel-in-progress": False}
    assert jobs_["prod"]["concurrency"] == {"group": "deploy-prod", "cancel-in-progress": False}
    assert jobs_["preview-prod"]["concurrency"]["cancel-in-progress"] is False


def test_aws_credentials_come_only_from_oidc_roles_that_outlast_the_job() -> None:
    roles = {
        "${{ vars.AWS_PREVIEW_ROLE_ARN }}": PREVIEW_SESSION_SECONDS,
        "${{ vars.AWS_DEPLOY_ROLE_ARN }}": DEPLOY_SESSION_SECONDS,
    }
    seen = 0
    for name, job_name, job in jobs():
        for s in steps_using(job, "aws-actions/configure-aws-credentials"):
            seen += 1
            role = s["with"]["role-to-assume"]
            duration = int(s["with"]["role-duration-seconds"])
            assert job["timeout-minutes"] * 60 <= duration <= roles[role], (name, job_name)
            assert job["permissions"]["id-token"] == "write"
            if name == "pull-request.yml":
                assert role == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    assert seen == 4
    for s in all_steps():
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(s.get("with", {}))
        assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} & set(s.get("env", {}))


def test_no_passphrase_secret_exists_anymore_each_stack_has_a_kms_secrets_provider() -> None:
    text = "".join(path.read_text() for path in WORKFLOWS.glob("*.yml"))
    assert "PULUMI_CONFIG_PASSPHRASE" not in text and "secrets." not in text
    for stack in STACKS:
        assert load_yaml((ROOT / f"Pulumi.{stack}.yaml").read_text())["secretsprovider"].startswith("awskms://")


def test_the_pulumi_cli_is_pinned_to_the_version_the_readme_names() -> None:
    locked = {p["name"]: p["version"] for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"]}
    version = locked["pulumi"]
    assert f"Pulumi CLI {version}" in (ROOT / "README.md").read_text()
    installs = 0
    for name in ("pull-request.yml", "deploy.yml"):
        document = workflow(name)
        assert document["env"]["PULUMI_VERSION"] == version
        for _, job in document["jobs"].items():
            for s in steps_using(job, "pulumi/actions"):
                installs += 1
                assert s["with"] == {"pulumi-version": "${{ env.PULUMI_VERSION }}"}  # install only, pinned
    assert installs == 4


def test_the_policy_pack_is_installed_from_its_lock_with_hashes() -> None:
    installs = [s["run"] for s in all_steps() if s.get("name") == "Install the policy pack"]
    assert len(installs) == 4
    for run in installs:
        assert "uv pip install --python policy/venv --require-hashes -r policy/requirements.txt" in run


def test_dependabot_groups_updates_and_covers_uv_actions_and_the_policy_pack() -> None:
    config = load_yaml((ROOT / ".github" / "dependabot.yml").read_text())
    updates = {(u["package-ecosystem"], u["directory"]): u for u in config["updates"]}
    assert set(updates) == {("github-actions", "/"), ("uv", "/"), ("pip", "/policy")}
    for update in updates.values():
        assert update["groups"] and update["schedule"]["interval"] == "weekly"
    assert updates[("uv", "/")]["groups"]["pulumi"]["patterns"] == ["pulumi", "pulumi-*"]


# --- the comment script, run with a stand-in `gh` ------------------------------------------------------------------

FAKE_GH = """#!/usr/bin/env bash
# Records each call; answers the comment listing from $COMMENTS (one JSON array).
echo "$*" >> "$GH_LOG"
for arg in "$@"; do
  case "$arg" in body=@*) cp "${arg#body=@}" "$GH_LOG.body.$(wc -l < "$GH_LOG")" ;; esac
done
if [ "$1 $2" = "api --paginate" ]; then
  python3 -c 'import json, sys
for c in json.load(open(sys.argv[1])):
    if "<!-- aws-compute-platform:preview:dev -->" in c["body"]:
        print(c["id"])' "$COMMENTS"
fi
"""


@pytest.fixture
def fake_gh(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "GH_LOG": str(tmp_path / "gh.log"),
        "COMMENTS": str(tmp_path / "comments.json"),
        "GITHUB_REPOSITORY": "acme/aws-compute-platform",
        "PR_NUMBER": "7",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }


def comment(env: dict[str, str], tmp_path: Path, outcome: str, preview: str) -> list[str]:
    (tmp_path / "preview.txt").write_text(preview)
    (tmp_path / "cost.md").write_text("| Service | Monthly |\n|---|---|\n| EC2 | $12.34 |\n")
    subprocess.run(
        ["bash", str(COMMENT_SCRIPT), "dev", outcome, str(tmp_path / "preview.txt"), str(tmp_path / "cost.md")],
        env=env,
        check=True,
        capture_output=True,
    )
    return Path(env["GH_LOG"]).read_text().splitlines()


FAILED_PREVIEW = """Previewing update (dev):
 +  aws:ec2:SecurityGroup bastion create
Policy Violations:
    [mandatory]  aws-compute-platform v0.0.1  no-admin-ports-from-internet (bastion)
    Security group 'bastion' opens port 22 (SSH) to the whole internet.
Resources:
    + 1 to create
error: preview failed
"""


def test_the_first_push_creates_the_stacks_comment_and_later_pushes_edit_it(
    fake_gh: dict[str, str], tmp_path: Path
) -> None:
    Path(fake_gh["COMMENTS"]).write_text(json.dumps([{"id": 11, "body": "LGTM"}]))
    calls = comment(fake_gh, tmp_path, "failure", FAILED_PREVIEW)
    assert calls[-1].startswith("api --method POST repos/acme/aws-compute-platform/issues/7/comments -F body=@")
    body = Path(f"{fake_gh['GH_LOG']}.body.{len(calls)}").read_text()
    assert body.startswith("<!-- aws-compute-platform:preview:dev -->\n### Preview of `dev`: FAILED")
    # The violations and the cost estimate reach the pull request although the preview failed.
    assert "#### Policy violations" in body and "opens port 22 (SSH)" in body and "$12.34" in body
    assert body in Path(fake_gh["GITHUB_STEP_SUMMARY"]).read_text()

    Path(fake_gh["COMMENTS"]).write_text(json.dumps([{"id": 11, "body": "LGTM"}, {"id": 42, "body": body}]))
    calls = comment(fake_gh, tmp_path, "success", "Previewing update (dev):\nResources:\n    5 unchanged\n")
    assert calls[-1].startswith("api --method PATCH repos/acme/aws-compute-platform/issues/comments/42 -F body=@")
    assert not any("POST" in c for c in calls[2:])
    edited = Path(f"{fake_gh['GH_LOG']}.body.{len(calls)}").read_text()
    assert "passed" in edited.splitlines()[1] and "Policy violations" not in edited


def test_the_comment_script_passes_shellcheck() -> None:
    result = subprocess.run(["shellcheck", str(COMMENT_SCRIPT)], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
