"""The GitHub workflows: actionlint and yamllint pass, and the properties reviewers rely on hold."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _tool(name: str) -> str:
    path = BIN / name if (BIN / name).exists() else shutil.which(name)
    assert path, f"{name} is not installed (requirements-dev.txt)"
    return str(path)


def test_actionlint_passes():
    result = subprocess.run([_tool("actionlint"), *sorted(map(str, WORKFLOWS.glob("*.yml")))], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
                      "      - run: echo ${{ github.event.pull_request.title }\n")
    result = subprocess.run([_tool("actionlint"), str(broken)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1


def test_yamllint_passes():
    result = subprocess.run([_tool("yamllint"), "-s", str(WORKFLOWS), str(ROOT / ".yamllint.yaml")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def _uses(job: dict) -> list[str]:
    return [step.get("uses", "") for step in job.get("steps", [])]


def test_pull_request_plan_needs_no_secrets_and_covers_every_stack_file():
    workflow = load("pull-request.yml")
    plan = workflow["jobs"]["plan"]
    text = yaml.safe_dump(plan)
    assert "secrets." not in text and "id-token" not in text
    configs = {entry["config"] for entry in plan["strategy"]["matrix"]["include"]}
    shipped = {"Pulumi.dev.yaml"} | {str(p.relative_to(ROOT)) for p in (ROOT / "examples" / "stacks").glob("Pulumi.*.yaml")}
    assert configs == shipped
    assert "GITHUB_STEP_SUMMARY" in text and "openhands-zai plan" in text
    assert workflow["permissions"] == {"contents": "read"}


def test_pull_request_runs_lint_typecheck_tests_and_a_policy_preview_skipped_without_a_token():
    jobs = load("pull-request.yml")["jobs"]
    runs = [step.get("run", "") for step in jobs["test"]["steps"]]
    assert {"make lint", "make typecheck", "make test"} <= set(runs)
    preview = jobs["preview"]
    action = next(s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert action["with"]["command"] == "preview" and action["with"]["policyPacks"] == "policy"
    assert action["with"]["comment-on-pr"] is True
    assert action["if"] == "env.HAS_PULUMI_TOKEN == 'true'"
    notice = preview["steps"][0]
    assert notice["if"] == "env.HAS_PULUMI_TOKEN != 'true'" and "::notice" in notice["run"]
    # Every step that needs the token is guarded by it.
    assert all(step.get("if", "").startswith("env.HAS_PULUMI_TOKEN") for step in preview["steps"])


def test_main_deploys_dev_then_staging_then_prod_through_environments_and_oidc():
    deploy = load("deploy.yml")
    jobs = deploy["jobs"]
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"
    assert [jobs[name]["with"]["stack"] for name in ("dev", "staging", "prod")] == ["dev", "staging", "prod"]
    assert deploy[True if True in deploy else "on"]["push"]["branches"] == ["main"]
    assert deploy["concurrency"]["cancel-in-progress"] is False
    up = load("pulumi-up.yml")
    job = up["jobs"]["up"]
    assert job["environment"] == "${{ inputs.stack }}"
    assert up["permissions"]["id-token"] == "write"
    credentials = next(s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials"))
    assert "role-to-assume" in credentials["with"]
    everything = "\n".join((WORKFLOWS / name).read_text() for name in ("deploy.yml", "pulumi-up.yml", "pull-request.yml"))
    assert "aws-access-key-id" not in everything and "AWS_SECRET_ACCESS_KEY" not in everything


@pytest.mark.parametrize("name", ["pull-request.yml", "pulumi-up.yml"])
def test_the_policy_pack_gets_its_own_dependencies_before_pulumi_runs(name):
    text = (WORKFLOWS / name).read_text()
    # From the pack's folder, where its requirements' `-e ..` names this checkout.
    install = "cd policy && python -m venv venv && venv/bin/pip install -r requirements.txt"
    assert install in text and text.index(install) < text.index("pulumi/actions@")


def test_third_party_actions_are_pinned_by_commit():
    pinned = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
    for name in ("deploy.yml", "pulumi-up.yml", "pull-request.yml"):
        for job in load(name)["jobs"].values():
            for step in job.get("steps", []):
                uses = step.get("uses")
                if uses and not uses.startswith("./"):
                    assert pinned.match(uses), f"{name}: {uses} is not pinned by commit"


def test_pull_request_preview_cannot_reach_prod_or_run_for_forks():
    preview = load("pull-request.yml")["jobs"]["preview"]
    assert "prod" not in preview["strategy"]["matrix"]["stack"]
    assert preview["environment"] == "preview"
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    text = (WORKFLOWS / "pull-request.yml").read_text()
    # The repository-wide token (which decrypts prod's config) is never handed to a pull request's code.
    assert "secrets.PULUMI_ACCESS_TOKEN" not in text and "secrets.PULUMI_PREVIEW_TOKEN" in text
    assert "AWS_DEPLOY_ROLE_ARN" not in text
