"""Building a plan: each recipe in a child process with its own log, in DAG order."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from emci import scheduler
from emci.channel_meta import now
from emci.channels import ChannelIndex
from emci.graph import RecipeGraph
from emci.package_file import read_package
from emci.plan import Plan
from emci.publish import ensure_channel, publish
from emci.recipes import Recipe, short_aliases
from emci.scheduler import BUILT, EXISTED, FAILED, TaskResult
from emci.settings import Settings
from emci.sources import Mirror, stage_recipe
from emci.substitutes import Substitute
from emci.workspace import PlanRequest, Workspace

log = logging.getLogger(__name__)

LOG_TAIL_LINES = 40


@dataclass(frozen=True)
class BuildOptions:
    """How a plan is built (the rule in docs/maintainers.md, "When a package is built").

    skip_existing: a recipe whose packages all exist is not built, except the recipes in
    `always` (those the diff changed: a pull request builds and tests them whatever exists).
    no_rebuild: the push to main: nothing that exists is rebuilt, `always` or not, and a
    package whose identity exists is not put in the upload manifest."""

    jobs: int = 1
    skip_existing: bool = False
    no_rebuild: bool = False
    always: frozenset[str] = frozenset()


def options_for(
    plan: Plan, *, jobs: int = 1, skip_existing: bool = False, no_rebuild: bool = False
) -> BuildOptions:
    """Build options for a plan: the recipes its diff changed are built whatever exists."""
    return BuildOptions(
        jobs=jobs, skip_existing=skip_existing, no_rebuild=no_rebuild, always=plan.changed
    )


@dataclass(frozen=True)
class BuildRequest:
    """A build as a command asks for it: what to plan, then how to build it."""

    plan: PlanRequest
    jobs: int = 1
    skip_existing: bool = False
    dry_run: bool = False


class BuildEvents:
    """What a build shows while it runs. These do nothing; the CLI passes one that prints."""

    def planned(self, plan: Plan) -> None:
        """The plan, before anything is fetched or built (also for a dry run)."""

    def started(self, recipe: str, log: Path) -> None:
        """A recipe was handed to a worker; its output goes to `log`."""

    def finished(self, result: TaskResult) -> None:
        """A recipe was built, found existing, failed, or skipped."""


@dataclass
class BuildReport:
    results: list[TaskResult] = field(default_factory=list)
    plan: Plan | None = None

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    def table(self) -> str:
        rows = [("recipe", "status", "time", "log")]
        for r in sorted(self.results, key=lambda r: (r.status, r.name)):
            rows.append(
                (
                    r.name,
                    r.status,
                    f"{r.seconds:.0f}s" if r.seconds else "-",
                    str(r.log) if r.log and r.status == FAILED else r.message or "",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        counts = {
            s: sum(r.status == s for r in self.results)
            for s in (BUILT, EXISTED, FAILED, scheduler.SKIPPED)
        }
        lines.append(
            f"built {counts[BUILT]}, already existed {counts[EXISTED]}, failed {counts[FAILED]}, "
            f"skipped because a dependency failed {counts[scheduler.SKIPPED]}"
        )
        return "\n".join(lines)


class RecipeBuilder:
    """Builds one recipe: stage it, run the worker, publish its packages into output/.

    `substitutes` maps a recipe name to the source substitutes `sources.fetch` chose for it:
    the build uses them, says so at the top of its log and records them in the channel's
    metadata (the package itself records them in `info/about.json`, see stage_recipe)."""

    def __init__(
        self,
        settings: Settings,
        recipes: dict[str, Recipe],
        options: BuildOptions,
        substitutes: Mapping[str, Sequence[Substitute]] | None = None,
    ):
        self.settings = settings
        self.recipes = recipes
        self.options = options
        self.mirror = Mirror.from_settings(settings)
        self.substitutes = dict(substitutes or {})

    def __call__(self, name: str) -> TaskResult:
        recipe = self.recipes[name]
        log_path = log_path_for(self.settings, name)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        stage = self.settings.build / "stage" / name
        substitutes = tuple(self.substitutes.get(name, ()))
        staged_yaml = stage_recipe(
            recipe, self.mirror, self.settings.build / "recipes", substitutes
        )
        command = [
            sys.executable,
            "-m",
            "emci.worker",
            str(staged_yaml),
            "--target-platform",
            recipe.target_platform,
            "--variant-config",
            str(self.settings.variant_config),
            "--stage-output",
            str(stage),
        ]
        for channel in self.settings.build_channels():
            command += ["--channel", channel]
        # A fresh package cache per build: a rebuilt package keeps its file name, and a
        # shared cache would hand tests the previous build's contents.
        cache = self.settings.build / "cache" / name
        shutil.rmtree(cache, ignore_errors=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "RATTLER_CACHE_DIR": str(cache)}
        # cross-python's build tools: scripts/bootstrap.sh puts them beside emci, in its
        # virtual environment; builds see PATH (not other variables), so their bin/ goes last
        tools = Path(sys.prefix) / "cross-python-tools"
        if (tools / ".cross-python-tools").is_file():
            env["PATH"] = os.pathsep.join(filter(None, [env.get("PATH"), str(tools / "bin")]))
        start = scheduler.now()
        with log_path.open("w") as handle:
            for substitute in substitutes:
                handle.write(announce_substitute(substitute) + "\n")
            handle.flush()
            done = subprocess.run(
                command,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=env,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        seconds = scheduler.now() - start
        if done.returncode != 0:
            return TaskResult(name, FAILED, seconds, log_path, message=last_line(log_path))
        metadata = {"recipe": name, "built_at": now(), "build_seconds": round(seconds, 1)}
        if substitutes:
            metadata["source_substitutes"] = [s.record() for s in substitutes]
        published = publish(
            stage,
            self.settings.output,
            metadata,
            short_aliases(self.recipes),
            per_file=test_results(stage, self.recipes[name]),
        )
        shutil.rmtree(stage, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
        return TaskResult(name, BUILT, seconds, log_path, packages=tuple(map(str, published)))


def run_build(
    workspace: Workspace, request: BuildRequest, events: BuildEvents | None = None
) -> BuildReport:
    """Plan, check the plan (every problem at once), fetch every source, then build in DAG
    order; the report holds the plan and one result per planned recipe."""
    events = events or BuildEvents()
    plan = workspace.plan(request.plan)
    events.planned(plan)
    plan.check()
    if request.dry_run or not plan.entries:
        return BuildReport(plan=plan)
    fetched = workspace.fetch_ids(plan.names)
    fetched.check()
    options = options_for(
        plan,
        jobs=request.jobs,
        skip_existing=request.skip_existing,
        no_rebuild=request.plan.no_rebuild,
    )
    settings = workspace.settings
    report = build_plan(
        settings,
        workspace.graph,
        plan.names,
        options,
        on_start=lambda name: events.started(name, log_path_for(settings, name)),
        on_result=events.finished,
        substitutes=fetched.substitutes(),
    )
    report.plan = plan
    write_step_summary(report, os.environ)
    return report


def write_step_summary(report: BuildReport, environ: Mapping[str, str]) -> None:
    """The report's table on the GitHub Actions run page (`$GITHUB_STEP_SUMMARY`)."""
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a") as handle:
            handle.write(f"### emci build\n\n```\n{report.table()}\n```\n")


