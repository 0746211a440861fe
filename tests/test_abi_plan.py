"""The plan of an Emscripten move: a commit that moves `emscripten_abi` and the compiler
versions lists exactly the recipes whose packages carry the `emscripten-abi` pin (they get
it through the compiler package's run_exports), each with a reason naming the changed keys.
Pure-Python packages (the compiler reaches them only through cross-python), header-only
packages that ignore the compiler's run_exports, and recipes that compile only in their
tests are not rebuilt. A small real-shaped tree, rendered by rattler-build (nothing built).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import GIT_ENV, REPO_ROOT, Repo, git_in, init_main, native, run_emci, wasm

PYPROJECT = """\
[tool.emci]
output = "output"
build = "build"

[tool.emci.abi]
package = "emscripten-abi"
key = "emscripten_abi"
compiler_keys = ["c_compiler_version", "cxx_compiler_version"]

[tool.emci.channels]
local = []
"""


def config(abi: str, compiler: str) -> str:
    return f"""\
emscripten_abi:
  - {abi}
c_compiler:                    # [target_platform == "emscripten-wasm32"]
  - emscripten                 # [target_platform == "emscripten-wasm32"]
c_compiler_version:            # [target_platform == "emscripten-wasm32"]
  - {compiler}                 # [target_platform == "emscripten-wasm32"]
cxx_compiler:                  # [target_platform == "emscripten-wasm32"]
  - emscripten                 # [target_platform == "emscripten-wasm32"]
cxx_compiler_version:          # [target_platform == "emscripten-wasm32"]
  - {compiler}                 # [target_platform == "emscripten-wasm32"]
python:
  - "3.11"
"""


# The compiler recipe as the repository has it: one package per toolchain of its own
# variants.yaml, pinning emscripten-abi into what it compiles.
COMPILER = """\
context:
  version: ${{ emscripten_toolchain }}
recipe: {name: emscripten-toolchain, version: "${{ version }}"}
build: {number: 0}
outputs:
  - package: {name: emscripten-abi}
    build: {noarch: generic, script: [echo abi]}
  - package: {name: emscripten_emscripten-wasm32}
    build: {script: [echo compiler]}
    requirements:
      run:
        - ${{ pin_subpackage("emscripten-abi", upper_bound="x.x.x") }}
      run_exports:
        strong:
          - ${{ pin_subpackage("emscripten-abi", upper_bound="x.x.x") }}
"""
TOOLCHAINS = "emscripten_toolchain:\n  - 3.1.6\n  - 3.1.69\n"
CROSS_PYTHON = """\
package: {name: cross-python_emscripten-wasm32, version: "3.11"}
build: {number: 0, script: [echo cross]}
requirements:
  run: [emscripten_emscripten-wasm32]
