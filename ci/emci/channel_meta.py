"""The channel's own metadata file, `emci-metadata.json` at the channel's root: per package
file, which recipe built it (its id, `recipes_emscripten/zlib`), when it was built and
uploaded, and its test result. Builds and uploads update it under the channel lock, by
writing a temporary file and renaming it. Entries written before recipes had path ids name
the recipe by its folder name (`zlib`); they read as they are, and a write that knows the
tree's short names rewrites them to ids."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

METADATA = "emci-metadata.json"


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def read_metadata(channel: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((channel / METADATA).read_text())
    except (OSError, ValueError):
        return {}
    return data.get("packages", {}) if isinstance(data, dict) else {}


def update_metadata(
    channel: Path,
    entries: Mapping[str, Mapping[str, Any]],
    aliases: Mapping[str, str] | None = None,
) -> None:
    """Merge `entries` (keyed by "subdir/filename") into the metadata; call under the lock.
    `aliases` (short recipe name -> id) migrates entries that still name a short name."""
    if not entries:
        return
    packages = read_metadata(channel)
    for key, values in entries.items():
        packages.setdefault(key, {}).update(values)
    for values in packages.values():
        recipe = values.get("recipe") if isinstance(values, dict) else None
        if isinstance(recipe, str) and aliases and recipe in aliases:
            values["recipe"] = aliases[recipe]
    path = channel / METADATA
    tmp = path.with_name(f".{METADATA}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"packages": packages}, indent=1, sort_keys=True))
    tmp.replace(path)
