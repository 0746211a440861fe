"""The repository as the commands see it: settings, rendered recipes, the DAG."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from emci.changes import Changes, find_changes
from emci.channels import ChannelIndex
from emci.errors import EmciError, Problems, RecipeError
from emci.git import Git
from emci.graph import RecipeGraph, build_graph
from emci.identity import Unbumped, find_unbumped, published_conflicts
from emci.plan import Plan, not_rendered, plan_for_recipes, plan_from_changes
from emci.recipes import RecipeTree, Renderer
from emci.settings import RECIPE_FOLDERS, Settings
from emci.sources import FetchReport, Mirror, fetch_all


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


@dataclass
class Workspace:
    settings: Settings
    tree: RecipeTree
    graph: RecipeGraph

    @property
    def failures(self) -> tuple[RecipeError, ...]:
        return self.tree.failures

    @classmethod
    def load(cls, settings: Settings) -> Workspace:
        renderer = Renderer(settings.variant_config)
        tree = renderer.render_tree(settings.recipes_dir)
        return cls(settings, tree, build_graph(tree.recipes, tree.failures))

    def existing(self) -> ChannelIndex:
        names = {o.name for r in self.tree.recipes.values() for o in r.outputs}
        names |= {item.package.name for item in self.graph.external}
        return ChannelIndex.load(self.settings.build_channels(), names)

    def changes(self, base: str, head: str) -> Changes:
        git = Git(self.settings.root)
        config = str(self.settings.variant_config.relative_to(self.settings.root))
        return find_changes(git, base, head, self.tree.recipes, config)

    def plan_changes(self, base: str, head: str, *, with_dependents: bool) -> Plan:
        changes = self.changes(base, head)
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
        broken = {n: not_rendered(error) for n, error in self.graph.broken.items()}
        return fetch_all(self.graph.recipes, ids, Mirror.from_settings(self.settings), broken)

    def resolve(self, names: list[str]) -> list[str]:
        """Recipe ids for the names given on a command line (ids or short folder names)."""
        return self.tree.resolve(names)

    def unbumped(self, base: str, head: str) -> list[Unbumped]:
        """Changed recipes whose package identity stays while what is built changes."""
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
        names = {item.identity.name for item in unbumped}
        return published_conflicts(
            unbumped, ChannelIndex.load(self.settings.build_channels(), names)
        )

    def plan_recipes(self, names: list[str], *, with_dependents: bool) -> Plan:
        return plan_for_recipes(
            self.graph, self.resolve(names), self.existing(), with_dependents=with_dependents
        )

    def _deleted_products(self, changes: Changes) -> dict[str, set[str]]:
        """Package names each deleted recipe produced, rendered from the merge base."""
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
