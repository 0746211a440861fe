"""Fetching a PyPI sdist never runs its code: the `pypi` source provider, the version-bump
bot and `emci recipe new` download the file from pip's configured index (here a local index
on 127.0.0.1, set through PIP_INDEX_URL) and check its sha256; the sdists served carry a build
backend that leaves a marker file whenever it runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypi_index import serve

from conftest import GIT_ENV, Repo, run_emci

PROJECT = "emci-probe-pkg"


@pytest.fixture
def index(tmp_path: Path, monkeypatch):
    marker = tmp_path / "backend-ran"
    index, server = serve(tmp_path / "index", marker)
    # pip reads only this environment: no config files, no extra indexes, no find-links.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", index.simple)
    for name in ("PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX"):
        monkeypatch.delenv(name, raising=False)
    yield index
    server.shutdown()
    server.server_close()


def emci(repo: Repo, *args: str) -> subprocess.CompletedProcess:
    return run_emci(repo.root, *args, env=GIT_ENV)


def test_the_probe_is_live_pip_download_runs_its_backend(index, tmp_path: Path):
    """What the three paths used to do: `pip download --no-binary :all:` runs the backend."""
    index.add(PROJECT, "1.0")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        + ["-d", str(tmp_path / "dl"), f"{PROJECT}==1.0"],
        capture_output=True,
        check=False,
    )
    assert index.marker.is_file()


def test_source_provider_downloads_without_running_the_backend(index, repo: Repo, tmp_path):
    from emci.recipes import Renderer
    from emci.sources import Mirror, fetch

    release = index.add(PROJECT, "1.0")
    index.add(PROJECT, "2.0")
    path = repo.recipe(
        "probe",
        f"""\
context:
  version: "1.0"
package: {{name: {PROJECT}, version: "${{{{ version }}}}"}}
source:
  url: pypi://{PROJECT}/emci_probe_pkg-${{{{ version }}}}.tar.gz
  sha256: {release.sha256}
build:
  script: [echo hi]
extra:
  sources:
    pypi: {PROJECT}==${{{{ version }}}}
""",
    )
    recipe = Renderer(repo.root / "conda_build_config.yaml").render("recipes_emscripten", path)
    mirror = Mirror(tmp_path / "mirror")
    try:
        assert [r.how for r in fetch(recipe, mirror)] == ["pypi"]
    finally:
        assert not index.marker.exists()
    assert mirror.lookup(release.sha256).name == release.filename


def test_bot_downloads_the_new_sdist_without_running_the_backend(index, repo: Repo):
    old = index.add(PROJECT, "1.0")
    index.add(PROJECT, "2.0")
    repo.recipe(
        "probe",
        f"""\
context:
  version: "1.0"
package:
  name: {PROJECT}
  version: ${{{{ version }}}}
source:
  url: pypi://{PROJECT}/emci_probe_pkg-${{{{ version }}}}.tar.gz
  sha256: {old.sha256}
build:
  number: 0
  script: [echo hi]
extra:
  sources:
    pypi: {PROJECT}==${{{{ version }}}}
