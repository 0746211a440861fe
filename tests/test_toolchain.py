"""The toolchain as packages, end to end: binaryen and Emscripten 3.1.69 built from this
repository's recipes (in the run's one build of the tree, conftest.e2e_tree, so a pytest run
pays for the toolchain once), then a small C++17 recipe (tests/data/shapes) built with the
tree's compiler (the 3.1.69 package), and run in Node: a C++
exception thrown in a side module and caught in the main module, and embind called from
JavaScript.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO_ROOT, git_in, run_emci

pytestmark = pytest.mark.e2e

SHAPES = REPO_ROOT / "tests" / "data" / "shapes"
COMPILER_LOG = "recipes/emscripten_emscripten-wasm32.log"


def packages(root: Path, subdir: str) -> list[dict]:
    data = json.loads((root / "output" / subdir / "repodata.json").read_text())
    return list(data["packages.conda"].values())


def abi_record(package: dict):
    import rattler

    return rattler.PackageRecord(
        name=package["name"],
        version=package["version"],
        build=rattler.BuildString(package["build"]),
        build_number=package["build_number"],
        subdir=package["subdir"],
    )


def versions(root: Path, subdir: str, name: str) -> set[str]:
    return {p["version"] for p in packages(root, subdir) if p["name"] == name}


def test_both_toolchains_and_binaryen_are_in_the_channel(e2e_tree: Path):
    import rattler

    assert versions(e2e_tree, "linux-64", "binaryen") == {"120"}
    assert versions(e2e_tree, "linux-64", "emscripten") == {"3.1.69"}
    assert versions(e2e_tree, "linux-64", "emscripten_emscripten-wasm32") == {"3.1.6", "3.1.69"}
    assert versions(e2e_tree, "noarch", "emscripten-abi") == {"3.1.6", "3.1.69"}
    (compiler,) = [
        p
        for p in packages(e2e_tree, "linux-64")
        if p["name"] == "emscripten_emscripten-wasm32" and p["version"] == "3.1.69"
    ]
    carried = [dep for dep in compiler["depends"] if dep.split()[0] == "emscripten"]
    assert carried and "3.1.69" in carried[0], compiler["depends"]
    # the tree itself builds with its ABI (emscripten_abi in conda_build_config.yaml): every
    # package's emscripten-abi pin accepts that ABI package of the channel and no other
    from emci.abi import tree_abi
    from emci.settings import Settings

    settings = Settings.load(e2e_tree)
    abi = tree_abi(settings.abi, settings.variant_config, "emscripten-wasm32")
    records = {
        p["version"]: abi_record(p)
        for p in packages(e2e_tree, "noarch")
        if p["name"] == "emscripten-abi"
    }
    assert abi in records and len(records) == 2
    for package in packages(e2e_tree, "emscripten-wasm32"):
        for dep in package["depends"]:
            if dep.split()[0] == "emscripten-abi":
                spec = rattler.MatchSpec(dep)
                accepted = {v for v, record in records.items() if spec.matches(record)}
                assert accepted == {abi}, (package["name"], dep)


def test_toolchain_recipes_ran_their_own_tests(e2e_tree: Path):
    logs = e2e_tree / "build" / "logs"
    binaryen = (logs / "recipes/binaryen.log").read_text()
    assert "wasm-opt version 120" in binaryen and "i32.const 42" in binaryen
    compiler = (logs / COMPILER_LOG).read_text()
    assert "side module ok: 42" in compiler
    assert "caught from side module: not a number: forty-two" in compiler
    assert "embind ok: twice(21) = 42" in compiler
    # the frozen cache names what it lacks instead of building it
    assert 'FROZEN_CACHE: "sysroot/lib/wasm32-emscripten/libemmalloc.a" is not in' in compiler
    assert "all tests passed" in compiler


@pytest.fixture(scope="module")
def shapes(e2e_tree: Path):
    """tests/data/shapes added to the built tree on a branch and built with emci."""
    git_in(e2e_tree, "checkout", "-q", "-b", "cxx-with-3.1.69")
    target = e2e_tree / "recipes" / "recipes_emscripten" / "shapes"
    shutil.copytree(SHAPES, target)
    git_in(e2e_tree, "add", "-A")
    git_in(e2e_tree, "commit", "-q", "-m", "shapes: C++ with Emscripten 3.1.69")
    try:
        done = run_emci(e2e_tree, "build", "changed", "main", "HEAD")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "built recipes_emscripten/shapes" in done.stdout
        yield e2e_tree
    finally:
        git_in(e2e_tree, "checkout", "-q", "main")


def test_cxx_recipe_builds_with_the_packaged_compiler(shapes: Path):
    log = (shapes / "build" / "logs" / "recipes_emscripten" / "shapes.log").read_text()
    # inside the build, emcc is the build environment's own, and it is 3.1.69
    assert "emcc from the build environment: " in log
    # rattler-build prints the build prefix as a path or, in newer releases, as $BUILD_PREFIX
    emcc = re.search(r"emcc from the build environment: \S*(build_env|\$BUILD_PREFIX)/bin/", log)
    assert emcc, "emcc was not the build environment's"
    assert "emcc (Emscripten gcc/clang-like replacement + linker emulating GNU ld) 3.1.69" in log
    assert "exception flags: -fwasm-exceptions" in log
    # its own tests ran in Node
    assert "caught across the side module: unknown shape: hexagon" in log
    assert "embind from JavaScript: area(square, 4) = 16" in log
    (package,) = [p for p in packages(shapes, "emscripten-wasm32") if p["name"] == "shapes"]
    assert any(dep.startswith("emscripten-abi >=3.1.69") for dep in package["depends"])


def test_cxx_package_runs_in_node_from_an_installed_env(shapes: Path, tmp_path: Path):
    import rattler

    prefix = tmp_path / "env"

    async def install() -> list[str]:
        records = await rattler.solve(
            [rattler.Channel(str(shapes / "output"))],
            ["shapes"],
            platforms=["emscripten-wasm32", "noarch"],
        )
        await rattler.install(
            records, target_prefix=prefix, platform=rattler.Subdir("emscripten-wasm32")
        )
        return sorted(f"{r.name.normalized} {r.version}" for r in records)

    assert asyncio.run(install()) == ["emscripten-abi 3.1.69", "shapes 1.0"]
    done = subprocess.run(
        ["node", str(prefix / "bin" / "shapes.js"), str(prefix / "lib" / "libshapes.so")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "square 3: 9" in done.stdout
    assert "caught across the side module: unknown shape: hexagon" in done.stdout
    done = subprocess.run(
        ["node", str(SHAPES / "test_bind.js"), str(prefix / "lib" / "shapes_bind.js")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "area(square, 4) = 16" in done.stdout
