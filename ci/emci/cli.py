"""The `emci` command. It parses options, calls library functions, prints, and is the only
place where errors become exit codes."""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import click

from emci import logs
from emci.builder import BuildReport, build_plan, log_tail, options_for
from emci.drawing import draw
from emci.errors import EmciError, one_line
from emci.exiting import leave
from emci.plan import Plan, not_rendered
from emci.scheduler import FAILED, TaskResult
from emci.settings import Settings
from emci.sources import Mirror, fetch
from emci.workspace import Workspace

log = logging.getLogger("emci")


@dataclass(frozen=True)
class GlobalOptions:
    root: Path | None
    output: Path | None

    def settings(self) -> Settings:
        return Settings.load(self.root, output=self.output)


class Failed(Exception):
    """Raised after everything was printed, to end with exit code 1."""


def _workspace(ctx: click.Context) -> Workspace:
    return Workspace.load(ctx.obj.settings())


def _warn_not_rendered(workspace: Workspace) -> None:
    """A recipe that does not render is a warning where nothing needs it."""
    for name in sorted(workspace.graph.broken):
        log.warning("%s", not_rendered(workspace.graph.broken[name]))


def _finish(workspace: Workspace, problems: bool = False) -> None:
    if problems:
        raise Failed()


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
@click.option("-v", "--verbose", is_flag=True)
@click.pass_context
def cli(ctx: click.Context, root: Path | None, output: Path | None, verbose: bool) -> None:
    """CI orchestrator for the emscripten-wasm32 recipes of this repository."""
    logs.setup(verbose)
    ctx.obj = GlobalOptions(root, output)


@cli.command()
@click.argument("base")
@click.argument("head")
@click.option("--with-dependents", is_flag=True, help="Add everything downstream in the DAG.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def changed(ctx: click.Context, base: str, head: str, with_dependents: bool, as_json: bool):
    """List the recipes touched between the merge base of BASE and HEAD."""
    workspace = _workspace(ctx)
    changes = workspace.changes(base, head)
    names = set(changes.recipes) | set(changes.config_marked)
    broken = names & set(workspace.graph.broken)
    names &= set(workspace.graph.recipes)
    if with_dependents:
        names |= workspace.graph.descendants(names)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "recipes": sorted(names | broken),
                    "deleted": sorted(changes.deleted),
                    "config_keys": sorted(changes.config_keys),
                    "not_rendered": sorted(broken),
                },
                indent=1,
            )
        )
    else:
        for name in sorted(names | broken):
            click.echo(f"{name} (does not render)" if name in broken else name)
        for name in sorted(changes.deleted):
            click.echo(f"{name} (deleted)")
    for name in sorted(broken):
        log.error("%s", not_rendered(workspace.graph.broken[name]))
    _finish(workspace, bool(broken))


def _print_plan(plan: Plan, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(plan.to_json(), indent=1))
        return
    if not plan.entries:
        click.echo("nothing to build")
    for number, generation in enumerate(plan.generations, 1):
        click.echo(f"generation {number}:")
        for name in generation:
            click.echo(f"  {name}  ({'; '.join(plan.entries[name].reasons)})")
    for name in plan.deleted:
        click.echo(f"deleted (not built): {name}")


def _report_unsatisfied(plan: Plan) -> bool:
    for message in plan.not_rendered:
        log.warning("%s (this plan does not need it)", message)
    for problem in plan.problems:
        log.error("%s", problem)
    for item in plan.unsatisfied:
        log.error("%s", item)
    return not plan.buildable


@cli.command()
@click.argument("base")
@click.argument("head")
@click.option("--with-dependents", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def plan(ctx: click.Context, base: str, head: str, with_dependents: bool, as_json: bool):
    """Print the build order for the changes between BASE and HEAD, and why."""
    workspace = _workspace(ctx)
    result = workspace.plan_changes(base, head, with_dependents=with_dependents)
    _print_plan(result, as_json)
    _finish(workspace, _report_unsatisfied(result))


@cli.command()
@click.argument("refs", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["dot", "json", "mermaid"]), default="dot")
@click.option("--with-dependents", is_flag=True)
@click.pass_context
def graph(ctx: click.Context, refs: tuple[str, ...], fmt: str, with_dependents: bool):
    """Draw the DAG; with BASE HEAD, only the affected subgraph."""
    workspace = _workspace(ctx)
    if len(refs) not in (0, 2):
        raise click.UsageError("give no refs (whole DAG) or BASE HEAD (affected subgraph)")
    nodes = None
    if refs:
        nodes = workspace.plan_changes(*refs, with_dependents=with_dependents).names
    sub = workspace.graph.graph if nodes is None else workspace.graph.graph.subgraph(nodes)
    click.echo(draw(sub, fmt))
    _warn_not_rendered(workspace)


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


