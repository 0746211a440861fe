"""The `emci` command. It parses options, calls library functions, prints, and is the only
place where errors become exit codes. Commands import what they use when they run, so a
command (or `--help`) pays only for its own libraries."""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from emci import __version__, logs
from emci.errors import EmciError, Problems, one_line
from emci.exiting import leave
from emci.plan import Plan, not_rendered
from emci.settings import EMSCRIPTEN_PLATFORM, Settings
from emci.shards import MAX_STAGES
from emci.workspace import PlanRequest, Workspace

if TYPE_CHECKING:
    from emci.builder import BuildEvents
    from emci.progress import BuildProgress, StatusDisplay
    from emci.scheduler import TaskResult
    from emci.shards import Shards

log = logging.getLogger("emci")


@dataclass(frozen=True)
class GlobalOptions:
    root: Path | None
    output: Path | None
    cache: bool = True

    def settings(self) -> Settings:
        return Settings.load(self.root, output=self.output)


class Failed(Exception):
    """Raised after everything was printed, to end with exit code 1."""


def _workspace(ctx: click.Context) -> Workspace:
    return Workspace.load(ctx.obj.settings(), cache=ctx.obj.cache)


@click.group()
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    help="Repository root (default: found from the current directory).",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    help="Local channel directory (default: output/).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Render every recipe; neither read nor write the render cache (build/render-cache/).",
)
@click.option("-v", "--verbose", is_flag=True)
@click.version_option(__version__, prog_name="emci")
@click.pass_context
def cli(
    ctx: click.Context, root: Path | None, output: Path | None, no_cache: bool, verbose: bool
) -> None:
    """CI orchestrator for the emscripten-wasm32 recipes of this repository."""
    logs.setup(verbose)
    ctx.obj = GlobalOptions(root, output, cache=not no_cache)


@cli.command()
@click.argument("base")
@click.argument("head")
@click.option("--with-dependents", is_flag=True, help="Add everything downstream in the DAG.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def changed(ctx: click.Context, base: str, head: str, with_dependents: bool, as_json: bool):
    """List the recipes touched between the merge base of BASE and HEAD."""
    result = _workspace(ctx).changed(base, head, with_dependents=with_dependents)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=1))
    else:
        for line in result.lines():
            click.echo(line)
    for name in sorted(result.not_rendered):
        log.error("%s", result.not_rendered[name])
    if result.not_rendered:
        raise Failed()


def _print_plan(plan: Plan, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(plan.to_json(), indent=1))
    else:
        if not plan.entries:
            click.echo("nothing to build")
        for number, generation in enumerate(plan.generations, 1):
            click.echo(f"generation {number}:")
            for name in generation:
                click.echo(f"  {name}  ({'; '.join(plan.entries[name].reasons)})")
        for name in plan.deleted:
            click.echo(f"deleted (not built): {name}")
    for message in plan.not_rendered:
        log.warning("%s (this plan does not need it)", message)


def _print_shards(plan: Plan, shards: Shards, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({**plan.to_json(), "shards": shards.to_json()}, indent=1))
        for message in plan.not_rendered:
            log.warning("%s (this plan does not need it)", message)
    else:
        _print_plan(plan, as_json)
        state = "sharded" if shards.sharded else "not sharded (below --shard-above)"
        click.echo(f"shards ({state}; about {shards.seconds / 60:.0f} min of builds):")
        for stage in shards.stages:
            for shard in stage:
                click.echo(
                    f"  stage {shard.stage} shard {shard.id} (~{shard.seconds / 60:.0f} min): "
                    + ", ".join(shard.recipes)
                )
    outputs = os.environ.get("GITHUB_OUTPUT")
    if outputs:  # a workflow step's outputs: whether to shard, the shard ids per stage
        with open(outputs, "a") as handle:
            for key, value in shards.github_outputs().items():
                handle.write(f"{key}={value}\n")


