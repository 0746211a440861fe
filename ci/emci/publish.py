"""Moving finished packages into the local channel and indexing it with py-rattler."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from pathlib import Path

from rattler.index import index_fs

_channel_lock = threading.Lock()


def publish(stage: Path, channel: Path) -> list[Path]:
    """Copy the stage's packages into `channel/<subdir>/` atomically, then re-index."""
    added = []
    with _channel_lock:
        for package in sorted(stage.glob("*/*.conda")):
            subdir = channel / package.parent.name
            subdir.mkdir(parents=True, exist_ok=True)
            target = subdir / package.name
            tmp = subdir / f".{package.name}.{os.getpid()}.tmp"
            shutil.copyfile(package, tmp)
            tmp.replace(target)
            added.append(target)
        index_channel(channel)
    return added


def index_channel(channel: Path) -> None:
    (channel / "noarch").mkdir(parents=True, exist_ok=True)
    asyncio.run(index_fs(channel, write_shards=False))
