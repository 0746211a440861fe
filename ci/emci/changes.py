"""What changed between two revisions: touched recipes, deleted recipes, config keys."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from emci.git import Git
from emci.settings import RECIPE_FOLDERS

if TYPE_CHECKING:
    from emci.recipes import Recipe


@dataclass(frozen=True)
class Changes:
    base: str  # the merge base actually compared
    head: str
    recipes: frozenset[str] = frozenset()  # ids touched and still present at HEAD
    deleted: frozenset[str] = frozenset()  # ids
    config_keys: frozenset[str] = frozenset()
    config_marked: dict[str, tuple[str, ...]] = field(default_factory=dict)  # recipe -> keys


def recipe_of(path: str) -> str | None:
    """The recipe id a repository path belongs to (`recipes/<folder>/<name>/...` gives
    `<folder>/<name>`)."""
    parts = PurePosixPath(path).parts
    if len(parts) >= 4 and parts[0] == "recipes" and parts[1] in RECIPE_FOLDERS:
        return f"{parts[1]}/{parts[2]}"
    return None


def find_changes(
    git: Git,
    base: str,
    head: str,
    recipes: Mapping[str, Recipe],
    variant_config: str = "conda_build_config.yaml",
) -> Changes:
    merge_base = git.merge_base(base, head)
    touched: set[str] = set()
    config_changed = False
    for _status, path, old_path in git.changed_files(merge_base, head):
        for candidate in (path, old_path):
            if candidate is None:
                continue
            name = recipe_of(candidate)
            if name:
                touched.add(name)
            elif candidate == variant_config:
                config_changed = True
    present = {name for name in touched if name in recipes or _exists_at(git, head, name)}
    deleted = touched - present
    keys: set[str] = set()
    marked: dict[str, tuple[str, ...]] = {}
    if config_changed:
        keys = changed_config_keys(git, merge_base, head, variant_config)
        for name, recipe in recipes.items():
            used = sorted(keys & recipe.variant_keys())
            if used:
                marked[name] = tuple(used)
    return Changes(
        base=merge_base,
        head=head,
        recipes=frozenset(present),
        deleted=frozenset(deleted),
        config_keys=frozenset(keys),
        config_marked=marked,
    )


def _exists_at(git: Git, rev: str, recipe: str) -> bool:
    return git.show(rev, f"recipes/{recipe}/recipe.yaml") is not None


def changed_config_keys(git: Git, base: str, head: str, variant_config: str) -> set[str]:
    """Keys whose values differ between two versions of the variant config, on any platform.

    Both versions are read by rattler-build itself, for each target platform, so selectors
    are evaluated exactly as the builds will see them.
    """
    from emci.recipes import variant_values

    changed: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        versions = []
        for label, rev in (("base", base), ("head", head)):
            folder = Path(tmp) / label
            folder.mkdir()
            data = git.show(rev, variant_config)
            path = folder / PurePosixPath(variant_config).name
            if data is not None:
                path.write_bytes(data)
            versions.append(path)
        for platform in sorted(set(RECIPE_FOLDERS.values())):
            old = variant_values(versions[0], platform)
            new = variant_values(versions[1], platform)
            changed |= {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}
    return changed
