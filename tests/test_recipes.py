"""Rendering through rattler-build: outputs, variants, requirements by kind, failures."""

from __future__ import annotations

import pytest

from conftest import Repo, native, recipe_text, wasm
from emci.recipes import PackageKey, Renderer


def render_tree(repo: Repo):
    return Renderer(repo.root / "conda_build_config.yaml").render_tree(repo.root / "recipes")


def test_single_output_with_compiler_and_selector(repo: Repo):
    repo.recipe(
        "zlib",
        recipe_text("zlib", build=['${{ compiler("c") }}'])
        + """\
tests:
  - script: [echo ok]
    requirements:
      build: [cmake]
      run:
        - if: target_platform == "emscripten-wasm32"
          then: nodejs
""",
    )
    tree = render_tree(repo)
    assert tree.failures == ()
    recipe = tree.recipes[wasm("zlib")]
    (output,) = recipe.outputs
    assert output.subdir == "emscripten-wasm32"
    assert output.requirements.names("build") == ("emscripten_emscripten-wasm32",)
    (compiler,) = output.requirements.build
    assert compiler.spec == "emscripten_emscripten-wasm32 3.1.69.*"  # the rendered match spec
    assert output.requirements.names("test_build") == ("cmake",)
    assert output.requirements.names("test_run") == ("nodejs",)
    assert output.variant["c_compiler"] == "emscripten"
    assert output.build_string.endswith("_0")
    assert PackageKey("linux-64", "emscripten_emscripten-wasm32") in recipe.needs()
    assert PackageKey("emscripten-wasm32", "nodejs") in recipe.needs()
    assert PackageKey("linux-64", "cmake") in recipe.needs()


def test_native_recipe_renders_for_linux_and_keeps_templated_names(repo: Repo):
    repo.recipe(
        "cross-python_emscripten-wasm32",
        """\
package:
  name: cross-python_emscripten-wasm32
  version: "3.11"
build:
  script: [echo hi]
requirements:
  run:
    - python-tool_${{ target_platform }}
""",
        folder="recipes",
    )
    tree = render_tree(repo)
    recipe = tree.recipes[native("cross-python_emscripten-wasm32")]
    assert recipe.target_platform == "linux-64"
    assert recipe.outputs[0].subdir == "linux-64"
    assert recipe.outputs[0].requirements.names("run") == ("python-tool_linux-64",)


def test_multi_output_with_pin_subpackage(repo: Repo):
    repo.recipe(
        "toolchain",
        """\
recipe:
  name: toolchain
  version: "2.0"
build:
  number: 0
outputs:
  - package: {name: toolchain-abi}
    build:
      noarch: generic
      script: [echo abi]
  - package: {name: toolchain_emscripten-wasm32}
    build:
      script: [echo compiler]
    requirements:
      run:
        - ${{ pin_subpackage("toolchain-abi", exact=True) }}
""",
        folder="recipes",
    )
    recipe = render_tree(repo).recipes[native("toolchain")]
    by_name = {o.name: o for o in recipe.outputs}
    assert by_name["toolchain-abi"].subdir == "noarch"
    assert by_name["toolchain_emscripten-wasm32"].subdir == "linux-64"
    (pin,) = by_name["toolchain_emscripten-wasm32"].requirements.run
    assert (pin.name, pin.pin) == ("toolchain-abi", "pin_subpackage")


def test_render_failure_is_reported_and_the_rest_renders(repo: Repo):
    repo.recipe("good", recipe_text("good"))
    repo.recipe("broken", "package:\n  name: broken\n  version: '1'\n requirements: [\n")
    repo.recipe("undefined", recipe_text("undefined", host=["${{ no_such_function() }}"]))
    tree = render_tree(repo)
    assert set(tree.recipes) == {wasm("good")}
    paths = sorted(failure.path for failure in tree.failures)
    assert paths[0].endswith("broken/recipe.yaml")
    assert paths[1].endswith("undefined/recipe.yaml")
    for failure in tree.failures:
        assert "\n" not in str(failure)


def test_same_folder_name_in_both_trees_is_two_recipes(repo: Repo):
    repo.recipe("tool", recipe_text("tool"))
    repo.recipe("tool", recipe_text("tool"), folder="recipes")
    tree = render_tree(repo)
    assert tree.failures == ()
    assert set(tree.recipes) == {wasm("tool"), native("tool")}
    assert tree.recipes[native("tool")].outputs[0].subdir == "linux-64"
    assert tree.recipes[wasm("tool")].outputs[0].subdir == "emscripten-wasm32"


