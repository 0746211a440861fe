"""Benchmark: the production scheduler on a virtual clock, over generated DAGs shaped like a
large real recipe tree (about 650 nodes, ~14 generations, widest ~120) with heavy-tailed
build times, several seeds, 4 workers. Makespan against the lower bound
max(critical path, total work / workers). Goal: at most 1.10x on every seed.

    python bench/scheduler.py [--seeds 8] [--workers 4] [--nodes 650]

The scheduler is emci.scheduler's ReadyQueue (the one `emci build --jobs` uses), with
priorities from recorded build times, driven by `emci.scheduler.simulate`.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ci"))

from emci.scheduler import simulate  # noqa: E402

GENERATION_SHAPE = [40, 120, 110, 90, 75, 60, 45, 35, 25, 18, 12, 8, 7, 5]  # 650 nodes


def generate(seed: int, nodes: int) -> tuple[nx.DiGraph, dict[str, float]]:
    rng = random.Random(seed)
    scale = nodes / sum(GENERATION_SHAPE)
    sizes = [max(1, round(size * scale)) for size in GENERATION_SHAPE]
    graph = nx.DiGraph()
    generations: list[list[str]] = []
    for level, size in enumerate(sizes):
        names = [f"g{level:02d}n{i:03d}" for i in range(size)]
        graph.add_nodes_from(names)
        if generations:
            for name in names:
                # one parent in the previous generation keeps the generation count exact;
                # a few more from anywhere above, mostly nearby (libraries used widely)
                graph.add_edge(rng.choice(generations[-1]), name)
                for _ in range(rng.choice([0, 1, 1, 2, 3])):
                    back = min(len(generations), 1 + int(rng.expovariate(0.6)))
                    graph.add_edge(rng.choice(generations[-back]), name)
        generations.append(names)
    # heavy-tailed build times: most recipes take a minute, a few take an hour
    durations = {node: min(4 * 3600.0, 20 + rng.paretovariate(1.3) * 30) for node in graph}
    return graph, durations


def lower_bound(graph: nx.DiGraph, durations: dict[str, float], workers: int) -> float:
    longest: dict[str, float] = {}
    for node in nx.topological_sort(graph):
        longest[node] = durations[node] + max(
            (longest[p] for p in graph.predecessors(node)), default=0.0
        )
    return max(max(longest.values()), sum(durations.values()) / workers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--nodes", type=int, default=650)
    args = parser.parse_args()
    worst = 0.0
    print(
        f"{'seed':>4} {'nodes':>5} {'gens':>4} {'widest':>6} {'makespan':>10} "
        f"{'bound':>10} {'ratio':>6} {'no-times':>8}"
    )
    for seed in range(1, args.seeds + 1):
        graph, durations = generate(seed, args.nodes)
        generations = list(nx.topological_generations(graph))
        makespan = simulate(graph, durations, jobs=args.workers)
        bound = lower_bound(graph, durations, args.workers)
        ratio = makespan / bound
        # the same queue without recorded times (every recipe weighs the same), for contrast
        blind = simulate(graph, durations, jobs=args.workers, weights={}) / bound
        worst = max(worst, ratio)
        print(
            f"{seed:>4} {graph.number_of_nodes():>5} {len(generations):>4} "
            f"{max(len(g) for g in generations):>6} {makespan:>9.0f}s {bound:>9.0f}s "
            f"{ratio:>5.3f}x {blind:>7.3f}x"
        )
    print(
        f"worst ratio over {args.seeds} seeds: {worst:.3f}x (goal <= 1.10x): "
        f"{'met' if worst <= 1.10 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
