"""Read-only source mirrors and substitutes for upstream files that cannot be had."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from rattler.package_streaming import extract
from ruamel.yaml import YAML

from conftest import REPO_ROOT, Repo
from emci.errors import ConfigError, SourceError
from emci.recipes import Renderer
from emci.settings import Settings
from emci.sources import Mirror, check_substitute, fetch, stage_recipe
from emci.substitutes import EXTRA_KEY, load_index

HEADER = "upstream_sha256\tupstream_url\tsubstitute\tmade_from\tmissing_paths\n"


def make_tarball(folder: Path, *files: str) -> tuple[Path, str]:
    content = folder / "pkg-1.0"
    content.mkdir(parents=True)
    for name in files:
        (content / name).write_text(f"{name}\n")
    tarball = folder / "pkg-1.0.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(content, arcname="pkg-1.0")
    return tarball, hashlib.sha256(tarball.read_bytes()).hexdigest()


def put(mirror_root: Path, tarball: Path, sha256: str) -> Path:
    target = mirror_root / sha256 / tarball.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(tarball.read_bytes())
    return target


def source_recipe(repo: Repo, url: str, sha256: str) -> None:
    repo.recipe(
        "pkg",
        f"""\
context:
  version: "1.0"
package:
  name: pkg
  version: ${{{{ version }}}}
source:
  url: {url}
  sha256: {sha256}
build:
  noarch: generic
  script:
    - mkdir -p $PREFIX/share/pkg
    - cp *.txt $PREFIX/share/pkg/
""",
    )


def render(repo: Repo):
    tree = Renderer(repo.root / "conda_build_config.yaml").render_tree(repo.root / "recipes")
    assert tree.failures == ()
    return tree.recipes["recipes_emscripten/pkg"]


@pytest.fixture
def upstream(tmp_path: Path) -> tuple[Path, str]:
    """The upstream archive (with a documentation file the substitute lacks)."""
    return make_tarball(tmp_path / "upstream", "hello.txt", "screencast.gif")


@pytest.fixture
def readonly(tmp_path: Path, upstream: tuple[Path, str]) -> tuple[Path, str]:
    """A read-only mirror holding only a substitute for the upstream archive; returns its
    root and the substitute's sha256."""
    root = tmp_path / "shared"
    tarball, sha = make_tarball(tmp_path / "repacked", "hello.txt")
    put(root / "substitutes", tarball, sha)
    (root / "substitutes" / "INDEX.tsv").write_text(
        HEADER + f"{upstream[1]}\thttps://example.invalid/pkg-1.0.tar.gz\t{sha}/pkg-1.0.tar.gz\t"
        "git tag 1.0, tree without the missing paths\tscreencast.gif\n"
    )
    return root, sha


def staged_source(staged: Path) -> dict:
    return YAML(typ="safe").load(staged.read_text())


# -- settings --------------------------------------------------------------------------------


def test_readonly_mirrors_from_the_variable_replace_pyproject(
    repo: Repo, tmp_path: Path, monkeypatch
):
    (tmp_path / "a").mkdir()
    (repo.root / "in-tree").mkdir()
    repo.write(
        "pyproject.toml",
        '[tool.emci]\nreadonly_mirrors = ["in-tree"]\n[tool.emci.channels]\nlocal = []\n',
    )
    monkeypatch.delenv("EMCI_READONLY_MIRRORS", raising=False)
    assert Settings.load(repo.root).readonly_mirrors == ((repo.root / "in-tree").resolve(),)
    monkeypatch.setenv("EMCI_READONLY_MIRRORS", f"{tmp_path / 'a'}{os.pathsep}in-tree")
    assert Settings.load(repo.root).readonly_mirrors == (
        (tmp_path / "a").resolve(),
        (repo.root / "in-tree").resolve(),
    )


def test_a_readonly_mirror_that_is_not_a_directory_names_the_variable(repo: Repo, monkeypatch):
    monkeypatch.setenv("EMCI_READONLY_MIRRORS", "no/such/folder")
    with pytest.raises(ConfigError, match="EMCI_READONLY_MIRRORS: no/such/folder is not a dir"):
        Settings.load(repo.root)


