"""The plan: which recipes to build, in which order, and why each one is in it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from emci.errors import GraphError, Problems, RecipeError

if TYPE_CHECKING:  # the Plan type alone (an empty plan) needs none of these
    from emci.changes import Changes
    from emci.channels import ChannelIndex
    from emci.graph import Need, Producer, RecipeGraph, Unsatisfied


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
    problems: list[str] = field(default_factory=list)  # planned recipes that cannot build
    # recipes that do not render and that this plan does not need (warnings)
    not_rendered: list[str] = field(default_factory=list)

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

    @property
    def buildable(self) -> bool:
        return not self.unsatisfied and not self.problems

    def errors(self) -> list[str]:
        """Every reason this plan cannot be built, one line each."""
        return [*self.problems, *map(str, self.unsatisfied)]

    def check(self) -> None:
        """Raise `Problems` listing every reason this plan cannot be built."""
        if not self.buildable:
            raise Problems(
                self.errors(),
                f"not building: {len(self.unsatisfied)} requirement(s) cannot be satisfied, "
                f"{len(self.problems)} recipe problem(s)",
            )

    def to_json(self) -> dict:
        return {
            "generations": self.generations,
            "changed": sorted(self.changed),
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
                    "spec": u.spec or u.package.name,
                }
                for u in self.unsatisfied
            ],
            "problems": self.problems,
            "not_rendered": self.not_rendered,
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
    broken: set[str] = set()
    for name in sorted(changes.recipes):
        if name in graph.recipes:
            reasons.setdefault(name, []).append("changed")
        elif name in graph.broken:
            broken.add(name)
    for name, keys in sorted(changes.config_marked.items()):
        reasons.setdefault(name, []).append("config key: " + ", ".join(keys))
    _check_deleted(graph, changes.deleted, deleted_products or {})
    return _complete(graph, reasons, existing, with_dependents, sorted(changes.deleted), broken)


def plan_for_recipes(
    graph: RecipeGraph,
    names: Iterable[str],
    existing: ChannelIndex,
    *,
    with_dependents: bool = False,
) -> Plan:
    reasons: dict[str, list[str]] = {}
    broken: set[str] = set()
    for name in names:
        if name in graph.broken:
            broken.add(name)
        elif name not in graph.recipes:
            raise GraphError(f"no recipe named {name!r}")
        else:
            reasons.setdefault(name, []).append("requested")
    return _complete(graph, reasons, existing, with_dependents, [], broken)


def _complete(
    graph: RecipeGraph,
    reasons: dict[str, list[str]],
    existing: ChannelIndex,
    with_dependents: bool,
    deleted: list[str],
    broken: set[str] | None = None,
) -> Plan:
    if with_dependents:
        _add_dependents(graph, reasons)
    _add_needed(graph, reasons, existing)
    unsatisfied = [
        item
        for item in graph.unsatisfied_for(reasons)
        if not existing.satisfies(item.package, item.spec or item.package.name)
    ]
    # A recipe that does not render is needed when it is changed or requested, or when it
    # may produce a requirement of a planned recipe that nothing else satisfies.
    needed_broken = set(broken or ())
    for item in unsatisfied:
        needed_broken.update(graph.broken_producers(item.package.name))
    problems = [not_rendered(graph.broken[name]) for name in sorted(needed_broken)]
    problems += [str(problem) for problem in graph.problems_for(reasons)]
    entries = {name: PlanEntry(name, tuple(why)) for name, why in reasons.items()}
    return Plan(
        entries=entries,
        generations=graph.generations(reasons),
        deleted=deleted,
        unsatisfied=unsatisfied,
        problems=problems,
        not_rendered=[
            not_rendered(graph.broken[n]) for n in sorted(set(graph.broken) - needed_broken)
        ],
    )


def not_rendered(error: RecipeError) -> str:
    """`recipes_emscripten/foo does not render: <file>: <reason>`."""
    return f"{error.recipe} does not render: {error}"


def _add_dependents(graph: RecipeGraph, reasons: dict[str, list[str]]) -> None:
    """Everything downstream of the planned recipes; each reason names the changed recipes
    it depends on and the requirements the planned producers matched."""
    changed = set(reasons)
    downstream = graph.descendants(changed)
    planned = changed | downstream
    for name in sorted(downstream - changed):
        roots = sorted(graph.ancestors([name]) & changed)
        why = ["dependent of " + ", ".join(roots)]
        needs: dict[Need, None] = {}
        for producer in sorted(graph.graph.predecessors(name)):
            if producer in planned:
                needs.update(dict.fromkeys(graph.edge_needs(producer, name)))
        for need in sorted(needs, key=lambda n: (n.kind, n.spec, n.output)):
            why.append(need.describe(planned))
        reasons[name] = why


def _add_needed(graph: RecipeGraph, reasons: dict[str, list[str]], existing: ChannelIndex) -> None:
    """In-tree producers that nobody has built yet must be built first: for each
    requirement of a planned recipe that neither a planned recipe nor an existing package
    satisfies, the producer of the highest matching version."""
    by_recipe: dict[str, list[Need]] = {}
    for need in graph.needs:
        by_recipe.setdefault(need.recipe, []).append(need)
    pending = sorted(reasons, reverse=True)
    while pending:
        name = pending.pop()
        for need in by_recipe.get(name, ()):
            if not need.producers or any(p.recipe in reasons for p in need.producers):
                continue
            if any(existing.has_output(p.output) for p in need.producers):
                continue
            best = _best(need.producers)
            reasons[best.recipe] = [f"needed by {name}: {need.describe([best.recipe])}"]
            pending.append(best.recipe)


def _best(producers: Iterable[Producer]) -> Producer:
    """The producer a solver would prefer: highest version, then highest build number."""
    from rattler import Version

    return max(
        sorted(producers, key=lambda p: p.recipe),  # on a tie, the first id
        key=lambda p: (Version(p.output.version), p.output.build_number),
    )


def _check_deleted(
    graph: RecipeGraph, deleted: Iterable[str], products: dict[str, set[str]]
) -> None:
    """A recipe that still needs a package only a deleted recipe produced is an error."""
    from emci.recipes import short_name

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
