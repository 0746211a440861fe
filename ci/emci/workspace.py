"""The repository as the commands see it: settings, rendered recipes, the DAG.

Recipes are rendered (or read from the render cache) and the DAG is built the first time a
command needs them: a plan of a diff that touches no recipe and no variant config needs
neither, and neither do the heavy libraries behind them (imported when first used).
"""

from __future__ import annotations

import gc
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from emci.errors import EmciError, Problems, RecipeError
from emci.git import Git
from emci.plan import Plan, not_rendered
from emci.settings import RECIPE_FOLDERS, Settings

if TYPE_CHECKING:
    from emci.changes import Changes
    from emci.channels import ChannelIndex
    from emci.graph import RecipeGraph
    from emci.identity import Unbumped
    from emci.recipes import Recipe, RecipeTree
    from emci.shards import Shards
    from emci.sources import FetchReport


@dataclass(frozen=True)
class PlanRequest:
    """What to plan: the changes between BASE and HEAD, named recipes, or every recipe."""

    base: str | None = None
    head: str | None = None
    names: tuple[str, ...] = ()
    everything: bool = False
    with_dependents: bool = False
    no_rebuild: bool = False  # the push to main: a changed recipe whose package exists fails


@dataclass(frozen=True)
class ChangedRecipes:
    """`emci changed`: the recipes a diff touched (and, if asked, their dependents)."""

    recipes: list[str]
    deleted: list[str]
    config_keys: list[str]
    not_rendered: dict[str, str]  # touched recipes that do not render: id -> why

    def to_json(self) -> dict:
        return {
            "recipes": self.recipes,
            "deleted": self.deleted,
            "config_keys": self.config_keys,
            "not_rendered": sorted(self.not_rendered),
        }

    def lines(self) -> list[str]:
        marked = [f"{n} (does not render)" if n in self.not_rendered else n for n in self.recipes]
        return marked + [f"{name} (deleted)" for name in self.deleted]


