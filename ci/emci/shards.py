"""A plan split into CI jobs: stages run one after another, the shards of a stage at once.

GitHub's jobs are declared before anything runs, so a workflow has a fixed number of stage
jobs (`max_stages`). Stage k builds topological generation k of the plan, split into at most
`max_shards` shards balanced by build time (longest first, each onto the lightest shard).
Generations beyond the last stage all go into the last stage: there, recipes that depend on
each other (a weakly connected piece of the remaining graph) stay in one shard, which builds
them in order. A recipe's time is its recorded build time: from the channels' metadata
(`emci-metadata.json`, `build_seconds`), else `build/build-times.json`, else a default.

A plan file (`emci plan --shards N --json > plan.json`) carries everything a shard job needs;
`read_shard` reads one shard back from it.
"""

from __future__ import annotations

import heapq
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emci.channel_meta import METADATA, read_metadata
from emci.errors import EmciError

if TYPE_CHECKING:
    import networkx as nx

    from emci.builder import BuildEvents, BuildReport
    from emci.workspace import Workspace

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 60.0  # a recipe with no recorded build time (as the scheduler assumes)
MAX_STAGES = 16
METADATA_TIMEOUT = 10.0  # seconds to wait for a remote channel's metadata file


class ShardError(EmciError):
    """A plan file or a shard id that cannot be used."""


@dataclass(frozen=True)
class Shard:
    """One CI job's recipes, in build order, and their estimated build time."""

    id: str  # "<stage>-<n>", e.g. "3-2"
    stage: int
    recipes: tuple[str, ...]
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "recipes": list(self.recipes), "seconds": round(self.seconds, 1)}


@dataclass(frozen=True)
class Shards:
    stages: tuple[tuple[Shard, ...], ...]
    sharded: bool  # whether the plan is big enough to be built in shards
    max_shards: int
    max_stages: int
    seconds: float  # the whole plan's estimated build time, one recipe after another

    def shard(self, shard_id: str) -> Shard:
        for stage in self.stages:
            for shard in stage:
                if shard.id == shard_id:
                    return shard
        raise KeyError(shard_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "sharded": self.sharded,
            "max_shards": self.max_shards,
            "max_stages": self.max_stages,
            "seconds": round(self.seconds, 1),
            "stages": [[shard.to_json() for shard in stage] for stage in self.stages],
        }

    def github_outputs(self) -> dict[str, str]:
        """Step outputs for the workflow: whether to shard, the shard ids per stage, and how
        many stages there are."""
        ids = [[shard.id for shard in stage] for stage in self.stages]
        return {
            "sharded": "true" if self.sharded else "false",
            "stages": json.dumps(ids, separators=(",", ":")),
            "count": str(len(ids)),
        }


def split(
    graph: nx.DiGraph,
    generations: Sequence[Sequence[str]],
    seconds: Mapping[str, float],
    *,
    max_shards: int,
    max_stages: int = MAX_STAGES,
    shard_above: float = 0.0,
) -> Shards:
    """Stages of shards for a plan's generations. `graph` holds (at least) the edges
    between the planned recipes; `seconds` each recipe's estimated build time."""
    import networkx as nx

    if max_shards < 1 or max_stages < 1:
        raise ShardError("--shards and --stages must be at least 1")

    def cost(recipe: str) -> float:
        return seconds.get(recipe, DEFAULT_SECONDS)

    generations = [list(g) for g in generations if g]
    stages: list[tuple[Shard, ...]] = []
    for number, generation in enumerate(generations[: max_stages - 1], 1):
        groups = [[recipe] for recipe in generation]  # one generation: independent recipes
        stages.append(_stage(number, groups, cost, max_shards))
    rest = generations[max_stages - 1 :]
    if rest:
        order = [recipe for generation in rest for recipe in generation]
        position = {recipe: index for index, recipe in enumerate(order)}
        sub = graph.subgraph(order)
        groups = [
            sorted(piece, key=position.__getitem__) for piece in nx.weakly_connected_components(sub)
        ]
        groups.sort(key=lambda group: position[group[0]])
        stages.append(_stage(len(stages) + 1, groups, cost, max_shards))
    total = sum(cost(recipe) for generation in generations for recipe in generation)
    return Shards(
        stages=tuple(stages),
        sharded=bool(generations) and total > shard_above,
        max_shards=max_shards,
        max_stages=max_stages,
        seconds=total,
    )


def _stage(number: int, groups: list[list[str]], cost, max_shards: int) -> tuple[Shard, ...]:
    """Groups (each kept whole, in order) onto at most `max_shards` shards: the heaviest
    group first, each onto the lightest shard so far (ties: the lowest shard number)."""
    weighted = sorted(
        ((sum(cost(r) for r in group), index, group) for index, group in enumerate(groups)),
        key=lambda item: (-item[0], item[1]),
    )
    count = min(max_shards, len(groups))
    heap = [(0.0, slot) for slot in range(count)]
    chosen: list[list[tuple[int, list[str]]]] = [[] for _ in range(count)]
    loads = [0.0] * count
    for weight, index, group in weighted:
        load, slot = heapq.heappop(heap)
        chosen[slot].append((index, group))
        loads[slot] = load + weight
        heapq.heappush(heap, (loads[slot], slot))
    shards = []
    for slot in range(count):
        recipes = [r for _i, group in sorted(chosen[slot], key=lambda x: x[0]) for r in group]
        shards.append(Shard(f"{number}-{slot + 1}", number, tuple(recipes), loads[slot]))
    return tuple(shards)


# -- recorded build times -------------------------------------------------------------------


