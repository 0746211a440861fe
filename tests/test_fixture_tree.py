"""The planner on a real-shaped tree (tests/data/tree, see its README): alternatives by
version and by build variant, one folder name in both trees, a multi-output recipe, a
recipe that fails to render, native tools used by wasm recipes. Rendered by the real
rattler-build; `emci` runs as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import GIT_ENV, init_main, native, run_emci, wasm
from conftest import git_in as git
from emci.settings import Settings
from emci.workspace import Workspace

TREE = Path(__file__).parent / "data" / "tree"
COMPILER = native("emscripten_emscripten-wasm32")


def emci(root: Path, *args: str) -> subprocess.CompletedProcess:
    done = run_emci(root, *args, env=GIT_ENV)
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The fixture tree as a git repository: main, then a topic branch."""
    root = tmp_path / "tree"
    shutil.copytree(TREE, root)
    init_main(root, "the tree")
    git(root, "checkout", "-q", "-b", "topic")
    return root


def bump(root: Path, recipe: str) -> None:
    """A new build number for one recipe, committed."""
    path = root / "recipes" / recipe / "recipe.yaml"
    path.write_text(path.read_text().replace("  number: 0", "  number: 1", 1))
    git(root, "commit", "-q", "-am", f"{recipe}: build 1")


def test_the_tree_renders_but_one_recipe(tree: Path):
    workspace = Workspace.load(Settings.load(tree))
    assert set(workspace.tree.recipes) == {
        COMPILER,
        native("protobuf"),
        *map(
            wasm,
            [
                "fmt",
                "fmt10",
                "fmtlog",
                "folly",
                "numpy",
                "numpy-openblas",
                "onnx",
                "openblas",
                "pandas",
                "protobuf",
                "scipy",
                "spdlog",
                "zlib",
            ],
        ),
    }
    (failure,) = workspace.failures
    assert failure.recipe == wasm("legacy-widget")
    assert "unknown field 'skip_compile_pyc'" in failure.reason
    protobuf = workspace.tree.recipes[wasm("protobuf")]
    assert sorted(o.name for o in protobuf.outputs) == ["libprotobuf", "libprotobuf-static"]
    assert workspace.tree.recipes[native("protobuf")].outputs[0].subdir == "linux-64"
    numpy = {
        workspace.tree.recipes[wasm(n)].outputs[0].build_string for n in ("numpy", "numpy-openblas")
    }
    assert {b.split("_")[0] for b in numpy} == {"nomkl", "openblas"}
    assert workspace.graph.problems == {}


def test_edges_follow_match_specs_and_platforms(tree: Path):
    graph = Workspace.load(Settings.load(tree)).graph
    compiled = {wasm(n) for n in ("fmt", "fmt10", "fmtlog", "folly", "numpy", "numpy-openblas")}
    compiled |= {wasm(n) for n in ("onnx", "openblas", "pandas", "protobuf", "scipy")}
    compiled |= {wasm(n) for n in ("spdlog", "zlib")}
    expected = {(COMPILER, name) for name in compiled}
    expected |= {
        (wasm("fmt"), wasm("spdlog")),  # fmt >=11
        (wasm("fmt10"), wasm("folly")),  # fmt >=10,<11
        (wasm("fmt"), wasm("fmtlog")),  # fmt: every alternative
        (wasm("fmt10"), wasm("fmtlog")),
        (wasm("numpy-openblas"), wasm("scipy")),  # numpy * openblas*
        (wasm("numpy"), wasm("pandas")),  # numpy >=1.26: both builds
        (wasm("numpy-openblas"), wasm("pandas")),
        (wasm("openblas"), wasm("numpy-openblas")),
        (wasm("openblas"), wasm("scipy")),
        (wasm("zlib"), wasm("folly")),
        (wasm("zlib"), wasm("numpy")),
        (wasm("zlib"), wasm("numpy-openblas")),
        (native("protobuf"), wasm("protobuf")),  # build: protoc for linux-64
        (native("protobuf"), wasm("onnx")),
        (wasm("protobuf"), wasm("onnx")),  # host: libprotobuf 25.*
    }
    assert set(graph.graph.edges) == expected


def test_changing_the_older_alternative_replans_only_what_its_version_satisfies(tree: Path):
    bump(tree, wasm("fmt10"))
    done = emci(tree, "plan", "main", "HEAD", "--with-dependents", "--json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["generations"] == [
        [COMPILER],
        [wasm("fmt10"), wasm("zlib")],
        [wasm("fmtlog"), wasm("folly")],
    ]
    reasons = {name: entry["reasons"] for name, entry in plan["recipes"].items()}
    assert reasons[wasm("fmt10")] == ["changed"]
    assert reasons[wasm("folly")] == [
        "dependent of recipes_emscripten/fmt10",
        "host 'fmt >=10,<11' matched by recipes_emscripten/fmt10 (fmt 10.2.1)",
    ]
    assert reasons[wasm("fmtlog")] == [
        "dependent of recipes_emscripten/fmt10",
        "host 'fmt' matched by recipes_emscripten/fmt10 (fmt 10.2.1)",
    ]
    assert reasons[wasm("zlib")] == [
        "needed by recipes_emscripten/folly: "
        "host 'zlib' matched by recipes_emscripten/zlib (zlib 1.3.1)"
    ]
    assert reasons[COMPILER][0].startswith("needed by recipes_emscripten/")
    assert "emscripten_emscripten-wasm32 3.1.69.*' matched by" in reasons[COMPILER][0]
    # fmt 11 and spdlog are not in it; the broken recipe is a warning naming its id
    assert wasm("spdlog") not in reasons and wasm("fmt") not in reasons
    assert plan["not_rendered"][0].startswith("recipes_emscripten/legacy-widget does not render")
    assert "WARNING: recipes_emscripten/legacy-widget does not render" in done.stderr


