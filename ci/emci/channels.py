"""What packages already exist: in the local channel and in the configured outside channels.

Queries go through py-rattler's Gateway (the same repodata reader conda clients use). An
outside channel that cannot be reached is reported once as a warning and treated as empty.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rattler import BuildString, Channel, Gateway, MatchSpec, PackageRecord, Subdir

from emci.recipes import Output, PackageKey
from emci.settings import CHANNEL_SUBDIRS

log = logging.getLogger(__name__)

SUBDIRS = CHANNEL_SUBDIRS


@dataclass(frozen=True)
class PackageId:
    subdir: str
    name: str
    version: str
    build: str
    build_number: int = field(default=0, compare=False)

    def record(self) -> PackageRecord:
        return PackageRecord(
            name=self.name,
            version=self.version,
            build=BuildString(self.build),
            build_number=self.build_number,
            subdir=self.subdir,
        )


@dataclass
class ChannelIndex:
    """Package identities found in a list of channels."""

    packages: set[PackageId] = field(default_factory=set)
    unreachable: list[str] = field(default_factory=list)

    def has_output(self, output: Output) -> bool:
        wanted = PackageId(output.subdir, output.name, output.version, output.build_string)
        return wanted in self.packages

    def satisfies(self, key: PackageKey, spec: str) -> bool:
        """Whether a package for `key`'s subdir (or noarch) matches the match spec."""
        name, subdirs = key.name, (key.subdir, "noarch")
        candidates = [p for p in self.packages if p.name == name and p.subdir in subdirs]
        if not candidates:  # most requirements of a plan: no spec to parse
            return False
        parsed = MatchSpec(spec)
        return any(parsed.matches(p.record()) for p in candidates)

    @classmethod
    def load(cls, channels: Iterable[str], names: Iterable[str]) -> ChannelIndex:
        index = cls()
        names = sorted(set(names))
        if not names:
            return index
        for channel in channels:
            if _is_local(channel) and not Path(channel).is_dir():
                continue
            try:
                records = asyncio.run(_query(channel, names))
            except Exception as exc:  # rattler raises GatewayError and friends
                log.warning("channel %s cannot be read: %s", channel, str(exc).splitlines()[0])
                index.unreachable.append(channel)
                continue
            index.packages.update(records)
        return index


def _is_local(channel: str) -> bool:
    return channel.startswith("/") or channel.startswith(".")


async def _query(channel: str, names: list[str]) -> set[PackageId]:
    gateway = Gateway()
    platforms = [Subdir(subdir) for subdir in SUBDIRS]
    found: set[PackageId] = set()
    for records in await gateway.query([Channel(channel)], platforms, names, recursive=False):
        for record in records:
            found.add(
                PackageId(
                    str(record.subdir),
                    record.name.normalized,
                    str(record.version),
                    str(record.build),
                    int(record.build_number),
                )
            )
    return found
