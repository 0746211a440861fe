"""`emci recipe new`: the recipe is written through ruamel.yaml, so any summary or license
text from the sdist stays a YAML string, and the result passes `emci lint` as it is. The
sdists come from a local package index on 127.0.0.1 (pip's PIP_INDEX_URL)."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from pypi_index import serve
from ruamel.yaml import YAML

from conftest import GIT_ENV, Repo, run_emci

PROJECT = "emci-probe-texts"


@pytest.fixture
def index(tmp_path: Path, monkeypatch):
    index, server = serve(tmp_path / "index", tmp_path / "backend-ran")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", index.simple)
    for name in ("PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX"):
        monkeypatch.delenv(name, raising=False)
    yield index
    server.shutdown()
    server.server_close()


def emci(repo: Repo, *args: str) -> subprocess.CompletedProcess:
    return run_emci(repo.root, *args, env=GIT_ENV)


@pytest.mark.parametrize(
    "summary",
    [
        "pytest: simple powerful testing with Python",  # pytest's own summary
        "Quotes \"double\" and 'single', a # that is no comment",
        "- starts like a list item: {and: a mapping} [and a list] & *alias !tag %",
        "@decorated `backticks` | pipe > fold ? question",
    ],
)
def test_recipe_new_writes_yaml_that_lints_for_any_summary(index, repo: Repo, summary: str):
    index.add(PROJECT, "1.0", summary=summary)
    done = emci(repo, "recipe", "new", PROJECT)
    assert done.returncode == 0, done.stderr
    path = repo.root / "recipes" / "recipes_emscripten" / PROJECT / "recipe.yaml"
    data = YAML(typ="safe").load(path.read_text())
    assert data["about"]["summary"] == summary
    assert data["about"]["license"] == "MIT"
    assert data["context"]["version"] == "1.0"
    assert data["source"]["url"] == f"pypi://{PROJECT}/emci_probe_texts-${{{{ version }}}}.tar.gz"
    repo.commit("new recipe")
    lint = emci(repo, "lint", "--all")
    assert lint.returncode == 0, lint.stderr
    assert "0 problem(s)" in lint.stdout


def test_an_sdist_whose_metadata_names_a_path_is_refused(index, repo: Repo):
    release = index.add(PROJECT, "1.0")
    stem = "emci_probe_texts-1.0"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        text = b"Metadata-Version: 2.1\nName: ../../escaped\nVersion: 1.0\nLicense: MIT\n"
        info = tarfile.TarInfo(f"{stem}/PKG-INFO")
        info.size = len(text)
        archive.addfile(info, io.BytesIO(text))
    (index.root / "files" / release.filename).write_bytes(buffer.getvalue())
    release.sha256 = hashlib.sha256(buffer.getvalue()).hexdigest()
    index._write_page(PROJECT)
    done = emci(repo, "recipe", "new", PROJECT)
    assert done.returncode == 1
    assert "PKG-INFO Name '../../escaped' is not a project name" in done.stderr
    assert not (repo.root / "recipes" / "escaped").exists()
    assert list((repo.root / "recipes" / "recipes_emscripten").iterdir()) == []


def test_requirements_are_those_of_the_wasm_python_with_the_trees_names(index, repo: Repo):
    """Markers are evaluated for emscripten-wasm32 and the config's Python (3.11); a project
    the tree packages keeps that recipe's name; the test imports the package's real name;
    C files of tests do not ask for a compiler."""
    repo.recipe(
        "stack_data",
        """\
package: {name: stack_data, version: "0.6.3"}
build: {script: [echo]}
extra:
  sources:
    pypi: stack_data==0.6.3