def test_readonly_mirrors_must_be_a_list_in_pyproject(repo: Repo, monkeypatch):
    monkeypatch.delenv("EMCI_READONLY_MIRRORS", raising=False)
    repo.write("pyproject.toml", '[tool.emci]\nreadonly_mirrors = "shared"\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml: \[tool.emci\] readonly_mirrors"):
        Settings.load(repo.root)


# -- read-only mirrors -----------------------------------------------------------------------


def test_a_file_in_a_readonly_mirror_is_used_and_nothing_is_copied(
    repo: Repo, tmp_path: Path, upstream
):
    tarball, sha = upstream
    shared = tmp_path / "shared"
    in_shared = put(shared, tarball, sha)
    source_recipe(repo, "https://example.invalid/pkg-1.0.tar.gz", sha)
    mirror = Mirror(tmp_path / "mirror", (shared,))
    recipe = render(repo)
    assert [r.how for r in fetch(recipe, mirror)] == ["read-only mirror"]
    assert not (tmp_path / "mirror").exists()
    staged = stage_recipe(recipe, mirror, tmp_path / "stage")
    source = staged_source(staged)["source"]
    assert source["url"] == [in_shared.as_uri(), "https://example.invalid/pkg-1.0.tar.gz"]
    assert source["sha256"] == sha


# -- substitutes -----------------------------------------------------------------------------


def test_a_substitute_stands_in_when_the_upstream_file_cannot_be_had(
    repo: Repo, tmp_path: Path, upstream, readonly, caplog, monkeypatch
):
    # the CLI's logger setup (run in-process by other tests) stops propagation to caplog
    monkeypatch.setattr(logging.getLogger("emci"), "propagate", True)
    _, upstream_sha = upstream
    root, substitute_sha = readonly
    source_recipe(repo, (tmp_path / "gone" / "pkg-1.0.tar.gz").as_uri(), upstream_sha)
    mirror = Mirror(tmp_path / "mirror", (root,))
    recipe = render(repo)
    results = fetch(recipe, mirror)
    assert [r.how for r in results] == ["substitute"]
    substitute = results[0].substitute
    assert substitute.sha256 == substitute_sha
    assert substitute.missing_paths == ("screencast.gif",)
    assert "using a substitute for pkg-1.0.tar.gz" in caplog.text

    staged = stage_recipe(recipe, mirror, tmp_path / "stage", [substitute])
    data = staged_source(staged)
    assert data["source"]["url"] == [
        (root / "substitutes" / substitute_sha).as_uri() + "/pkg-1.0.tar.gz"
    ]
    assert data["source"]["sha256"] == substitute_sha
    (record,) = data["extra"][EXTRA_KEY]
    assert record["upstream_sha256"] == upstream_sha
    assert record["substitute_sha256"] == substitute_sha
    assert record["missing_paths"] == ["screencast.gif"]
    # the repository's recipe still names the upstream file
    assert upstream_sha in (repo.root / "recipes/recipes_emscripten/pkg/recipe.yaml").read_text()


def test_a_reachable_upstream_url_wins_over_the_substitute(
    repo: Repo, tmp_path: Path, upstream, readonly
):
    tarball, upstream_sha = upstream
    root, _ = readonly
    source_recipe(repo, tarball.as_uri(), upstream_sha)
    mirror = Mirror(tmp_path / "mirror", (root,))
    recipe = render(repo)
    results = fetch(recipe, mirror)
    assert [(r.how, r.substitute) for r in results] == [("url", None)]
    staged = staged_source(stage_recipe(recipe, mirror, tmp_path / "stage"))
    assert staged["source"]["sha256"] == upstream_sha
    assert (tmp_path / "mirror" / upstream_sha / "pkg-1.0.tar.gz").as_uri() in staged["source"][
        "url"
    ]
    assert EXTRA_KEY not in (staged.get("extra") or {})


def test_an_upstream_file_in_a_mirror_wins_over_the_substitute(
    repo: Repo, tmp_path: Path, upstream, readonly
):
    tarball, upstream_sha = upstream
    root, _ = readonly
    other = tmp_path / "other-shared"
    put(other, tarball, upstream_sha)
    source_recipe(repo, "https://example.invalid/pkg-1.0.tar.gz", upstream_sha)
    mirror = Mirror(tmp_path / "mirror", (root, other))
    results = fetch(render(repo), mirror)
    assert [(r.how, r.substitute) for r in results] == [("read-only mirror", None)]


def test_a_wrong_upstream_file_is_an_error_not_a_reason_to_substitute(
    repo: Repo, tmp_path: Path, upstream, readonly
):
    _, upstream_sha = upstream
    root, _ = readonly
    impostor, _ = make_tarball(tmp_path / "impostor", "other.txt")
    source_recipe(repo, impostor.as_uri(), upstream_sha)
    with pytest.raises(SourceError, match="sha256 mismatch"):
        fetch(render(repo), Mirror(tmp_path / "mirror", (root,)))


def test_a_substitute_whose_bytes_do_not_match_its_folder_is_refused(
    repo: Repo, tmp_path: Path, upstream, readonly
):
    _, upstream_sha = upstream
    root, substitute_sha = readonly
    (root / "substitutes" / substitute_sha / "pkg-1.0.tar.gz").write_bytes(b"tampered")
    source_recipe(repo, (tmp_path / "gone.tar.gz").as_uri(), upstream_sha)
    with pytest.raises(SourceError, match=f"expected sha256 {substitute_sha}"):
        fetch(render(repo), Mirror(tmp_path / "mirror", (root,)))


def test_without_a_substitute_an_unavailable_file_is_still_an_error(
    repo: Repo, tmp_path: Path, readonly
):
    root, _ = readonly
    source_recipe(repo, (tmp_path / "gone.tar.gz").as_uri(), "2" * 64)
    with pytest.raises(SourceError, match="cannot fetch gone.tar.gz"):
        fetch(render(repo), Mirror(tmp_path / "mirror", (root,)))


@pytest.mark.parametrize(
    "row, message",
    [
        ("abc\turl\tx/y.tar.gz\tmade\tpaths", r"INDEX.tsv:2: upstream_sha256 is not a sha256"),
        (f"{'a' * 64}\turl\t../y.tar.gz\tmade\tpaths", r"INDEX.tsv:2: substitute must be"),
        (f"{'a' * 64}\turl\tnot-a-sha/y.tar.gz\tm\tp", r"INDEX.tsv:2: substitute's folder"),
        (f"{'a' * 64}\turl", r"INDEX.tsv:2: 2 fields, the header has 5"),
    ],
)
def test_a_malformed_index_row_names_the_file_line_and_field(tmp_path: Path, row, message):
    index = tmp_path / "INDEX.tsv"
    index.write_text(HEADER + row + "\n")
    with pytest.raises(SourceError, match=message):
        load_index(index)


def test_the_shared_sources_substitutes_check_out_when_present():
    """The substitutes this project's shared sources folder ships: EMCI_READONLY_MIRRORS, or
    ../shared/sources next to this checkout (skipped where neither exists)."""
    candidates = [Path(p) for p in os.environ.get("EMCI_READONLY_MIRRORS", "").split(os.pathsep)]
    candidates.append(REPO_ROOT.parent / "shared" / "sources")
    roots = [c for c in candidates if str(c) != "." and (c / "substitutes" / "INDEX.tsv").is_file()]
    if not roots:
        pytest.skip("no shared sources folder with substitutes")
    substitutes = Mirror(REPO_ROOT / "build" / "mirror", tuple(roots)).substitutes
    assert substitutes
    for substitute in substitutes.values():
        assert check_substitute(substitute) == substitute.path


# -- a real build from a substitute ----------------------------------------------------------


@pytest.mark.e2e
def test_a_build_from_a_substitute_says_so_in_log_package_and_channel(
    repo: Repo, tmp_path: Path, upstream, readonly
):
    _, upstream_sha = upstream
    root, substitute_sha = readonly
    source_recipe(repo, (tmp_path / "gone" / "pkg-1.0.tar.gz").as_uri(), upstream_sha)
    repo.commit()
    env = {
        **os.environ,
        "EMCI_READONLY_MIRRORS": str(root),
        "EMCI_SOURCE_MIRROR": str(tmp_path / "mirror"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "emci", "--root", str(repo.root), "build", "recipes", "pkg"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "using a substitute for pkg-1.0.tar.gz" in done.stderr
    build_log = (repo.root / "build" / "logs" / "recipes_emscripten" / "pkg.log").read_text()
    assert (
        f"== SOURCE SUBSTITUTE: https://example.invalid/pkg-1.0.tar.gz (sha256 {upstream_sha})"
        in build_log
    )

    (package,) = (repo.root / "output" / "noarch").glob("pkg-1.0-*.conda")
    unpacked = tmp_path / "unpacked"
    extract(package, unpacked)
    about = json.loads((unpacked / "info" / "about.json").read_text())
    (record,) = about["extra"][EXTRA_KEY]
    assert record["substitute_sha256"] == substitute_sha
    assert (unpacked / "share" / "pkg" / "hello.txt").is_file()
    assert not (unpacked / "share" / "pkg" / "screencast.gif").exists()

    metadata = json.loads((repo.root / "output" / "emci-metadata.json").read_text())
    entry = metadata["packages"][f"noarch/{package.name}"]
    assert entry["source_substitutes"][0]["upstream_sha256"] == upstream_sha
