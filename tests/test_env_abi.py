"""One channel, two Emscripten ABIs, never mixed: `emci env create` pins the environment to
the tree's ABI (or `--abi`), a package of the other ABI fails the solve naming the ABI
package, and `emci run` starts each environment's interpreter with the Node flags its own
package recorded.

The channel holds small packages really built by rattler-build (seconds): the ABI packages
3.1.6 and 3.1.69, a `python` of each ABI (the old one with the higher build number, so an
unpinned solve would take it) whose "interpreter" is a JavaScript file reporting whether Node
has a global fetch, with the python recipe's real launcher and its recorded Node flags, and a
library built only for the old ABI.
"""

from __future__ import annotations

import json
import subprocess
import warnings
from pathlib import Path

import pytest

from conftest import REPO_ROOT, Repo, run_emci

LAUNCHER = REPO_ROOT / "recipes" / "recipes_emscripten" / "python" / "launcher.sh"
# The interpreter stand-in: what Node gave it (fetch or not), and its arguments.
INTERPRETER = (
    'console.log(JSON.stringify({fetch: typeof fetch, abi: "@ABI@", '
    "args: process.argv.slice(2)}));\n"
    "process.exitCode = Number(process.argv[process.argv.length - 1]) || 0;\n"
)
OLD, NEW = "3.1.6", "3.1.69"
FLAGS = {OLD: "--no-experimental-fetch", NEW: ""}

PYPROJECT = """\
[tool.emci]
output = "output"
build = "build"

[tool.emci.abi]
package = "emscripten-abi"
key = "emscripten_abi"
compiler_keys = ["c_compiler_version"]

[tool.emci.channels]
local = []
"""


def config(abi: str, compiler: str | None = None) -> str:
    return (
        f"emscripten_abi:\n  - {abi}\n"
        'c_compiler_version:            # [target_platform == "emscripten-wasm32"]\n'
        f'  - {compiler or abi}                     # [target_platform == "emscripten-wasm32"]\n'
    )


def abi_recipe(version: str) -> str:
    return (
        f'package: {{name: emscripten-abi, version: "{version}"}}\n'
        "build:\n  number: 0\n  noarch: generic\n  script:\n"
        "    - mkdir -p $PREFIX/share/emscripten-abi\n"
        f"    - echo {version} > $PREFIX/share/emscripten-abi/version\n"
    )


def python_recipe(abi: str, number: int) -> str:
    return (
        'package: {name: python, version: "3.11.2"}\n'
        f"build:\n  number: {number}\n  script:\n"
        "    - mkdir -p $PREFIX/bin\n"
        "    - install -m 0755 $RECIPE_DIR/launcher.sh $PREFIX/bin/python3.11\n"
        "    - cp $RECIPE_DIR/interpreter.js $PREFIX/bin/python3.11.js\n"
        f'    - echo "{FLAGS[abi]}" > $PREFIX/bin/python3.11.node-flags\n'
        f"requirements:\n  run:\n    - emscripten-abi {abi}.*\n"
    )


def library_recipe(abi: str) -> str:
    return (
        'package: {name: libold, version: "1.0"}\n'
        "build:\n  number: 0\n  script:\n"
        "    - mkdir -p $PREFIX/lib && touch $PREFIX/lib/libold.a\n"
        f"requirements:\n  run:\n    - emscripten-abi {abi}.*\n"
    )


@pytest.fixture(scope="module")
def channel(tmp_path_factory) -> Path:
    """The two-ABI channel, built by rattler-build."""
    import rattler_build

    root = tmp_path_factory.mktemp("two-abis")
    recipes = {
        "abi-old": abi_recipe(OLD),
        "abi-new": abi_recipe(NEW),
        "python-old": python_recipe(OLD, number=1),
        "python-new": python_recipe(NEW, number=0),
        "libold": library_recipe(OLD),
    }
    paths = []
    for folder, text in recipes.items():
        path = root / "recipes" / folder / "recipe.yaml"
        path.parent.mkdir(parents=True)
        path.write_text(text)
        if folder.startswith("python-"):
            abi = OLD if folder == "python-old" else NEW
            (path.parent / "launcher.sh").write_bytes(LAUNCHER.read_bytes())
            (path.parent / "interpreter.js").write_text(INTERPRETER.replace("@ABI@", abi))
        paths.append(path)
    out = root / "channel"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        rattler_build.build_recipes(
            paths,
            target_platform="emscripten-wasm32",
            channel=[str(root / "none")],
            test="skip",
            output_dir=out,
        )
    return out


