"""The DAG: platform-aware edges, multi-output producers, duplicates, cycles."""

from __future__ import annotations

import pytest

from conftest import Repo, native, recipe_text, wasm
from emci.errors import CycleError, GraphError
from emci.graph import build_graph
from emci.recipes import Renderer


def graph_of(repo: Repo):
    tree = Renderer(repo.root / "conda_build_config.yaml").render_tree(repo.root / "recipes")
    assert tree.failures == ()
    return build_graph(tree.recipes)


def compiler_recipe(repo: Repo) -> None:
    repo.recipe(
        "emscripten_emscripten-wasm32",
        """\
recipe: {name: emscripten-toolchain, version: "3.1.6"}
outputs:
  - package: {name: emscripten-abi}
    build: {noarch: generic, script: [echo]}
  - package: {name: emscripten_emscripten-wasm32}
    build: {script: [echo]}
    requirements:
      run:
        - ${{ pin_subpackage("emscripten-abi", exact=True) }}
""",
        folder="recipes",
    )


def test_compiler_edge_and_noarch_matching(repo: Repo):
    compiler_recipe(repo)
    repo.recipe("zlib", recipe_text("zlib", build=['${{ compiler("c") }}'], run=["emscripten-abi"]))
    graph = graph_of(repo)
    assert set(graph.graph.edges) == {(native("emscripten_emscripten-wasm32"), wasm("zlib"))}
    assert graph.external == []


def test_native_and_wasm_python_are_different_packages(repo: Repo):
    repo.recipe("python", recipe_text("python"))  # wasm python
    repo.recipe("python-native", recipe_text("python"), folder="recipes")  # native python
    repo.recipe(
        "cross-python_emscripten-wasm32",
        recipe_text("cross-python_emscripten-wasm32", run=["python"]),
        folder="recipes",
    )
    repo.recipe(
        "pyyaml",
        recipe_text(
            "pyyaml", build=["cross-python_${{ target_platform }}", "python"], host=["python"]
        ),
    )
    graph = graph_of(repo)
    edges = set(graph.graph.edges)
    cross = native("cross-python_emscripten-wasm32")
    assert (cross, wasm("pyyaml")) in edges  # build side, templated name
    assert (native("python-native"), wasm("pyyaml")) in edges  # build: linux-64 python
    assert (wasm("python"), wasm("pyyaml")) in edges  # host: emscripten-wasm32 python
    assert (native("python-native"), cross) in edges
    assert (wasm("python"), cross) not in edges


def test_test_requirements_make_edges(repo: Repo):
    repo.recipe("runner", recipe_text("runner"), folder="recipes")
    repo.recipe(
        "lib",
        recipe_text("lib")
        + """\
tests:
  - script: [run-tests]
    requirements:
      build: [runner]
""",
    )
    assert set(graph_of(repo).graph.edges) == {(native("runner"), wasm("lib"))}


def test_missing_dependency_is_reported(repo: Repo):
    repo.recipe("lib", recipe_text("lib", host=["nowhere"]))
    graph = graph_of(repo)
    (missing,) = graph.external
    assert missing.recipe == wasm("lib") and missing.kind == "host"
    assert missing.package.name == "nowhere" and missing.package.subdir == "emscripten-wasm32"
    assert "recipes_emscripten/lib: host requirement 'nowhere'" in str(missing)


def test_duplicate_producers_name_both(repo: Repo):
    repo.recipe("zlib", recipe_text("zlib"))
    repo.recipe("zlib-ng", recipe_text("zlib"))
    with pytest.raises(GraphError) as error:
        graph_of(repo)
    message = str(error.value)
    assert "zlib/recipe.yaml" in message and "zlib-ng/recipe.yaml" in message


def test_cycle_is_an_error_that_prints_the_cycle(repo: Repo):
    repo.recipe("a", recipe_text("a", host=["b"]))
    repo.recipe("b", recipe_text("b", host=["c"]))
    repo.recipe("c", recipe_text("c", host=["a"]))
    with pytest.raises(CycleError) as error:
        graph_of(repo)
    assert set(error.value.cycle) == {wasm("a"), wasm("b"), wasm("c")}
    assert str(error.value).startswith("dependency cycle: ")
    assert str(error.value).count("->") == 3


def test_generations(repo: Repo):
    compiler_recipe(repo)
    for name in ("zlib", "bzip2"):
        repo.recipe(name, recipe_text(name, build=['${{ compiler("c") }}']))
    repo.recipe(
        "libzip", recipe_text("libzip", build=['${{ compiler("c") }}'], host=["zlib", "bzip2"])
    )
    graph = graph_of(repo)
    assert graph.generations() == [
        [native("emscripten_emscripten-wasm32")],
        [wasm("bzip2"), wasm("zlib")],
        [wasm("libzip")],
    ]