def test_short_names_resolve_when_unambiguous(repo: Repo):
    from emci.errors import UnknownRecipeError

    repo.recipe("tool", recipe_text("tool"))
    repo.recipe("tool", recipe_text("tool"), folder="recipes")
    repo.recipe("zlib", recipe_text("zlib"))
    tree = render_tree(repo)
    assert tree.resolve(["zlib", "recipes/tool", "recipes/recipes_emscripten/tool"]) == [
        wasm("zlib"),
        native("tool"),
        wasm("tool"),
    ]
    with pytest.raises(UnknownRecipeError) as error:
        tree.resolve(["tool"])
    assert str(error.value) == (
        "recipe name 'tool' is ambiguous: recipes/tool, recipes_emscripten/tool (give the id)"
    )
    with pytest.raises(UnknownRecipeError, match="no recipe named 'zlibb'.*zlib"):
        tree.resolve(["zlibb"])


def test_recipe_local_variants_file_adds_variants_for_that_recipe_only(repo: Repo):
    """A variants.yaml beside a recipe is read for that recipe, as rattler-build's build
    reads it; the repository's config wins for keys both files name."""
    tool = (
        "package:\n"
        "  name: tool\n"
        "  version: ${{ tool_version }}\n"
        "build:\n"
        "  script:\n"
        "    - echo ${{ python }}\n"
    )
    repo.recipe("tool", tool, folder="recipes")
    repo.write(
        "recipes/recipes/tool/variants.yaml",
        "tool_version:\n  - '1.0'\n  - '2.0'\npython:\n  - '3.99'\n",
    )
    repo.recipe("other", tool.replace("name: tool", "name: other"), folder="recipes")
    tree = render_tree(repo)
    outputs = tree.recipes[native("tool")].outputs
    assert sorted(output.version for output in outputs) == ["1.0", "2.0"]
    assert {output.variant["python"] for output in outputs} == {"3.11"}
    # the other recipe does not see the tool's variants
    assert native("other") not in tree.recipes
    assert any("tool_version" in str(failure) for failure in tree.failures)


def test_two_outputs_of_one_name_are_a_render_failure(repo: Repo):
    repo.recipe(
        "twice",
        """\
recipe: {name: twice, version: "1.0"}
outputs:
  - package: {name: libtwice}
    build: {script: [echo one]}
  - package: {name: libtwice}
    build: {script: [echo two]}
""",
    )
    tree = render_tree(repo)
    (failure,) = tree.failures
    assert failure.recipe == wasm("twice")
    assert str(failure).endswith("twice/recipe.yaml: outputs: two outputs are named 'libtwice'")


def test_an_output_rendered_once_per_variant_is_one_package(repo: Repo):
    repo.write("conda_build_config.yaml", 'python:\n  - "3.11"\n  - "3.12"\n')
    repo.recipe(
        "multi",
        """\
recipe: {name: multi, version: "1.0"}
outputs:
  - package: {name: libmulti}
    build: {script: [echo]}
  - package: {name: py-multi}
    build: {script: [echo]}
    requirements:
      host: [python, libmulti]
""",
    )
    tree = render_tree(repo)
    assert tree.failures == ()
    names = sorted(o.name for o in tree.recipes[wasm("multi")].outputs)
    assert names == ["libmulti", "py-multi", "py-multi"]


def test_outputs_inheriting_a_staging_output_need_its_requirements_and_sources(repo: Repo):
    """One build split into packages (numpy and numpy-tests): the staging output's build and
    host requirements are what the graph builds first for every inheriting package, and its
    source is fetched like any other."""
    repo.recipe(
        "libsplit",
        """\
recipe:
  name: libsplit-split
  version: "1.0"
source:
  url: https://example.invalid/libsplit-1.0.tar.gz
  sha256: 0000000000000000000000000000000000000000000000000000000000000001
build:
  number: 0
outputs:
  - staging:
      name: libsplit-build
    requirements:
      build:
        - ${{ compiler("c") }}
        - cross-python_${{ target_platform }}
      host: [python, zlib]
    build:
      script: [echo built once]
  - package: {name: libsplit}
    inherit: libsplit-build
    requirements:
      host: [python]
      run: [python]
  - package: {name: libsplit-tests}
    inherit: libsplit-build
    requirements:
      run: [libsplit]
""",
    )
    tree = render_tree(repo)
    assert tree.failures == ()
    recipe = tree.recipes[wasm("libsplit")]
    library, tests = recipe.outputs
    for output in (library, tests):
        assert output.requirements.names("build") == (
            "emscripten_emscripten-wasm32",
            "cross-python_emscripten-wasm32",
        )
    assert library.requirements.names("host") == ("python", "zlib")  # own first, once each
    assert tests.requirements.names("host") == ("python", "zlib")
    assert PackageKey("linux-64", "cross-python_emscripten-wasm32") in recipe.needs()
    assert PackageKey("emscripten-wasm32", "zlib") in recipe.needs()
    (source,) = recipe.sources
    assert source.urls == ("https://example.invalid/libsplit-1.0.tar.gz",)


