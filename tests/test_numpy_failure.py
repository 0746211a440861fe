"""A failing numpy test fails the build: the test stage of the numpy-tests package built by
the end-to-end build (conftest.e2e_tree) runs again, alone, on a copy of that package with
one failing test added to one of the test modules its recipe runs. numpy is not rebuilt:
the copy is the same .conda with that one file changed (its pkg tarball unpacked with
py-rattler, packed again with the zstd tool), tested by emci's worker as a build's packages
are (`emci.worker.test`: py-rattler-build's Package.run_test)."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from rattler.index import index_fs

from conftest import REPO_ROOT

pytestmark = pytest.mark.e2e

TARGET = "lib/python3.11/site-packages/numpy/fft/tests/test_pocketfft.py"
INJECTED = """

def test_injected_failure_for_emci():
    assert 6 * 7 == 43, "injected by tests/test_numpy_failure.py"
"""


def with_injected_test(package: Path, copy: Path) -> None:
    """`package` (.conda) copied to `copy` with INJECTED appended to TARGET."""
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(copy, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("pkg-"):
                data = _patched_pkg(data)
            target.writestr(item, data)


def _patched_pkg(compressed: bytes) -> bytes:
    raw = subprocess.run(["zstd", "-d", "-c"], input=compressed, capture_output=True, check=True)
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(raw.stdout)) as tin,
        tarfile.open(fileobj=out, mode="w") as tout,
    ):
        found = False
        for member in tin.getmembers():
            data = tin.extractfile(member).read() if member.isfile() else None
            if member.name == TARGET:
                data += INJECTED.encode()
                member.size = len(data)
                found = True
            tout.addfile(member, io.BytesIO(data) if data is not None else None)
    assert found, f"{TARGET} is not in the package"
    packed = subprocess.run(
        ["zstd", "-q", "-c", "-3"], input=out.getvalue(), capture_output=True, check=True
    )
    return packed.stdout


def test_a_failing_numpy_test_fails_the_test_stage(e2e_tree: Path, tmp_path: Path):
    channel = e2e_tree / "output"
    (package,) = sorted((channel / "emscripten-wasm32").glob("numpy-tests-*.conda"))
    stage = tmp_path / "stage"
    (stage / "emscripten-wasm32").mkdir(parents=True)
    with_injected_test(package, stage / "emscripten-wasm32" / package.name)
    (stage / "noarch").mkdir()
    asyncio.run(index_fs(stage, write_shards=False))  # the worker reads the stage as a channel

    code = (
        "import sys; from pathlib import Path; from emci.worker import test; "
        "sys.exit(test(Path(sys.argv[1]), [sys.argv[2]]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(stage), channel.as_uri()],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
        timeout=1800,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 1, log[-3000:]
    assert "TESTS FAILED: 1" in log
    # pytest's own report of the injected test, in the log
    assert "test_injected_failure_for_emci" in log
    assert "injected by tests/test_numpy_failure.py" in log
    assert "1 failed" in log
