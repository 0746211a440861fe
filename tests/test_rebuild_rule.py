"""The rule of docs/maintainers.md ("When a package is built"), on real git histories made in
tmp dirs, recipes rendered by the real rattler-build and a real directory channel read by
py-rattler holding what main published; the build step itself is a recorder.

- a pull request builds and tests every recipe its diff changed, whatever exists; skip-existing
  applies to the rest (needed recipes, dependents);
- `emci lint BASE HEAD` reports a change to what is built that keeps the package identity;
- on main (`--no-rebuild`) nothing that exists is rebuilt or uploaded, and a changed recipe
  whose identity exists fails the job, unless only its tests or about changed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Repo, recipe_text
from emci.builder import build_plan, options_for
from emci.scheduler import BUILT, EXISTED, TaskResult
from emci.settings import CHANNEL_SUBDIRS
from emci.workspace import Workspace

PYTHON, LIBFOO, APP = (f"recipes_emscripten/{name}" for name in ("python", "libfoo", "app"))


def lib(
    name: str,
    *,
    number: int = 0,
    script: str = "bash $RECIPE_DIR/helper.sh",
    test: str = "bash test_lib.sh",
    summary: str = "A library",
    host: tuple[str, ...] = (),
) -> str:
    requirements = "\n".join(f"    - {item}" for item in host) or "    []"
    return f"""\
package:
  name: {name}
  version: "1.0"
build:
  number: {number}
  script:
    - {script}
requirements:
  host:
{requirements}
tests:
  - files:
      recipe:
        - test_lib.sh
    script:
      - {test}
about:
  license: MIT
  summary: {summary}
extra:
  recipe-maintainers: [someone]
