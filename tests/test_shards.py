"""Splitting a plan into CI stages and shards, the build times it balances by, plan files,
and `emci plan --shards` on a real recipe tree (rendered by rattler-build, planned from a
real git history)."""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import threading
from pathlib import Path

import networkx as nx
import pytest

from conftest import Repo, recipe_text, run_emci, wasm
from emci.shards import DEFAULT_SECONDS, ShardError, read_shard, recorded_seconds, split


def chain_graph() -> nx.DiGraph:
    """a -> c -> e -> f, b -> d, plus independent g and h."""
    graph = nx.DiGraph()
    graph.add_edges_from([("a", "c"), ("c", "e"), ("e", "f"), ("b", "d")])
    graph.add_nodes_from(["g", "h"])
    return graph


def generations(graph: nx.DiGraph) -> list[list[str]]:
    return [sorted(g) for g in nx.topological_generations(graph)]


def all_recipes(shards) -> list[str]:
    return [r for stage in shards.stages for shard in stage for r in shard.recipes]


def test_each_generation_is_a_stage_split_longest_first_onto_the_lightest_shard():
    graph = nx.DiGraph()
    graph.add_nodes_from("vwxyz")
    seconds = {"v": 50, "w": 40, "x": 30, "y": 20, "z": 10}
    shards = split(graph, generations(graph), seconds, max_shards=2)
    (stage,) = shards.stages
    assert [(s.id, s.recipes, s.seconds) for s in stage] == [
        ("1-1", ("v", "y", "z"), 80.0),  # 50, then 20 (70 ties 70: the lower shard), then 10
        ("1-2", ("w", "x"), 70.0),
    ]
    assert shards.seconds == 150.0 and shards.sharded


def test_no_more_shards_than_recipes_and_no_empty_shard():
    graph = chain_graph()
    shards = split(graph, generations(graph), {}, max_shards=8)
    assert [[s.recipes for s in stage] for stage in shards.stages] == [
        [("a",), ("b",), ("g",), ("h",)],
        [("c",), ("d",)],
        [("e",)],
        [("f",)],
    ]
    assert sorted(all_recipes(shards)) == sorted(graph)
    assert shards.seconds == DEFAULT_SECONDS * len(graph)


def test_generations_beyond_the_last_stage_go_into_it_in_order_dependents_together():
    graph = chain_graph()
    graph.add_edges_from([("x", "y"), ("y", "z")])  # another chain, gens 1-3
    gens = generations(graph)
    assert len(gens) == 4
    shards = split(graph, gens, {"e": 500, "y": 10, "z": 10}, max_shards=3, max_stages=2)
    assert len(shards.stages) == 2
    assert [s.recipes for s in shards.stages[0]] == [("a", "h"), ("b", "x"), ("g",)]
    last = shards.stages[1]
    # c -> e -> f are connected: one shard, in build order; d and y -> z are other pieces
    assert sorted(s.recipes for s in last) == [("c", "e", "f"), ("d",), ("y", "z")]
    assert all(s.stage == 2 and s.id.startswith("2-") for s in last)
    assert sorted(all_recipes(shards)) == sorted(graph)
    # a recipe never waits for another one in a shard of the same stage
    for stage in shards.stages:
        for shard in stage:
            others = {r for s in stage if s is not shard for r in s.recipes}
            for recipe in shard.recipes:
                assert not nx.ancestors(graph, recipe) & others


def test_one_stage_holds_everything_and_shard_above_decides_sharding():
    graph = chain_graph()
    shards = split(graph, generations(graph), {}, max_shards=2, max_stages=1)
    assert len(shards.stages) == 1
    assert sorted(all_recipes(shards)) == sorted(graph)
    total = DEFAULT_SECONDS * len(graph)
    assert split(graph, generations(graph), {}, max_shards=2, shard_above=total).sharded is False
    assert split(graph, generations(graph), {}, max_shards=2, shard_above=total - 1).sharded
    assert split(nx.DiGraph(), [], {}, max_shards=2).sharded is False
    outputs = shards.github_outputs()
    assert outputs["sharded"] == "true"
    assert json.loads(outputs["stages"]) == [[s.id for s in shards.stages[0]]]


def write_metadata(channel: Path, packages: dict) -> None:
    channel.mkdir(parents=True, exist_ok=True)
    (channel / "emci-metadata.json").write_text(json.dumps({"packages": packages}))


