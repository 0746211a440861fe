"""The emci command, run as users run it: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import Repo, recipe_text, run_emci


def emci(repo: Repo, *args: str) -> subprocess.CompletedProcess:
    return run_emci(repo.root, *args)


@pytest.fixture
def tree(repo: Repo) -> Repo:
    repo.recipe("zlib", recipe_text("zlib"))
    repo.recipe("libpng", recipe_text("libpng", host=["zlib"]))
    repo.recipe("bzip2", recipe_text("bzip2"))
    repo.commit("initial")
    repo.git("checkout", "-q", "-b", "topic")
    return repo


def assert_one_line_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
    assert errors, done.stderr
    assert any(all(f in line for f in fragments) for line in errors), errors


def test_plan_lists_the_change_and_with_dependents_adds_downstream(tree: Repo):
    tree.recipe("zlib", recipe_text("zlib", number=1))
    tree.commit()
    done = emci(tree, "plan", "main", "HEAD", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    # nothing is built yet, so nothing else is "needed" (zlib has no dependencies)
    assert data["generations"] == [["recipes_emscripten/zlib"]]
    assert data["recipes"]["recipes_emscripten/zlib"]["reasons"] == ["changed"]
    done = emci(tree, "plan", "main", "HEAD", "--with-dependents")
    assert done.returncode == 0
    assert (
        "generation 1:\n  recipes_emscripten/zlib  (changed)\n"
        "generation 2:\n  recipes_emscripten/libpng  (dependent of recipes_emscripten/zlib; "
        "host 'zlib' matched by recipes_emscripten/zlib (zlib 1.0))"
    ) in done.stdout


def test_changed_lists_recipes(tree: Repo):
    tree.recipe("zlib", recipe_text("zlib", number=1))
    tree.remove("recipes/recipes_emscripten/bzip2")
    tree.commit()
    done = emci(tree, "changed", "main", "HEAD", "--with-dependents")
    assert done.stdout.splitlines() == [
        "recipes_emscripten/libpng",
        "recipes_emscripten/zlib",
        "recipes_emscripten/bzip2 (deleted)",
    ]


def test_graph_formats(tree: Repo):
    assert '"recipes_emscripten/zlib" -> "recipes_emscripten/libpng";' in emci(tree, "graph").stdout
    assert json.loads(emci(tree, "graph", "--format", "json").stdout)["edges"] == [
        ["recipes_emscripten/zlib", "recipes_emscripten/libpng"]
    ]
    assert "-->" in emci(tree, "graph", "--format", "mermaid").stdout


def test_syntax_error_is_reported_and_the_rest_still_plans(tree: Repo):
    tree.recipe("broken", "package:\n  name: broken\n requirements: [\n")
    tree.recipe("zlib", recipe_text("zlib", number=1))
    tree.commit()
    done = emci(tree, "plan", "main", "HEAD")
    assert_one_line_error(done, "broken/recipe.yaml", "parse")
    assert "recipes_emscripten/zlib  (changed)" in done.stdout


def test_cycle_is_one_line_error(tree: Repo):
    tree.recipe("zlib", recipe_text("zlib", host=["libpng"]))
    tree.commit()
    assert_one_line_error(
        emci(tree, "plan", "main", "HEAD"),
        "dependency cycle",
        "recipes_emscripten/libpng -> recipes_emscripten/zlib",
    )


def test_missing_dependency_is_reported_before_any_build(tree: Repo):
    tree.recipe("libpng", recipe_text("libpng", host=["zlib", "libdoesnotexist"]))
    tree.commit()
    done = emci(tree, "build", "changed", "main", "HEAD")
    assert_one_line_error(done, "libpng", "libdoesnotexist", "satisfied by no recipe")
    assert not (tree.root / "build" / "logs").exists()


def test_wrong_sha256_fails_before_building(tree: Repo, tmp_path):
    tarball = tmp_path / "src.tar.gz"
    tarball.write_bytes(b"not really a tarball")
    tree.recipe(
        "bzip2",
        recipe_text("bzip2") + f"source:\n  url: {tarball.as_uri()}\n  sha256: {'a' * 64}\n",
    )
    tree.commit()
    done = emci(tree, "build", "recipes", "bzip2")
    assert_one_line_error(done, "bzip2/recipe.yaml", "sha256 mismatch", "a" * 64)


def test_dry_run_builds_nothing(tree: Repo):
    done = emci(tree, "build", "recipes", "libpng", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert (
        "recipes_emscripten/zlib  (needed by recipes_emscripten/libpng: host 'zlib'" in done.stdout
    )
    assert not (tree.root / "output").exists()


def test_unknown_recipe_name(tree: Repo):
    assert_one_line_error(emci(tree, "build", "recipes", "nope"), "no recipe named 'nope'")


def test_a_recipe_that_does_not_render_fails_only_the_plans_that_need_it(tree: Repo):
    tree.recipe("oldschool", recipe_text("oldschool") + "build:\n  skip_compile_pyc: [x]\n")
    tree.recipe("usesit", recipe_text("usesit", host=["oldschool"]))
    tree.commit("a recipe this rattler-build no longer accepts, and a user")
    tree.git("checkout", "-q", "-B", "main")
    tree.git("checkout", "-q", "-b", "later")
    tree.recipe("zlib", recipe_text("zlib", number=1))
    tree.commit()
    # not needed: a warning naming its id, and the rest plans
    done = emci(tree, "plan", "main", "HEAD", "--json")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert any("recipes_emscripten/oldschool does not render" in w for w in warnings), warnings
    data = json.loads(done.stdout)
    assert data["generations"] == [["recipes_emscripten/zlib"]]
    assert data["not_rendered"][0].startswith("recipes_emscripten/oldschool does not render: ")
    assert emci(tree, "graph").returncode == 0
    # requested: an error
    done = emci(tree, "build", "recipes", "oldschool", "--dry-run")
    assert_one_line_error(done, "recipes_emscripten/oldschool does not render", "recipe.yaml")
    # needed by a planned recipe (its requirement nothing else satisfies): an error too
    done = emci(tree, "build", "recipes", "usesit", "--dry-run")
    assert_one_line_error(done, "recipes_emscripten/oldschool does not render")
    assert_one_line_error(done, "recipes_emscripten/usesit", "'oldschool'")


def test_the_same_package_from_two_recipes_fails_plans_including_either(tree: Repo):
    tree.recipe("zlib-ng", recipe_text("zlib"))
    tree.commit("a second recipe producing zlib 1.0 with the same build string")
    done = emci(tree, "graph")
    assert done.returncode == 0, done.stderr
    assert "WARNING: " in done.stderr and "zlib-ng/recipe.yaml" in done.stderr
    done = emci(tree, "build", "recipes", "libpng", "--dry-run")
    assert_one_line_error(done, "zlib/recipe.yaml", "is also produced by", "zlib-ng/recipe.yaml")
    assert emci(tree, "build", "recipes", "bzip2", "--dry-run").returncode == 0