@cli.command()
@click.argument("base")
@click.argument("head")
@click.option("--with-dependents", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--shards",
    "max_shards",
    type=click.IntRange(min=1),
    help="Split the plan into CI jobs: per topological generation at most N shards, "
    "balanced by recorded build times.",
)
@click.option(
    "--stages",
    "max_stages",
    type=click.IntRange(min=1),
    default=MAX_STAGES,
    show_default=True,
    help="With --shards: the workflow's number of stages; later generations go into the last.",
)
@click.option(
    "--shard-above",
    type=click.FloatRange(min=0),
    default=0.0,
    help="With --shards: shard only a plan whose estimated build time (seconds, one recipe "
    "after another) is above this.",
)
@click.pass_context
def plan(
    ctx: click.Context,
    base: str,
    head: str,
    with_dependents: bool,
    as_json: bool,
    max_shards: int | None,
    max_stages: int,
    shard_above: float,
):
    """Print the build order for the changes between BASE and HEAD, and why."""
    request = PlanRequest(base=base, head=head, with_dependents=with_dependents)
    workspace = _workspace(ctx)
    result = workspace.plan(request)
    if max_shards is None:
        _print_plan(result, as_json)
    else:
        shards = workspace.shards(
            result, max_shards=max_shards, max_stages=max_stages, shard_above=shard_above
        )
        _print_shards(result, shards, as_json)
    for error in result.errors():
        log.error("%s", error)
    if not result.buildable:
        raise Failed()


@cli.command()
@click.argument("refs", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["dot", "json", "mermaid"]), default="dot")
@click.option("--with-dependents", is_flag=True)
@click.pass_context
def graph(ctx: click.Context, refs: tuple[str, ...], fmt: str, with_dependents: bool):
    """Draw the DAG; with BASE HEAD, only the affected subgraph."""
    if len(refs) not in (0, 2):
        raise click.UsageError("give no refs (whole DAG) or BASE HEAD (affected subgraph)")
    from emci.drawing import draw

    workspace = _workspace(ctx)
    base, head = refs or (None, None)
    click.echo(draw(workspace.subgraph(base, head, with_dependents=with_dependents), fmt))
    for name in sorted(workspace.graph.broken):
        log.warning("%s", not_rendered(workspace.graph.broken[name]))
    for problem in workspace.graph.problems_for(workspace.graph.problems):
        log.warning("%s", problem)  # fails any plan that includes the recipe


# -- build ----------------------------------------------------------------------------------


def _build_options(f):
    f = click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=1),
        default=1,
        help="Independent recipes to build at once.",
    )(f)
    f = click.option(
        "--skip-existing",
        is_flag=True,
        help="Skip recipes whose exact packages already exist, except those the diff changed.",
    )(f)
    f = click.option(
        "--no-rebuild",
        is_flag=True,
        help="Push to main: rebuild and upload nothing that exists; a changed recipe whose "
        "packages exist fails unless only its tests or about changed.",
    )(f)
    f = click.option("--dry-run", is_flag=True, help="Print the plan, build nothing.")(f)
    f = click.option("--with-dependents", is_flag=True)(f)
    return f


@cli.group()
def build() -> None:
    """Build recipes with rattler-build into the local channel."""


def _printer(progress: BuildProgress, display: StatusDisplay) -> BuildEvents:
    """Prints a build as it goes: the plan, one line per finished recipe, a failure's log
    tail, and (through `display`) which recipes are running."""
    from emci.builder import BuildEvents, log_tail
    from emci.scheduler import FAILED

    class Printer(BuildEvents):
        def planned(self, plan: Plan) -> None:
            progress.total = len(plan.entries)
            with display.paused():
                _print_plan(plan, as_json=False)

        def started(self, recipe: str, log_path: Path) -> None:
            progress.started(recipe, log_path)

        def finished(self, item: TaskResult) -> None:
            progress.finished(item.name)
            timing = f" in {item.seconds:.0f}s" if item.seconds else ""
            suffix = f": {item.message}" if item.message and item.status != "built" else ""
            done, total = progress.done, progress.total
            with display.paused():
                log.info("[%d/%d] %s %s%s%s", done, total, item.status, item.name, timing, suffix)
                if item.status == FAILED and item.log and item.log.exists():
                    log.info("---- last lines of %s ----\n%s\n----", item.log, log_tail(item.log))

    return Printer()


def _build(ctx: click.Context, plan: PlanRequest, jobs: int, skip_existing: bool, dry_run: bool):
    from emci.builder import BuildRequest, run_build
    from emci.progress import BuildProgress, StatusDisplay

    request = BuildRequest(plan, jobs=jobs, skip_existing=skip_existing, dry_run=dry_run)
    workspace = _workspace(ctx)
    progress = BuildProgress()
    # a live line on a terminal; a heartbeat line every minute in CI logs and pipes
    live = sys.stdout.isatty() and not os.environ.get("CI")
    with StatusDisplay(progress, sys.stdout, live=live) as display:
        report = run_build(workspace, request, _printer(progress, display))
    if report.results:
        click.echo(report.table())
    if not report.ok:
        raise Failed()


