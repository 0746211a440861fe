"""Where a recipe's newer upstream versions come from: small classes with latest_version().

- PyPISource: pip's own index query (`pip index versions`), whatever index pip is set up for.
- GitHubSource: github3.py, releases first, then tags; a tag's prefix (`openssl-3.0.22`,
  `v1.2`) is read past, and a repository none of whose releases or tags names a version is
  an error, not "up to date".
- URLProbeSource: the recipe rendered (by rattler-build) with the next patch / minor / major
  version, and a HEAD request to see whether that source exists.
Pre-releases are never proposed; `extra.bot.max_version` caps the version (exclusive) and
`extra.bot.skip: true` opts a recipe out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from packaging.version import InvalidVersion, Version

from emci.credentials import without_secrets
from emci.errors import EmciError


class VersionError(EmciError):
    pass


@dataclass(frozen=True)
class BumpTarget:
    """What the bot needs to know of one recipe."""

    name: str
    path: Path
    version: str
    url: str  # the rendered source URL of the current version
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    repository: str | None = None
    id: str = ""  # the recipe id (`recipes_emscripten/zlib`); the name when empty

    @property
    def recipe(self) -> str:
        return self.id or self.name

    @property
    def bot(self) -> Mapping[str, Any]:
        return self.extra.get("bot", {}) or {}

    @property
    def pypi_project(self) -> str | None:
        spec = (self.extra.get("sources", {}) or {}).get("pypi")
        return re.split(r"[=<>!~ ]", str(spec), maxsplit=1)[0] if spec else None

    @property
    def github_repo(self) -> tuple[str, str] | None:
        match = re.match(
            r"https://github\.com/([^/]+)/([^/#?]+?)(?:\.git)?/?$", self.repository or ""
        )
        return (match.group(1), match.group(2)) if match else None


class VersionSource(Protocol):
    def latest_version(self, target: BumpTarget) -> str | None: ...


# A release tag: an optional prefix ending in "-", "_" or "/" (`openssl-3.0.22`,
# `release/2.1`), an optional "v", then the version.
TAG = re.compile(r"^(?:.*?[-_/])?[vV]?(?P<version>[0-9][^\s]*)$")


def version_of_tag(tag: str) -> str | None:
    """The version a release tag or version string names (`openssl-3.0.22` -> `3.0.22`,
    `v1.2` -> `1.2`), or None when it names none."""
    match = TAG.match(tag.strip())
    if match is None:
        return None
    text = match.group("version")
    try:
        Version(text)
    except InvalidVersion:
        return None
    return text


def newest_stable(candidates: Iterable[str], current: str, cap: str | None = None) -> str | None:
    """The newest stable version above `current` (and below `cap`), if any. Candidates are
    versions or release tags (a prefix such as `openssl-` or `v` is read past)."""
    try:
        floor = Version(current)
        ceiling = Version(str(cap)) if cap else None
    except InvalidVersion as exc:
        raise VersionError(f"not a version: {exc}") from exc
    best: Version | None = None
    best_text = None
    for candidate in candidates:
        text = version_of_tag(candidate)
        if text is None:
            continue
        version = Version(text)
        if version.is_prerelease or version.is_devrelease or version <= floor:
            continue
        if ceiling is not None and version >= ceiling:
            continue
        if best is None or version > best:
            best, best_text = version, text
    return best_text


class PyPISource:
    """Versions of a PyPI project, asked of pip (`pip index versions`)."""

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python

    def versions(self, project: str) -> list[str]:
        done = subprocess.run(
            [self.python, "-m", "pip", "index", "versions", project, "--pre"],
            capture_output=True,
            text=True,
            check=False,
            env=without_secrets(os.environ),  # pip needs no token of the bot's
        )
        for line in done.stdout.splitlines():
            if line.startswith("Available versions:"):
                return [v.strip() for v in line.split(":", 1)[1].split(",") if v.strip()]
        raise VersionError(
            f"pip found no versions of {project}: "
            f"{(done.stderr.strip().splitlines() or ['no answer'])[-1]}"
        )

    def latest_version(self, target: BumpTarget) -> str | None:
        project = target.pypi_project
        if not project:
            return None
        return newest_stable(self.versions(project), target.version, target.bot.get("max_version"))


class GitHubSource:
    """Releases, then tags, of the recipe's GitHub repository (github3.py)."""

    def __init__(self, github: Any) -> None:
        self.github = github  # a github3 GitHub / GitHubEnterprise session

    def latest_version(self, target: BumpTarget) -> str | None:
        repo = target.github_repo
        if not repo:
            return None
        repository = self.github.repository(*repo)
        if repository is None:
            raise VersionError(f"GitHub repository {'/'.join(repo)} not found")
        releases = [r.tag_name for r in repository.releases() if not (r.prerelease or r.draft)]
        names = [n for n in releases if version_of_tag(n)]
        if not names:  # no release names a version: the tags
            tags = [t.name for t in repository.tags()]
            names = [n for n in tags if version_of_tag(n)]
            if not names and (tags or releases):
                example = (tags or releases)[0]
                raise VersionError(
                    f"{'/'.join(repo)}: none of its {len(releases)} releases and {len(tags)} "
                    f"tags names a version (e.g. {example!r})"
                )
        return newest_stable(names, target.version, target.bot.get("max_version"))


def next_versions(current: str) -> list[str]:
    parts = [int(p) for p in re.findall(r"\d+", current)[:3]] + [0, 0, 0]
    major, minor, patch = parts[:3]
    return [f"{major}.{minor}.{patch + 1}", f"{major}.{minor + 1}.0", f"{major + 1}.0.0"]


class URLProbeSource:
    """The next patch / minor / major version whose source URL answers."""

    def __init__(self, url_for_version, timeout: float = 10) -> None:
        self.url_for_version = url_for_version  # (target, version) -> URL
        self.timeout = timeout

    def exists(self, url: str) -> bool:
        if not url.startswith(("http://", "https://")):
            return False
        request = urllib.request.Request(url, method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return 200 <= response.status < 400
        except (urllib.error.URLError, OSError):
            return False

    def latest_version(self, target: BumpTarget) -> str | None:
        found = None
        for candidate in next_versions(target.version):
            cap = target.bot.get("max_version")
            if cap and Version(candidate) >= Version(str(cap)):
                continue
            if self.exists(self.url_for_version(target, candidate)):
                found = candidate
        return found
