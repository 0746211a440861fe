"""Bad input, command by command: the real `emci` process, its exit code, and one line naming
the file or option at fault. No command may end in a Python traceback, whatever the input."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import GIT_ENV, Repo, recipe_text

LATIN1_RECIPE = b'package:\n  name: latin\n  version: "1.0"\nabout:\n  summary: caf\xe9\n'


@dataclass
class Run:
    """What a case runs: emci's arguments, extra environment, working directory."""

    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    root: bool = True  # pass --root REPO


@dataclass(frozen=True)
class Case:
    id: str
    setup: Callable[[Repo, Path], Run]
    code: int
    words: tuple[str, ...]  # all in one ERROR line (or, for exit 0, in stdout)


def topic(repo: Repo) -> None:
    """main with zlib, then a topic branch."""
    repo.recipe("zlib", recipe_text("zlib"))
    repo.commit("initial")
    repo.git("checkout", "-q", "-b", "topic")


def binary_files_in_diff(repo: Repo, tmp: Path) -> Run:
    topic(repo)
    (repo.root / "recipes/recipes_emscripten/zlib/logo.png").write_bytes(bytes(range(256)) * 8)
    (repo.root / "docs").mkdir()
    with open(os.fsencode(repo.root / "docs") + b"/caf\xe9.bin", "wb") as handle:
        handle.write(b"\xff\xfe\x00 not text")  # a file name that is not UTF-8 either
    repo.commit("binary files")
    return Run(["plan", "main", "HEAD"])


def non_utf8_recipe(repo: Repo, tmp: Path) -> Run:
    topic(repo)
    (repo.root / "recipes/recipes_emscripten/latin").mkdir()
    (repo.root / "recipes/recipes_emscripten/latin/recipe.yaml").write_bytes(LATIN1_RECIPE)
    repo.commit("a latin-1 recipe")
    return Run(["plan", "main", "HEAD"])


def deleted_non_utf8_recipe(repo: Repo, tmp: Path) -> Run:
    (repo.root / "recipes/recipes_emscripten/latin").mkdir()
    (repo.root / "recipes/recipes_emscripten/latin/recipe.yaml").write_bytes(LATIN1_RECIPE)
    topic(repo)
    repo.remove("recipes/recipes_emscripten/latin")
    repo.commit("delete it")
    return Run(["plan", "main", "HEAD"])


def lint_non_utf8_recipe(repo: Repo, tmp: Path) -> Run:
    non_utf8_recipe(repo, tmp)
    return Run(["lint", "--all"])


def own_output(kind: str) -> Callable[[Repo, Path], Run]:
    def setup(repo: Repo, tmp: Path) -> Run:
        topic(repo)
        repo.recipe("selfish", recipe_text("selfish", **{kind: ["selfish >=1"]}))
        repo.commit()
        return Run(["plan", "main", "HEAD"])

    return setup


def duplicate_outputs(repo: Repo, tmp: Path) -> Run:
    topic(repo)
    repo.recipe(
        "twice",
        'recipe: {name: twice, version: "1.0"}\noutputs:\n'
        "  - package: {name: libtwice}\n    build: {script: [echo one]}\n"
        "  - package: {name: libtwice}\n    build: {script: [echo two]}\n",
    )
    repo.commit()
    return Run(["plan", "main", "HEAD"])


def channel(tmp: Path, repodata: str = '{"packages": {}, "packages.conda": {}}') -> Path:
    folder = tmp / "channel"
    (folder / "noarch").mkdir(parents=True)
    (folder / "noarch" / "repodata.json").write_text(repodata)
    return folder


BUSY: list[socket.socket] = []  # listening sockets held until the session ends


def serve_on_a_busy_port(repo: Repo, tmp: Path) -> Run:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    BUSY.append(busy)
    port = busy.getsockname()[1]
    return Run(["serve", str(channel(tmp)), "--port", str(port)])


def channel_page_on(repodata: str) -> Callable[[Repo, Path], Run]:
    def setup(repo: Repo, tmp: Path) -> Run:
        return Run(["channel-page", str(channel(tmp, repodata))])

    return setup


def debian_without_apt_get(repo: Repo, tmp: Path) -> Run:
    repo.recipe(
        "pkg",
        recipe_text("pkg")
        + f"source:\n  url: {(tmp / 'missing.tar.gz').as_uri()}\n  sha256: {'1' * 64}\n"
        + "extra:\n  sources:\n    debian: zlib\n",
    )
    empty = tmp / "bin"
    empty.mkdir()
    return Run(["sources", "fetch", "pkg"], env={"PATH": str(empty)})


def upload_to_a_file(repo: Repo, tmp: Path) -> Run:
    from test_upload import build_dummies

    (package,) = build_dummies(tmp / "dummy", count=1)
    (tmp / "afile").write_text("not a directory")
    return Run(["upload", str(package), "--to", str(tmp / "afile")])