def recorded_seconds(
    channels: Iterable[str],
    times_file: Path,
    aliases: Mapping[str, str] | None = None,
) -> dict[str, float]:
    """Build seconds by recipe id: from the channels' `emci-metadata.json` (a directory
    channel's file, or the file at an http(s) channel's root; the newest build of a recipe
    counts), else from `build/build-times.json`."""
    from emci.scheduler import load_times

    aliases = aliases or {}
    found: dict[str, float] = {}
    for channel in channels:
        for recipe, value in _channel_seconds(channel).items():
            found.setdefault(aliases.get(recipe, recipe), value)
    return {**load_times(times_file, aliases), **found}


def _channel_seconds(channel: str) -> dict[str, float]:
    """The newest recorded build time of each recipe in one channel's metadata."""
    packages = _channel_metadata(channel)
    newest: dict[str, tuple[str, float]] = {}
    for entry in packages.values():
        if not isinstance(entry, Mapping):
            continue
        recipe, value = entry.get("recipe"), entry.get("build_seconds")
        if not isinstance(recipe, str) or isinstance(value, bool):
            continue
        if not isinstance(value, (int, float)) or value < 0:
            continue
        built = entry.get("built_at") if isinstance(entry.get("built_at"), str) else ""
        if recipe not in newest or _later(built, newest[recipe][0]):
            newest[recipe] = (built, float(value))
    return {recipe: value for recipe, (_built, value) in newest.items()}


def _later(a: str, b: str) -> bool:
    try:
        return datetime.fromisoformat(a) > datetime.fromisoformat(b)
    except ValueError:
        return bool(a) and not b


def _channel_metadata(channel: str) -> dict[str, Any]:
    if channel.startswith(("http://", "https://")):
        import urllib.error
        import urllib.request

        url = channel.rstrip("/") + "/" + METADATA
        try:
            with urllib.request.urlopen(url, timeout=METADATA_TIMEOUT) as response:  # noqa: S310
                data = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.debug("no build times from %s: %s", url, exc)
            return {}
        packages = data.get("packages") if isinstance(data, dict) else None
        return packages if isinstance(packages, dict) else {}
    if channel.startswith("file://"):
        channel = channel[len("file://") :]
    path = Path(channel)
    if not path.is_dir():  # a channel name such as conda-forge: no metadata of ours
        return {}
    return read_metadata(path)


# -- plan files -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedShard:
    """One shard as a shard job reads it from the plan file."""

    shard: Shard
    changed: frozenset[str]  # recipes the diff changed: built whatever exists


def read_shard(plan_file: Path, shard_id: str) -> PlannedShard:
    """The shard `shard_id` of a plan file written by `emci plan --shards N --json`."""
    try:
        data = json.loads(plan_file.read_text())
    except OSError as exc:
        raise ShardError(f"{plan_file}: cannot read the plan file ({exc.strerror})") from exc
    except ValueError as exc:
        raise ShardError(f"{plan_file}: not a JSON plan file ({exc})") from exc
    shards = data.get("shards") if isinstance(data, dict) else None
    if not isinstance(shards, dict) or not isinstance(shards.get("stages"), list):
        raise ShardError(f"{plan_file}: no 'shards' (write it with `emci plan --shards N --json`)")
    known = []
    for number, stage in enumerate(shards["stages"], 1):
        for item in stage if isinstance(stage, list) else ():
            if not isinstance(item, dict):
                continue
            known.append(str(item.get("id")))
            if item.get("id") != shard_id:
                continue
            recipes = item.get("recipes")
            if not isinstance(recipes, list) or not all(isinstance(r, str) for r in recipes):
                raise ShardError(f"{plan_file}: shards.stages: shard {shard_id}: bad 'recipes'")
            seconds = item.get("seconds", 0.0)
            shard = Shard(shard_id, number, tuple(recipes), float(seconds or 0.0))
            changed = data.get("changed", [])
            if not isinstance(changed, list):
                raise ShardError(f"{plan_file}: 'changed' is not a list")
            return PlannedShard(shard, frozenset(map(str, changed)))
    raise ShardError(
        f"{plan_file}: no shard {shard_id!r} (the plan has: {', '.join(known) or 'none'})"
    )


# -- building one shard ---------------------------------------------------------------------


def build_shard(
    workspace: Workspace,
    planned: PlannedShard,
    *,
    jobs: int = 1,
    skip_existing: bool = False,
    export: Path | None = None,
    events: BuildEvents | None = None,
) -> BuildReport:
    """Build exactly the shard's recipes (against output/, where the earlier stages'
    packages were merged, and the configured channels): fetch every source first, then
    build in DAG order as `emci build` does; then copy the packages it built into the
    `export` channel (what the next stages receive)."""
    import os

    from emci.builder import (
        BuildEvents,
        BuildOptions,
        build_plan,
        log_path_for,
        write_step_summary,
    )
    from emci.upload import merge_channels, upload_to_directory

    events = events or BuildEvents()
    names = list(planned.shard.recipes)
    missing = [name for name in names if name not in workspace.graph.recipes]
    if missing:
        raise ShardError(
            f"shard {planned.shard.id}: {', '.join(missing)} not in this checkout's rendered "
            f"recipes (was the plan made from another commit?)"
        )
    fetched = workspace.fetch_ids(names)
    fetched.check()
    settings = workspace.settings
    options = BuildOptions(jobs=jobs, skip_existing=skip_existing, always=planned.changed)
    report = build_plan(
        settings,
        workspace.graph,
        names,
        options,
        on_start=lambda name: events.started(name, log_path_for(settings, name)),
        on_result=events.finished,
        substitutes=fetched.substitutes(),
    )
    write_step_summary(report, os.environ)
    if export is not None:
        files = [Path(p) for result in report.results for p in result.packages]
        if files:
            upload_to_directory(files, export.resolve(), uploaded=False)
        else:
            merge_channels([], export.resolve())  # an empty but valid channel
    return report
