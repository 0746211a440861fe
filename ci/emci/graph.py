"""The recipe DAG: one node per recipe, an edge A -> B when B needs a package A produces.

Package identity is (subdir, name), platform-aware: build-side requirements ask for the build
platform's package, the others for the target platform's, and a noarch package serves
either. Several recipes may produce one package name (two versions side by side, one version
built two ways): a requirement gets an edge from every recipe with an output its match spec
accepts (py-rattler's `MatchSpec.matches`), so `libfoo` depends on every alternative and
`libfoo >=7` only on the 7.x recipe.

Problems that make one recipe unbuildable (it needs its own output and nothing else provides
it; it produces the very same package as another recipe) are kept per recipe: a plan that
needs the recipe fails, the rest of the tree still plans. A cycle is an error for the whole
graph. networkx does the graph work (cycles, topological generations, ancestors,
descendants); this module only decides which edges exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import networkx as nx
import rattler

from emci.errors import CycleError, RecipeError
from emci.recipes import Output, PackageKey, Recipe, Requirement

# Kinds in which needing one's own output means needing an earlier build of it.
SELF_KINDS = ("build", "host", "run")


@dataclass(frozen=True)
class Producer:
    """One output of one recipe, as a candidate for a requirement."""

    recipe: str
    output: Output

    def __str__(self) -> str:
        return f"{self.recipe} ({self.output.name} {self.output.version})"


class Need(NamedTuple):
    """One requirement of one recipe output and the in-tree outputs that satisfy it. (A
    named tuple, as Unsatisfied: a graph makes one per requirement of the tree.)"""

    recipe: str
    output: str
    kind: str
    package: PackageKey
    requirement: Requirement
    producers: tuple[Producer, ...] = ()

    @property
    def spec(self) -> str:
        return self.requirement.spec

    def describe(self, recipes: Iterable[str] | None = None) -> str:
        """`host 'libfoo >=7' matched by recipes_emscripten/libfoo7 (libfoo 7.0.1)`, naming
        only the producers among `recipes` when given."""
        wanted = None if recipes is None else set(recipes)
        chosen = [p for p in self.producers if wanted is None or p.recipe in wanted]
        return f"{self.kind} {self.spec!r} matched by {', '.join(map(str, chosen))}"


class Unsatisfied(NamedTuple):
    """A requirement no recipe in the tree satisfies."""

    recipe: str
    kind: str
    package: PackageKey
    spec: str = ""
    candidates: tuple[Producer, ...] = ()  # in-tree outputs of that name the spec rejects

    def __str__(self) -> str:
        spec = self.spec or self.package.name
        text = (
            f"{self.recipe}: {self.kind} requirement {spec!r} ({self.package.subdir}) is "
            f"satisfied by no recipe and no configured channel"
        )
        if self.candidates:
            text += " (the tree has " + ", ".join(map(str, self.candidates)) + ")"
        return text


@dataclass
class RecipeGraph:
    graph: nx.DiGraph
    recipes: dict[str, Recipe]
    producers: dict[PackageKey, list[Producer]]
    needs: list[Need] = field(default_factory=list)
    external: list[Unsatisfied] = field(default_factory=list)
    problems: dict[str, list[RecipeError]] = field(default_factory=dict)
    # recipes that did not render, by id: not nodes, but a plan may need them
    broken: dict[str, RecipeError] = field(default_factory=dict)
    _needs_by_recipe: dict[str, list[Need]] | None = field(default=None, repr=False)

    def broken_producers(self, name: str) -> list[str]:
        """Recipes that do not render and may produce a package of this name."""
        return sorted(recipe for recipe, error in self.broken.items() if name in error.names)

    def candidates(self, key: PackageKey) -> list[Producer]:
        """Every in-tree output of that package name for that subdir (noarch serves any)."""
        found = list(self.producers.get(key, ()))
        if key.subdir != "noarch":
            found += self.producers.get(PackageKey("noarch", key.name), ())
        return found

    def needs_of(self, recipe: str) -> list[Need]:
        return [need for need in self.needs if need.recipe == recipe]

    def received_exports(self, recipe: str) -> set[str]:
        """Package names the recipe's packages depend on through run_exports, as rattler-build
        applies them: strong exports of the in-tree producers of its direct build
        requirements, weak and strong ones of its direct host requirements (never of what
        those bring in), less what the output ignores (`ignore_run_exports`: by name, or
        everything from a package)."""
        if self._needs_by_recipe is None:
            self._needs_by_recipe = {}
            for need in self.needs:
                self._needs_by_recipe.setdefault(need.recipe, []).append(need)
        outputs: dict[str, list[Output]] = {}
        for output in self.recipes[recipe].outputs:
            outputs.setdefault(output.name, []).append(output)
        received: set[str] = set()
        for need in self._needs_by_recipe.get(recipe, ()):
            if need.kind not in ("build", "host"):
                continue
            for output in outputs.get(need.output, ()):
                ignore = output.run_exports
                for producer in need.producers:
                    if producer.output.name in ignore.ignore_from_package:
                        continue
                    exported = producer.output.run_exports.exported(need.kind)
                    received.update(n for n in exported if n not in ignore.ignore_by_name)
        return received

    def edge_needs(self, producer: str, consumer: str) -> list[Need]:
        """The requirements of `consumer` that `producer` satisfies."""
        return list(self.graph.edges[producer, consumer].get("needs", ()))

    def generations(self, nodes: Iterable[str] | None = None) -> list[list[str]]:
        wanted = None if nodes is None else set(nodes)
        # a plan of every recipe walks the graph itself, not a (slower) view filtering it
        whole = wanted is None or wanted.issuperset(self.graph)
        sub = self.graph if whole else self.graph.subgraph(wanted)
        return [sorted(generation) for generation in nx.topological_generations(sub)]

    def descendants(self, nodes: Iterable[str]) -> set[str]:
        result: set[str] = set()
        for node in nodes:
            result |= nx.descendants(self.graph, node)
        return result

    def ancestors(self, nodes: Iterable[str]) -> set[str]:
        result: set[str] = set()
        for node in nodes:
            result |= nx.ancestors(self.graph, node)
        return result

    def unsatisfied_for(self, nodes: Iterable[str]) -> list[Unsatisfied]:
        wanted = set(nodes)
        return [item for item in self.external if item.recipe in wanted]

    def problems_for(self, nodes: Iterable[str]) -> list[RecipeError]:
        return [problem for node in sorted(set(nodes)) for problem in self.problems.get(node, ())]


class _Specs:
    """Parsed match specs, once per distinct string; package records, once per output."""

    def __init__(self) -> None:
        self._parsed: dict[str, rattler.MatchSpec] = {}
        self._records: dict[int, tuple[Output, rattler.PackageRecord]] = {}

    def record(self, output: Output) -> rattler.PackageRecord:
        # by identity: hashing an Output hashes all its requirements
        found = self._records.get(id(output))
        if found is None:
            found = self._records[id(output)] = (output, output.record())
        return found[1]

    def matches(self, requirement: Requirement, output: Output) -> bool:
        spec = requirement.spec
        if spec == requirement.name == output.name:
            return True  # a spec of only a name accepts every version and build of it
        parsed = self._parsed.get(spec)
        if parsed is None:
            parsed = self._parsed[spec] = rattler.MatchSpec(spec)
        return parsed.matches(self.record(output))


def _requirements(recipe: Recipe) -> Iterator[tuple[Output, str, PackageKey, Requirement]]:
    """`Recipe.requirements()` as plain tuples (the graph walks every one of them)."""
    build, target = recipe.build_platform, recipe.target_platform
    for output in recipe.outputs:
        kinds = output.requirements
        for kind, subdir, requirements in (
            ("build", build, kinds.build),
            ("host", target, kinds.host),
            ("run", target, kinds.run),
            ("test_build", build, kinds.test_build),
            ("test_run", target, kinds.test_run),
        ):
            for requirement in requirements:
                yield output, kind, PackageKey(subdir, requirement.name), requirement


def build_graph(recipes: dict[str, Recipe], failures: Iterable[RecipeError] = ()) -> RecipeGraph:
    """Edges from every matching producer to each consumer; raises CycleError on a cycle.
    `failures` are the recipes that did not render (kept for plans that need them)."""
    producers: dict[PackageKey, list[Producer]] = {}
    identities: dict[tuple[str, str, str, str], str] = {}
    problems: dict[str, list[RecipeError]] = {}

    def problem(recipe: str, reason: str) -> None:
        problems.setdefault(recipe, []).append(
            RecipeError(str(recipes[recipe].path), reason, recipe=recipe)
        )

    specs = _Specs()
    for name in sorted(recipes):
        for output in recipes[name].outputs:
            try:  # the record itself is made when a versioned spec is first matched
                rattler.Version(output.version)
                rattler.BuildString(output.build_string)
            except Exception as exc:  # py-rattler's version and build string errors
                problem(name, f"package {output.name}: version {output.version!r}: {exc}")
                continue
            identity = (output.subdir, output.name, output.version, output.build_string)
            other = identities.setdefault(identity, name)
            if other != name:
                package = f"{output.subdir}/{output.filename_stem}"
                for first, second in ((other, name), (name, other)):
                    problem(first, f"{package} is also produced by {recipes[second].path}")
                continue
            producers.setdefault(output.key, []).append(Producer(name, output))

    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(recipes))
    broken = {failure.recipe: failure for failure in failures if failure.recipe}
    result = RecipeGraph(
        graph=graph, recipes=recipes, producers=producers, problems=problems, broken=broken
    )
    merged: dict[PackageKey, list[Producer]] = {}  # candidates by package key, once each
    edges: dict[tuple[str, str], list[Need]] = {}
    for name in sorted(recipes):
        for output, kind, package, requirement in _requirements(recipes[name]):
            candidates = merged.get(package)
            if candidates is None:
                candidates = merged[package] = result.candidates(package)
            if not candidates:  # nothing in the tree has that name: an outside package
                result.external.append(Unsatisfied(name, kind, package, requirement.spec, ()))
                continue
            if requirement.pin == "pin_subpackage":
                own = [p for p in candidates if p.recipe == name]
                candidates = own or candidates
            if requirement.spec == requirement.name:  # a name alone accepts every candidate
                matched = candidates
            else:
                matched = [p for p in candidates if specs.matches(requirement, p.output)]
            others = tuple(p for p in matched if p.recipe != name)
            own_output = len(others) < len(matched) and any(
                p.recipe == name and p.output.name == output.name for p in matched
            )
            if own_output and not others and kind in SELF_KINDS and not requirement.pin:
                problem(
                    name,
                    f"requirements.{kind}: {requirement.spec!r} is this recipe's own output "
                    f"{output.name!r} and no other recipe produces a version of it",
                )
                continue
            if not matched:
                result.external.append(
                    Unsatisfied(name, kind, package, requirement.spec, tuple(candidates))
                )
                continue
            need = Need(name, output.name, kind, package, requirement, others)
            result.needs.append(need)
            producing = {p.recipe for p in others}
            for producer in sorted(producing) if len(producing) > 1 else producing:
                edges.setdefault((producer, name), []).append(need)
    graph.add_edges_from(
        (producer, consumer, {"needs": needs}) for (producer, consumer), needs in edges.items()
    )
    if nx.is_directed_acyclic_graph(graph):  # one topological sort, far cheaper than a search
        return result
    cycle = nx.find_cycle(graph)
    raise CycleError([edge[0] for edge in cycle])