@pytest.fixture
def tree(tmp_path: Path) -> Repo:
    """A recipe repository whose ABI is the new one."""
    repo = Repo(tmp_path / "repo")
    repo.write("pyproject.toml", PYPROJECT)
    repo.write("conda_build_config.yaml", config(NEW))
    return repo


def emci(repo: Repo, *args: str) -> subprocess.CompletedProcess:
    return run_emci(repo.root, *args, env={"CI": "1"})


def installed(prefix: Path) -> dict[str, tuple[str, str]]:
    records = [json.loads(p.read_text()) for p in (prefix / "conda-meta").glob("*.json")]
    return {r["name"]: (r["version"], r["build"]) for r in records}


def run_interpreter(repo: Repo, prefix: Path, *args: str) -> tuple[int, dict]:
    done = emci(repo, "run", str(prefix), "--", *args)
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def test_the_default_environment_is_of_the_trees_abi(tree: Repo, channel: Path, tmp_path):
    prefix = tmp_path / "env"
    done = emci(tree, "env", "create", str(prefix), "python", "-c", str(channel))
    assert done.returncode == 0, done.stderr
    packages = installed(prefix)
    # the old ABI's python has the higher build number: only the pin keeps it out
    assert packages["emscripten-abi"][0] == NEW
    assert packages["python"][1].endswith("_0")
    code, report = run_interpreter(tree, prefix, "-c", "pass", "0")
    assert code == 0
    assert report == {"fetch": "function", "abi": NEW, "args": ["-c", "pass", "0"]}


def test_another_abi_on_request_runs_with_its_own_node_flags(tree: Repo, channel: Path, tmp_path):
    prefix = tmp_path / "old-env"
    done = emci(tree, "env", "create", str(prefix), "python", "libold", "-c", str(channel))
    assert done.returncode == 1
    done = emci(
        tree, "env", "create", str(prefix), "python", "libold", "-c", str(channel), "--abi", OLD
    )
    assert done.returncode == 0, done.stderr
    assert installed(prefix)["emscripten-abi"][0] == OLD
    code, report = run_interpreter(tree, prefix, "-c", "pass", "3")
    assert code == 3  # the exit code passes through the launcher
    # the old interpreter's package recorded --no-experimental-fetch: Node has no fetch
    assert report == {"fetch": "undefined", "abi": OLD, "args": ["-c", "pass", "3"]}
    # the recorded flags also serve a direct Node start (bench/python_startup.py)
    from emci.env import node_command, python_entry

    command = node_command(python_entry(prefix), ["x", "0"])
    assert command[:2] == ["node", "--no-experimental-fetch"]
    assert json.loads(subprocess.check_output(command, text=True))["fetch"] == "undefined"


def test_a_package_of_the_other_abi_fails_the_solve_naming_the_abi_package(
    tree: Repo, channel: Path, tmp_path
):
    prefix = tmp_path / "mixed"
    done = emci(tree, "env", "create", str(prefix), "python", "libold", "-c", str(channel))
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "emscripten-abi" in errors[0] and f"'emscripten-abi {NEW}.*'" in errors[0]
    assert "--abi" in errors[0]
    assert not (prefix / "conda-meta").exists()  # nothing installed


def test_a_half_done_abi_move_is_an_error_naming_the_key(tree: Repo, channel: Path, tmp_path):
    tree.write("conda_build_config.yaml", config(NEW, compiler=OLD))
    done = emci(tree, "env", "create", str(tmp_path / "env"), "python", "-c", str(channel))
    assert done.returncode == 1
    assert "conda_build_config.yaml: c_compiler_version: 3.1.6 is not the ABI" in done.stderr
