"""The version-bump bot: newest stable upstream release -> recipe edit -> branch -> pull request.

For each recipe with a templated source URL and a sha256: find the newest stable release
(versions.py), download the new source and hash it, edit the recipe round-trip (version,
sha256, build number 0), commit it on top of the remote's base branch with git's plumbing
(nothing is checked out; the user's refs, index, worktrees and config stay as they were),
push it as `bump/<name>-<version>`, and open a pull request. The bot knows its own pull
requests by a marker line naming the recipe and a head branch in our repository: an open
bump for the same version is left alone; an older one is closed once the newer one is open.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from emci.credentials import push_environment, token_forms, without_secrets
from emci.errors import EmciError, RecipeError
from emci.git import Git
from emci.github import GitHub, PullRequest
from emci.pypi import download_sdist
from emci.recipe_edit import bump_text
from emci.recipes import Renderer, check_text, discover, one_line, recipe_id
from emci.settings import Settings
from emci.versions import (
    BumpTarget,
    VersionSource,
)

log = logging.getLogger(__name__)

BOT_NAME = "emci-bot"
BOT_EMAIL = "emci-bot@users.noreply.github.com"


@dataclass(frozen=True)
class BumpOutcome:
    recipe: str
    status: str  # opened | would-open (dry run) | closed | skipped | up-to-date | failed
    detail: str = ""


def collect_targets(settings: Settings, names: Iterable[str] | None = None) -> list[BumpTarget]:
    wanted = set(names) if names else None
    renderer = Renderer(settings.variant_config)
    targets = []
    for folder, path in discover(settings.recipes_dir):
        name = path.parent.name
        if wanted is not None and not {name, recipe_id(folder, path)} & wanted:
            continue
        try:
            check_text(path)
            raw = YAML(typ="safe").load(path.read_text()) or {}
        except (RecipeError, YAMLError) as exc:
            log.warning("%s: skipped: %s", path, one_line(exc))
            continue
        if not isinstance(raw, dict):
            continue
        source = raw.get("source")
        if not isinstance(source, dict) or "${{" not in str(source.get("url", "")):
            continue  # the bot bumps recipes with one templated URL source
        if "sha256" not in source or "version" not in (raw.get("context") or {}):
            continue
        try:
            recipe = renderer.render(folder, path)
        except RecipeError as exc:
            log.warning("%s: skipped: %s", path, exc.reason)
            continue
        targets.append(
            BumpTarget(
                name=name,
                path=path,
                version=str(raw["context"]["version"]),
                url=recipe.sources[0].urls[0],
                extra=recipe.extra,
                repository=(raw.get("about") or {}).get("repository"),
                id=recipe_id(folder, path),
            )
        )
    return targets


def url_for_version(settings: Settings):
    renderer = Renderer(settings.variant_config)

    def render(target: BumpTarget, version: str) -> str:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / target.name / "recipe.yaml"
            path.parent.mkdir()
            path.write_text(bump_text(target.path.read_text(), str(target.path), version, "0" * 64))
            folder = target.path.parent.parent.name
            return renderer.render(folder, path).sources[0].urls[0]

    return render


def choose_source(target: BumpTarget, sources: dict[str, VersionSource]) -> VersionSource:
    if target.pypi_project and "pypi" in sources:
        return sources["pypi"]
    if target.github_repo and "github" in sources:
        return sources["github"]
    return sources["url"]


def fetch_sha256(target: BumpTarget, version: str, url: str) -> str:
    """Download the new source and hash it: a PyPI sdist as a file from pip's index (its
    build backend never runs), else its URL."""
    with tempfile.TemporaryDirectory(prefix="emci-bump-") as tmp:
        if url.startswith("pypi://") and target.pypi_project:
            filename = PurePosixPath(urllib.parse.urlsplit(url).path).name
            sdist = download_sdist(
                f"{target.pypi_project}=={version}", Path(tmp), filename=filename or None
            )
            data = sdist.read_bytes()
        else:
            with urllib.request.urlopen(url, timeout=60) as response:
                data = response.read()
    return hashlib.sha256(data).hexdigest()


def branch_for(name: str, version: str) -> str:
    return f"bump/{name}-{version}"


def marker_for(target: BumpTarget) -> str:
    """The line in the body of every bump pull request the bot opens for this recipe."""
    return f"<!-- emci-bot bump: {target.recipe} -->"


def own_pulls(
    pulls: Iterable[PullRequest], target: BumpTarget, repository: str
) -> list[PullRequest]:
    """The bot's open bump pull requests for exactly this recipe: its marker line in the
    body, and a head branch in our own repository (never a fork's, whatever it is named)."""
    marker = marker_for(target)
    return [
        p
        for p in pulls
        if marker in (p.body or "").splitlines()
        and p.head_repo.lower() == repository.lower()
        and p.head.startswith("bump/")
    ]


@dataclass(frozen=True)
class BotOptions:
    """`emci bot bump-versions` as parsed from its options."""

    names: tuple[str, ...] = ()
    dry_run: bool = False
    max_prs: int = 10
    repo: str | None = None  # OWNER/NAME
    github_url: str | None = None
    base: str = "main"
    remote: str = "origin"


def bump_versions(
    settings: Settings, options: BotOptions, environ: Mapping[str, str]
) -> list[BumpOutcome]:
    """The bot with real version sources: github3.py for GitHub (or a dry run that pushes and
    opens nothing), the token read from $GITHUB_TOKEN now."""
    import github3

    from emci.github import DryRunBackend, GitHub3Backend
    from emci.versions import GitHubSource, PyPISource, URLProbeSource

    token = environ.get("GITHUB_TOKEN", "")
    github: GitHub
    if options.dry_run:
        github = DryRunBackend(options.repo or "")
        # versions still come from the GitHub API the options name (read only)
        session = (
            github3.GitHubEnterprise(options.github_url) if options.github_url else github3.GitHub()
        )
        if token:
            session.login(token=token)
    else:
        if not options.repo or "/" not in options.repo:
            raise EmciError("--repo OWNER/NAME (or $GITHUB_REPOSITORY) is needed")
        owner, name = options.repo.split("/", 1)
        backend = GitHub3Backend(owner, name, token, options.github_url)
        github, session = backend, backend.session
    sources = {
        "pypi": PyPISource(),
        "github": GitHubSource(session),
        "url": URLProbeSource(url_for_version(settings)),
    }
    return run_bot(
        settings,
        github,
        sources,
        names=options.names or None,
        max_prs=options.max_prs,
        base=options.base,
        remote=options.remote,
        push=not options.dry_run,
        token=token,
    )


def run_bot(
    settings: Settings,
    github: GitHub,
    sources: dict[str, VersionSource],
    *,
    names: Iterable[str] | None = None,
    max_prs: int = 10,
    base: str = "main",
    remote: str = "origin",
    push: bool = True,
    token: str = "",
) -> list[BumpOutcome]:
    # git never sees the token, but for the push that needs it
    git = Git(settings.root, env=without_secrets(os.environ))
    if token:
        _refuse_a_stored_token(git, token)
    outcomes: list[BumpOutcome] = []
    open_pulls = github.open_pulls()
    opened = 0
    for target in collect_targets(settings, names):
        if target.bot.get("skip"):
            outcomes.append(BumpOutcome(target.name, "skipped", "extra.bot.skip is set"))
            continue
        try:
            latest = choose_source(target, sources).latest_version(target)
        except Exception as exc:  # a version source that cannot answer: report, go on
            outcomes.append(BumpOutcome(target.name, "failed", f"no version: {exc}"))
            continue
        if not latest:
            outcomes.append(BumpOutcome(target.name, "up-to-date", target.version))
            continue
        branch = branch_for(target.name, latest)
        mine = own_pulls(open_pulls, target, github.repository)
        if any(p.head == branch for p in mine):
            outcomes.append(BumpOutcome(target.name, "skipped", f"{branch} is already open"))
            continue
        foreign = [
            p
            for p in open_pulls
            if p.head == branch and p.head_repo.lower() == github.repository.lower()
        ]
        if foreign:  # someone else's branch of that name: never force-push over it
            detail = f"{branch} is open as #{foreign[0].number}, not by the bot"
            outcomes.append(BumpOutcome(target.name, "skipped", detail))
            continue
        if opened >= max_prs:
            outcomes.append(BumpOutcome(target.name, "skipped", f"--max-prs {max_prs} reached"))
            continue
        try:
            new_url = url_for_version(settings)(target, latest)
            sha256 = fetch_sha256(target, latest, new_url)
            if push:
                _commit_bump(git, settings, target, latest, sha256, branch, base, remote, token)
            pull = github.create_pull(
                title=f"{target.name} {latest}",
                body=_body(target, latest),
                head=branch,
                base=base,
                labels=["automerge"] if target.bot.get("automerge") else [],
            )
        except (EmciError, OSError) as exc:
            outcomes.append(BumpOutcome(target.name, "failed", str(exc).splitlines()[0]))
            continue
        opened += 1
        status = "opened" if push else "would-open"
        outcomes.append(BumpOutcome(target.name, status, f"{target.version} -> {latest}"))
        for old in mine:
            github.close_pull(old.number, f"Superseded by #{pull.number} ({latest}).")
            outcomes.append(BumpOutcome(target.name, "closed", f"#{old.number} ({old.head})"))
    return outcomes


def _body(target: BumpTarget, version: str) -> str:
    lines = [f"Bumps `{target.name}` from {target.version} to {version}.", ""]
    if target.github_repo:
        owner, repo = target.github_repo
        lines.append(f"Changelog: https://github.com/{owner}/{repo}/releases/tag/{version}")
    elif target.pypi_project:
        lines.append(f"Changelog: the {target.pypi_project} {version} release notes")
    lines += ["", "Opened by `emci bot bump-versions`: version, sha256 and build number only."]
    lines += ["", marker_for(target)]
    return "\n".join(lines)


def _commit_bump(
    git: Git,
    settings: Settings,
    target: BumpTarget,
    version: str,
    sha256: str,
    branch: str,
    base: str,
    remote: str,
    token: str = "",
) -> None:
    """Commit the bump on top of REMOTE/BASE with git's plumbing and push it to BRANCH.

    Nothing is checked out: no worktree, no local branch, no remote-tracking ref, no
    FETCH_HEAD; the user's index and config are untouched. The fetched commit is held by a
    scratch ref under refs/emci-bot/ that is deleted again; only the fetched and written
    objects stay in the object store (until `git gc`)."""
    # By URL, not by remote name: git then updates no remote-tracking ref of the user's.
    fetch_url = git.run("remote", "get-url", remote).strip()
    push_url = git.run("remote", "get-url", "--push", remote).strip()
    scratch = f"refs/emci-bot/{uuid.uuid4().hex}"
    git.run(
        "fetch", "--quiet", "--no-write-fetch-head", "--no-tags", fetch_url,
        f"+refs/heads/{base}:{scratch}",
    )  # fmt: skip
    try:
        start = git.run("rev-parse", "--verify", f"{scratch}^{{commit}}").strip()
        relative = target.path.resolve().relative_to(settings.root.resolve()).as_posix()
        listed = git.run("ls-tree", start, "--", relative).split("\t")[0].split()
        if len(listed) != 3 or listed[1] != "blob":
            raise EmciError(f"{relative} is not a file on {remote}/{base}")
        mode = listed[0]
        old = git.run_bytes("cat-file", "blob", f"{start}:{relative}").decode()
        text = bump_text(old, str(target.path), version, sha256)
        blob = git.run("hash-object", "-w", "--stdin", input=text.encode()).strip()
        with tempfile.TemporaryDirectory(prefix="emci-bump-") as tmp:
            index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}  # never the user's index
            git.run("read-tree", start, env=index)
            git.run("update-index", "--cacheinfo", f"{mode},{blob},{relative}", env=index)
            tree = git.run("write-tree", env=index).strip()
        identity = {
            "GIT_AUTHOR_NAME": BOT_NAME,
            "GIT_AUTHOR_EMAIL": BOT_EMAIL,
            "GIT_COMMITTER_NAME": BOT_NAME,
            "GIT_COMMITTER_EMAIL": BOT_EMAIL,
        }
        message = f"{target.name}: {target.version} -> {version}"
        commit = git.run("commit-tree", tree, "-p", start, "-m", message, env=identity).strip()
        auth = push_environment(push_url, token, os.environ if git.env is None else git.env)
        git.run("push", "--quiet", "--force", push_url, f"{commit}:refs/heads/{branch}", env=auth)
    finally:
        git.run("update-ref", "-d", scratch)


def _refuse_a_stored_token(git: Git, token: str) -> None:
    """The bot works with a checkout whose git configuration holds no credential: a token
    stored there (actions/checkout's persist-credentials, a URL with a password) is readable
    by every process that runs in the checkout, build scripts included."""
    config = git.run("config", "--local", "--list")
    if any(form in config for form in token_forms(token)):
        raise EmciError(
            f"{git.repo}/.git/config holds the bot's token: remove it (actions/checkout: "
            f"persist-credentials: false); the bot passes it to `git push` only"
        )


def report(outcomes: list[BumpOutcome]) -> str:
    order = {"opened": 0, "would-open": 1, "closed": 2, "skipped": 3, "up-to-date": 4, "failed": 5}
    lines = [
        f"{o.status:<10} {o.recipe:<30} {o.detail}"
        for o in sorted(outcomes, key=lambda o: (order.get(o.status, 9), o.recipe))
    ]
    counts = {s: sum(o.status == s for o in outcomes) for s in order}
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items()))
    return "\n".join(lines)