@build.command("changed")
@click.argument("base")
@click.argument("head")
@_build_options
@click.pass_context
def build_changed(ctx, base, head, jobs, skip_existing, dry_run, with_dependents, no_rebuild):
    """Build what changed between BASE and HEAD (and what it needs)."""
    plan = PlanRequest(base=base, head=head, with_dependents=with_dependents, no_rebuild=no_rebuild)
    _build(ctx, plan, jobs, skip_existing, dry_run)


@build.command("recipes")
@click.argument("names", nargs=-1, required=True)
@_build_options
@click.pass_context
def build_recipes(ctx, names, jobs, skip_existing, dry_run, with_dependents, no_rebuild):
    """Build the named recipes (and in-tree dependencies not built yet)."""
    plan = PlanRequest(names=tuple(names), with_dependents=with_dependents, no_rebuild=no_rebuild)
    _build(ctx, plan, jobs, skip_existing, dry_run)


@build.command("all")
@_build_options
@click.pass_context
def build_all(ctx, jobs, skip_existing, dry_run, with_dependents, no_rebuild):
    """Build every recipe of the repository into output/ (the main job)."""
    _build(ctx, PlanRequest(everything=True, no_rebuild=no_rebuild), jobs, skip_existing, dry_run)


@build.command("shard")
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("shard_id")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1)
@click.option(
    "--skip-existing",
    is_flag=True,
    help="Skip recipes whose exact packages already exist, except those the diff changed.",
)
@click.option(
    "--export",
    type=click.Path(path_type=Path, file_okay=False),
    help="A directory channel to receive the packages this shard built (for later stages).",
)
@click.pass_context
def build_shard(ctx, plan_file, shard_id, jobs, skip_existing, export):
    """Build one shard of a plan file written by `emci plan --shards N --json`."""
    from emci.progress import BuildProgress, StatusDisplay
    from emci.shards import build_shard as run_shard
    from emci.shards import read_shard

    planned = read_shard(plan_file, shard_id)
    log.info("shard %s: %s", shard_id, ", ".join(planned.shard.recipes) or "nothing")
    progress = BuildProgress()
    progress.total = len(planned.shard.recipes)
    live = sys.stdout.isatty() and not os.environ.get("CI")
    with StatusDisplay(progress, sys.stdout, live=live) as display:
        report = run_shard(
            _workspace(ctx),
            planned,
            jobs=jobs,
            skip_existing=skip_existing,
            export=export,
            events=_printer(progress, display),
        )
    if report.results:
        click.echo(report.table())
    if not report.ok:
        raise Failed()


# -- sources --------------------------------------------------------------------------------


@cli.group()
def sources() -> None:
    """The content-addressed source mirror."""