""",
    )
    requires = (
        'typing_extensions>=4.6; python_version < "3.12"',
        'exceptiongroup; python_version < "3.11"',
        'pexpect>4.3; sys_platform != "win32" and sys_platform != "emscripten"',
        'colorama; sys_platform == "win32"',
        'pytest; extra == "test"',
        "stack_data",
        "Prompt.Toolkit<3.1,>=3.0.41",
    )
    files = {
        "Emci_Probe_Texts/__init__.py": "",
        "tests/samples/cython_example.pyx": "def f(): pass\n",
    }
    index.add(PROJECT, "1.0", contents=dict(requires=requires, extra_files=files, c_code=False))
    done = emci(repo, "recipe", "new", PROJECT)
    assert done.returncode == 0, done.stderr
    folder = repo.root / "recipes" / "recipes_emscripten" / PROJECT
    data = YAML(typ="safe").load((folder / "recipe.yaml").read_text())
    assert data["requirements"]["run"] == [
        "python",
        "typing-extensions >=4.6",
        "stack_data",
        "prompt-toolkit <3.1,>=3.0.41",
    ]
    assert data["requirements"]["build"] == ["cross-python_${{ target_platform }}"]
    assert "import Emci_Probe_Texts" in (folder / "test_emci_probe_texts.py").read_text()


def test_requirements_from_egg_info_when_pkg_info_lists_none(index, repo: Repo):
    requires_txt = (
        "parso<0.9.0,>=0.8.7\n\n"
        '[:python_version < "3.12"]\ntyping_extensions\n\n'
        '[:sys_platform == "win32"]\ncolorama\n\n'
        "[docs]\nsphinx\n"
    )
    index.add(
        PROJECT,
        "1.0",
        contents=dict(
            requires=(), extra_files={"emci_probe_texts.egg-info/requires.txt": requires_txt}
        ),
    )
    done = emci(repo, "recipe", "new", PROJECT)
    assert done.returncode == 0, done.stderr
    path = repo.root / "recipes" / "recipes_emscripten" / PROJECT / "recipe.yaml"
    run = YAML(typ="safe").load(path.read_text())["requirements"]["run"]
    assert run == ["python", "parso <0.9.0,>=0.8.7", "typing-extensions"]


MESON_PYPROJECT = """\
[build-system]
build-backend = "mesonpy"
requires = ["meson-python>=0.16", "Cython>=3.0", "numpy>=2.0.0", "ninja"]
"""


def test_a_meson_python_project_gets_compilers_and_its_build_time_packages(index, repo: Repo):
    """meson-python projects build with the same cross-python line (cross-python gives meson
    its cross file); their build-system requirements that are target packages (numpy's
    headers) go into host, the build tools do not."""
    index.add(
        PROJECT,
        "1.0",
        contents=dict(extra_files={"pyproject.toml": MESON_PYPROJECT}),
    )
    done = emci(repo, "recipe", "new", PROJECT)
    assert done.returncode == 0, done.stderr
    path = repo.root / "recipes" / "recipes_emscripten" / PROJECT / "recipe.yaml"
    text = path.read_text()
    data = YAML(typ="safe").load(text)
    assert data["requirements"]["build"] == [
        '${{ compiler("c") }}',
        '${{ compiler("cxx") }}',
        "cross-python_${{ target_platform }}",
    ]
    assert data["requirements"]["host"] == ["python", "numpy >=2.0.0"]
    assert data["build"]["script"] == ["$PYTHON -m pip install . --no-deps --no-build-isolation"]
    assert "meson-python: cross-python hands meson its emscripten-wasm32 cross file" in text
    lint = emci(repo, "lint", "--all")
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_a_setuptools_project_keeps_python_alone_in_host(index, repo: Repo):
    index.add(
        PROJECT,
        "1.0",
        contents=dict(
            extra_files={
                "pyproject.toml": '[build-system]\nrequires = ["setuptools", "numpy"]\n'
                'build-backend = "setuptools.build_meta"\n'
            }
        ),
    )
    done = emci(repo, "recipe", "new", PROJECT)
    assert done.returncode == 0, done.stderr
    path = repo.root / "recipes" / "recipes_emscripten" / PROJECT / "recipe.yaml"
    data = YAML(typ="safe").load(path.read_text())
    assert data["requirements"]["host"] == ["python"]
    assert data["requirements"]["build"] == [
        '${{ compiler("c") }}',
        "cross-python_${{ target_platform }}",
    ]


def test_the_import_name_is_the_sdists_only_package_when_none_has_the_projects_name():
    from emci.new_recipe import import_name

    names = [
        "PyWavelets-1.10.0/pywt/__init__.py",
        "PyWavelets-1.10.0/tests/__init__.py",
        "PyWavelets-1.10.0/pywt/_extensions/__init__.py",
    ]
    assert import_name(names, "PyWavelets") == "pywt"
    assert import_name([*names, "PyWavelets-1.10.0/other/__init__.py"], "PyWavelets") == ""
    assert import_name(["markupsafe-3.0/src/markupsafe/__init__.py"], "MarkupSafe") == "markupsafe"