def output_subdir_is_a_file(repo: Repo, tmp: Path) -> Run:
    topic(repo)
    (repo.root / "output").mkdir()
    (repo.root / "output" / "noarch").write_text("not a directory")
    return Run(["build", "recipes", "zlib"])


def output_option_is_a_file(repo: Repo, tmp: Path) -> Run:
    (tmp / "afile").write_text("not a directory")
    return Run(["--output", str(tmp / "afile"), "graph"])


def sdist(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def recipe_new_without_pkg_info(repo: Repo, tmp: Path) -> Run:
    links = tmp / "links"
    links.mkdir()
    (links / "nopkginfo-1.0.tar.gz").write_bytes(
        sdist({"nopkginfo-1.0/setup.py": "from setuptools import setup\nsetup()\n"})
    )
    env = {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(links)}
    return Run(["recipe", "new", "nopkginfo"], env=env)


def bad_ref(repo: Repo, tmp: Path) -> Run:
    topic(repo)
    return Run(["plan", "main", "no-such-ref"])


def outside_git(repo: Repo, tmp: Path) -> Run:
    topic(repo)
    repo.remove(".git")
    return Run(["plan", "main", "HEAD"])


def outside_a_recipe_repository(repo: Repo, tmp: Path) -> Run:
    (tmp / "elsewhere").mkdir()
    return Run(["graph"], cwd=tmp / "elsewhere", root=False)


def ambiguous_name(repo: Repo, tmp: Path) -> Run:
    repo.recipe("tool", recipe_text("tool"))
    repo.recipe("tool", recipe_text("tool"), folder="recipes")
    return Run(["build", "recipes", "tool", "--dry-run"])


def unknown_name(repo: Repo, tmp: Path) -> Run:
    topic(repo)
    return Run(["build", "recipes", "zlibb", "--dry-run"])


def broken_pyproject(repo: Repo, tmp: Path) -> Run:
    repo.write("pyproject.toml", "[tool.emci\n")
    return Run(["graph"])


def broken_variant_config(repo: Repo, tmp: Path) -> Run:
    topic(repo)
    repo.write("conda_build_config.yaml", "python: [\n")
    return Run(["graph"])


def bad_spec_for_env(repo: Repo, tmp: Path) -> Run:
    return Run(["env", "create", str(tmp / "env"), "zlib >>=1", "-c", str(channel(tmp))])


def run_without_python(repo: Repo, tmp: Path) -> Run:
    (tmp / "prefix").mkdir()
    return Run(["run", str(tmp / "prefix"), "--", "-c", "pass"])


def shard_of_a_missing_plan(repo: Repo, tmp: Path) -> Run:
    return Run(["build", "shard", str(tmp / "plan.json"), "1-1"])


def shard_of_a_plan_without_shards(repo: Repo, tmp: Path) -> Run:
    (tmp / "plan.json").write_text('{"generations": []}')
    return Run(["build", "shard", str(tmp / "plan.json"), "1-1"])


def shard_of_a_broken_plan(repo: Repo, tmp: Path) -> Run:
    (tmp / "plan.json").write_bytes(b"\xff{")
    return Run(["build", "shard", str(tmp / "plan.json"), "1-1"])


def unknown_shard(repo: Repo, tmp: Path) -> Run:
    stages = '[[{"id": "1-1", "recipes": ["recipes_emscripten/zlib"]}]]'
    (tmp / "plan.json").write_text('{"shards": {"stages": ' + stages + "}}")
    return Run(["build", "shard", str(tmp / "plan.json"), "7-1"])


def shard_recipe_not_in_the_tree(repo: Repo, tmp: Path) -> Run:
    topic(repo)
    stages = '[[{"id": "1-1", "recipes": ["recipes_emscripten/gone"]}]]'
    (tmp / "plan.json").write_text('{"shards": {"stages": ' + stages + "}}")
    return Run(["build", "shard", str(tmp / "plan.json"), "1-1"])


def merge_from_a_file(repo: Repo, tmp: Path) -> Run:
    (tmp / "afile").write_text("not a channel")
    return Run(["channel", "merge", str(tmp / "merged"), str(tmp / "afile")])


def merge_into_a_file(repo: Repo, tmp: Path) -> Run:
    (tmp / "afile").write_text("not a channel")
    return Run(["channel", "merge", str(tmp / "afile")])


CASES = [
    Case("binary-files-in-diff", binary_files_in_diff, 0, ("recipes_emscripten/zlib  (changed)",)),
    Case("non-utf8-recipe", non_utf8_recipe, 1, ("latin/recipe.yaml", "not UTF-8 text")),
    Case("deleted-non-utf8-recipe", deleted_non_utf8_recipe, 0, ("deleted (not built)",)),
    Case("lint-non-utf8-recipe", lint_non_utf8_recipe, 1, ("latin/recipe.yaml", "not UTF-8")),
    Case("own-output-host", own_output("host"), 1, ("selfish/recipe.yaml", "own output")),
    Case("own-output-run", own_output("run"), 1, ("requirements.run", "own output")),
    Case("duplicate-outputs", duplicate_outputs, 1, ("twice/recipe.yaml", "two outputs")),
    Case("serve-port-in-use", serve_on_a_busy_port, 1, ("--port", "already in use")),
    Case(
        "channel-page-broken-json",
        channel_page_on("{not json"),
        1,
        ("noarch/repodata.json", "not a readable repodata.json"),
    ),
    Case(
        "channel-page-record-without-name",
        channel_page_on('{"packages": {"x-1-0.tar.bz2": {"version": "1"}}}'),
        1,
        ("noarch/repodata.json", "KeyError"),
    ),
    Case("debian-without-apt-get", debian_without_apt_get, 1, ("pkg/recipe.yaml", "apt-get")),
    Case("upload-to-a-file", upload_to_a_file, 1, ("afile", "is a file")),
    Case("output-subdir-is-a-file", output_subdir_is_a_file, 1, ("output/noarch", "is a file")),
    Case("output-option-is-a-file", output_option_is_a_file, 2, ("--output", "is a file")),
    Case("recipe-new-without-pkg-info", recipe_new_without_pkg_info, 1, ("nopkginfo", "PKG-INFO")),
    Case("bad-ref", bad_ref, 1, ("no-such-ref",)),
    Case("outside-git", outside_git, 1, ("not a git repository",)),
    Case("outside-a-recipe-repository", outside_a_recipe_repository, 1, ("not inside a recipe",)),
    Case("ambiguous-name", ambiguous_name, 1, ("'tool' is ambiguous", "recipes/tool")),
    Case("unknown-name", unknown_name, 1, ("no recipe named 'zlibb'",)),
    Case("broken-pyproject", broken_pyproject, 1, ("pyproject.toml",)),
    Case("broken-variant-config", broken_variant_config, 1, ("conda_build_config.yaml",)),
    Case("bad-spec-for-env", bad_spec_for_env, 1, ("zlib >>=1",)),
    Case("run-without-python", run_without_python, 1, ("prefix", "no wasm python")),
    Case("shard-missing-plan", shard_of_a_missing_plan, 1, ("plan.json", "cannot read")),
    Case("shard-plan-without-shards", shard_of_a_plan_without_shards, 1, ("plan.json", "shards")),
    Case("shard-broken-plan", shard_of_a_broken_plan, 1, ("plan.json", "not a JSON plan")),
    Case("unknown-shard", unknown_shard, 1, ("plan.json", "no shard '7-1'", "1-1")),
    Case("shard-recipe-not-in-tree", shard_recipe_not_in_the_tree, 1, ("1-1", "gone")),
    Case("merge-from-a-file", merge_from_a_file, 2, ("SOURCES", "afile", "is a file")),
    Case("merge-into-a-file", merge_into_a_file, 2, ("TARGET", "afile", "is a file")),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_gives_one_line_and_an_exit_code(case: Case, repo: Repo, tmp_path: Path):
    run = case.setup(repo, tmp_path)
    command = [sys.executable, "-m", "emci"]
    command += ["--root", str(repo.root)] if run.root else []
    done = subprocess.run(
        command + run.args,
        capture_output=True,
        text=True,
        check=False,
        cwd=run.cwd,
        env={**os.environ, **GIT_ENV, **run.env},
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert done.returncode == case.code, output
    if case.code == 0:
        assert all(word in done.stdout for word in case.words), output
        return
    # click's usage errors print "Error: ..."; emci's own print "ERROR: ..."
    lines = [line for line in done.stderr.splitlines() if line.lower().startswith("error")]
    assert any(all(word in line for word in case.words) for line in lines), output


def test_a_bug_is_one_line_and_exit_70_and_the_traceback_only_with_verbose(
    repo: Repo, monkeypatch, capsys
):
    from emci import cli
    from emci.workspace import Workspace

    def broken(settings, **options):
        raise RuntimeError("a bug\nover two lines")

    monkeypatch.setattr(Workspace, "load", broken)
    assert cli.exit_code_of(["--root", str(repo.root), "graph"]) == cli.INTERNAL_ERROR
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "ERROR: internal error: RuntimeError: a bug; over two lines (please report it; "
        "`emci -v ...` shows the traceback)"
    ]
    assert cli.exit_code_of(["-v", "--root", str(repo.root), "graph"]) == cli.INTERNAL_ERROR
    assert "Traceback" in capsys.readouterr().err
