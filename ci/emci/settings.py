"""Repository settings: where recipes, the channel, build files and the mirror live.

Read from `[tool.emci]` in the repository's pyproject.toml when a command runs (never at
import). Environment overrides: EMCI_SOURCE_MIRROR (mirror directory),
EMCI_READONLY_MIRRORS (read-only mirror directories, separated by `:`, replacing
`readonly_mirrors`) and EMCI_CHANNEL_PROFILE (which list of outside channels to use).
`[tool.emci.abi]` names the Emscripten ABI's package and variant keys (abi.py).
Relative paths are relative to the repository root.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from emci.abi import AbiSettings
from emci.errors import ConfigError

BUILD_PLATFORM = "linux-64"
EMSCRIPTEN_PLATFORM = "emscripten-wasm32"

# recipes/<folder> -> the platform its recipes are built for
RECIPE_FOLDERS: dict[str, str] = {
    "recipes_emscripten": EMSCRIPTEN_PLATFORM,
    "recipes": BUILD_PLATFORM,
}

# the subdirs a channel of this repository holds
CHANNEL_SUBDIRS = (EMSCRIPTEN_PLATFORM, BUILD_PLATFORM, "noarch")


@dataclass(frozen=True)
class Settings:
    root: Path
    output: Path
    build: Path
    mirror: Path
    variant_config: Path
    channels: tuple[str, ...] = field(default_factory=tuple)
    readonly_mirrors: tuple[Path, ...] = field(default_factory=tuple)
    abi: AbiSettings | None = None  # [tool.emci.abi]: none, no ABI pin or ABI rule

    @property
    def recipes_dir(self) -> Path:
        return self.root / "recipes"

    @property
    def logs_dir(self) -> Path:
        return self.build / "logs"

    @property
    def render_cache(self) -> Path:
        return self.build / "render-cache"

    @property
    def times_file(self) -> Path:
        return self.build / "build-times.json"

    def build_channels(self) -> list[str]:
        """Channels a build resolves from: the local channel first, then outside ones."""
        return [str(self.output), *self.channels]

    @classmethod
    def load(cls, root: Path | None = None, *, output: Path | None = None) -> Settings:
        root = (root or find_root(Path.cwd())).resolve()
        table = _read_tool_table(root / "pyproject.toml")
        profile = os.environ.get("EMCI_CHANNEL_PROFILE", "local")
        profiles = table.get("channels", {"local": []})
        if profile not in profiles:
            raise ConfigError(
                f"{root / 'pyproject.toml'}: [tool.emci.channels] has no profile {profile!r} "
                f"(EMCI_CHANNEL_PROFILE); known: {', '.join(sorted(profiles))}"
            )
        mirror = os.environ.get("EMCI_SOURCE_MIRROR") or table.get("mirror", "build/mirror")
        return cls(
            root=root,
            output=(output or root / table.get("output", "output")).resolve(),
            build=(root / table.get("build", "build")).resolve(),
            mirror=(root / mirror).resolve(),
            variant_config=root / table.get("variant_config", "conda_build_config.yaml"),
            channels=tuple(profiles[profile]),
            readonly_mirrors=_readonly_mirrors(root, table),
            abi=(
                AbiSettings.from_table(table["abi"], f"{root / 'pyproject.toml'}: [tool.emci.abi]")
                if "abi" in table
                else None
            ),
        )


def _readonly_mirrors(root: Path, table: dict) -> tuple[Path, ...]:
    """EMCI_READONLY_MIRRORS (`:`-separated) when set, else `readonly_mirrors` (a list);
    each must be an existing directory."""
    variable = os.environ.get("EMCI_READONLY_MIRRORS")
    if variable:
        where = "EMCI_READONLY_MIRRORS"
        entries = [item for item in variable.split(os.pathsep) if item]
    else:
        where = f"{root / 'pyproject.toml'}: [tool.emci] readonly_mirrors"
        entries = table.get("readonly_mirrors", [])
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise ConfigError(f"{where}: expected a list of directory paths")
    folders = []
    for entry in entries:
        folder = (root / entry).resolve()
        if not folder.is_dir():
            raise ConfigError(f"{where}: {entry} is not a directory")
        folders.append(folder)
    return tuple(folders)


def find_root(start: Path) -> Path:
    """The nearest directory at or above `start` with a `recipes/` folder and pyproject.toml."""
    for candidate in [start, *start.parents]:
        if (candidate / "recipes").is_dir() and (candidate / "pyproject.toml").is_file():
            return candidate
    raise ConfigError(f"{start}: not inside a recipe repository (no recipes/ and pyproject.toml)")


def _read_tool_table(pyproject: Path) -> dict:
    try:
        data = tomllib.loads(pyproject.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject}: {exc}") from exc
    return data.get("tool", {}).get("emci", {})
