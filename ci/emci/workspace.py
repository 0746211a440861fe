"""The repository as the commands see it: settings, rendered recipes, the DAG."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from emci.changes import Changes, find_changes
from emci.channels import ChannelIndex
from emci.errors import RecipeError
from emci.git import Git
from emci.graph import RecipeGraph, build_graph
from emci.identity import Unbumped, find_unbumped, published_conflicts
from emci.plan import Plan, plan_for_recipes, plan_from_changes
from emci.recipes import RecipeTree, Renderer
from emci.settings import RECIPE_FOLDERS, Settings


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