def _run_build(
    workspace: Workspace,
    result: Plan,
    jobs: int,
    skip_existing: bool,
    dry_run: bool,
    no_rebuild: bool = False,
) -> None:
    _print_plan(result, as_json=False)
    if _report_unsatisfied(result):
        log.error(
            "not building: %d requirement(s) cannot be satisfied, %d recipe problem(s)",
            len(result.unsatisfied),
            len(result.problems),
        )
        raise Failed()
    if dry_run or not result.entries:
        _finish(workspace)
        return
    total = len(result.entries)
    done: list[TaskResult] = []

    def progress(item: TaskResult) -> None:
        done.append(item)
        timing = f" in {item.seconds:.0f}s" if item.seconds else ""
        suffix = f": {item.message}" if item.message and item.status != "built" else ""
        log.info("[%d/%d] %s %s%s%s", len(done), total, item.status, item.name, timing, suffix)
        if item.status == FAILED and item.log and item.log.exists():
            log.info("---- last lines of %s ----\n%s\n----", item.log, log_tail(item.log))

    options = options_for(result, jobs=jobs, skip_existing=skip_existing, no_rebuild=no_rebuild)
    fetch_for_plan(workspace, result)
    report: BuildReport = build_plan(
        workspace.settings, workspace.graph, result.names, options, on_result=progress
    )
    click.echo(report.table())
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:  # GitHub Actions shows this file on the run's page
        with open(summary, "a") as handle:
            handle.write(f"### emci build\n\n```\n{report.table()}\n```\n")
    _finish(workspace, not report.ok)


def fetch_for_plan(workspace: Workspace, result: Plan) -> None:
    """Fill the source mirror for planned recipes; a recipe whose source fails is an error."""
    mirror = Mirror(workspace.settings.mirror)
    problems = []
    for name in result.names:
        try:
            fetch(workspace.graph.recipes[name], mirror)
        except EmciError as exc:
            problems.append(str(exc))
    for problem in problems:
        log.error("%s", problem)
    if problems:
        raise Failed()


@build.command("changed")
@click.argument("base")
@click.argument("head")
@_build_options
@click.pass_context
def build_changed(ctx, base, head, jobs, skip_existing, dry_run, with_dependents, no_rebuild):
    """Build what changed between BASE and HEAD (and what it needs)."""
    workspace = _workspace(ctx)
    result = workspace.plan_changes(base, head, with_dependents=with_dependents)
    if no_rebuild:
        conflicts = workspace.published_conflicts(base, head)
        for item in conflicts:
            log.error(
                "%s: recipe changed without a build number bump: %s, and that package is "
                "already published: it is not rebuilt or uploaded",
                item.path,
                item.detail,
            )
        if conflicts:
            raise Failed()
    _run_build(workspace, result, jobs, skip_existing, dry_run, no_rebuild)


@build.command("recipes")
@click.argument("names", nargs=-1, required=True)
@_build_options
@click.pass_context
def build_recipes(ctx, names, jobs, skip_existing, dry_run, with_dependents, no_rebuild):
    """Build the named recipes (and in-tree dependencies not built yet)."""
    workspace = _workspace(ctx)
    result = workspace.plan_recipes(list(names), with_dependents=with_dependents)
    _run_build(workspace, result, jobs, skip_existing, dry_run, no_rebuild)


@build.command("all")
@_build_options
@click.pass_context
def build_all(ctx, jobs, skip_existing, dry_run, with_dependents, no_rebuild):
    """Build every recipe of the repository into output/ (the main job)."""
    workspace = _workspace(ctx)
    result = workspace.plan_recipes(sorted(workspace.graph.recipes), with_dependents=False)
    _run_build(workspace, result, jobs, skip_existing, dry_run, no_rebuild)


# -- sources --------------------------------------------------------------------------------


@cli.group()
def sources() -> None:
    """The content-addressed source mirror."""


