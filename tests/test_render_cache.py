"""The render cache: rendered recipes kept under build/render-cache/, used only while
everything a render depends on is unchanged; stale or corrupt entries are re-rendered.
Recipes are rendered by the real rattler-build; the tree is a real git repository."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Repo, native, recipe_text, run_emci, wasm
from emci import render_cache
from emci.recipes import Renderer
from emci.render_cache import RenderCache
from emci.settings import Settings


@pytest.fixture
def tree(repo: Repo) -> Repo:
    repo.recipe("zlib", recipe_text("zlib"))
    repo.recipe(
        "libpng",
        recipe_text("libpng", host=["zlib"], version="1.6") + "tests:\n  - script: [true]\n",
    )
    repo.write("recipes/recipes_emscripten/libpng/build.sh", "make\n")
    repo.recipe("tool", recipe_text("tool"), folder="recipes")
    repo.commit("initial")
    return repo


def render(repo: Repo, cache: bool = True):
    settings = Settings.load(repo.root)
    store = RenderCache(settings.render_cache, settings.variant_config) if cache else None
    tree = Renderer(settings.variant_config).render_tree(settings.recipes_dir, cache=store)
    return tree, store


def cache_file(repo: Repo) -> Path:
    return repo.root / "build" / "render-cache" / "entries"


def lines(repo: Repo) -> dict[str, bytes]:
    """The entries file's lines by recipe id (the first line is its format)."""
    entries = cache_file(repo).read_bytes().split(b"\n")[1:]
    return {line.split(b"\t", 1)[0].decode(): line for line in entries if line}


def write_lines(repo: Repo, entries: dict[str, bytes]) -> None:
    head = cache_file(repo).read_bytes().split(b"\n", 1)[0]
    cache_file(repo).write_bytes(b"\n".join([head, *entries.values()]) + b"\n")


def replace_line(repo: Repo, recipe: str, line: bytes) -> None:
    entries = lines(repo)
    entries[recipe] = line
    write_lines(repo, entries)


def rewrite(repo: Repo, recipe: str, change, *, checksum: bool = True) -> None:
    """Edit a stored entry's recipe; with `checksum`, a valid entry (the sum recomputed)."""
    recipe_id, key, digest, body = lines(repo)[recipe].split(b"\t", 3)
    data = json.loads(body)
    change(data)
    body = json.dumps(data).encode()
    if checksum:
        digest = hashlib.sha256(body).hexdigest().encode()
    replace_line(repo, recipe, b"\t".join([recipe_id, key, digest, body]))


def stored(repo: Repo, recipe: str) -> list:
    return json.loads(lines(repo)[recipe].split(b"\t", 3)[3])


