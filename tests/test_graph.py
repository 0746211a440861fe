"""The DAG: platform-aware edges, multi-output producers, duplicates, cycles."""

from __future__ import annotations

import pytest

from conftest import Repo, native, recipe_text, wasm
from emci.errors import CycleError
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
recipe: {name: emscripten-toolchain, version: "3.1.69"}
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


def test_the_same_package_from_two_recipes_is_a_problem_of_both(repo: Repo):
    repo.recipe("zlib", recipe_text("zlib"))
    repo.recipe("zlib-ng", recipe_text("zlib"))
    repo.recipe("bzip2", recipe_text("bzip2"))
    graph = graph_of(repo)
    assert set(graph.problems) == {wasm("zlib"), wasm("zlib-ng")}
    (first,) = graph.problems[wasm("zlib")]
    assert "emscripten-wasm32/zlib-1.0-" in str(first)
    assert str(first).endswith("zlib-ng/recipe.yaml")
    assert str(graph.problems[wasm("zlib-ng")][0]).endswith("zlib/recipe.yaml")
    assert graph.problems_for([wasm("bzip2")]) == []


def alternatives(repo: Repo) -> None:
    """libfoo 6.x and 7.x side by side, and consumers with and without a version."""
    repo.recipe("libfoo6", recipe_text("libfoo", version="6.4.0"))
    repo.recipe("libfoo", recipe_text("libfoo", version="7.0.1"))
    repo.recipe("any", recipe_text("any", host=["libfoo"]))
    repo.recipe("new", recipe_text("new", host=["libfoo >=7"]))
    repo.recipe("old", recipe_text("old", host=["libfoo 6.*"], run=["libfoo <7"]))
    repo.recipe("none", recipe_text("none", host=["libfoo >=8"]))


def test_a_requirement_depends_on_every_producer_its_spec_matches(repo: Repo):
    alternatives(repo)
    graph = graph_of(repo)
    six, seven = wasm("libfoo6"), wasm("libfoo")
    assert set(graph.graph.edges) == {
        (six, wasm("any")),
        (seven, wasm("any")),
        (seven, wasm("new")),
        (six, wasm("old")),
    }
    assert graph.problems == {}
    (needs,) = graph.edge_needs(six, wasm("old"))[:1]
    assert needs.kind == "host" and needs.spec == "libfoo 6.*"
    (unsatisfied,) = graph.external
    assert unsatisfied.recipe == wasm("none") and unsatisfied.spec == "libfoo >=8"
    assert "libfoo 6.4.0" in str(unsatisfied) and "libfoo 7.0.1" in str(unsatisfied)


def test_alternatives_by_build_variant(repo: Repo):
    """One version built two ways: the build string tells them apart."""
    for flavour in ("openblas", "nomkl"):
        repo.recipe(
            f"numpy-{flavour}",
            f"""\
package: {{name: numpy, version: "2.0.0"}}
build:
  string: {flavour}_h0_0
  script: [echo]
""",
        )
    repo.recipe("scipy", recipe_text("scipy", host=["numpy * openblas*"]))
    repo.recipe("pandas", recipe_text("pandas", host=["numpy >=2"]))
    graph = graph_of(repo)
    assert set(graph.graph.in_edges(wasm("scipy"))) == {(wasm("numpy-openblas"), wasm("scipy"))}
    assert set(graph.graph.in_edges(wasm("pandas"))) == {
        (wasm("numpy-openblas"), wasm("pandas")),
        (wasm("numpy-nomkl"), wasm("pandas")),
    }


def test_needing_its_own_output_with_no_other_producer_is_a_problem(repo: Repo):
    repo.recipe("selfish", recipe_text("selfish", host=["selfish"]))
    repo.recipe("python", recipe_text("python", version="3.12.0", host=["python 3.11.*"]))
    repo.recipe("python311", recipe_text("python", version="3.11.2"))
    graph = graph_of(repo)
    (problem,) = graph.problems[wasm("selfish")]
    assert "requirements.host: 'selfish' is this recipe's own output" in str(problem)
    assert str(problem).startswith(str(repo.root / "recipes/recipes_emscripten/selfish"))
    # another recipe produces a version the spec accepts: that is an ordinary edge
    assert wasm("python") not in graph.problems
    assert (wasm("python311"), wasm("python")) in graph.graph.edges


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


def test_the_graphs_walk_of_requirements_is_the_recipes_own(repo: Repo):
    """build_graph walks requirements as plain tuples; they must be Recipe.requirements()."""
    from emci.graph import _requirements

    compiler_recipe(repo)
    repo.recipe(
        "every-kind",
        recipe_text(
            "every-kind", build=['${{ compiler("c") }}', "cmake"], host=["zlib"], run=["zlib >=1"]
        )
        + "tests:\n  - script: [true]\n    requirements:\n      build: [nodejs]\n"
        "      run: [pytest]\n",
    )
    tree = Renderer(repo.root / "conda_build_config.yaml").render_tree(repo.root / "recipes")
    for recipe in tree.recipes.values():
        mine = [(o, k, p, r) for o, k, p, r in _requirements(recipe)]
        theirs = [(n.output, n.kind, n.package, n.requirement) for n in recipe.requirements()]
        assert mine == theirs
    kinds = {k for _o, k, _p, _r in _requirements(tree.recipes[wasm("every-kind")])}
    assert kinds == {"build", "host", "run", "test_build", "test_run"}
