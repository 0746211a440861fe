"""Consumers: solve and install emscripten-wasm32 environments with py-rattler, and run the
prefix's Python under Node."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import rattler

from emci.errors import EmciError, one_line

TARGET_PLATFORMS = ("emscripten-wasm32", "noarch")


class EnvError(EmciError):
    pass


@dataclass(frozen=True)
class InstalledPackage:
    name: str
    version: str
    build: str
    channel: str


def create_env(
    prefix: Path, specs: Sequence[str], channels: Sequence[str], cache_dir: Path | None = None
) -> list[InstalledPackage]:
    """Solve `specs` for emscripten-wasm32 from `channels` (first has priority) and install."""
    if not specs:
        raise EnvError("no package specs given")
    parsed = []
    for spec in specs:
        try:
            parsed.append(rattler.MatchSpec(spec))
        except Exception as exc:  # py-rattler's InvalidMatchSpecError
            raise EnvError(f"bad package spec {spec!r}: {one_line(exc)}") from None
    channel_objects = [rattler.Channel(_channel_url(c)) for c in channels]

    async def solve_and_install() -> list:
        records = await rattler.solve(
            channel_objects,
            parsed,
            platforms=list(TARGET_PLATFORMS),
            channel_priority=rattler.ChannelPriority.Strict,
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
        first = str(exc).strip().splitlines()
        raise EnvError(f"cannot create {prefix}: {' '.join(first[:4])}") from exc
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


def node_command(entry: Path, args: Sequence[str]) -> list[str]:
    # Emscripten 3.1.6 programs predate Node's global fetch: switch it off.
    return ["node", "--no-experimental-fetch", str(entry), *args]


def run_python(prefix: Path, args: Sequence[str]) -> int:
    """Run the prefix's Python with `args`; stdin/stdout/stderr and the exit code pass through."""
    command = node_command(python_entry(prefix.resolve()), args)
    try:
        return subprocess.run(command, check=False).returncode
    except FileNotFoundError as exc:
        raise EnvError("node is not installed (Node.js 20 runs the wasm python)") from exc
