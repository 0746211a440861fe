"""The plan: which recipes to build, in which order, and why each one is in it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from emci.changes import Changes
from emci.channels import ChannelIndex
from emci.errors import GraphError
from emci.graph import RecipeGraph, Unsatisfied
from emci.recipes import short_name


@dataclass(frozen=True)
class PlanEntry:
    name: str
    reasons: tuple[str, ...]


@dataclass
class Plan:
    entries: dict[str, PlanEntry]
    generations: list[list[str]]
    deleted: list[str] = field(default_factory=list)
    unsatisfied: list[Unsatisfied] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [name for generation in self.generations for name in generation]

    @property
    def changed(self) -> frozenset[str]:
        """Recipes the diff changed (a recipe file or a variant key it uses): always built in
        a pull request, whatever exists (docs/maintainers.md)."""
        return frozenset(
            name
            for name, entry in self.entries.items()
            if any(r == "changed" or r.startswith("config key") for r in entry.reasons)
        )

    def to_json(self) -> dict:
        return {
            "generations": self.generations,
            "recipes": {
                name: {"reasons": list(entry.reasons)} for name, entry in self.entries.items()
            },
            "deleted": self.deleted,
            "unsatisfied": [
                {
                    "recipe": u.recipe,
                    "kind": u.kind,
                    "subdir": u.package.subdir,
                    "name": u.package.name,
                }
                for u in self.unsatisfied
            ],
        }


def plan_from_changes(
    graph: RecipeGraph,
    changes: Changes,
    existing: ChannelIndex,
    *,
    with_dependents: bool = False,
    deleted_products: dict[str, set[str]] | None = None,
) -> Plan:
    reasons: dict[str, list[str]] = {}
    for name in sorted(changes.recipes):
        if name in graph.recipes:
            reasons.setdefault(name, []).append("changed")
    for name, keys in sorted(changes.config_marked.items()):
        reasons.setdefault(name, []).append("config key: " + ", ".join(keys))
    _check_deleted(graph, changes.deleted, deleted_products or {})
    return _complete(graph, reasons, existing, with_dependents, sorted(changes.deleted))


def plan_for_recipes(
    graph: RecipeGraph,
    names: Iterable[str],
    existing: ChannelIndex,
    *,
    with_dependents: bool = False,
) -> Plan:
    reasons: dict[str, list[str]] = {}
    for name in names:
        if name not in graph.recipes:
            known = ", ".join(sorted(graph.recipes)) or "none"
            raise GraphError(f"no recipe named {name!r} (known recipes: {known})")
        reasons.setdefault(name, []).append("requested")
    return _complete(graph, reasons, existing, with_dependents, [])


def _complete(
    graph: RecipeGraph,
    reasons: dict[str, list[str]],
    existing: ChannelIndex,
    with_dependents: bool,
    deleted: list[str],
) -> Plan:
    if with_dependents:
        changed = set(reasons)
        for name in sorted(graph.descendants(list(changed))):
            if name not in reasons:
                parents = sorted(graph.ancestors([name]) & changed)
                reasons[name] = ["dependent of " + ", ".join(parents)]
    # In-tree dependencies that nobody has built yet must be built first.
    pending = list(reasons)
    while pending:
        name = pending.pop()
        for dependency in sorted(graph.graph.predecessors(name)):
            if dependency in reasons:
                continue
            recipe = graph.recipes[dependency]
            if all(existing.has_output(output) for output in recipe.outputs):
                continue
            reasons[dependency] = [f"needed by {name}"]
            pending.append(dependency)
    unsatisfied = [
        item for item in graph.unsatisfied_for(reasons) if not existing.has_name(item.package)
    ]
    entries = {name: PlanEntry(name, tuple(why)) for name, why in reasons.items()}
    return Plan(
        entries=entries,
        generations=graph.generations(reasons),
        deleted=deleted,
        unsatisfied=unsatisfied,
    )


def _check_deleted(
    graph: RecipeGraph, deleted: Iterable[str], products: dict[str, set[str]]
) -> None:
    """A recipe that still needs a package only a deleted recipe produced is an error."""
    problems = []
    for item in graph.external:
        for name in deleted:
            if item.package.name in products.get(name, {short_name(name)}):
                problems.append(
                    f"{graph.recipes[item.recipe].path}: {item.kind} requirement "
                    f"{item.package.name!r} was produced by deleted recipe {name!r}"
                )
    if problems:
        raise GraphError("; ".join(problems))