def test_build_variants_are_alternatives_too(tree: Path):
    bump(tree, wasm("numpy"))
    done = emci(tree, "plan", "main", "HEAD", "--with-dependents", "--json")
    assert done.returncode == 0, done.stderr
    reasons = {k: v["reasons"] for k, v in json.loads(done.stdout)["recipes"].items()}
    assert wasm("pandas") in reasons and wasm("scipy") not in reasons
    (match,) = [r for r in reasons[wasm("pandas")] if "matched by" in r]
    assert match.startswith("host 'numpy >=1.26' matched by recipes_emscripten/numpy (numpy")
    git(tree, "checkout", "-q", "-b", "openblas", "main")
    bump(tree, wasm("numpy-openblas"))
    done = emci(tree, "plan", "main", "HEAD", "--with-dependents", "--json")
    reasons = {k: v["reasons"] for k, v in json.loads(done.stdout)["recipes"].items()}
    assert {wasm("pandas"), wasm("scipy")} <= set(reasons)
    assert any("'numpy * openblas*' matched by" in r for r in reasons[wasm("scipy")])


def test_graph_and_plan_succeed_and_name_recipes_by_path(tree: Path):
    done = emci(tree, "graph", "--format", "json")
    assert done.returncode == 0, done.stderr
    nodes = json.loads(done.stdout)["nodes"]
    assert native("protobuf") in nodes and wasm("protobuf") in nodes
    assert "recipes_emscripten/legacy-widget does not render" in done.stderr
    assert emci(tree, "plan", "main", "HEAD").stdout == "nothing to build\n"


def test_a_short_name_in_both_trees_lists_the_candidates(tree: Path):
    done = emci(tree, "build", "recipes", "protobuf", "--dry-run")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "ERROR: recipe name 'protobuf' is ambiguous: recipes/protobuf, "
        "recipes_emscripten/protobuf (give the id)"
    )
    done = emci(tree, "build", "recipes", "onnx", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert (
        "recipes/protobuf  (needed by recipes_emscripten/onnx: "
        "build 'protobuf' matched by recipes/protobuf (protobuf 25.3))"
    ) in done.stdout
    assert (
        "recipes_emscripten/protobuf  (needed by recipes_emscripten/onnx: "
        "host 'libprotobuf 25.*' matched by recipes_emscripten/protobuf (libprotobuf 25.3))"
    ) in done.stdout


def test_a_plan_that_needs_the_broken_recipe_fails_naming_it(tree: Path):
    done = emci(tree, "build", "recipes", "legacy-widget", "--dry-run")
    assert done.returncode == 1
    assert "ERROR: recipes_emscripten/legacy-widget does not render: " in done.stderr
    assert "legacy-widget/recipe.yaml: invalid value for 'build'" in done.stderr


@pytest.mark.e2e
def test_two_recipes_of_one_folder_name_build_with_their_own_logs(tree: Path, tmp_path: Path):
    """Really built: the native protoc and the wasm library (and the compiler stand-in)."""
    done = emci(tree, "build", "recipes", "recipes/protobuf", "recipes_emscripten/protobuf")
    assert done.returncode == 0, done.stdout + done.stderr
    logs = tree / "build" / "logs"
    assert "25.3" in (logs / "recipes" / "protobuf.log").read_text()
    wasm_log = (logs / "recipes_emscripten" / "protobuf.log").read_text()
    assert "libprotobuf-static" in wasm_log and "emscripten-wasm32" in wasm_log
    times = json.loads((tree / "build" / "build-times.json").read_text())
    assert {COMPILER, native("protobuf"), wasm("protobuf")} <= set(times)
    manifest = json.loads((tree / "build" / "last-build.json").read_text())
    assert {r["recipe"] for r in manifest["results"]} == {
        COMPILER,
        native("protobuf"),
        wasm("protobuf"),
    }
    metadata = json.loads((tree / "output" / "emci-metadata.json").read_text())["packages"]
    by_file = {key.split("/")[-1].rsplit("-", 2)[0]: v["recipe"] for key, v in metadata.items()}
    assert by_file["protobuf"] == native("protobuf")
    assert by_file["libprotobuf"] == by_file["libprotobuf-static"] == wasm("protobuf")
    assert "[1/3] built recipes/emscripten_emscripten-wasm32" in done.stdout
