"""The recipe DAG: one node per recipe, an edge A -> B when B needs a package A produces.

networkx does the graph work (cycles, topological generations, ancestors, descendants);
this module only decides which edges exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from emci.errors import CycleError, GraphError
from emci.recipes import PackageKey, Recipe


@dataclass(frozen=True)
class Unsatisfied:
    """A requirement no recipe in the tree produces."""

    recipe: str
    kind: str
    package: PackageKey

    def __str__(self) -> str:
        return (
            f"{self.recipe}: {self.kind} requirement {self.package.name!r} "
            f"({self.package.subdir}) is produced by no recipe and no configured channel"
        )


@dataclass
class RecipeGraph:
    graph: nx.DiGraph
    recipes: dict[str, Recipe]
    producers: dict[PackageKey, str]
    external: list[Unsatisfied] = field(default_factory=list)

    def producer_of(self, key: PackageKey) -> str | None:
        """The recipe producing `key`, accepting a noarch package for any subdir."""
        return self.producers.get(key) or self.producers.get(PackageKey("noarch", key.name))

    def generations(self, nodes: Iterable[str] | None = None) -> list[list[str]]:
        sub = self.graph if nodes is None else self.graph.subgraph(nodes)
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


def build_graph(recipes: dict[str, Recipe]) -> RecipeGraph:
    """Edges from producers to consumers; raises GraphError on duplicates and cycles."""
    producers: dict[PackageKey, str] = {}
    duplicates: list[str] = []
    for name in sorted(recipes):
        for key in recipes[name].produced():
            other = producers.get(key)
            if other is not None and other != name:
                duplicates.append(
                    f"{key} is produced by both {recipes[other].path} and {recipes[name].path}"
                )
            producers.setdefault(key, name)
    if duplicates:
        raise GraphError("; ".join(duplicates))

    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(recipes))
    result = RecipeGraph(graph=graph, recipes=recipes, producers=producers)
    for name in sorted(recipes):
        for key, kind in sorted(recipes[name].needs_by_kind()):
            producer = result.producer_of(key)
            if producer is None:
                result.external.append(Unsatisfied(name, kind, key))
            elif producer != name:
                graph.add_edge(producer, name)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return result
    raise CycleError([edge[0] for edge in cycle])