def test_recorded_seconds_channel_metadata_first_then_build_times(tmp_path: Path):
    channel = tmp_path / "output"
    write_metadata(
        channel,
        {
            "noarch/a-1-0.conda": {
                "recipe": "recipes_emscripten/a",
                "build_seconds": 30,
                "built_at": "2024-01-01T00:00:00+00:00",
            },
            "noarch/a-2-0.conda": {
                "recipe": "recipes_emscripten/a",
                "build_seconds": 45,
                "built_at": "2024-06-01T00:00:00+00:00",
            },
            "noarch/b-1-0.conda": {"recipe": "b", "build_seconds": 12.5},  # a short name
            "noarch/c-1-0.conda": {"recipe": "recipes_emscripten/c", "build_seconds": "x"},
            "noarch/d-1-0.conda": "not an entry",
        },
    )
    times = tmp_path / "build-times.json"
    times.write_text(json.dumps({"recipes_emscripten/a": 999, "recipes_emscripten/c": 7}))
    aliases = {"b": "recipes_emscripten/b"}
    found = recorded_seconds([str(channel), "conda-forge", str(tmp_path / "nope")], times, aliases)
    assert found == {
        "recipes_emscripten/a": 45.0,  # the newest build, and the channel wins over the file
        "recipes_emscripten/b": 12.5,
        "recipes_emscripten/c": 7.0,  # no usable channel entry: build-times.json
    }


def test_recorded_seconds_from_an_http_channel(tmp_path: Path):
    served = tmp_path / "served"
    write_metadata(served, {"noarch/a-1-0.conda": {"recipe": "recipes/a", "build_seconds": 5}})
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert recorded_seconds([url], tmp_path / "none.json") == {"recipes/a": 5.0}
        # a channel without the file (404) gives nothing, and no error
        assert recorded_seconds([url + "/other"], tmp_path / "none.json") == {}
    finally:
        server.shutdown()
        server.server_close()


def test_read_shard_errors_name_the_file(tmp_path: Path):
    plan = tmp_path / "plan.json"
    with pytest.raises(ShardError, match="cannot read the plan file"):
        read_shard(plan, "1-1")
    plan.write_text("{not json")
    with pytest.raises(ShardError, match="plan.json: not a JSON plan file"):
        read_shard(plan, "1-1")
    plan.write_text(json.dumps({"generations": []}))
    with pytest.raises(ShardError, match="plan.json: no 'shards'"):
        read_shard(plan, "1-1")
    data = {
        "changed": ["x"],
        "shards": {"stages": [[{"id": "1-1", "recipes": ["x", "y"], "seconds": 3}]]},
    }
    plan.write_text(json.dumps(data))
    with pytest.raises(ShardError, match=r"no shard '2-1' \(the plan has: 1-1\)"):
        read_shard(plan, "2-1")
    planned = read_shard(plan, "1-1")
    assert planned.shard.recipes == ("x", "y") and planned.changed == {"x"}


def emci(repo: Repo, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_emci(repo.root, *args, env=env)


def test_plan_with_shards_on_a_real_tree(repo: Repo, tmp_path: Path):
    """zlib <- libpng <- app and bzip2 <- libzip <- app: three generations."""
    repo.recipe("zlib", recipe_text("zlib"))
    repo.recipe("bzip2", recipe_text("bzip2"))
    repo.recipe("libpng", recipe_text("libpng", host=["zlib"]))
    repo.recipe("libzip", recipe_text("libzip", host=["bzip2"]))
    repo.recipe("app", recipe_text("app", host=["libpng", "libzip"]))
    repo.commit("initial")
    repo.git("checkout", "-q", "-b", "topic")
    for name in ("zlib", "bzip2"):
        repo.recipe(name, recipe_text(name, number=1))
    repo.commit("bump")
    write_metadata(
        repo.root / "output",
        {"noarch/x.conda": {"recipe": wasm("libpng"), "build_seconds": 600}},
    )
    outputs = tmp_path / "github-output"
    done = emci(
        repo,
        "plan",
        "main",
        "HEAD",
        "--with-dependents",
        "--shards",
        "2",
        "--stages",
        "2",
        "--json",
        env={"GITHUB_OUTPUT": str(outputs)},
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["changed"] == [wasm("bzip2"), wasm("zlib")]
    stages = data["shards"]["stages"]
    assert [[s["recipes"] for s in stage] for stage in stages] == [
        [[wasm("bzip2")], [wasm("zlib")]],
        # generations 2 and 3 in the last stage: all connected through app, so one shard
        [[wasm("libpng"), wasm("libzip"), wasm("app")]],
    ]
    assert stages[1][0]["seconds"] == 600 + 2 * DEFAULT_SECONDS
    lines = outputs.read_text().splitlines()
    assert lines == ["sharded=true", 'stages=[["1-1","1-2"],["2-1"]]', "count=2"]
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(done.stdout)
    assert read_shard(plan_file, "2-1").changed == {wasm("bzip2"), wasm("zlib")}

    done = emci(repo, "plan", "main", "HEAD", "--shards", "2", "--shard-above", "1000")
    assert done.returncode == 0, done.stderr
    assert "shards (not sharded (below --shard-above)" in done.stdout
    done = emci(repo, "build", "shard", str(plan_file), "9-9")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "no shard '9-9' (the plan has: 1-1, 1-2, 2-1)" in done.stderr