def every_field(value):
    """A dataclass as nested plain values, every field included (those left out of `==`)."""
    if dataclasses.is_dataclass(value):
        return {f.name: every_field(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [every_field(item) for item in value]
    if isinstance(value, dict):
        return {key: every_field(item) for key, item in value.items()}
    return value


def test_the_cache_stores_every_field_of_what_it_holds():
    """A field added to Recipe, Output, ... must be stored and read by the cache too."""
    from emci import recipes

    for name, stored_fields in render_cache.STORED_FIELDS.items():
        declared = tuple(f.name for f in dataclasses.fields(getattr(recipes, name)))
        left_out = render_cache.NOT_STORED.get(name, ())
        assert tuple(f for f in declared if f not in left_out) == stored_fields, name


OUTPUTS = render_cache.BODY.index("outputs")
OUTPUT_FIELDS = render_cache.STORED_FIELDS["Output"]


def first_output(recipe: list) -> list:
    """The first output of an entry's body (a list in STORED_FIELDS["Output"] order)."""
    return recipe[OUTPUTS][0]


def set_output_field(name: str, value):
    def change(recipe: list) -> None:
        first_output(recipe)[OUTPUT_FIELDS.index(name)] = value

    return change


def set_version(version: str):
    return set_output_field("version", version)


def version_of(tree, recipe: str) -> str:
    return tree.recipes[recipe].outputs[0].version


def test_a_warm_tree_is_read_from_the_cache_as_rendered(tree: Repo):
    cold, store = render(tree)
    assert (store.hits, store.misses) == (0, 3)
    warm, store = render(tree)
    assert (store.hits, store.misses) == (3, 0)
    assert sorted(warm.recipes) == sorted(cold.recipes)
    for name, recipe in cold.recipes.items():
        assert every_field(warm.recipes[name]) == every_field(recipe)  # compare=False too
    assert [o.has_tests for o in warm.recipes[wasm("libpng")].outputs] == [True]
    assert [o.has_tests for o in warm.recipes[wasm("zlib")].outputs] == [False]
    # and it is the cache that answers: a valid entry saying otherwise is believed
    rewrite(tree, wasm("zlib"), set_version("9.9"))
    assert version_of(render(tree)[0], wasm("zlib")) == "9.9"


@pytest.mark.parametrize(
    "edit",
    [
        "recipe file",
        "another file of the folder",
        "a new file in the folder",
        "the variant config",
        "rattler-build",
        "emci",
    ],
)
def test_a_stale_entry_is_rendered_again(tree: Repo, edit: str, monkeypatch):
    render(tree)
    rewrite(tree, wasm("libpng"), set_version("9.9"))  # what a stale entry would say
    folder = tree.root / "recipes" / "recipes_emscripten" / "libpng"
    if edit == "recipe file":
        (folder / "recipe.yaml").write_text(recipe_text("libpng", host=["zlib"], version="1.6"))
        (folder / "recipe.yaml").write_text((folder / "recipe.yaml").read_text() + "# note\n")
    elif edit == "another file of the folder":
        (folder / "build.sh").write_text("make install\n")
    elif edit == "a new file in the folder":
        (folder / "patches").mkdir()
        (folder / "patches" / "fix.patch").write_text("--- a\n+++ b\n")
    elif edit == "the variant config":
        config = tree.root / "conda_build_config.yaml"
        config.write_text(config.read_text() + "zlib:\n  - '1.3'\n")
    elif edit == "rattler-build":
        real = render_cache.rattler_build_identity()
        monkeypatch.setattr(render_cache, "rattler_build_identity", lambda: real + ";0.74.0")
    elif edit == "emci":
        monkeypatch.setattr(render_cache, "__version__", "99.0")
    fresh, store = render(tree)
    assert version_of(fresh, wasm("libpng")) == "1.6"
    assert store.misses >= 1
    # the entry was replaced by the fresh render
    assert first_output(stored(tree, wasm("libpng")))[OUTPUT_FIELDS.index("version")] == "1.6"


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "empty", "checksum", "wrong type", "missing field", "other id"],
)
def test_a_corrupt_entry_is_never_trusted(tree: Repo, damage: str):
    render(tree)
    line = lines(tree)[wasm("zlib")]
    if damage == "garbage":
        replace_line(tree, wasm("zlib"), wasm("zlib").encode() + b"\t\x00\xff not json")
    elif damage == "truncated":
        replace_line(tree, wasm("zlib"), line[:-40])
    elif damage == "empty":
        replace_line(tree, wasm("zlib"), b"")
    elif damage == "checksum":  # the recipe edited, the sum left as it was
        rewrite(tree, wasm("zlib"), set_version("9.9"), checksum=False)
    elif damage == "wrong type":
        rewrite(tree, wasm("zlib"), set_output_field("build_number", "0"))
    elif damage == "missing field":
        rewrite(tree, wasm("zlib"), lambda r: first_output(r).pop(OUTPUT_FIELDS.index("subdir")))
    elif damage == "other id":  # another recipe's entry under this one's id
        other = lines(tree)[wasm("libpng")].split(b"\t", 1)[1]
        replace_line(tree, wasm("zlib"), wasm("zlib").encode() + b"\t" + other)
    fresh, store = render(tree)
    assert version_of(fresh, wasm("zlib")) == "1.0"
    assert fresh.recipes[wasm("zlib")].outputs[0].name == "zlib"
    assert (store.hits, store.misses) == (2, 1)
    assert render(tree)[1].misses == 0  # repaired


