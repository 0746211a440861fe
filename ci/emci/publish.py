"""Moving finished packages into the local channel and indexing it with py-rattler."""

from __future__ import annotations

import asyncio
import fcntl
import filecmp
import os
import shutil
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rattler.index import index_fs

from emci.channel_meta import update_metadata
from emci.errors import ChannelError, UploadError, one_line
from emci.package_file import read_package

_thread_lock = threading.Lock()


def make_dir(path: Path) -> None:
    """A channel directory (or subdir) that exists; a ChannelError naming it otherwise."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in [path, *path.parents] if p.exists() and not p.is_dir()), None)
        why = f"{blocker} is a file, not a directory" if blocker else exc.strerror
        raise ChannelError(f"{path}: cannot be a channel directory ({why})") from None


@contextmanager
def channel_lock(channel: Path) -> Iterator[None]:
    """Exclusive access to a directory channel, across threads and processes."""
    make_dir(channel)
    with _thread_lock, (channel / ".emci-channel.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def publish(
    stage: Path,
    channel: Path,
    metadata: Mapping[str, Any] | None = None,
    aliases: Mapping[str, str] | None = None,
    per_file: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Path]:
    """Copy the stage's packages into `channel/<subdir>/` atomically, then re-index.
    Returns the channel's files for every staged package. `per_file` ("subdir/file" ->
    values) adds to `metadata` for single packages. `aliases` (short recipe name ->
    id) migrates older metadata entries that name their recipe by its folder name."""
    staged = sorted(stage.glob("*/*.conda"))
    for package in staged:  # names come from each package's metadata, checked first
        identity = read_package(package)
        if identity.subdir != package.parent.name:
            raise UploadError(
                f"{package}: staged under {package.parent.name}/ but its metadata says "
                f"subdir {identity.subdir!r}"
            )
    added = []
    replaced = False
    with channel_lock(channel):
        for package in staged:
            subdir = channel / package.parent.name
            make_dir(subdir)
            target = subdir / package.name
            if target.exists():
                if filecmp.cmp(package, target, shallow=False):
                    added.append(target)
                    continue
                # A local rebuild under the same file name (a recipe edited without a
                # build-number bump). The indexer keeps entries of known file names, so
                # the whole channel is re-indexed below.
                replaced = True
            tmp = subdir / f".{package.name}.{os.getpid()}.tmp"
            shutil.copyfile(package, tmp)
            tmp.replace(target)
            added.append(target)
        index_channel(channel, force=replaced)
        update_metadata(
            channel,
            {
                key: {**(metadata or {}), **(per_file or {}).get(key, {})}
                for key in (f"{p.parent.name}/{p.name}" for p in added)
            },
            aliases,
        )
    return added


def index_channel(channel: Path, force: bool = False) -> None:
    make_dir(channel / "noarch")
    try:
        asyncio.run(index_fs(channel, write_shards=False, force=force))
    except Exception as exc:  # py-rattler's IndexError and I/O errors
        raise ChannelError(f"{channel}: cannot be indexed: {one_line(exc)}") from None
    scratch = channel / ".tmp"  # the indexer's scratch folder; keep the channel clean
    if scratch.is_dir() and not any(scratch.iterdir()):
        scratch.rmdir()


def ensure_channel(channel: Path) -> None:
    """An empty but valid channel (conda clients need noarch/repodata.json)."""
    if not (channel / "noarch" / "repodata.json").is_file():
        with channel_lock(channel):
            index_channel(channel)
