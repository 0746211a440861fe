"""Shared helpers: small recipe repositories made in tmp dirs, as real git repositories."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# Tests and the emci processes they start use this checkout's orchestrator, whatever
# checkout `pip install -e` last pointed at.
sys.path.insert(0, str(REPO_ROOT / "ci"))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(REPO_ROOT / "ci"), *filter(None, [os.environ.get("PYTHONPATH")])]
)

PYPROJECT = """\
[tool.emci]
output = "output"
build = "build"

[tool.emci.channels]
local = []
"""

CONFIG = """\
c_compiler:                    # [target_platform == "emscripten-wasm32"]
  - emscripten                 # [target_platform == "emscripten-wasm32"]
c_compiler_version:            # [target_platform == "emscripten-wasm32"]
  - 3.1.69                     # [target_platform == "emscripten-wasm32"]
python:
  - "3.11"
"""


def wasm(name: str) -> str:
    """The id of a recipe under recipes/recipes_emscripten/."""
    return f"recipes_emscripten/{name}"


def native(name: str) -> str:
    """The id of a recipe under recipes/recipes/."""
    return f"recipes/{name}"


GIT_ENV = {
    "GIT_AUTHOR_NAME": "emci tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "emci tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def recipe_text(
    name: str,
    *,
    version: str = "1.0",
    build: list[str] | None = None,
    host: list[str] | None = None,
    run: list[str] | None = None,
    number: int = 0,
    extra: str = "",
) -> str:
    """A small single-output recipe."""
    lines = [
        "package:",
        f"  name: {name}",
        f'  version: "{version}"',
        "build:",
        f"  number: {number}",
        "  script:",
        "    - echo building",
        "requirements:",
    ]
    for kind, items in (("build", build), ("host", host), ("run", run)):
        if items:
            lines.append(f"  {kind}:")
            lines += [f"    - {item}" for item in items]
    if not (build or host or run):
        lines.append("  build: []")
    text = "\n".join(lines) + "\n"
    return text + textwrap.dedent(extra)


class Repo:
    """A recipe repository in a tmp dir, with git."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "pyproject.toml").write_text(PYPROJECT)
        (root / "conda_build_config.yaml").write_text(CONFIG)
        (root / "recipes" / "recipes_emscripten").mkdir(parents=True)
        (root / "recipes" / "recipes").mkdir(parents=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.root), *args],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **GIT_ENV},
        )
        return done.stdout

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def recipe(self, name: str, text: str, folder: str = "recipes_emscripten") -> Path:
        return self.write(f"recipes/{folder}/{name}/recipe.yaml", text)

    def remove(self, relative: str) -> None:
        path = self.root / relative
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


@pytest.fixture
def settings_for():
    from emci.settings import Settings

    def make(repo: Repo) -> Settings:
        return Settings.load(repo.root)

    return make


def npm_install(prefix: Path, *packages: str) -> Path:
    """npm packages under `prefix` (once); returns its node_modules folder."""
    modules = prefix / "node_modules"
    if not all((modules / p.rsplit("@", 1)[0]).is_dir() for p in packages):
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(prefix), *packages],
            check=True,
        )
    return modules


def init_main(root: Path, message: str) -> None:
    """`root`, as it is, made a git repository whose branch main has it all in one commit."""
    git_in(root, "init", "-q", "-b", "main")
    git_in(root, "add", "-A")
    git_in(root, "commit", "-q", "-m", message)


# -- the end-to-end build of the whole tree, once per pytest run ------------------------------


def run_emci(
    root: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`python -m emci --root ROOT ARGS...` in this environment plus `env`, output captured
    (and printed for the log of a failing test)."""
    done = subprocess.run(
        [sys.executable, "-m", "emci", "--root", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    print(done.stdout, done.stderr)
    return done


def git_in(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    ).stdout


@pytest.fixture(scope="session")
def e2e_mirror(tmp_path_factory) -> Path:
    """One source mirror for the run: EMCI_SOURCE_MIRROR when set, else the repository's
    own (build/mirror) when it has one, else a fresh one."""
    given = os.environ.get("EMCI_SOURCE_MIRROR")
    if given:
        return Path(given)
    own = REPO_ROOT / "build" / "mirror"
    return own if own.is_dir() else tmp_path_factory.mktemp("mirror")


# What the end-to-end tests need, built once per run (`emci build recipes`, which adds the
# in-tree dependencies: the C libraries CPython links, pytest's own dependencies): not the
# whole tree, which the README's main command builds. Each line says which test needs it.
E2E_RECIPES = (
    "recipes/emscripten_emscripten-wasm32",  # every toolchain of its variants.yaml (+ binaryen)
    "recipes/cross-python_emscripten-wasm32",  # extension modules (pyyaml, markupsafe, spam)
    "recipes/pytester",  # Python packages' tests in Node
    "recipes_emscripten/python",  # env create / emci run, the channel page
    "recipes_emscripten/libzip",  # a C library with C dependencies (zlib, bzip2), installs
    "recipes_emscripten/pyyaml",  # a C extension linking a C library (libyaml)
    "recipes_emscripten/markupsafe",  # a failing Python test fails the build
    "recipes_emscripten/pytest",  # the test environment of the Python packages
    "recipes_emscripten/xeus-python-shell",  # the kernel shell from an installed env (+ IPython)
    "recipes_emscripten/xeus-python",  # the kernel (+ xeus, xeus-lite, pyjs) in Node
    "recipes_emscripten/jedi",  # completion in that shell
    "recipes_emscripten/numpy",  # meson-python cross build; numpy's own tests in Node
    "recipes_emscripten/msgpack",  # installed in a running JupyterLite page (%mamba install)
)


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--e2e-output",
        type=Path,
        help="a channel directory (the output/ of a tree built by the README's main job) the "
        "end-to-end build starts from: packages already there for the same recipes are not "
        "built again, to iterate on one test. Give it as --e2e-output=DIR: pytest loads "
        "conftest.py files of a separate path argument before it knows the option",
    )


@pytest.fixture(scope="session")
def e2e_tree(tmp_path_factory, e2e_mirror: Path, pytestconfig):
    """A copy of this repository on branch main with E2E_RECIPES built into its output/
    (`emci build recipes`): the toolchain packages (binaryen, the compiler packages) and the
    part of the tree the end-to-end tests use. Built once per pytest run and shared by every
    module that needs real packages; with --e2e-output, output/ starts as a copy of it."""
    root = tmp_path_factory.mktemp("e2e") / "repo"
    root.mkdir()
    for item in ("recipes", "pyproject.toml", "conda_build_config.yaml", ".gitignore"):
        source = REPO_ROOT / item
        if source.is_dir():
            shutil.copytree(source, root / item)
        else:
            shutil.copy(source, root / item)
    init_main(root, "recipes")
    seed = pytestconfig.getoption("--e2e-output")
    if seed is not None:
        shutil.copytree(seed, root / "output")
    previous = os.environ.get("EMCI_SOURCE_MIRROR")
    os.environ["EMCI_SOURCE_MIRROR"] = str(e2e_mirror)
    reuse = ["--skip-existing"] if seed is not None else []
    done = run_emci(root, "build", "recipes", *E2E_RECIPES, "--jobs", "2", *reuse)
    assert done.returncode == 0, done.stdout + done.stderr
    yield root
    if previous is None:
        os.environ.pop("EMCI_SOURCE_MIRROR", None)
    else:
        os.environ["EMCI_SOURCE_MIRROR"] = previous
