"""Moving finished packages into the local channel and indexing it with py-rattler."""

from __future__ import annotations

import asyncio
import filecmp
import os
import shutil
import threading
from pathlib import Path

from rattler.index import index_fs

_channel_lock = threading.Lock()


def publish(stage: Path, channel: Path) -> list[Path]:
    """Copy the stage's packages into `channel/<subdir>/` atomically, then re-index.
    Returns the channel's files for every staged package."""
    added = []
    replaced = False
    with _channel_lock:
        for package in sorted(stage.glob("*/*.conda")):
            subdir = channel / package.parent.name
            subdir.mkdir(parents=True, exist_ok=True)
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
    return added


def index_channel(channel: Path, force: bool = False) -> None:
    (channel / "noarch").mkdir(parents=True, exist_ok=True)
    asyncio.run(index_fs(channel, write_shards=False, force=force))
    scratch = channel / ".tmp"  # the indexer's scratch folder; keep the channel clean
    if scratch.is_dir() and not any(scratch.iterdir()):
        scratch.rmdir()


def ensure_channel(channel: Path) -> None:
    """An empty but valid channel (conda clients need noarch/repodata.json)."""
    if not (channel / "noarch" / "repodata.json").is_file():
        with _channel_lock:
            index_channel(channel)
