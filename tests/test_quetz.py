"""Publishing to a real Quetz server on 127.0.0.1, then installing from it with py-rattler.

The Quetz server (quetz-server 0.10.4 with fastapi 0.109.2, the last combination that starts)
lives in its own virtual environment, made on first use under build/quetz-venv.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO_ROOT

pytestmark = pytest.mark.e2e

VENV = REPO_ROOT / "build" / "quetz-venv"


def venv_environment() -> dict[str, str]:
    """The environment for Quetz's own venv: without the PYTHONPATH that puts emci's source
    (and its unrelated requirements) in front of every interpreter the tests start."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def quetz_executable() -> Path:
    quetz = VENV / "bin" / "quetz"
    if not quetz.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [
                str(VENV / "bin" / "pip"),
                "install",
                "--quiet",
                "quetz-server==0.10.4",
                "fastapi==0.109.2",
            ],
            check=True,
            timeout=900,
            env=venv_environment(),
        )
    return quetz


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def quetz(tmp_path_factory):
    """A running Quetz server with a public channel `emci`: (url, api key)."""
    quetz = quetz_executable()
    base = tmp_path_factory.mktemp("quetz")
    created = subprocess.run(
        [str(quetz), "create", "--create-conf", "--dev", "srv"],
        cwd=base,
        env=venv_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(
        r'Test API key created for user "([^"]+)": (\w+)', created.stdout + created.stderr
    )
    assert match, created.stdout + created.stderr
    user, key = match.groups()
    server_dir = base / "srv"
    with (server_dir / "config.toml").open("a") as handle:
        handle.write(f'\n[users]\nadmins = ["dummy:{user}"]\n')
    subprocess.run(
        [str(quetz), "add-user-roles", "."],
        cwd=server_dir,
        env=venv_environment(),
        check=True,
        capture_output=True,
    )
    port = free_port()
    log = (base / "server.log").open("w")
    server = subprocess.Popen(
        [str(quetz), "start", ".", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
        cwd=server_dir,
        env=venv_environment(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/channels", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("Quetz did not start: " + (base / "server.log").read_text()[-2000:])
        request = urllib.request.Request(
            f"{url}/api/channels",
            method="POST",
            data=json.dumps({"name": "emci", "private": False}).encode(),
            headers={"X-API-Key": key, "Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=30)
        yield url, key
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # quetz starts child processes: stop them all
        server.wait(timeout=30)
        log.close()


def test_upload_to_quetz_then_install(quetz, tmp_path: Path):
    from test_upload import build_dummies

    url, key = quetz
    packages = build_dummies(tmp_path / "pkgs", count=2)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "emci",
            "upload",
            "--kind",
            "quetz",
            "--to",
            url,
            "--channel",
            "emci",
            *map(str, packages),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "QUETZ_API_KEY": key},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert key not in done.stdout + done.stderr
    with urllib.request.urlopen(f"{url}/get/emci/noarch/repodata.json", timeout=30) as response:
        listed = json.load(response)["packages.conda"]
    assert sorted(listed) == sorted(p.name for p in packages)
    prefix = tmp_path / "env"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "emci",
            "--root",
            str(REPO_ROOT),
            "env",
            "create",
            str(prefix),
            "dummy01",
            "--channel",
            f"{url}/get/emci",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (prefix / "share" / "dummy" / "dummy01.txt").read_text().strip() == "1"
