"""`changed` and `plan` on real git repositories made in tmp dirs."""

from __future__ import annotations

import pytest

from conftest import Repo, recipe_text, wasm
from emci.channels import ChannelIndex
from emci.errors import GitError, GraphError
from emci.workspace import Workspace


@pytest.fixture
def chain(repo: Repo) -> Repo:
    """zlib <- libpng <- app, plus an unrelated bzip2, committed on main."""
    repo.recipe("zlib", recipe_text("zlib"))
    repo.recipe("bzip2", recipe_text("bzip2"))
    repo.recipe("libpng", recipe_text("libpng", host=["zlib"]))
    repo.recipe("app", recipe_text("app", host=["libpng"]))
    repo.commit("initial")
    repo.git("checkout", "-q", "-b", "topic")
    return repo


def workspace(repo: Repo, settings_for) -> Workspace:
    return Workspace.load(settings_for(repo))


def test_modified_recipe(chain: Repo, settings_for):
    chain.recipe("zlib", recipe_text("zlib", number=1))
    chain.commit()
    changes = workspace(chain, settings_for).changes("main", "HEAD")
    assert changes.recipes == {wasm("zlib")} and changes.deleted == frozenset()


def test_changes_are_measured_from_the_merge_base(chain: Repo, settings_for):
    chain.write("recipes/recipes_emscripten/bzip2/build.sh", "echo new\n")
    chain.commit()
    chain.git("checkout", "-q", "main")
    chain.recipe("zlib", recipe_text("zlib", number=5))  # a change on main only
    chain.commit()
    chain.git("checkout", "-q", "topic")
    changes = workspace(chain, settings_for).changes("main", "HEAD")
    assert changes.recipes == {wasm("bzip2")}


def test_added_deleted_and_renamed(chain: Repo, settings_for):
    chain.recipe("xz", recipe_text("xz"))
    chain.remove("recipes/recipes_emscripten/bzip2")
    chain.git("add", "-A")
    chain.git("mv", "recipes/recipes_emscripten/app", "recipes/recipes_emscripten/app2")
    chain.commit()
    changes = workspace(chain, settings_for).changes("main", "HEAD")
    assert changes.recipes == {wasm("xz"), wasm("app2")}
    assert changes.deleted == {wasm("bzip2"), wasm("app")}


def test_deleted_recipe_still_needed_is_an_error(chain: Repo, settings_for):
    chain.remove("recipes/recipes_emscripten/zlib")
    chain.commit()
    ws = workspace(chain, settings_for)
    with pytest.raises(GraphError, match="produced by deleted recipe 'recipes_emscripten/zlib'"):
        ws.plan_changes("main", "HEAD", with_dependents=False)


def test_config_change_marks_recipes_using_the_key(chain: Repo, settings_for):
    chain.recipe("ext", recipe_text("ext", build=['${{ compiler("c") }}']))
    chain.recipe("pyext", recipe_text("pyext", host=["python ${{ python }}.*"]))
    chain.commit()
    chain.git("checkout", "-q", "-B", "main")
    chain.git("checkout", "-q", "-b", "bump-config")
    config = chain.root / "conda_build_config.yaml"
    config.write_text(config.read_text().replace('"3.11"', '"3.12"'))
    chain.commit()
    changes = workspace(chain, settings_for).changes("main", "HEAD")
    assert changes.config_keys == {"python"}
    assert changes.config_marked == {wasm("pyext"): ("python",)}
    assert changes.recipes == frozenset()


def test_plan_reasons_with_dependents(chain: Repo, settings_for):
    chain.recipe("zlib", recipe_text("zlib", number=1))
    chain.commit()
    ws = workspace(chain, settings_for)
    plan = ws.plan_changes("main", "HEAD", with_dependents=False)
    assert plan.names == [wasm("zlib")]
    plan = ws.plan_changes("main", "HEAD", with_dependents=True)
    assert plan.generations == [[wasm("zlib")], [wasm("libpng")], [wasm("app")]]
    assert plan.entries[wasm("zlib")].reasons == ("changed",)
    assert plan.entries[wasm("app")].reasons == (
        "dependent of recipes_emscripten/zlib",
        "host 'libpng' matched by recipes_emscripten/libpng (libpng 1.0)",
    )


