"""The content-addressed mirror, recipe staging and fetching."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

from conftest import Repo
from emci.errors import SourceError
from emci.recipes import Renderer
from emci.sources import Mirror, fetch, stage_recipe


def make_tarball(folder: Path) -> tuple[Path, str]:
    content = folder / "pkg-1.0"
    content.mkdir(parents=True)
    (content / "hello.txt").write_text("hello\n")
    tarball = folder / "pkg-1.0.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(content, arcname="pkg-1.0")
    return tarball, hashlib.sha256(tarball.read_bytes()).hexdigest()


def source_recipe(repo: Repo, url: str, sha256: str, extra: str = "") -> None:
    repo.recipe(
        "pkg",
        f"""\
# a comment that staging keeps
context:
  version: "1.0"
package:
  name: pkg
  version: ${{{{ version }}}}
source:
  url: {url}
  sha256: {sha256}
build:
  script: [echo hi]
{extra}""",
    )


def render(repo: Repo):
    tree = Renderer(repo.root / "conda_build_config.yaml").render_tree(repo.root / "recipes")
    assert tree.failures == ()
    return tree.recipes["recipes_emscripten/pkg"]


def test_fetch_from_a_reachable_url_then_stage(repo: Repo, tmp_path: Path):
    tarball, sha = make_tarball(tmp_path / "upstream")
    source_recipe(repo, tarball.as_uri(), sha)
    mirror = Mirror(tmp_path / "mirror")
    recipe = render(repo)
    assert [r.how for r in fetch(recipe, mirror)] == ["url"]
    assert mirror.lookup(sha) == tmp_path / "mirror" / sha / "pkg-1.0.tar.gz"
    assert [r.how for r in fetch(recipe, mirror)] == ["mirror"]

    staged = stage_recipe(recipe, mirror, tmp_path / "stage")
    text = staged.read_text()
    assert "# a comment that staging keeps" in text
    assert (tmp_path / "mirror" / sha / "pkg-1.0.tar.gz").as_uri() in text
    assert tarball.as_uri() in text  # the original URL stays as the fallback
    original = repo.root / "recipes/recipes_emscripten/pkg/recipe.yaml"
    assert (tmp_path / "mirror").as_uri() not in original.read_text()


def test_wrong_sha256_is_refused_with_both_hashes(repo: Repo, tmp_path: Path):
    tarball, sha = make_tarball(tmp_path / "upstream")
    wrong = "0" * 64
    source_recipe(repo, tarball.as_uri(), wrong)
    mirror = Mirror(tmp_path / "mirror")
    with pytest.raises(SourceError) as error:
        fetch(render(repo), mirror)
    message = str(error.value)
    assert "pkg/recipe.yaml" in message and wrong in message and sha in message
    assert not (tmp_path / "mirror" / wrong).exists()


def test_unreachable_url_without_provider(repo: Repo, tmp_path: Path):
    source_recipe(repo, (tmp_path / "missing.tar.gz").as_uri(), "1" * 64)
    with pytest.raises(SourceError, match="cannot fetch missing.tar.gz"):
        fetch(render(repo), Mirror(tmp_path / "mirror"))


def test_unknown_provider_names_the_field(repo: Repo, tmp_path: Path):
    source_recipe(
        repo,
        (tmp_path / "missing.tar.gz").as_uri(),
        "1" * 64,
        extra="extra:\n  sources:\n    ftp: something\n",
    )
    with pytest.raises(SourceError, match="extra.sources.ftp: unknown provider"):
        fetch(render(repo), Mirror(tmp_path / "mirror"))


@pytest.mark.parametrize(
    "file_name",
    ["{outside}/escaped.tar.gz", "../escaped.tar.gz", "sub/escaped.tar.gz", "..", ".hidden"],
)
def test_a_file_name_that_leaves_its_folder_is_an_error_naming_the_recipe(
    repo: Repo, tmp_path: Path, file_name: str
):
    tarball, sha = make_tarball(tmp_path / "upstream")
    outside = tmp_path / "outside"
    outside.mkdir()
    file_name = file_name.format(outside=outside)
    source_recipe(repo, f"{tarball.as_uri()}\n  file_name: {file_name}", sha)
    mirror = Mirror(tmp_path / "deep" / "er" / "mirror")
    with pytest.raises(SourceError) as error:
        fetch(render(repo), mirror)
    message = str(error.value)
    assert "recipes_emscripten/pkg/recipe.yaml: source.file_name:" in message
    assert f"{file_name!r} is not a plain file name" in message
    assert list(outside.iterdir()) == []
    assert not (tmp_path / "deep").exists()  # nothing written, not even the mirror
    written = {p.name for p in tmp_path.rglob("*escaped*")} | {
        p.name for p in Path(tempfile.gettempdir()).glob("escaped.tar.gz")
    }
    assert written == set()

    # lint says so too, with the file and the field
    done = subprocess.run(
        [sys.executable, "-m", "emci", "--root", str(repo.root), "lint", "--all"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert f"pkg/recipe.yaml: source.file_name: {file_name!r} is not a plain file name" in (
        done.stderr
    )


def test_the_mirror_takes_only_sha256_digests_as_folder_names(tmp_path: Path):
    mirror = Mirror(tmp_path / "mirror")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "file.tar.gz").write_text("not from the mirror")
    assert mirror.lookup("../elsewhere") is None
    with pytest.raises(SourceError, match="not a sha256 digest"):
        mirror.path_for("../elsewhere", "file.tar.gz")


@pytest.mark.e2e
def test_pypi_provider_fetches_the_sdist_from_pips_real_index(repo: Repo, tmp_path: Path):
    sha = "1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926"
    repo.recipe(
        "pkg",
        f"""\