"""


def publish_identities(repo: Repo, settings_for) -> None:
    """A directory channel (output/) holding every package identity main's recipes produce,
    as a published channel would: repodata.json per subdir."""
    workspace = Workspace.load(settings_for(repo))
    channel = workspace.settings.output
    by_subdir: dict[str, dict] = {subdir: {} for subdir in CHANNEL_SUBDIRS}
    for recipe in workspace.tree.recipes.values():
        for output in recipe.outputs:
            by_subdir[output.subdir][f"{output.filename_stem}.conda"] = {
                "name": output.name,
                "version": output.version,
                "build": output.build_string,
                "build_number": int(output.build_string.rsplit("_", 1)[-1]),
                "depends": [],
                "subdir": output.subdir,
            }
    for subdir, packages in by_subdir.items():
        (channel / subdir).mkdir(parents=True, exist_ok=True)
        repodata = {"info": {"subdir": subdir}, "packages": {}, "packages.conda": packages}
        (channel / subdir / "repodata.json").write_text(json.dumps(repodata))


@pytest.fixture
def main(repo: Repo, settings_for) -> Repo:
    """main: python, libfoo (uses the python variant), app (needs libfoo); all published."""
    repo.write(".gitignore", "output/\nbuild/\n")
    repo.recipe("python", recipe_text("python", version="3.11"))
    repo.recipe("libfoo", lib("libfoo", host=("python ${{ python }}.*",)))
    repo.write("recipes/recipes_emscripten/libfoo/helper.sh", "echo building libfoo\n")
    repo.write("recipes/recipes_emscripten/libfoo/test_lib.sh", "echo testing libfoo\n")
    repo.recipe("app", lib("app", host=("libfoo",)))
    repo.write("recipes/recipes_emscripten/app/helper.sh", "echo building app\n")
    repo.write("recipes/recipes_emscripten/app/test_lib.sh", "echo testing app\n")
    repo.commit("main")
    publish_identities(repo, settings_for)
    repo.git("checkout", "-q", "-b", "topic")
    return repo


def lint(repo: Repo) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emci", "--root", str(repo.root), "lint", "main", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )


def build(repo: Repo, settings_for, *, no_rebuild: bool = False, with_dependents: bool = False):
    """What `emci build changed main HEAD --skip-existing` (PR) or `--no-rebuild` (main) does,
    with a recorder for the build step: (statuses, packages for upload, built recipes)."""
    workspace = Workspace.load(settings_for(repo))
    plan = workspace.plan_changes("main", "HEAD", with_dependents=with_dependents)
    built: list[str] = []

    def recorder(name: str) -> TaskResult:
        built.append(name)
        channel = workspace.settings.output
        packages = tuple(
            str(channel / o.subdir / f"{o.filename_stem}.conda")
            for o in workspace.graph.recipes[name].outputs
        )
        return TaskResult(name, BUILT, packages=packages)

    options = options_for(plan, jobs=1, skip_existing=not no_rebuild, no_rebuild=no_rebuild)
    report = build_plan(workspace.settings, workspace.graph, plan.names, options, build=recorder)
    statuses = {r.name: r.status for r in report.results}
    uploads = sorted(Path(p).name for r in report.results for p in r.packages)
    return statuses, uploads, built


def conflicts(repo: Repo, settings_for) -> list[str]:
    workspace = Workspace.load(settings_for(repo))
    return [item.recipe for item in workspace.published_conflicts("main", "HEAD")]


def test_script_change_without_bump(main: Repo, settings_for):
    main.recipe("libfoo", lib("libfoo", host=("python ${{ python }}.*",), script="echo other"))
    main.commit("libfoo: another build script, same build number")
    done = lint(main)
    assert done.returncode == 1
    assert "libfoo/recipe.yaml: build.number: recipe changed without a build number bump" in (
        done.stderr
    )
    assert "(build)" in done.stderr
    # The pull request builds and tests it although its identity exists ...
    statuses, _, built = build(main, settings_for)
    assert statuses == {LIBFOO: BUILT} and built == [LIBFOO]
    # ... and main refuses it, naming it, before building anything.
    assert conflicts(main, settings_for) == [LIBFOO]
    done = subprocess.run(
        [sys.executable, "-m", "emci", "--root", str(main.root), "build", "changed"]
        + ["main", "HEAD", "--no-rebuild", "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "libfoo/recipe.yaml: recipe changed without a build number bump" in done.stderr
    assert "already published" in done.stderr


def test_a_changed_file_of_the_recipe_folder_counts_too(main: Repo, settings_for):
    main.write("recipes/recipes_emscripten/libfoo/helper.sh", "echo patched\n")
    main.commit("libfoo: helper script changed")
    done = lint(main)
    assert done.returncode == 1
    assert "recipe changed without a build number bump" in done.stderr
    assert "(helper.sh)" in done.stderr
    assert conflicts(main, settings_for) == [LIBFOO]


def test_bump(main: Repo, settings_for):
    main.recipe(
        "libfoo", lib("libfoo", host=("python ${{ python }}.*",), script="echo other", number=1)
    )
    main.commit("libfoo: another build script, build number 1")
    assert lint(main).returncode == 0, lint(main).stderr
    statuses, uploads, _ = build(main, settings_for)
    assert statuses == {LIBFOO: BUILT}
    assert conflicts(main, settings_for) == []
    statuses, uploads, _ = build(main, settings_for, no_rebuild=True)
    assert statuses == {LIBFOO: BUILT}
    assert len(uploads) == 1 and uploads[0].endswith("_1.conda")


def test_variant_change_is_a_new_identity(main: Repo, settings_for):
    config = main.root / "conda_build_config.yaml"
    config.write_text(config.read_text().replace('"3.11"', '"3.12"'))
    main.commit("python 3.12")
    assert lint(main).returncode == 0, lint(main).stderr
    statuses, _, _ = build(main, settings_for)
    assert statuses == {LIBFOO: BUILT}
    assert conflicts(main, settings_for) == []
    statuses, uploads, _ = build(main, settings_for, no_rebuild=True)
    assert statuses == {LIBFOO: BUILT} and uploads[0].startswith("libfoo-1.0-py312")


def test_an_added_variant_uploads_only_the_new_identity(main: Repo, settings_for):
    config = main.root / "conda_build_config.yaml"
    config.write_text(config.read_text().replace('  - "3.11"', '  - "3.11"\n  - "3.12"'))
    main.commit("python 3.11 and 3.12")
    assert lint(main).returncode == 0, lint(main).stderr
    statuses, uploads, _ = build(main, settings_for, no_rebuild=True)
    assert statuses == {LIBFOO: BUILT}
    assert [u.split("-")[2][:5] for u in uploads] == ["py312"]


def test_tests_and_about_only(main: Repo, settings_for):
    main.recipe(
        "libfoo",
        lib("libfoo", host=("python ${{ python }}.*",), test="bash test_lib.sh --more").replace(
            "A library", "A better described library"
        ),
    )
    main.write("recipes/recipes_emscripten/libfoo/test_lib.sh", "echo testing more\n")
    main.commit("libfoo: more tests, better summary")
    assert lint(main).returncode == 0, lint(main).stderr
    statuses, _, built = build(main, settings_for)  # the pull request builds and tests it
    assert statuses == {LIBFOO: BUILT} and built == [LIBFOO]
    assert conflicts(main, settings_for) == []
    statuses, uploads, built = build(main, settings_for, no_rebuild=True)  # main uploads nothing
    assert statuses == {LIBFOO: EXISTED} and uploads == [] and built == []


def test_dependent_of_a_bumped_recipe(main: Repo, settings_for):
    main.recipe("libfoo", lib("libfoo", host=("python ${{ python }}.*",), number=1))
    main.commit("libfoo: build number 1")
    assert lint(main).returncode == 0, lint(main).stderr
    statuses, _, _ = build(main, settings_for)
    assert statuses == {LIBFOO: BUILT}  # app is not rebuilt unless asked
    statuses, _, _ = build(main, settings_for, with_dependents=True)
    assert statuses == {LIBFOO: BUILT, APP: EXISTED}  # skip-existing applies to it
    statuses, uploads, _ = build(main, settings_for, no_rebuild=True, with_dependents=True)
    assert statuses == {LIBFOO: BUILT, APP: EXISTED}
    assert [u.split("-")[0] for u in uploads] == ["libfoo"]


def test_needed_recipes_are_skipped_when_they_exist(main: Repo, settings_for):
    main.recipe("app", lib("app", host=("libfoo",), number=1))
    main.commit("app: build number 1")
    (main.root / "output" / "emscripten-wasm32" / "repodata.json").write_text(
        json.dumps({"info": {"subdir": "emscripten-wasm32"}, "packages": {}})
    )  # nothing published: libfoo is needed, and built first
    statuses, _, built = build(main, settings_for)
    assert built == [PYTHON, LIBFOO, APP]
    publish_identities(main, settings_for)  # libfoo exists now: needed no more
    statuses, _, built = build(main, settings_for)
    assert built == [APP]