"""


def recipe(name: str, requirements: str, build: str = "", tests: str = "") -> str:
    return (
        f'package: {{name: {name}, version: "1.0"}}\n'
        f"build:\n  number: 0\n  script: [echo {name}]\n{build}"
        f"requirements:\n{requirements}{tests}"
    )


C = '    - ${{ compiler("c") }}\n'
CXX = '    - ${{ compiler("cxx") }}\n'
CROSS = "    - cross-python_${{ target_platform }}\n"
WASM_RECIPES = {
    # compiled: they carry the pin
    "zlib": recipe("zlib", "  build:\n" + C),
    "cxxlib": recipe("cxxlib", "  build:\n" + CXX + "  host: [zlib]\n"),
    "python": recipe("python", "  build:\n" + C + "  host: [zlib]\n"),
    "ext": recipe("ext", "  build:\n" + C + CROSS + "  host: [python]\n  run: [python]\n"),
    # not compiled, or refusing the compiler's run_exports: no pin
    "purepy": recipe("purepy", "  build:\n" + CROSS + "  host: [python]\n  run: [python]\n"),
    "headers": recipe(
        "headers",
        "  build:\n"
        + CXX
        + "  ignore_run_exports:\n    from_package:\n"
        + '      - ${{ compiler("cxx") }}\n',
        build="  noarch: generic\n",
    ),
    "testcompiles": recipe(
        "testcompiles",
        "  build:\n" + CROSS + "  host: [python]\n  run: [python]\n",
        tests="tests:\n  - script: [echo test]\n    requirements:\n      build:\n  " + CXX,
    ),
    "byname": recipe(
        "byname",
        "  build:\n" + C + "  ignore_run_exports:\n    by_name: [emscripten-abi]\n",
    ),
}
COMPILED = {wasm(n) for n in ("zlib", "cxxlib", "python", "ext")}


@pytest.fixture
def tree(tmp_path) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.write("pyproject.toml", PYPROJECT)
    repo.write("conda_build_config.yaml", config("3.1.6", "3.1.6"))
    repo.recipe("emscripten_emscripten-wasm32", COMPILER, folder="recipes")
    repo.write("recipes/recipes/emscripten_emscripten-wasm32/variants.yaml", TOOLCHAINS)
    repo.recipe("cross-python_emscripten-wasm32", CROSS_PYTHON, folder="recipes")
    for name, text in WASM_RECIPES.items():
        repo.recipe(name, text)
    repo.commit("the tree")
    repo.git("checkout", "-q", "-b", "move")
    return repo


def emci(repo: Repo, *args: str) -> subprocess.CompletedProcess:
    return run_emci(repo.root, *args, env=GIT_ENV)


def test_the_move_plans_exactly_the_compiled_recipes_naming_the_keys(tree: Repo):
    tree.write("conda_build_config.yaml", config("3.1.69", "3.1.69"))
    tree.commit("Emscripten 3.1.69")
    done = emci(tree, "plan", "main", "HEAD", "--json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    by_key = {
        name: reasons
        for name, entry in plan["recipes"].items()
        for reasons in [entry["reasons"]]
        if any(r.startswith("config key") for r in reasons)
    }
    assert set(by_key) == COMPILED
    assert set(plan["changed"]) == COMPILED
    assert by_key[wasm("zlib")] == ["config key: c_compiler_version, emscripten_abi"]
    assert by_key[wasm("cxxlib")] == ["config key: cxx_compiler_version, emscripten_abi"]
    # the compiler package of the new ABI is in the plan (nothing is built yet), for them
    assert native("emscripten_emscripten-wasm32") in plan["recipes"]
    # `emci changed` agrees
    changed = emci(tree, "changed", "main", "HEAD", "--json")
    assert set(json.loads(changed.stdout)["recipes"]) == COMPILED, changed.stderr


def test_another_variant_key_still_rebuilds_every_recipe_using_it(tree: Repo):
    text = config("3.1.6", "3.1.6").replace('  - "3.11"', '  - "3.12"')
    tree.write("conda_build_config.yaml", text)
    tree.commit("python 3.12")
    plan = json.loads(emci(tree, "plan", "main", "HEAD", "--json").stdout)
    assert set(plan["changed"]) == {wasm(n) for n in ("ext", "purepy", "testcompiles")}


def test_a_half_done_move_is_an_error_naming_the_key(tree: Repo):
    tree.write("conda_build_config.yaml", config("3.1.6", "3.1.69"))
    tree.commit("compilers only")
    done = emci(tree, "plan", "main", "HEAD")
    assert done.returncode == 1
    assert "conda_build_config.yaml: c_compiler_version: 3.1.69 is not the ABI" in done.stderr


def compiles_with_the_pin(recipe: Path) -> bool:
    """The recipe's own text says its packages carry the pin: a compiler in an output's (or
    the recipe's) build requirements, not noarch, and the compiler's run_exports not
    ignored. Test requirements do not count."""
    data = yaml.safe_load(recipe.read_text())
    for part in [data, *data.get("outputs", [])]:
        build = part.get("build") or {}
        requirements = part.get("requirements") or {}
        compilers = [r for r in requirements.get("build") or [] if "compiler(" in str(r)]
        if compilers and "noarch" not in build and "ignore_run_exports" not in requirements:
            return True
    return False


def test_the_repository_s_own_move_plans_exactly_its_compiled_recipes(tmp_path):
    """The real tree: conda_build_config.yaml as it is against the same tree on the
    previous toolchain of the compiler recipe's variants.yaml (the move as one commit)."""
    root = tmp_path / "repo"
    root.mkdir()
    for item in ("recipes", "pyproject.toml", "conda_build_config.yaml"):
        source = REPO_ROOT / item
        if source.is_dir():
            shutil.copytree(source, root / item)
        else:
            shutil.copy(source, root / item)
    current = (REPO_ROOT / "conda_build_config.yaml").read_text()
    abi = yaml.safe_load(current)["emscripten_abi"][0]
    compiler = REPO_ROOT / "recipes" / "recipes" / "emscripten_emscripten-wasm32"
    toolchains = yaml.safe_load((compiler / "variants.yaml").read_text())["emscripten_toolchain"]
    previous = [str(v) for v in toolchains if str(v) != str(abi)]
    if not previous:
        pytest.skip(f"the compiler recipe builds only {abi}: no move to plan")
    (root / "conda_build_config.yaml").write_text(current.replace(f"- {abi}", f"- {previous[-1]}"))
    init_main(root, f"the tree on {previous[-1]}")
    (root / "conda_build_config.yaml").write_text(current)
    git_in(root, "commit", "-q", "-am", f"Emscripten {abi}")
    done = run_emci(root, "plan", "HEAD~1", "HEAD", "--json", env=GIT_ENV)
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    expected = {
        f"recipes_emscripten/{path.parent.name}"
        for path in (root / "recipes" / "recipes_emscripten").glob("*/recipe.yaml")
        if compiles_with_the_pin(path)
    }
    assert len(expected) >= 10  # the oracle found the tree's compiled recipes
    assert set(plan["changed"]) == expected
    for name in expected:
        reasons = [r for r in plan["recipes"][name]["reasons"] if r.startswith("config key")]
        assert reasons and "emscripten_abi" in reasons[0], (name, plan["recipes"][name])


def is_compiled(path: Path) -> bool:
    """A WebAssembly module (a program, side module or object) or an archive of them."""
    with path.open("rb") as handle:
        head = handle.read(8)
    return head.startswith(b"\0asm") or (head == b"!<arch>\n" and b"\0asm" in path.read_bytes())


@pytest.mark.e2e
def test_every_compiled_package_carries_the_pin_and_no_other_does(e2e_tree: Path, tmp_path):
    """On the built channel: a package holding WebAssembly depends on emscripten-abi (the
    compiler's run_exports reached it), a package without any does not."""
    from rattler.package_streaming import extract

    compiled, wrong = set(), []
    for subdir in ("emscripten-wasm32", "noarch"):
        channel = e2e_tree / "output" / subdir
        records = json.loads((channel / "repodata.json").read_text())["packages.conda"]
        for filename, record in sorted(records.items()):
            extract(channel / filename, tmp_path / filename)
            files = (p for p in (tmp_path / filename).rglob("*") if p.is_file())
            wasm = any(is_compiled(p) for p in files if not p.is_symlink())
            pinned = any(dep.split()[0] == "emscripten-abi" for dep in record["depends"])
            if wasm:
                compiled.add(record["name"])
            if wasm != pinned:
                wrong.append(f"{filename}: WebAssembly {wasm}, emscripten-abi pin {pinned}")
    assert not wrong, wrong
    assert {"python", "zlib", "libzip", "pyyaml", "markupsafe"} <= compiled