@pytest.mark.parametrize("damage", ["truncated file", "another format", "not a file"])
def test_a_damaged_entries_file_is_never_trusted(tree: Repo, damage: str):
    render(tree)
    path = cache_file(tree)
    if damage == "truncated file":  # a write cut short: the last entries are lost
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    elif damage == "another format":
        path.write_bytes(path.read_bytes().replace(b"emci-render-cache", b"emci-render-cache 0", 1))
    elif damage == "not a file":
        path.unlink()
        path.mkdir()
    fresh, store = render(tree)
    assert sorted(fresh.recipes) == [native("tool"), wasm("libpng"), wasm("zlib")]
    assert version_of(fresh, wasm("zlib")) == "1.0"
    assert store.misses >= 1
    if damage != "not a file":
        assert render(tree)[1].misses == 0  # repaired


def test_failures_are_not_stored_and_deleted_recipes_are_pruned(tree: Repo):
    tree.recipe("broken", "package: {name: broken\n")
    first, _store = render(tree)
    assert [f.recipe for f in first.failures] == [wasm("broken")]
    assert wasm("broken") not in lines(tree)
    assert render(tree)[0].failures[0].recipe == wasm("broken")  # rendered (and failed) again
    tree.remove("recipes/recipes_emscripten/zlib")
    tree.recipe("zlib2", recipe_text("zlib2"))
    render(tree)
    assert sorted(lines(tree)) == [native("tool"), wasm("libpng"), wasm("zlib2")]


def test_a_warm_run_writes_nothing(tree: Repo):
    render(tree)
    before = cache_file(tree).stat()
    assert render(tree)[1].hits == 3
    after = cache_file(tree).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def emci(repo: Repo, *args: str) -> subprocess.CompletedProcess:
    return run_emci(repo.root, *args)


def test_plan_uses_the_cache_and_no_cache_bypasses_it(tree: Repo):
    tree.git("checkout", "-q", "-b", "topic")
    tree.recipe("libpng", recipe_text("libpng", host=["zlib"], version="1.6", number=1))
    tree.commit("bump libpng")
    done = emci(tree, "--no-cache", "plan", "main", "HEAD")
    assert done.returncode == 0, done.stderr
    assert not (tree.root / "build" / "render-cache").exists()  # neither read nor written
    done = emci(tree, "plan", "main", "HEAD")
    assert done.returncode == 0, done.stderr
    assert wasm("zlib") in lines(tree)
    # a (valid) entry that says otherwise is what a cached plan sees; --no-cache renders
    rewrite(tree, wasm("zlib"), set_output_field("name", "zlibx"))
    done = emci(tree, "plan", "main", "HEAD")
    assert "'zlib' (emscripten-wasm32) is satisfied by no recipe" in done.stderr
    done = emci(tree, "--no-cache", "plan", "main", "HEAD")
    assert done.returncode == 0, done.stderr
    assert "recipes_emscripten/libpng  (changed)" in done.stdout


def test_a_plan_of_a_diff_touching_no_recipe_renders_nothing(tree: Repo):
    """Nothing to render, so none of the libraries that render or plan is even imported."""
    tree.recipe("broken", "package: {name: broken\n")
    tree.commit("a recipe that does not render")
    tree.git("checkout", "-q", "-b", "topic")
    tree.write("README.md", "docs only\n")
    tree.commit("docs")
    script = (
        "import sys\n"
        "from emci.cli import exit_code_of\n"
        f"code = exit_code_of(['--root', {str(tree.root)!r}, 'plan', 'main', 'HEAD'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('rattler', 'rattler_build', 'networkx'))\n"
        "print('CODE', code, 'HEAVY', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert "nothing to build" in done.stdout, done.stdout + done.stderr
    assert "CODE 0 HEAVY []" in done.stdout, done.stdout + done.stderr
    assert not (tree.root / "build" / "render-cache").exists()
