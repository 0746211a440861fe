"""Consumers: solve and install emscripten-wasm32 environments with py-rattler, and run the
prefix's Python under Node.

An environment is of one Emscripten ABI: the solve is constrained to the ABI package of one
version (`AbiPin`; `emci env create` takes the tree's ABI from the variant config unless
`--abi` names another), so packages built with two toolchains are never mixed. How Node runs
an interpreter is the interpreter package's own knowledge: the Node flags its compiler asked
for are recorded beside it (`bin/python3.X.node-flags`), and its launcher reads them.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import rattler

from emci.errors import ConfigError, EmciError, one_line

if TYPE_CHECKING:
    from emci.settings import Settings

log = logging.getLogger(__name__)

TARGET_PLATFORMS = ("emscripten-wasm32", "noarch")


class EnvError(EmciError):
    pass


@dataclass(frozen=True)
class InstalledPackage:
    name: str
    version: str
    build: str
    channel: str


@dataclass(frozen=True)
class AbiPin:
    """An environment's Emscripten ABI: `package` (emscripten-abi) of that version only."""

    package: str
    version: str

    @property
    def spec(self) -> str:
        return f"{self.package} {self.version}.*"


def environment_abi(
    load_settings: Callable[[], Settings], requested: str | None, *, needs_repository: bool
) -> AbiPin | None:
    """The ABI an environment is pinned to: `requested` (`--abi`), else the tree's (the
    variant config's ABI key, [tool.emci.abi]). Outside a recipe repository, when channels
    are given (`needs_repository` false) and no ABI is requested, the solve is not pinned."""
    from emci.abi import tree_abi
    from emci.settings import EMSCRIPTEN_PLATFORM

    try:
        settings = load_settings()
    except ConfigError:
        if needs_repository or requested is not None:
            raise
        log.warning("not in a recipe repository: the environment's ABI is not pinned (--abi)")
        return None
    if settings.abi is None:
        if requested is not None:
            raise ConfigError(
                f"{settings.root / 'pyproject.toml'}: no [tool.emci.abi] table: --abi "
                "needs its package name"
            )
        return None
    version = requested or tree_abi(settings.abi, settings.variant_config, EMSCRIPTEN_PLATFORM)
    return AbiPin(settings.abi.package, version)


def create_env(
    prefix: Path,
    specs: Sequence[str],
    channels: Sequence[str],
    cache_dir: Path | None = None,
    abi: AbiPin | None = None,
) -> list[InstalledPackage]:
    """Solve `specs` for emscripten-wasm32 from `channels` (first has priority), constrained
    to the ABI `abi` when given, and install."""
    if not specs:
        raise EnvError("no package specs given")
    parsed = []
    for spec in specs:
        try:
            parsed.append(rattler.MatchSpec(spec))
        except Exception as exc:  # py-rattler's InvalidMatchSpecError
            raise EnvError(f"bad package spec {spec!r}: {one_line(exc)}") from None
    constraints = []
    if abi is not None:
        try:
            constraints.append(rattler.MatchSpec(abi.spec))
        except Exception as exc:  # py-rattler's InvalidMatchSpecError
            raise EnvError(f"--abi {abi.version!r}: not a version ({one_line(exc)})") from None
    channel_objects = [rattler.Channel(_channel_url(c)) for c in channels]

    async def solve_and_install() -> list:
        records = await rattler.solve(
            channel_objects,
            parsed,
            platforms=list(TARGET_PLATFORMS),
            channel_priority=rattler.ChannelPriority.Strict,
            constraints=constraints,
        )
        await rattler.install(
            records,
            target_prefix=prefix,
            cache_dir=cache_dir,
            platform=rattler.Subdir("emscripten-wasm32"),
        )
        return records

    try:
        records = asyncio.run(solve_and_install())
    except Exception as exc:  # rattler's SolverError, GatewayError, InstallError
        reason = one_line(exc)
        if abi is not None and abi.package in reason:
            reason += (
                f" (the environment is of ABI {abi.spec!r}: a package built with another "
                "Emscripten cannot join it; --abi VERSION picks another ABI)"
            )
        raise EnvError(f"cannot create {prefix}: {reason}") from exc
    return [
        InstalledPackage(r.name.normalized, str(r.version), str(r.build), str(r.channel))
        for r in records
    ]


def _channel_url(channel: str) -> str:
    path = Path(channel)
    if "://" not in channel and (path.is_absolute() or channel.startswith(".") or path.exists()):
        return str(path.resolve())
    return channel


def python_entry(prefix: Path) -> Path:
    """The wasm interpreter's JavaScript entry point in a prefix."""
    candidates = sorted((prefix / "bin").glob("python3.*.js"))
    if not candidates:
        raise EnvError(
            f"{prefix}: no wasm python (bin/python3.X.js); create one with "
            f"`emci env create {prefix} python`"
        )
    return candidates[-1]


def node_flags(entry: Path) -> list[str]:
    """The Node flags the interpreter's package recorded beside it (`python3.X.node-flags`:
    its compiler's, written when it was built)."""
    recorded = entry.with_suffix(".node-flags")
    try:
        return recorded.read_text().split()
    except OSError as exc:
        raise EnvError(
            f"{recorded}: cannot read the interpreter's Node flags ({exc.strerror}); "
            "its package predates them: run its launcher bin/python3.X"
        ) from None


def node_command(entry: Path, args: Sequence[str]) -> list[str]:
    """`node`, the interpreter's recorded flags, its entry point and `args`."""
    return ["node", *node_flags(entry), str(entry), *args]


def python_command(prefix: Path, args: Sequence[str]) -> list[str]:
    """How to run the prefix's Python: its package's launcher (`bin/python3.X`, which knows
    the Node flags of its interpreter), else Node with the recorded flags."""
    entry = python_entry(prefix)
    launcher = entry.with_suffix("")
    if launcher.is_file():
        return [str(launcher), *args]
    return node_command(entry, args)


def run_python(prefix: Path, args: Sequence[str]) -> int:
    """Run the prefix's Python with `args`; stdin/stdout/stderr and the exit code pass through."""
    command = python_command(prefix.resolve(), args)
    if shutil.which("node") is None:
        raise EnvError("node is not installed (Node.js 18 or later runs the wasm python)")
    return subprocess.run(command, check=False).returncode
