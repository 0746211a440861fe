"""The one logger: info to stdout, warnings and errors to stderr, no colour."""

from __future__ import annotations

import logging
import sys


class _MaxLevel(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < self.level


def setup(verbose: bool = False) -> None:
    root = logging.getLogger("emci")
    if root.handlers:
        return
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    out = logging.StreamHandler(sys.stdout)
    out.addFilter(_MaxLevel(logging.WARNING))
    out.setFormatter(logging.Formatter("%(message)s"))
    err = logging.StreamHandler(sys.stderr)
    err.setLevel(logging.WARNING)
    err.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(out)
    root.addHandler(err)
    root.propagate = False