class Workspace:
    def __init__(self, settings: Settings, *, cache: bool = True) -> None:
        self.settings = settings
        self.cache = cache  # read and write the render cache (build/render-cache/)

    @classmethod
    def load(cls, settings: Settings, *, cache: bool = True) -> Workspace:
        return cls(settings, cache=cache)

    @cached_property
    def found(self) -> list[tuple[str, Path]]:
        """(folder, recipe.yaml) of every recipe on disk."""
        from emci.recipes import discover

        return discover(self.settings.recipes_dir.resolve())

    @cached_property
    def ids(self) -> set[str]:
        """Every recipe id of the tree, rendered or not (found on disk, nothing rendered)."""
        from emci.recipes import recipe_id

        return {recipe_id(folder, path) for folder, path in self.found}

    @cached_property
    def tree(self) -> RecipeTree:
        from emci.recipes import Renderer

        cache = None
        if self.cache:
            from emci.render_cache import RenderCache

            cache = RenderCache(self.settings.render_cache, self.settings.variant_config)
        renderer = Renderer(self.settings.variant_config)
        with _no_cycle_collection():
            return renderer.render_tree(self.settings.recipes_dir, cache=cache, found=self.found)

    @cached_property
    def graph(self) -> RecipeGraph:
        from emci.graph import build_graph

        with _no_cycle_collection():
            return build_graph(self.tree.recipes, self.tree.failures)

    @property
    def failures(self) -> tuple[RecipeError, ...]:
        return self.tree.failures

    def existing(self) -> ChannelIndex:
        from emci.channels import ChannelIndex

        names = {o.name for r in self.tree.recipes.values() for o in r.outputs}
        names |= {item.package.name for item in self.graph.external}
        return ChannelIndex.load(self.settings.build_channels(), names)

    def changes(self, base: str, head: str) -> Changes:
        from emci.changes import find_changes

        git = Git(self.settings.root)
        config = str(self.settings.variant_config.relative_to(self.settings.root))
        changes = find_changes(git, base, head, _Rendered(self), config)
        abi = self.settings.abi
        if abi is not None and changes.config_keys & abi.keys:
            from emci.abi import restrict_to_carriers, tree_abi
            from emci.settings import EMSCRIPTEN_PLATFORM

            # a half-done move (the ABI and the compilers apart) is an error naming the key
            tree_abi(abi, self.settings.variant_config, EMSCRIPTEN_PLATFORM)
            marked = restrict_to_carriers(
                changes.config_marked, changes.config_keys, abi, self.graph
            )
            changes = replace(changes, config_marked=marked)
        return changes

    def plan_changes(self, base: str, head: str, *, with_dependents: bool) -> Plan:
        from emci.plan import plan_from_changes

        changes = self.changes(base, head)
        if not (changes.recipes or changes.deleted or changes.config_marked):
            return Plan(entries={}, generations=[])  # no recipe to render or look at
        products = self._deleted_products(changes)
        return plan_from_changes(
            self.graph,
            changes,
            self.existing(),
            with_dependents=with_dependents,
            deleted_products=products,
        )

    def plan(self, request: PlanRequest) -> Plan:
        """The plan a request asks for. Every recipe (`everything`) includes those that do
        not render: a plan of everything needs them."""
        if request.everything:
            from emci.plan import plan_for_recipes

            return plan_for_recipes(self.graph, sorted(self.tree.ids()), self.existing())
        if request.names:
            return self.plan_recipes(list(request.names), with_dependents=request.with_dependents)
        if request.base is None or request.head is None:
            raise EmciError("give BASE HEAD, recipe names, or every recipe")
        if request.no_rebuild:
            conflicts = self.published_conflicts(request.base, request.head)
            if conflicts:
                raise Problems(
                    [
                        f"{item.path}: recipe changed without a build number bump: "
                        f"{item.detail}, and that package is already published: it is not "
                        "rebuilt or uploaded"
                        for item in conflicts
                    ]
                )
        return self.plan_changes(
            request.base, request.head, with_dependents=request.with_dependents
        )

    def changed(self, base: str, head: str, *, with_dependents: bool) -> ChangedRecipes:
        changes = self.changes(base, head)
        touched = set(changes.recipes) | set(changes.config_marked)
        broken = {n: not_rendered(self.graph.broken[n]) for n in touched & set(self.graph.broken)}
        names = touched & set(self.graph.recipes)
        if with_dependents:
            names |= self.graph.descendants(names)
        return ChangedRecipes(
            recipes=sorted(names | set(broken)),
            deleted=sorted(changes.deleted),
            config_keys=sorted(changes.config_keys),
            not_rendered=broken,
        )

    def subgraph(self, base: str | None, head: str | None, *, with_dependents: bool):
        """The DAG, or with BASE HEAD the part a plan of those changes builds."""
        if base is None or head is None:
            return self.graph.graph
        nodes = self.plan_changes(base, head, with_dependents=with_dependents).names
        return self.graph.graph.subgraph(nodes)

    def fetch(self, names: list[str]) -> FetchReport:
        """Fill the source mirror for the named recipes (default: every recipe)."""
        ids = self.resolve(names) if names else sorted(self.tree.ids())
        return self.fetch_ids(ids)

    def fetch_ids(self, ids: list[str]) -> FetchReport:
        from emci.sources import Mirror, fetch_all

        broken = {n: not_rendered(error) for n, error in self.graph.broken.items()}
        return fetch_all(self.graph.recipes, ids, Mirror.from_settings(self.settings), broken)

    def shards(
        self, plan: Plan, *, max_shards: int, max_stages: int, shard_above: float = 0.0
    ) -> Shards:
        """The plan split into CI stages and shards, balanced by recorded build times."""
        from emci.recipes import short_aliases
        from emci.shards import recorded_seconds, split

        seconds = recorded_seconds(
            self.settings.build_channels(),
            self.settings.times_file,
            short_aliases(self.graph.recipes),
        )
        return split(
            self.graph.graph,
            plan.generations,
            seconds,
            max_shards=max_shards,
            max_stages=max_stages,
            shard_above=shard_above,
        )

    def resolve(self, names: list[str]) -> list[str]:
        """Recipe ids for the names given on a command line (ids or short folder names)."""
        from emci.recipes import resolve_ids

        return resolve_ids(names, self.ids)

    def unbumped(self, base: str, head: str) -> list[Unbumped]:
        """Changed recipes whose package identity stays while what is built changes."""
        from emci.identity import find_unbumped

        changes = self.changes(base, head)
        names = (set(changes.recipes) | set(changes.config_marked)) & set(self.tree.recipes)
        recipes = [self.tree.recipes[name] for name in sorted(names)]
        config = str(self.settings.variant_config.relative_to(self.settings.root))
        git = Git(self.settings.root)
        return find_unbumped(git, self.settings.root, base, head, recipes, config)

    def published_conflicts(self, base: str, head: str) -> list[Unbumped]:
        """Those of `unbumped` whose identity exists in the channels (main fails on them)."""
        unbumped = self.unbumped(base, head)
        if not unbumped:
            return []
        from emci.channels import ChannelIndex
        from emci.identity import published_conflicts

        names = {item.identity.name for item in unbumped}
        return published_conflicts(
            unbumped, ChannelIndex.load(self.settings.build_channels(), names)
        )

    def plan_recipes(self, names: list[str], *, with_dependents: bool) -> Plan:
        from emci.plan import plan_for_recipes

        return plan_for_recipes(
            self.graph, self.resolve(names), self.existing(), with_dependents=with_dependents
        )

    def _deleted_products(self, changes: Changes) -> dict[str, set[str]]:
        """Package names each deleted recipe produced, rendered from the merge base."""
        from emci.recipes import Renderer

        git = Git(self.settings.root)
        renderer = Renderer(self.settings.variant_config)
        products: dict[str, set[str]] = {}
        for recipe_id in changes.deleted:
            folder, name = recipe_id.split("/", 1)
            products[recipe_id] = {name}
            data = git.show(changes.base, f"recipes/{recipe_id}/recipe.yaml")
            if data is None or folder not in RECIPE_FOLDERS:
                continue
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / name / "recipe.yaml"
                path.parent.mkdir()
                path.write_bytes(data)
                try:
                    recipe = renderer.render(folder, path, recipe_id)
                except RecipeError:
                    continue
                products[recipe_id] |= {output.name for output in recipe.outputs}
        return products


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while the tree and the DAG are built, and what they
    built moved out of its sight (`gc.freeze`): tens of thousands of objects without cycles
    that live as long as the command, which each collection would otherwise walk again (a
    third of the DAG's build time on a 1,000-recipe tree). Reference counting still frees
    them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


class _Rendered(Mapping):
    """The workspace's rendered recipes for `find_changes`, rendered only when read: whether
    a recipe exists needs no render (a diff that touches no recipe renders nothing), so
    `in` answers for every recipe folder of the tree, rendered or not."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def __contains__(self, key: object) -> bool:
        return key in self.workspace.ids

    def __getitem__(self, key: str) -> Recipe:
        return self.workspace.tree.recipes[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.workspace.tree.recipes)

    def __len__(self) -> int:
        return len(self.workspace.tree.recipes)