""",
    )
    repo.commit("probe 1.0")
    done = emci(repo, "bot", "bump-versions", "--dry-run")
    assert not index.marker.exists()
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"would-open probe{' ' * 25} 1.0 -> 2.0" in done.stdout


def test_recipe_new_downloads_without_running_the_backend(index, repo: Repo):
    index.add(PROJECT, "1.0")
    newest = index.add(PROJECT, "2.0")
    done = emci(repo, "recipe", "new", PROJECT)
    assert not index.marker.exists()
    assert done.returncode == 0, done.stderr
    text = (repo.root / "recipes" / "recipes_emscripten" / PROJECT / "recipe.yaml").read_text()
    assert f"sha256: {newest.sha256}" in text
    assert f"url: pypi://{PROJECT}/emci_probe_pkg-${{{{ version }}}}.tar.gz" in text
    assert 'compiler("c")' in text  # seen in the file list, without building


# -- the download function itself ------------------------------------------------------------


def test_pip_index_config_follows_pips_environment(index):
    from emci.pypi import pip_index_config

    assert pip_index_config().index_urls == (index.simple,)


@pytest.mark.parametrize("json_api", [True, False], ids=["pep691-json", "pep503-html"])
def test_newest_stable_unyanked_or_the_exact_pin(index, tmp_path: Path, json_api: bool):
    from emci.pypi import download_sdist

    index.json_api = json_api
    index.add(PROJECT, "1.0")
    index.add(PROJECT, "1.1")
    index.add(PROJECT, "1.2", yanked=True)
    index.add(PROJECT, "2.0rc1")
    assert download_sdist(PROJECT, tmp_path).name == "emci_probe_pkg-1.1.tar.gz"
    assert download_sdist(f"{PROJECT}==1.2", tmp_path).name == "emci_probe_pkg-1.2.tar.gz"
    assert download_sdist(f"{PROJECT}>=2.0rc1", tmp_path).name == "emci_probe_pkg-2.0rc1.tar.gz"
    assert download_sdist(f"{PROJECT}<1.1", tmp_path).name == "emci_probe_pkg-1.0.tar.gz"
    assert not index.marker.exists()


@pytest.mark.parametrize("json_api", [True, False], ids=["pep691-json", "pep503-html"])
def test_requires_python_leaves_out_releases_for_a_newer_python(
    index, tmp_path: Path, json_api: bool
):
    """As pip does: a release whose requires-python excludes the target Python is not a
    candidate (PyWavelets 1.10 needs 3.12; the tree's Python is 3.11)."""
    from emci.errors import SourceError
    from emci.pypi import download_sdist

    index.json_api = json_api
    index.add(PROJECT, "1.0", requires_python=">=3.9")
    index.add(PROJECT, "1.1", requires_python=">=3.12")
    assert download_sdist(PROJECT, tmp_path, python_version="3.11").name.endswith("-1.0.tar.gz")
    assert download_sdist(PROJECT, tmp_path, python_version="3.12").name.endswith("-1.1.tar.gz")
    assert download_sdist(PROJECT, tmp_path).name.endswith("-1.1.tar.gz")  # no Python given
    with pytest.raises(SourceError, match=r"no sdist for Python 3.11 \(1.1 needs Python >=3.12\)"):
        download_sdist(f"{PROJECT}==1.1", tmp_path, python_version="3.11")


def test_recipe_new_picks_the_newest_release_for_the_trees_python(index, repo: Repo):
    supported = index.add(PROJECT, "1.0", requires_python=">=3.9")
    index.add(PROJECT, "1.1", requires_python=">=3.12")
    done = emci(repo, "recipe", "new", PROJECT)
    assert done.returncode == 0, done.stderr
    text = (repo.root / "recipes" / "recipes_emscripten" / PROJECT / "recipe.yaml").read_text()
    assert 'version: "1.0"' in text and f"sha256: {supported.sha256}" in text
    refused = emci(repo, "recipe", "new", PROJECT, "--version", "1.1")
    assert refused.returncode != 0
    assert "no sdist for Python 3.11 (1.1 needs Python >=3.12)" in refused.stderr


def test_sha256_mismatch_is_refused_and_nothing_is_left(index, tmp_path: Path):
    from emci.errors import SourceError
    from emci.pypi import download_sdist

    index.add(PROJECT, "1.0", listed_sha256="0" * 64)
    folder = tmp_path / "dl"
    folder.mkdir()
    with pytest.raises(SourceError, match="emci_probe_pkg-1.0.tar.gz: sha256 mismatch"):
        download_sdist(f"{PROJECT}==1.0", folder)
    assert list(folder.iterdir()) == []


def test_missing_release_and_missing_file_name(index, tmp_path: Path):
    from emci.errors import SourceError
    from emci.pypi import download_sdist

    index.add(PROJECT, "1.0")
    with pytest.raises(SourceError, match=r"emci-probe-pkg==3.0: pip's index has no sdist"):
        download_sdist(f"{PROJECT}==3.0", tmp_path)
    with pytest.raises(SourceError, match=r"has no Emci-Probe-Pkg-1.0.tar.gz \(it has emci_probe"):
        download_sdist(f"{PROJECT}==1.0", tmp_path, filename="Emci-Probe-Pkg-1.0.tar.gz")
    with pytest.raises(SourceError, match="not a requirement"):
        download_sdist("not a requirement!", tmp_path)
