"""Substitute source archives: stand-ins for upstream files that cannot be had.

A mirror folder may hold `substitutes/INDEX.tsv`, a tab-separated table with a header line:

    upstream_sha256  upstream_url  substitute  made_from  missing_paths

`substitute` is the substitute file's path relative to the `substitutes/` folder, in the
mirror layout (`<sha256>/<file>`: the folder name is the substitute's own sha256);
`missing_paths` lists, comma-separated, the paths of the upstream tree the substitute lacks.
A build uses a substitute only when the upstream file is in no mirror and neither its URLs nor
its providers deliver it (`sources.fetch` decides); the substitution is announced in the
build's log and recorded in the package (`extra.emci-source-substitutes` in the staged
recipe, which rattler-build copies into `info/about.json`) and in the channel's
`emci-metadata.json`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emci.errors import SourceError

INDEX = Path("substitutes") / "INDEX.tsv"
COLUMNS = ("upstream_sha256", "upstream_url", "substitute", "made_from", "missing_paths")
EXTRA_KEY = "emci-source-substitutes"


@dataclass(frozen=True)
class Substitute:
    upstream_sha256: str
    upstream_url: str
    path: Path
    sha256: str
    made_from: str
    missing_paths: tuple[str, ...]
    index: Path

    def record(self) -> dict[str, Any]:
        """What a package and the channel metadata keep about this substitution."""
        return {
            "upstream_url": self.upstream_url,
            "upstream_sha256": self.upstream_sha256,
            "substitute_file": self.path.name,
            "substitute_sha256": self.sha256,
            "made_from": self.made_from,
            "missing_paths": list(self.missing_paths),
        }


def load_index(index: Path) -> dict[str, Substitute]:
    """One `substitutes/INDEX.tsv`, keyed by upstream sha256; a malformed row is an error
    naming the file, the line and the field."""
    try:
        lines = index.read_text().splitlines()
    except OSError as exc:
        raise SourceError(f"{index}: {exc}") from exc
    rows = list(csv.reader(lines, delimiter="\t"))
    if not rows:
        raise SourceError(f"{index}: empty (expected a header: {' '.join(COLUMNS)})")
    header = rows[0]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise SourceError(f"{index}: header lacks column(s) {', '.join(missing)}")
    found: dict[str, Substitute] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise SourceError(f"{index}:{number}: {len(row)} fields, the header has {len(header)}")
        cells = dict(zip(header, (cell.strip() for cell in row), strict=True))
        upstream = cells["upstream_sha256"].lower()
        if not _is_sha256(upstream):
            raise SourceError(f"{index}:{number}: upstream_sha256 is not a sha256: {upstream!r}")
        relative = Path(cells["substitute"])
        if relative.is_absolute() or ".." in relative.parts or len(relative.parts) != 2:
            raise SourceError(
                f"{index}:{number}: substitute must be <sha256>/<file> inside "
                f"{index.parent}, got {cells['substitute']!r}"
            )
        sha256 = relative.parts[0].lower()
        if not _is_sha256(sha256):
            raise SourceError(
                f"{index}:{number}: substitute's folder is not a sha256: {relative.parts[0]!r}"
            )
        if upstream in found:
            raise SourceError(f"{index}:{number}: upstream_sha256 {upstream} listed twice")
        found[upstream] = Substitute(
            upstream_sha256=upstream,
            upstream_url=cells["upstream_url"],
            path=index.parent / relative,
            sha256=sha256,
            made_from=cells["made_from"],
            missing_paths=tuple(p.strip() for p in cells["missing_paths"].split(",") if p.strip()),
            index=index,
        )
    return found


def load_substitutes(roots: Iterable[Path]) -> dict[str, Substitute]:
    """Every mirror root's substitutes; the first root listing an upstream sha256 wins."""
    found: dict[str, Substitute] = {}
    for root in roots:
        index = root / INDEX
        if index.is_file():
            for sha256, substitute in load_index(index).items():
                found.setdefault(sha256, substitute)
    return found


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)