def test_only_a_render_that_asks_for_fingerprints_makes_them(repo: Repo):
    """The build number rule compares fingerprints of its own renders; a tree's render (what
    a plan and the render cache hold) skips that work and says so with None, not {}."""
    repo.recipe("zlib", recipe_text("zlib", build=['${{ compiler("c") }}']))
    path = repo.root / "recipes" / "recipes_emscripten" / "zlib" / "recipe.yaml"
    renderer = Renderer(repo.root / "conda_build_config.yaml")
    (plain,) = renderer.render("recipes_emscripten", path).outputs
    (printed,) = renderer.render("recipes_emscripten", path, fingerprint=True).outputs
    assert plain.fingerprint is None
    assert render_tree(repo).recipes[wasm("zlib")].outputs[0].fingerprint is None
    assert printed.fingerprint is not None
    assert {"package", "build", "requirements"} <= set(printed.fingerprint)
    assert "tests" not in printed.fingerprint


def test_rendered_variants_are_freed_without_the_cycle_collector(repo: Repo):
    """py-rattler-build's rendered variants refer to each other; a tree renders with the
    cycle collector paused (workspace.py), so each render must free its own."""
    import gc

    from rattler_build.render import RenderedVariant

    repo.write("conda_build_config.yaml", 'python:\n  - "3.11"\n  - "3.12"\n')
    for name in ("one", "two", "three"):
        repo.recipe(name, recipe_text(name, host=["python"]))
    gc.collect()
    gc.disable()
    try:
        tree = render_tree(repo)
        alive = [o for o in gc.get_objects() if isinstance(o, RenderedVariant)]
    finally:
        gc.enable()
    assert len(tree.recipes) == 3 and all(len(r.outputs) == 2 for r in tree.recipes.values())
    assert alive == []


def test_repeated_requirement_lists_are_parsed_alike(repo: Repo):
    """Identical rendered lists share one parse; a list holding a pin is parsed as is."""
    repo.recipe("a", recipe_text("a", host=["zlib >=1.2", "python"], run=["zlib >=1.2"]))
    repo.recipe("b", recipe_text("b", host=["zlib >=1.2", "python"], run=["zlib"]))
    tree = render_tree(repo)
    a, b = (tree.recipes[wasm(n)].outputs[0].requirements for n in ("a", "b"))
    assert [r.spec for r in a.host] == [r.spec for r in b.host] == ["zlib >=1.2", "python"]
    assert [r.spec for r in a.run] == ["zlib >=1.2"]
    assert [r.spec for r in b.run] == ["zlib"]


def test_a_kept_render_failure_does_not_hold_the_tree(repo: Repo):
    """A failure's traceback (and its cause's) would hold the render loop's frames, and so
    every recipe rendered, in a cycle; the workspace freezes what it built, so such a cycle
    would never be freed. A failure keeps its message and cause, not the frames."""
    import weakref

    repo.recipe("good", recipe_text("good"))
    repo.recipe("undefined", recipe_text("undefined", host=["${{ no_such_function() }}"]))
    tree = render_tree(repo)
    (failure,) = tree.failures
    assert failure.__cause__ is not None and "no_such_function" in str(failure)
    chain, item = [], failure
    while item is not None:
        chain.append(item)
        item = item.__cause__ or item.__context__
    assert [e.__traceback__ for e in chain] == [None] * len(chain)
    recipe = weakref.ref(tree.recipes[wasm("good")])
    del tree
    assert recipe() is None  # freed by reference counting alone


def test_parse_recipe_is_rattler_builds_parse_of_the_file(tmp_path):
    """The tree's parse (without from_file's realpath) gives what from_file gives."""
    from rattler_build import Stage0Recipe

    from emci.recipes import parse_recipe

    multi_output = (
        "recipe: {name: split, version: '1.0'}\n"
        "outputs:\n"
        "  - package: {name: libsplit}\n"
        "  - package: {name: split-dev}\n"
        "    requirements: {run: [libsplit]}\n"
    )
    for text in (recipe_text("zlib"), multi_output):
        path = tmp_path / "recipe.yaml"
        path.write_text(text)
        ours, theirs = parse_recipe(path), Stage0Recipe.from_file(path)
        assert type(ours) is type(theirs)
        assert ours.recipe_path == theirs.recipe_path
        assert ours.to_dict() == theirs.to_dict()
