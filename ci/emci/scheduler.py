"""A ready-queue scheduler for building a DAG with N workers.

A recipe enters the ready queue when its count of unfinished dependencies reaches zero;
the queue hands out the highest priority first, where priority is the longest remaining
path to a sink weighted by (recorded or estimated) build times, so the critical path
starts early. A failure marks every descendant skipped; unrelated work goes on. Results
come back through one queue. `simulate` drives the same queue on a virtual clock.
"""

from __future__ import annotations

import heapq
import json
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

DEFAULT_WEIGHT = 60.0  # seconds assumed for a recipe with no recorded build time

BUILT, EXISTED, FAILED, SKIPPED = "built", "existed", "failed", "skipped"


@dataclass(frozen=True)
class TaskResult:
    name: str
    status: str
    seconds: float = 0.0
    log: Path | None = None
    message: str = ""
    packages: tuple[str, ...] = ()  # package files a build put into the channel

    @property
    def ok(self) -> bool:
        return self.status in (BUILT, EXISTED)


def critical_path_priority(graph: nx.DiGraph, weights: Mapping[str, float]) -> dict[str, float]:
    """Each node's weight plus the heaviest path below it."""
    priority: dict[str, float] = {}
    for node in reversed(list(nx.topological_sort(graph))):
        below = max((priority[child] for child in graph.successors(node)), default=0.0)
        priority[node] = weights.get(node, DEFAULT_WEIGHT) + below
    return priority


class ReadyQueue:
    """Bookkeeping of which nodes may start; no threads, no clock."""

    def __init__(self, graph: nx.DiGraph, weights: Mapping[str, float]) -> None:
        self.graph = graph
        self.priority = critical_path_priority(graph, weights)
        self.waiting = {node: graph.in_degree(node) for node in graph}
        self.skipped: set[str] = set()
        self._heap: list[tuple[float, str]] = []
        for node, count in self.waiting.items():
            if count == 0:
                heapq.heappush(self._heap, (-self.priority[node], node))

    def pop(self) -> str | None:
        return heapq.heappop(self._heap)[1] if self._heap else None

    def __bool__(self) -> bool:
        return bool(self._heap)

    def finish(self, node: str, ok: bool) -> list[str]:
        """Record a finished node; returns the nodes newly skipped because of it."""
        if not ok:
            newly = sorted(nx.descendants(self.graph, node) - self.skipped)
            self.skipped.update(newly)
            return newly
        for child in self.graph.successors(node):
            self.waiting[child] -= 1
            if self.waiting[child] == 0 and child not in self.skipped:
                heapq.heappush(self._heap, (-self.priority[child], child))
        return []


def run(
    graph: nx.DiGraph,
    build: Callable[[str], TaskResult],
    *,
    jobs: int = 1,
    weights: Mapping[str, float] | None = None,
    on_start: Callable[[str], None] | None = None,
    on_result: Callable[[TaskResult], None] | None = None,
) -> list[TaskResult]:
    """Build every node of `graph` with up to `jobs` concurrent calls of `build`.
    `on_start` and `on_result` are called on the calling thread."""
    ready = ReadyQueue(graph, weights or {})
    results: list[TaskResult] = []
    finished: queue.Queue[TaskResult] = queue.Queue()
    running = 0

    def worker(node: str) -> None:
        try:
            result = build(node)
        except Exception as exc:  # a crash in one build must not stop the others
            result = TaskResult(node, FAILED, message=f"{type(exc).__name__}: {exc}")
        finished.put(result)

    def report(result: TaskResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    while True:
        while running < max(1, jobs) and ready:
            node = ready.pop()
            if on_start:
                on_start(node)
            threading.Thread(target=worker, args=(node,), daemon=True).start()
            running += 1
        if running == 0:
            break
        result = finished.get()
        running -= 1
        report(result)
        for node in ready.finish(result.name, result.ok):
            report(TaskResult(node, SKIPPED, message=f"dependency {result.name} failed"))
    return results


def simulate(
    graph: nx.DiGraph,
    durations: Mapping[str, float],
    *,
    jobs: int,
    weights: Mapping[str, float] | None = None,
) -> float:
    """The makespan of building `graph` with `jobs` workers on a virtual clock."""
    ready = ReadyQueue(graph, durations if weights is None else weights)
    clock = 0.0
    in_flight: list[tuple[float, str]] = []
    while ready or in_flight:
        while len(in_flight) < jobs and ready:
            node = ready.pop()
            heapq.heappush(in_flight, (clock + durations[node], node))
        clock, node = heapq.heappop(in_flight)
        ready.finish(node, True)
    return clock


def load_times(path: Path, aliases: Mapping[str, str] | None = None) -> dict[str, float]:
    """Recorded build seconds by recipe id. Files written before recipes had path ids use
    short folder names: `aliases` (short name -> id) reads those."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    aliases = aliases or {}
    times: dict[str, float] = {}
    migrated: dict[str, float] = {}
    for key, value in data.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        if key in aliases:
            migrated[aliases[key]] = float(value)
        else:
            times[str(key)] = float(value)
    return {**migrated, **times}  # a time recorded under the id wins


def record_times(
    path: Path, results: list[TaskResult], aliases: Mapping[str, str] | None = None
) -> None:
    times = load_times(path, aliases)
    times.update({r.name: round(r.seconds, 2) for r in results if r.status == BUILT})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(times, indent=1, sort_keys=True))
    tmp.replace(path)


def now() -> float:
    return time.monotonic()
