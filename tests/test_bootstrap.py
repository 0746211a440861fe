"""scripts/bootstrap.sh on a Debian 12 machine: emci goes into a virtual environment made by
the machine's Debian python (`/usr/bin/python3 -m venv`; Debian's python3 is externally
managed and has no pip), and `emci --version` runs from it. Runs the script itself in a copy
of the repository (`--emci-only`: no apt packages to add); pip fetches emci's dependencies
from its configured index (about a minute), hence the e2e mark."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import GIT_ENV, REPO_ROOT

DEBIAN_PYTHON = Path("/usr/bin/python3")


def test_bootstrap_rejects_an_unknown_option(tmp_path: Path):
    done = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "bootstrap.sh"), "--tests"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "usage: bash scripts/bootstrap.sh" in done.stderr


def test_the_venv_is_git_ignored():
    done = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "check-ignore", "-q", ".venv/bin/emci"],
        env={**os.environ, **GIT_ENV},
        check=False,
    )
    assert done.returncode == 0


@pytest.mark.e2e
@pytest.mark.skipif(not DEBIAN_PYTHON.is_file(), reason="needs the machine's /usr/bin/python3")
def test_bootstrap_makes_a_venv_with_debians_python_and_emci_runs_from_it(tmp_path: Path):
    root = tmp_path / "repo"
    root.mkdir()
    for item in ("pyproject.toml", "ci", "scripts", "README.md"):
        source = REPO_ROOT / item
        if source.is_dir():
            shutil.copytree(source, root / item, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, root / item)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        ["bash", "scripts/bootstrap.sh", "--emci-only"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    config = (root / ".venv" / "pyvenv.cfg").read_text()
    assert "home = /usr/bin" in config  # the machine's Debian python, not another one
    version = subprocess.run(
        [str(root / ".venv" / "bin" / "emci"), "--version"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == "emci, version 0.1.0"
    # the venv's emci is this copy's (an editable install), not another checkout's
    where = subprocess.run(
        [str(root / ".venv" / "bin" / "python"), "-c", "import emci; print(emci.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert where.stdout.strip() == str(root / "ci" / "emci" / "__init__.py")