package: {{name: six, version: "1.16.0"}}
source:
  url: https://example.invalid/six-1.16.0.tar.gz
  sha256: {sha}
build:
  script: [echo hi]
extra:
  sources:
    pypi: six==1.16.0
""",
    )
    mirror = Mirror(tmp_path / "mirror")
    assert [r.how for r in fetch(render(repo), mirror)] == ["pypi"]
    assert mirror.lookup(sha).name == "six-1.16.0.tar.gz"


def test_debian_release_replaces_only_the_machines_own_suite(monkeypatch):
    from emci import sources

    monkeypatch.setattr(sources, "_machine_release", lambda: "bookworm")
    deb822 = (
        "Types: deb-src\nURIs: http://archive.invalid/debian\n"
        "Suites: bookworm bookworm-updates\nComponents: main\n\n"
        "Types: deb-src\nURIs: http://archive.invalid/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n\n"
        "Types: deb-src\nURIs: http://vendor.invalid/apt\nSuites: nodistro\nComponents: main\n"
    )
    suites = [ln for ln in sources._with_release(deb822, "trixie").splitlines() if "Suites" in ln]
    assert suites == [
        "Suites: trixie bookworm-updates",
        "Suites: bookworm-security",
        "Suites: nodistro",
    ]
    legacy = sources._legacy_line_with_release
    options = "[arch=amd64 signed-by=/k.gpg]"
    assert (
        legacy(f"deb-src {options} http://archive.invalid/debian bookworm main", "trixie")
        == f"deb-src {options} http://archive.invalid/debian trixie main"
    )
    assert (
        legacy("deb-src http://archive.invalid/debian-security bookworm-security main", "trixie")
        == "deb-src http://archive.invalid/debian-security bookworm-security main"
    )


FAKE_APT = '''#!{python}
"""apt-get / apt-cache standing in for an archive that lists zlib 1:1.2.13.dfsg-1 (served)
and 1:1.2.13.dfsg-1+deb12u1 (listed, its files missing). Records each `source` request."""
import os, sys
from pathlib import Path
args = sys.argv[1:]
if Path(sys.argv[0]).name == "apt-cache":
    print("Package: zlib\\nVersion: 1:1.2.13.dfsg-1\\n")
    print("Package: zlib\\nVersion: 1:1.2.13.dfsg-1+deb12u1\\n")
    print("Package: zlib-ng\\nVersion: 9:9.9-9\\n")
    sys.exit(0)
if "update" in args:
    sys.exit(0)
spec = args[-1]
with open(os.environ["FAKE_APT_LOG"], "a") as log:
    log.write(spec + "\\n")
if spec in os.environ["FAKE_APT_SERVED"].split():
    Path("zlib_1.2.13.dfsg.orig.tar.bz2").write_text("tarball")
    sys.exit(0)
print("E: Failed to fetch some archives.", file=sys.stderr)
sys.exit(100)
'''


@pytest.fixture
def fake_apt(tmp_path: Path, monkeypatch) -> Path:
    """apt-get and apt-cache on PATH from FAKE_APT; returns the log of `source` requests."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("apt-get", "apt-cache"):
        script = bin_dir / name
        script.write_text(FAKE_APT.format(python=sys.executable))
        script.chmod(0o755)
    log = tmp_path / "apt.log"
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_APT_LOG", str(log))
    return log


def test_debian_provider_tries_the_other_listed_versions_newest_first(
    tmp_path, fake_apt, monkeypatch
):
    from emci import sources

    monkeypatch.setenv("FAKE_APT_SERVED", "zlib=1:1.2.13.dfsg-1")
    folder = tmp_path / "download"
    folder.mkdir()
    files = sources.debian_source("zlib", folder)
    assert [f.name for f in files] == ["zlib_1.2.13.dfsg.orig.tar.bz2"]
    assert fake_apt.read_text().split() == [
        "zlib",
        "zlib=1:1.2.13.dfsg-1+deb12u1",
        "zlib=1:1.2.13.dfsg-1",
    ]


def test_debian_provider_gives_the_first_error_when_no_version_downloads(
    tmp_path, fake_apt, monkeypatch
):
    from emci import sources

    monkeypatch.setenv("FAKE_APT_SERVED", "")
    folder = tmp_path / "download"
    folder.mkdir()
    with pytest.raises(SourceError, match="Failed to fetch some archives"):
        sources.debian_source("zlib", folder)
    assert fake_apt.read_text().split()[0] == "zlib"
