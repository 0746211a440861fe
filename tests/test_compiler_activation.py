"""The compiler package's activation script, run by bash as conda activation runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import REPO_ROOT

ACTIVATE = REPO_ROOT / "recipes/recipes/emscripten_emscripten-wasm32/activate.sh"


def activate(tmp_path: Path, emscripten_root: Path, expected: str = "3.1.6"):
    script = tmp_path / "activate.sh"
    script.write_text(ACTIVATE.read_text().replace("@EMSCRIPTEN_VERSION@", expected))
    command = f'source "{script}" && echo "CC=$CC CXX=$CXX" && echo "CMAKE_ARGS=$CMAKE_ARGS"'
    return subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "EMSCRIPTEN_ROOT": str(emscripten_root), "PREFIX": "/prefix"},
        check=False,
    )


def fake_emscripten(tmp_path: Path, version: str) -> Path:
    root = tmp_path / "emsdk"
    (root / "cmake/Modules/Platform").mkdir(parents=True)
    (root / "emscripten-version.txt").write_text(f'"{version}"\n')
    return root


def test_wrong_emscripten_version_fails_with_a_clear_message(tmp_path: Path):
    done = activate(tmp_path, fake_emscripten(tmp_path, "3.1.45"))
    assert done.returncode != 0
    assert "expected Emscripten 3.1.6" in done.stderr and "found '3.1.45'" in done.stderr


def test_missing_emscripten_fails(tmp_path: Path):
    done = activate(tmp_path, tmp_path / "nowhere")
    assert done.returncode != 0 and "found 'nothing'" in done.stderr


def test_expected_version_exports_the_toolchain(tmp_path: Path):
    done = activate(tmp_path, fake_emscripten(tmp_path, "3.1.6"))
    assert done.returncode == 0, done.stderr
    assert "CC=emcc CXX=em++" in done.stdout
    assert "Emscripten.cmake" in done.stdout and "-DCMAKE_INSTALL_PREFIX=/prefix" in done.stdout
