"""Publishing packages: to a directory channel (done here, safely) or to a channel server
(through rattler-build's upload API), and the guards that keep pull requests from uploading.

Directory channels: every file is validated (a real conda file name, for the subdir its
metadata names, no path separators) and checked against what the channel already has
before anything is written; a file that exists with other bytes is refused (packages are
immutable: bump the build number), the same bytes again is a no-op. Files are copied under
a temporary name and renamed, then the channel is re-indexed with py-rattler, all under an
exclusive lock on the channel, so concurrent uploads neither lose entries nor expose a
repodata entry without its file.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from emci.channel_meta import now, read_metadata, update_metadata
from emci.errors import UploadError
from emci.package_file import PackageFile, read_package
from emci.publish import channel_lock, index_channel, make_dir
from emci.settings import CHANNEL_SUBDIRS

SERVER_KINDS = ("quetz", "prefix", "anaconda", "artifactory")
KINDS = ("dir", *SERVER_KINDS)
# environment variable holding each server kind's credential
CREDENTIALS = {
    "quetz": "QUETZ_API_KEY",
    "prefix": "PREFIX_API_KEY",
    "anaconda": "ANACONDA_API_KEY",
    "artifactory": "ARTIFACTORY_TOKEN",
}
UPLOAD_EVENTS = ("push", "workflow_dispatch", "schedule")


@dataclass(frozen=True)
class UploadResult:
    filename: str
    subdir: str
    status: str  # "added" | "unchanged" | "uploaded"


# -- guards ---------------------------------------------------------------------------------


def check_upload_allowed(environ: Mapping[str, str]) -> None:
    """Inside GitHub Actions, only push / dispatch / schedule runs of the default branch."""
    if environ.get("GITHUB_ACTIONS") != "true":
        return
    event = environ.get("GITHUB_EVENT_NAME", "")
    if event not in UPLOAD_EVENTS:
        raise UploadError(
            f"refusing to upload from a GitHub Actions {event or 'unknown'!r} run: uploads run "
            f"only for {', '.join(UPLOAD_EVENTS)} events on the default branch"
        )
    default = _default_branch(environ)
    ref = environ.get("GITHUB_REF", "")
    if ref != f"refs/heads/{default}":
        raise UploadError(
            f"refusing to upload from {ref or 'an unknown ref'}: uploads run only on the "
            f"default branch ({default})"
        )


def _default_branch(environ: Mapping[str, str]) -> str:
    path = environ.get("GITHUB_EVENT_PATH")
    if path:
        try:
            event = json.loads(Path(path).read_text())
            branch = (event.get("repository") or {}).get("default_branch")
            if branch:
                return str(branch)
        except (OSError, ValueError):
            pass
    return environ.get("EMCI_DEFAULT_BRANCH", "main")


# -- package files --------------------------------------------------------------------------


def packages_of_last_build(manifest: Path) -> list[Path]:
    try:
        data = json.loads(manifest.read_text())
    except (OSError, ValueError) as exc:
        raise UploadError(f"{manifest}: no build manifest to upload from ({exc})") from exc
    return [Path(p) for r in data.get("results", []) for p in r.get("packages", [])]


# -- directory channels ---------------------------------------------------------------------


def upload_to_directory(
    files: Sequence[Path], channel: Path, *, uploaded: bool = True
) -> list[UploadResult]:
    """Add package files to a directory channel (see the module's docstring). Each new
    file's metadata comes from the channel it is taken from; `uploaded` stamps its
    `uploaded_at` (a merge of build channels does not)."""
    packages = _distinct([read_package(Path(f)) for f in files])  # validate everything first
    with channel_lock(channel):
        plan: list[tuple[PackageFile, Path, bool]] = []
        for package in packages:
            target = channel / package.subdir / package.filename
            if target.exists():
                if not filecmp.cmp(package.path, target, shallow=False):
                    raise UploadError(
                        f"{package.path}: {package.subdir}/{package.filename} already exists in "
                        f"{channel} with different content; packages are immutable (bump the "
                        f"build number)"
                    )
                plan.append((package, target, False))
            else:
                plan.append((package, target, True))
        for package, target, new in plan:
            if new:
                make_dir(target.parent)
                tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
                shutil.copyfile(package.path, tmp)
                tmp.replace(target)
        if any(new for _p, _t, new in plan):
            index_channel(channel)
        update_metadata(
            channel,
            {
                f"{p.subdir}/{p.filename}": {
                    **_source_metadata(p),
                    **({"uploaded_at": now()} if uploaded else {}),
                }
                for p, _t, new in plan
                if new
            },
        )
    return [
        UploadResult(p.filename, p.subdir, "added" if new else "unchanged") for p, _t, new in plan
    ]


def _distinct(packages: list[PackageFile]) -> list[PackageFile]:
    """One of each file; the same file name with other bytes twice is an error."""
    seen: dict[tuple[str, str], PackageFile] = {}
    for package in packages:
        key = (package.subdir, package.filename)
        first = seen.setdefault(key, package)
        if first is not package and not filecmp.cmp(first.path, package.path, shallow=False):
            raise UploadError(
                f"{package.path}: {package.subdir}/{package.filename} is also given as "
                f"{first.path} with different content"
            )
    return list(seen.values())


def channel_packages(channel: Path) -> list[Path]:
    """Every package file of a directory channel, by subdir then name."""
    if not channel.is_dir():
        raise UploadError(f"{channel}: not a channel directory")
    return [
        path
        for subdir in CHANNEL_SUBDIRS
        for path in sorted((channel / subdir).glob("*"))
        if path.name.endswith((".conda", ".tar.bz2")) and not path.name.startswith(".")
    ]


def merge_channels(sources: Sequence[Path], channel: Path) -> list[UploadResult]:
    """Every package of the `sources` directory channels added to `channel` (validated,
    atomic, re-indexed, build metadata kept): how a sharded build's stages hand packages on."""
    files = [path for source in sources for path in channel_packages(source)]
    if not files:
        with channel_lock(channel):
            if not (channel / "noarch" / "repodata.json").is_file():
                index_channel(channel)
        return []
    return upload_to_directory(files, channel, uploaded=False)


def _source_metadata(package: PackageFile) -> dict:
    """What the channel the file comes from knows about it (a build's output/ does)."""
    source_channel = package.path.parent.parent
    return dict(read_metadata(source_channel).get(f"{package.subdir}/{package.filename}", {}))


# -- where to --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadTarget:
    """Where `emci upload` puts packages: a directory, or a channel on a server."""

    kind: str  # "dir" or one of SERVER_KINDS
    location: str | None  # the directory, or the server URL (None: the kind's default)
    channel: str | None = None  # the channel on the server (anaconda: OWNER[/LABEL])


def _is_url(text: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text))


