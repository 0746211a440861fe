"""The repository passes its own pre-commit hooks (hooks install from PyPI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GIT_ENV, REPO_ROOT


@pytest.mark.e2e
def test_pre_commit_passes_on_a_clone(tmp_path):
    clone = tmp_path / "clone"
    # The hooks' `python3` is the one running the tests (.venv's, with emci's dependencies).
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, **GIT_ENV, "PATH": path}
    subprocess.run(["git", "clone", "-q", str(REPO_ROOT), str(clone)], check=True, env=env)
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--show-diff-on-failure"],
        cwd=clone,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