def test_results(stage: Path, recipe: Recipe) -> dict[str, dict[str, str]]:
    """Per staged package file, {"tests": ...}: "passed" for an output of the recipe with
    tests (the worker ran every test embedded in the package, and rattler-build checked the
    package_contents tests while packaging; the build got here, so all passed), "none" for
    an output without tests, never "passed"; "unknown" for a package no output names."""
    tested: dict[str, bool] = {}
    for output in recipe.outputs:
        tested[output.name] = tested.get(output.name, False) or output.has_tests
    results = {}
    for package in sorted(stage.glob("*/*.conda")):
        name = read_package(package).name
        status = "unknown" if name not in tested else "passed" if tested[name] else "none"
        results[f"{package.parent.name}/{package.name}"] = {"tests": status}
    return results


def log_path_for(settings: Settings, recipe: str) -> Path:
    """`build/logs/<id>.log`: ids are paths, so two folders of one name cannot clash."""
    return settings.logs_dir / f"{recipe}.log"


def build_plan(
    settings: Settings,
    graph: RecipeGraph,
    names: list[str],
    options: BuildOptions,
    *,
    build: Callable[[str], TaskResult] | None = None,
    on_start: Callable[[str], None] | None = None,
    on_result: Callable[[TaskResult], None] | None = None,
    substitutes: Mapping[str, Sequence[Substitute]] | None = None,
) -> BuildReport:
    subgraph = graph.graph.subgraph(names).copy()
    if build is None:
        ensure_channel(settings.output)
    aliases = short_aliases(graph.recipes)
    weights = scheduler.load_times(settings.times_file, aliases)
    builder = build or RecipeBuilder(settings, graph.recipes, options, substitutes)
    task = skipping_existing(settings, graph.recipes, options, builder)
    results = scheduler.run(
        subgraph,
        task,
        jobs=options.jobs,
        weights=weights,
        on_start=on_start,
        on_result=on_result,
    )
    if build is None:
        scheduler.record_times(settings.times_file, results, aliases)
        write_manifest(settings, results)
    return BuildReport(results)


def skipping_existing(
    settings: Settings,
    recipes: dict[str, Recipe],
    options: BuildOptions,
    builder: Callable[[str], TaskResult],
) -> Callable[[str], TaskResult]:
    """`builder`, with the skip-existing and no-rebuild rules in front of it."""
    if not (options.skip_existing or options.no_rebuild):
        return builder

    def task(name: str) -> TaskResult:
        recipe = recipes[name]
        index = ChannelIndex.load(settings.build_channels(), [o.name for o in recipe.outputs])
        existing = [output for output in recipe.outputs if index.has_output(output)]
        skippable = options.no_rebuild or name not in options.always
        if skippable and existing and len(existing) == len(recipe.outputs):
            return TaskResult(name, EXISTED, message="all packages already exist")
        result = builder(name)
        if options.no_rebuild and existing:
            # New variants of a recipe are built with the old ones: upload only the new.
            known = {f"{o.subdir}/{o.filename_stem}" for o in existing}
            kept = tuple(p for p in result.packages if _identity_key(p) not in known)
            result = replace(result, packages=kept)
        return result

    return task


def _identity_key(package: str) -> str:
    path = Path(package)
    stem = path.name.removesuffix(".conda").removesuffix(".tar.bz2")
    return f"{path.parent.name}/{stem}"


def write_manifest(settings: Settings, results: list[TaskResult]) -> None:
    """build/last-build.json: what the last build produced (for uploads)."""
    data = {
        "results": [
            {"recipe": r.name, "status": r.status, "packages": list(r.packages)} for r in results
        ]
    }
    path = settings.build / "last-build.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


def announce_substitute(substitute: Substitute) -> str:
    """The build log's line for a source built from a substitute."""
    missing = ", ".join(substitute.missing_paths) or "nothing listed"
    return (
        f"== SOURCE SUBSTITUTE: {substitute.upstream_url} (sha256 {substitute.upstream_sha256}) "
        f"cannot be had; building from {substitute.path} (sha256 {substitute.sha256}), "
        f"made from {substitute.made_from}, without: {missing}"
    )


def last_line(path: Path) -> str:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