def resolve_target(kind: str | None, to: str | None, channel: str | None) -> UploadTarget:
    """The target of `emci upload --kind KIND --to TO --channel CHANNEL`, or an UploadError
    naming the option that is missing or does not fit."""
    if kind is None:
        if to is not None and _is_url(to):
            raise UploadError(
                f"--to {to} is a server URL: give its --kind ({', '.join(SERVER_KINDS)}) "
                f"and --channel"
            )
        kind = "dir"
    if kind not in KINDS:
        raise UploadError(f"--kind {kind}: unknown (known: {', '.join(KINDS)})")
    if kind == "dir":
        if to is not None and _is_url(to):
            raise UploadError(f"--kind dir takes a directory, not the URL {to}")
        if channel is not None:
            raise UploadError("--channel is for server kinds; --kind dir writes the --to directory")
        return UploadTarget("dir", to or "channel")
    if not channel:
        raise UploadError(f"--kind {kind} needs --channel")
    if to is None and kind != "anaconda":  # rattler-build knows anaconda.org's API address
        raise UploadError(f"--kind {kind} needs --to with the server URL")
    if to is not None and not re.match(r"^https?://[^/\s]+", to):
        raise UploadError(f"--kind {kind}: --to {to} is not an http(s) URL")
    return UploadTarget(kind, to, channel)


def upload_files(
    target: UploadTarget, files: Sequence[Path], manifest: Path, environ: Mapping[str, str]
) -> list[UploadResult]:
    """`emci upload`: the guard, then FILES or, when none are given, the packages the last
    build put in its manifest (none: nothing is uploaded and the list is empty)."""
    check_upload_allowed(environ)
    paths = list(files) or packages_of_last_build(manifest)
    return upload(target, paths, environ) if paths else []


def upload(
    target: UploadTarget, files: Sequence[Path], environ: Mapping[str, str]
) -> list[UploadResult]:
    if target.kind == "dir":
        return upload_to_directory(files, Path(target.location or "channel").resolve())
    return upload_to_server(target.kind, files, target.location, target.channel or "", environ)


# -- servers ---------------------------------------------------------------------------------


def credential(kind: str, environ: Mapping[str, str]) -> str:
    """The server kind's secret from the environment (surrounding whitespace, as a copied
    secret often has, removed)."""
    name = CREDENTIALS[kind]
    secret = (environ.get(name) or "").strip()
    if not secret:
        raise UploadError(f"--kind {kind} needs the credential in ${name}")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in secret):
        raise UploadError(f"${name} contains whitespace or control characters")
    return secret


def redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def upload_to_server(
    kind: str, files: Sequence[Path], url: str | None, channel: str, environ: Mapping[str, str]
) -> list[UploadResult]:
    import rattler_build

    packages = [read_package(Path(f)) for f in files]
    secret = credential(kind, environ)
    try:
        if kind == "quetz":
            rattler_build.upload_package_to_quetz(
                [str(p.path) for p in packages], url, channel, api_key=secret
            )
        elif kind == "prefix":
            rattler_build.upload_package_to_prefix(
                [str(p.path) for p in packages], url, channel, api_key=secret, skip_existing=True
            )
        elif kind == "anaconda":
            # for anaconda.org the "channel" is OWNER[/LABEL]
            owner, _, label = channel.partition("/")
            rattler_build.upload_package_to_anaconda(
                [str(p.path) for p in packages],
                owner,
                channel=[label or "main"],
                api_key=secret,
                url=url,
            )
        elif kind == "artifactory":
            rattler_build.upload_package_to_artifactory(
                [str(p.path) for p in packages], url, channel, token=secret
            )
        else:
            raise UploadError(f"--kind {kind}: not a server kind")
    except UploadError:
        raise
    except BaseException as exc:  # noqa: BLE001 - pyo3 panics derive from BaseException
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        message = redact(str(exc), secret).splitlines() or [type(exc).__name__]
        where = url or "its default server"
        raise UploadError(f"upload to {kind} {where} failed: {' '.join(message[:3])}") from None
    return [UploadResult(p.filename, p.subdir, "uploaded") for p in packages]