def test_plan_adds_needed_dependencies_not_built_yet(chain: Repo, settings_for):
    chain.recipe("app", recipe_text("app", host=["libpng"], number=2))
    chain.commit()
    ws = workspace(chain, settings_for)
    plan = ws.plan_changes("main", "HEAD", with_dependents=False)
    assert plan.generations == [[wasm("zlib")], [wasm("libpng")], [wasm("app")]]
    assert plan.entries[wasm("libpng")].reasons == (
        "needed by recipes_emscripten/app: "
        "host 'libpng' matched by recipes_emscripten/libpng (libpng 1.0)",
    )
    # once every dependency exists in a channel, only the change is planned
    existing = ChannelIndex()
    from emci.channels import PackageId

    for recipe in ws.graph.recipes.values():
        for o in recipe.outputs:
            existing.packages.add(PackageId(o.subdir, o.name, o.version, o.build_string))
    from emci.plan import plan_from_changes

    plan = plan_from_changes(ws.graph, ws.changes("main", "HEAD"), existing)
    assert plan.names == [wasm("app")]


def test_unknown_ref_is_a_git_error(chain: Repo, settings_for):
    with pytest.raises(GitError, match="no-such-branch"):
        workspace(chain, settings_for).changes("no-such-branch", "HEAD")


@pytest.fixture
def alternatives(repo: Repo) -> Repo:
    """libfoo 6.x and 7.x side by side and consumers asking for either or both."""
    repo.recipe("libfoo6", recipe_text("libfoo", version="6.4.0"))
    repo.recipe("libfoo", recipe_text("libfoo", version="7.0.1"))
    repo.recipe("any", recipe_text("any", host=["libfoo"]))
    repo.recipe("new", recipe_text("new", host=["libfoo >=7"]))
    repo.recipe("old", recipe_text("old", host=["libfoo <7"]))
    repo.commit("initial")
    repo.git("checkout", "-q", "-b", "topic")
    return repo


def test_changing_one_alternative_replans_only_the_dependents_it_satisfies(
    alternatives: Repo, settings_for
):
    alternatives.recipe("libfoo6", recipe_text("libfoo", version="6.4.0", number=1))
    alternatives.commit()
    plan = workspace(alternatives, settings_for).plan_changes("main", "HEAD", with_dependents=True)
    # `new` asks for libfoo >=7, which the 6.x recipe does not satisfy
    assert set(plan.names) == {wasm("libfoo6"), wasm("any"), wasm("old")}
    assert plan.entries[wasm("old")].reasons == (
        "dependent of recipes_emscripten/libfoo6",
        "host 'libfoo <7' matched by recipes_emscripten/libfoo6 (libfoo 6.4.0)",
    )
    # `any` accepts both; only the planned producer is named
    assert plan.entries[wasm("any")].reasons[1] == (
        "host 'libfoo' matched by recipes_emscripten/libfoo6 (libfoo 6.4.0)"
    )


def test_a_needed_alternative_is_the_highest_matching_version(alternatives: Repo, settings_for):
    alternatives.recipe("any", recipe_text("any", host=["libfoo"], number=1))
    alternatives.commit()
    plan = workspace(alternatives, settings_for).plan_changes("main", "HEAD", with_dependents=False)
    assert plan.generations == [[wasm("libfoo")], [wasm("any")]]
    assert plan.entries[wasm("libfoo")].reasons == (
        "needed by recipes_emscripten/any: "
        "host 'libfoo' matched by recipes_emscripten/libfoo (libfoo 7.0.1)",
    )


def test_a_planned_recipe_with_a_problem_makes_the_plan_unbuildable(
    alternatives: Repo, settings_for
):
    alternatives.recipe("selfish", recipe_text("selfish", host=["selfish"]))
    alternatives.commit()
    ws = workspace(alternatives, settings_for)
    plan = ws.plan_changes("main", "HEAD", with_dependents=False)
    assert not plan.buildable
    (problem,) = plan.problems
    assert "selfish/recipe.yaml: requirements.host: 'selfish' is this recipe's own" in problem
    assert ws.plan_recipes(["old"], with_dependents=False).buildable