@sources.command("fetch")
@click.argument("names", nargs=-1)
@click.pass_context
def sources_fetch(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Fill the mirror for NAMES (default: every recipe)."""
    report = _workspace(ctx).fetch(list(names))
    for item in report.results:
        log.info("%s: %s (%s)", item.recipe, item.file_name, item.how)
    report.check()


# -- lint -----------------------------------------------------------------------------------


@cli.command()
@click.argument("refs", nargs=-1)
@click.option("--all", "lint_all", is_flag=True, help="Lint every recipe.")
@click.pass_context
def lint(ctx: click.Context, refs: tuple[str, ...], lint_all: bool) -> None:
    """Lint the recipes changed between BASE and HEAD (or --all); every problem, then exit 1."""
    from emci.lint import lint_repository

    if lint_all == bool(refs) or (refs and len(refs) != 2):
        raise click.UsageError("give BASE HEAD, or --all")
    base, head = refs or (None, None)
    report = lint_repository(ctx.obj.settings(), base, head)
    for problem in report.problems:
        if problem.warning:
            log.warning("%s", problem)
        else:
            log.error("%s", problem)
    warnings = len(report.problems) - len(report.errors)
    log.info("lint: %s, %d problem(s), %d warning(s)", report.checked, len(report.errors), warnings)
    if report.errors:
        raise Failed()


# -- publishing -----------------------------------------------------------------------------


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--to",
    "target",
    help="A directory (kind dir; default channel/) or a server URL (server kinds).",
)
@click.option(
    "--kind",
    type=click.Choice(["dir", "quetz", "prefix", "anaconda", "artifactory"]),
    help="dir (default for a directory), or the server's kind (needed with a URL).",
)
@click.option("--channel", "channel_name", help="Channel on the server (server kinds).")
@click.pass_context
def upload(
    ctx: click.Context,
    files: tuple[Path, ...],
    target: str | None,
    kind: str | None,
    channel_name: str | None,
) -> None:
    """Upload FILES (default: the packages of the last build) to a channel."""
    from emci import upload as uploading

    where = uploading.resolve_target(kind, target, channel_name)
    manifest = ctx.obj.settings().build / "last-build.json"
    results = uploading.upload_files(where, list(files), manifest, os.environ)
    if not results:
        log.info("nothing to upload: the last build produced no package")
    for result in results:
        log.info("%s %s/%s", result.status, result.subdir, result.filename)


@cli.group()
def channel() -> None:
    """Directory channels."""


@channel.command("merge")
@click.argument("target", type=click.Path(path_type=Path, file_okay=False))
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
def channel_merge(target: Path, sources: tuple[Path, ...]) -> None:
    """Add every package of the SOURCES directory channels to TARGET (validated, atomic,
    re-indexed; a file that exists with other bytes is refused)."""
    from emci.upload import merge_channels

    results = merge_channels([s.resolve() for s in sources], target.resolve())
    added = sum(r.status == "added" for r in results)
    log.info("%s: %d package(s) added, %d already there", target, added, len(results) - added)


@cli.command("channel-page")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--title", help="Page title (default: the channel folder's name).")
def channel_page(directory: Path, title: str | None) -> None:
    """Write a searchable index.html listing every package of a directory channel."""
    from emci.channel_page import write_channel_page

    log.info("wrote %s", write_channel_page(directory.resolve(), title))


@cli.command()
@click.argument("directory", default="output", type=click.Path(path_type=Path, file_okay=False))
@click.option("--port", type=click.IntRange(0, 65535), default=8000)
def serve(directory: Path, port: int) -> None:
    """Serve a directory channel over HTTP on 127.0.0.1."""
    from emci.serve import make_server

    server = make_server(directory.resolve(), port)
    host, bound = server.server_address[:2]
    log.info("serving %s at http://%s:%d/ (Ctrl-C stops)", directory, host, bound)
    _serve_until_interrupted(server)


def _serve_until_interrupted(server) -> None:
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


# -- the maintainers' loop -------------------------------------------------------------------


@cli.group()
def bot() -> None:
    """Automation that opens pull requests."""


@bot.command("bump-versions")
@click.option("--recipes", "names", multiple=True, help="Only these recipes (repeatable).")
@click.option("--dry-run", is_flag=True, help="Print what would be done; push and open nothing.")
@click.option("--max-prs", type=click.IntRange(min=0), default=10)
@click.option("--repo", envvar="GITHUB_REPOSITORY", help="OWNER/NAME (default: $GITHUB_REPOSITORY)")
@click.option(
    "--github-url", envvar="EMCI_GITHUB_URL", help="A GitHub Enterprise URL instead of github.com."
)
@click.option("--base", default="main", show_default=True)
@click.option("--remote", default="origin", show_default=True)
@click.pass_context
def bump_versions(ctx, names, dry_run, max_prs, repo, github_url, base, remote) -> None:
    """Open a pull request for each recipe with a newer stable upstream release."""
    from emci.bot import BotOptions, report
    from emci.bot import bump_versions as run

    options = BotOptions(tuple(names), dry_run, max_prs, repo, github_url, base, remote)
    outcomes = run(ctx.obj.settings(), options, os.environ)
    click.echo(report(outcomes))
    if any(o.status == "failed" for o in outcomes):
        raise Failed()


@cli.group()
def recipe() -> None:
    """Recipe helpers."""


@recipe.command("new")
@click.argument("project")
@click.option(
    "--version",
    help="A release (default: the newest whose requires-python admits the tree's Python).",
)
@click.pass_context
def recipe_new(ctx: click.Context, project: str, version: str | None) -> None:
    """Create a recipe for a PyPI project from its sdist, ready to edit."""
    from emci.new_recipe import create
    from emci.recipes import variant_values

    settings = ctx.obj.settings()
    pythons = variant_values(settings.variant_config, EMSCRIPTEN_PLATFORM).get("python") or []
    python_version = str(pythons[0]) if pythons else "3.11"
    path = create(settings.recipes_dir, project, version, python_version)
    log.info("created %s (review the TODOs, then `emci lint --all`)", path)


# -- consumers ------------------------------------------------------------------------------


@cli.group()
def env() -> None:
    """emscripten-wasm32 environments."""


@env.command("create")
@click.argument("prefix", type=click.Path(path_type=Path, file_okay=False))
@click.argument("specs", nargs=-1, required=True)
@click.option(
    "--channel",
    "-c",
    "channels",
    multiple=True,
    help="Channel to install from (repeatable; the first has priority). "
    "Default: output/, then the configured channels.",
)
@click.option(
    "--abi",
    metavar="VERSION",
    help="Emscripten ABI of the environment: every package is of that emscripten-abi. "
    "Default: the tree's (emscripten_abi in conda_build_config.yaml).",
)
@click.pass_context
def env_create(
    ctx: click.Context,
    prefix: Path,
    specs: tuple[str, ...],
    channels: tuple[str, ...],
    abi: str | None,
) -> None:
    """Solve and install SPECS for emscripten-wasm32 into PREFIX."""
    from emci.env import create_env, environment_abi

    pin = environment_abi(ctx.obj.settings, abi, needs_repository=not channels)
    if not channels:
        channels = tuple(ctx.obj.settings().build_channels())
    for package in create_env(prefix, list(specs), list(channels), abi=pin):
        log.info("%s %s %s  (%s)", package.name, package.version, package.build, package.channel)
    log.info("created %s", prefix)


@cli.group()
def lite() -> None:
    """JupyterLite sites whose kernel and packages come from our channel."""


@lite.command("build")
@click.argument("outdir", type=click.Path(path_type=Path, file_okay=False))
@click.argument("specs", nargs=-1)
@click.option(
    "--contents",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Notebooks and files to put in the site.",
)
@click.option(
    "--channel",
    "-c",
    "channels",
    multiple=True,
    help="Channel of the environment (repeatable). Default: output/, then the configured ones.",
)
@click.pass_context
def lite_build(
    ctx: click.Context,
    outdir: Path,
    specs: tuple[str, ...],
    contents: Path | None,
    channels: tuple[str, ...],
) -> None:
    """Build a JupyterLite site in OUTDIR with xeus-python and SPECS installed."""
    from emci.env import environment_abi
    from emci.lite import DEFAULT_SPECS, build_site

    settings = ctx.obj.settings()
    pin = environment_abi(ctx.obj.settings, None, needs_repository=not channels)
    wanted = list(dict.fromkeys([*DEFAULT_SPECS, *specs]))
    found = build_site(
        outdir.resolve(),
        wanted,
        list(channels) or settings.build_channels(),
        settings.build / "lite",
        contents.resolve() if contents else None,
        abi=pin,
    )
    names = ", ".join(k.name for k in found)
    log.info("built %s (kernels: %s); `emci lite serve %s` serves it", outdir, names, outdir)


@lite.command("serve")
@click.argument("site", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--channel",
    "channel",
    type=click.Path(path_type=Path, file_okay=False),
    default="output",
    show_default=True,
    help="The channel the site's packages came from, served at /channel/.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000)
def lite_serve(site: Path, channel: Path, port: int) -> None:
    """Serve a JupyterLite site and our channel from one origin on 127.0.0.1."""
    from emci.lite import make_site_server

    server = make_site_server(site.resolve(), channel.resolve(), port)
    host, bound = server.server_address[:2]
    log.info("serving %s at http://%s:%d/ and %s at /channel/", site, host, bound, channel)
    _serve_until_interrupted(server)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("prefix", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run(prefix: Path, args: tuple[str, ...]) -> None:
    """Run PREFIX's wasm Python under Node: emci run PREFIX -- ARGS..."""
    from emci.env import run_python

    arguments = list(args)
    if arguments[:1] == ["--"]:  # `emci run PREFIX -- ARGS`: the separator is ours
        arguments = arguments[1:]
    raise ExitCode(run_python(prefix, arguments))


INTERNAL_ERROR = 70  # EX_SOFTWARE: emci itself failed


class ExitCode(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def exit_code_of(argv: list[str] | None = None) -> int:
    """Run one emci command and turn its outcome into a process exit code."""
    try:
        cli.main(args=argv, prog_name="emci", standalone_mode=False)
    except Failed:
        return 1
    except ExitCode as exc:
        return exc.code
    except Problems as exc:
        logs.setup()
        for problem in exc.problems:
            log.error("%s", problem)
        if exc.summary:
            log.error("%s", exc.summary)
        return 1
    except EmciError as exc:
        logs.setup()
        log.error("%s", exc)
        return 1
    except (click.exceptions.Abort, KeyboardInterrupt):
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except Exception as exc:  # a bug: one line, the traceback only when asked for
        logs.setup()
        verbose = any(arg in ("-v", "--verbose") for arg in argv or sys.argv[1:])
        log.error(
            "internal error: %s: %s (please report it%s)",
            type(exc).__name__,
            one_line(exc),
            "" if verbose else "; `emci -v ...` shows the traceback",
        )
        if verbose:
            log.error("%s", "".join(traceback.format_exception(exc)))
        return INTERNAL_ERROR
    return 0


def main(argv: list[str] | None = None) -> None:
    leave(exit_code_of(argv))
