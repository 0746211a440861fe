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


# -- the packaged toolchain (3.1.69): its own tree, the machine's LLVM 19 -------------------

PACKAGED = REPO_ROOT / "recipes/recipes/emscripten_emscripten-wasm32/activate_packaged.sh"


def fake_llvm(tmp_path: Path, clang_version: str, tools=("clang", "wasm-ld", "llvm-ar")) -> Path:
    bin_dir = tmp_path / "llvm" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in tools:
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho "Debian clang version {clang_version} (3~deb12u1)"\n')
        script.chmod(0o755)
    return bin_dir


def activate_packaged(tmp_path: Path, root: Path, llvm: Path, extra_env: dict | None = None):
    script = tmp_path / "activate_packaged.sh"
    text = PACKAGED.read_text().replace("@EMSCRIPTEN_VERSION@", "3.1.69")
    script.write_text(text.replace("@EMSCRIPTEN_ROOT@", str(root)).replace("@LLVM_MAJOR@", "19"))
    command = (
        f'source "{script}" && echo "CC=$CC NM=$NM EM_NODE=$EM_NODE" '
        '&& echo "EMCC_CFLAGS=$EMCC_CFLAGS" && echo "CXXFLAGS=$CXXFLAGS" '
        '&& echo "MAIN=$EM_MAIN_MODULE_LDFLAGS" && echo "CMAKE_ARGS=$CMAKE_ARGS" '
        '&& echo "EM_CONFIG=${EM_CONFIG:-unset} EM_CACHE=${EM_CACHE:-unset}"'
    )
    env = {"PATH": "/usr/bin:/bin", "PREFIX": "/prefix", "EM_LLVM_ROOT": str(llvm)}
    return subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        env={**env, **(extra_env or {})},
        check=False,
    )


def test_packaged_activation_exports_its_own_tree_and_exception_mode(tmp_path: Path):
    root = fake_emscripten(tmp_path, "3.1.69")
    foreign = {"EM_CONFIG": "/usr/share/emscripten/.emscripten", "EM_CACHE": "/elsewhere"}
    done = activate_packaged(tmp_path, root, fake_llvm(tmp_path, "19.1.7"), foreign)
    assert done.returncode == 0, done.stderr
    assert "CC=emcc NM=emnm EM_NODE=node" in done.stdout
    assert "EMCC_CFLAGS=-fwasm-exceptions" in done.stdout
    assert "-fwasm-exceptions" in done.stdout.split("CXXFLAGS=")[1].splitlines()[0]
    assert "MAIN=-sMAIN_MODULE=1 -sWASM_BIGINT -fwasm-exceptions" in done.stdout
    assert f"-DCMAKE_TOOLCHAIN_FILE={root}/cmake/Modules/Platform/Emscripten.cmake" in done.stdout
    # a foreign config or cache never reaches the package's emcc
    assert "EM_CONFIG=unset EM_CACHE=unset" in done.stdout


def test_packaged_activation_without_llvm_says_what_to_install(tmp_path: Path):
    root = fake_emscripten(tmp_path, "3.1.69")
    done = activate_packaged(tmp_path, root, tmp_path / "no-llvm" / "bin")
    assert done.returncode != 0
    assert "install Debian's clang-19 lld-19 llvm-19" in done.stderr


def test_packaged_activation_with_another_llvm_fails(tmp_path: Path):
    root = fake_emscripten(tmp_path, "3.1.69")
    done = activate_packaged(tmp_path, root, fake_llvm(tmp_path, "14.0.6"))
    assert done.returncode != 0
    assert "needs LLVM 19" in done.stderr and "is version '14'" in done.stderr


def test_packaged_activation_without_its_tree_fails(tmp_path: Path):
    done = activate_packaged(tmp_path, tmp_path / "nowhere", fake_llvm(tmp_path, "19.1.7"))
    assert done.returncode != 0
    assert "expected Emscripten 3.1.69" in done.stderr and "found 'nothing'" in done.stderr
