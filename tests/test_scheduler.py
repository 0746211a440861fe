"""The ready-queue scheduler, with the build step replaced by a recorder."""

from __future__ import annotations

import json
import random
import threading
import time

import networkx as nx
import pytest

from emci import scheduler
from emci.scheduler import BUILT, FAILED, SKIPPED, TaskResult


def diamond_forest() -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_edges_from(
        [
            ("compiler", "zlib"),
            ("compiler", "bzip2"),
            ("zlib", "libzip"),
            ("bzip2", "libzip"),
            ("zlib", "libpng"),
            ("libpng", "app"),
            ("libzip", "app"),
            ("compiler", "xz"),
        ]
    )
    graph.add_node("standalone")
    return graph


class Recorder:
    """Records start and end order; fails the named nodes."""

    def __init__(self, fail: set[str] = frozenset(), delay: float = 0.0) -> None:
        self.fail = set(fail)
        self.delay = delay
        self.started: list[str] = []
        self.finished: list[str] = []
        self.running = 0
        self.max_running = 0
        self._lock = threading.Lock()

    def __call__(self, node: str) -> TaskResult:
        with self._lock:
            self.started.append(node)
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        time.sleep(self.delay * random.random())
        with self._lock:
            self.running -= 1
            self.finished.append(node)
        return TaskResult(node, FAILED if node in self.fail else BUILT, 1.0)


@pytest.mark.parametrize("jobs", [1, 4])
def test_order_respects_the_dag(jobs: int):
    graph = diamond_forest()
    recorder = Recorder(delay=0.01)
    results = scheduler.run(graph, recorder, jobs=jobs)
    assert sorted(r.name for r in results) == sorted(graph)
    assert all(r.status == BUILT for r in results)
    for parent, child in graph.edges:
        assert recorder.finished.index(parent) < recorder.started.index(child)
    assert recorder.max_running <= jobs
    if jobs == 1:
        assert recorder.max_running == 1


@pytest.mark.parametrize("jobs", [1, 4])
def test_failure_skips_dependents_only(jobs: int):
    graph = diamond_forest()
    recorder = Recorder(fail={"zlib"}, delay=0.01)
    results = {r.name: r for r in scheduler.run(graph, recorder, jobs=jobs)}
    assert results["zlib"].status == FAILED
    assert {n for n, r in results.items() if r.status == SKIPPED} == {"libzip", "libpng", "app"}
    assert {n for n, r in results.items() if r.status == BUILT} == {
        "compiler",
        "bzip2",
        "xz",
        "standalone",
    }
    assert "app" not in recorder.started
    assert "dependency zlib failed" in results["app"].message


def test_a_crashing_build_is_a_failure_not_a_crash():
    graph = nx.DiGraph([("a", "b")])
    graph.add_node("c")

    def build(node: str) -> TaskResult:
        if node == "a":
            raise RuntimeError("boom")
        return TaskResult(node, BUILT)

    results = {r.name: r for r in scheduler.run(graph, build, jobs=2)}
    assert results["a"].status == FAILED and "boom" in results["a"].message
    assert results["b"].status == SKIPPED and results["c"].status == BUILT


def test_critical_path_starts_first():
    graph = nx.DiGraph([("long1", "long2"), ("long2", "long3")])
    graph.add_nodes_from(["short1", "short2"])
    weights = {"long1": 10, "long2": 10, "long3": 10, "short1": 5, "short2": 5}
    recorder = Recorder()
    scheduler.run(graph, recorder, jobs=1, weights=weights)
    assert recorder.started[0] == "long1"


def test_simulated_makespan_meets_the_lower_bound_on_a_chain_and_a_fan():
    chain = nx.DiGraph([("a", "b"), ("b", "c")])
    assert scheduler.simulate(chain, {"a": 1, "b": 2, "c": 3}, jobs=4) == 6
    fan = nx.DiGraph()
    fan.add_nodes_from(range(8))
    assert scheduler.simulate(fan, dict.fromkeys(range(8), 1.0), jobs=4) == 2


def test_recorded_times_round_trip(tmp_path):
    path = tmp_path / "times.json"
    scheduler.record_times(path, [TaskResult("zlib", BUILT, 12.3), TaskResult("x", FAILED, 1)])
    assert scheduler.load_times(path) == {"zlib": 12.3}


def test_times_recorded_under_short_names_still_read_and_migrate(tmp_path):
    path = tmp_path / "times.json"
    path.write_text('{"zlib": 41.0, "python": 600, "gone": 3}')
    aliases = {"zlib": "recipes_emscripten/zlib", "python": "recipes_emscripten/python"}
    assert scheduler.load_times(path, aliases) == {
        "recipes_emscripten/zlib": 41.0,
        "recipes_emscripten/python": 600.0,
        "gone": 3.0,
    }
    scheduler.record_times(path, [TaskResult("recipes_emscripten/zlib", BUILT, 40)], aliases)
    assert json.loads(path.read_text()) == {
        "gone": 3.0,
        "recipes_emscripten/python": 600.0,
        "recipes_emscripten/zlib": 40.0,
    }