@sources.command("fetch")
@click.argument("names", nargs=-1)
@click.pass_context
def sources_fetch(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Fill the mirror for NAMES (default: every recipe)."""
    workspace = _workspace(ctx)
    mirror = Mirror(workspace.settings.mirror)
    problems = False
    for name in workspace.resolve(list(names)) if names else sorted(workspace.graph.recipes):
        recipe = workspace.graph.recipes.get(name)
        if recipe is None:
            log.error("%s: the recipe does not render; nothing to fetch", name)
            problems = True
            continue
        try:
            for item in fetch(recipe, mirror):
                log.info("%s: %s (%s)", item.recipe, item.file_name, item.how)
        except EmciError as exc:
            log.error("%s", exc)
            problems = True
    _finish(workspace, problems)


# -- lint -----------------------------------------------------------------------------------


@cli.command()
@click.argument("refs", nargs=-1)
@click.option("--all", "lint_all", is_flag=True, help="Lint every recipe.")
@click.pass_context
def lint(ctx: click.Context, refs: tuple[str, ...], lint_all: bool) -> None:
    """Lint the recipes changed between BASE and HEAD (or --all); every problem, then exit 1."""
    from emci.changes import find_changes
    from emci.git import Git
    from emci.identity import find_unbumped
    from emci.lint import lint_tree, unbumped_problems
    from emci.recipes import Renderer

    settings = ctx.obj.settings()
    if lint_all == bool(refs) or (refs and len(refs) != 2):
        raise click.UsageError("give BASE HEAD, or --all")
    renderer = Renderer(settings.variant_config)
    names = None
    bumps = []
    if refs:
        git = Git(settings.root)
        tree = renderer.render_tree(settings.recipes_dir)
        config = str(settings.variant_config.relative_to(settings.root))
        changes = find_changes(git, refs[0], refs[1], tree.recipes, config)
        names = set(changes.recipes)
        compared = sorted((names | set(changes.config_marked)) & set(tree.recipes))
        recipes = [tree.recipes[name] for name in compared]
        bumps = find_unbumped(git, settings.root, refs[0], refs[1], recipes, config)
    problems = sorted(lint_tree(settings.recipes_dir, renderer, names) + unbumped_problems(bumps))
    for problem in problems:
        log.error("%s", problem)
    checked = "every recipe" if names is None else f"{len(names)} changed recipe(s)"
    log.info("lint: %s, %d problem(s)", checked, len(problems))
    if problems:
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
    uploading.check_upload_allowed(os.environ)
    settings = ctx.obj.settings()
    paths = list(files) or uploading.packages_of_last_build(settings.build / "last-build.json")
    if not paths:
        log.info("nothing to upload: the last build produced no package")
        return
    for result in uploading.upload(where, paths, os.environ):
        log.info("%s %s/%s", result.status, result.subdir, result.filename)


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
    import github3

    from emci.bot import report, run_bot, url_for_version
    from emci.github import DryRunBackend, GitHub3Backend
    from emci.versions import GitHubSource, PyPISource, URLProbeSource

    settings = ctx.obj.settings()
    token = os.environ.get("GITHUB_TOKEN", "")
    if dry_run:
        github = DryRunBackend(repo or "")
        # versions still come from the GitHub API the options name (read only)
        session = github3.GitHubEnterprise(github_url) if github_url else github3.GitHub()
        if token:
            session.login(token=token)
    else:
        if not repo or "/" not in repo:
            raise click.UsageError("--repo OWNER/NAME (or $GITHUB_REPOSITORY) is needed")
        owner, name = repo.split("/", 1)
        github = GitHub3Backend(owner, name, token, github_url)
        session = github.session
    sources = {
        "pypi": PyPISource(),
        "github": GitHubSource(session),
        "url": URLProbeSource(url_for_version(settings)),
    }
    outcomes = run_bot(
        settings,
        github,
        sources,
        names=names or None,
        max_prs=max_prs,
        base=base,
        remote=remote,
        push=not dry_run,
    )
    click.echo(report(outcomes))
    if any(o.status == "failed" for o in outcomes):
        raise Failed()


@cli.group()
def recipe() -> None:
    """Recipe helpers."""


@recipe.command("new")
@click.argument("project")
@click.option("--version", help="A release (default: the newest).")
@click.pass_context
def recipe_new(ctx: click.Context, project: str, version: str | None) -> None:
    """Create a recipe for a PyPI project from its sdist, ready to edit."""
    from emci.new_recipe import create

    path = create(ctx.obj.settings().recipes_dir, project, version)
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
@click.pass_context
def env_create(
    ctx: click.Context, prefix: Path, specs: tuple[str, ...], channels: tuple[str, ...]
) -> None:
    """Solve and install SPECS for emscripten-wasm32 into PREFIX."""
    from emci.env import create_env

    if not channels:
        channels = tuple(ctx.obj.settings().build_channels())
    for package in create_env(prefix, list(specs), list(channels)):
        log.info("%s %s %s  (%s)", package.name, package.version, package.build, package.channel)
    log.info("created %s", prefix)


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
