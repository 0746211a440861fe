"""Leaving the process without interpreter finalization.

py-rattler and py-rattler-build run async work on tokio threads that may still be letting go
of the GIL when the interpreter finalizes, which aborts the process with "PyGILState_Release:
thread state ... must be current when releasing" (PyO3/pyo3-async-runtimes#40). Here that hit
about 1 run in 15 of `emci env create` against an HTTP channel. emci's entry points close every
file they write before returning, so they flush their streams and leave with os._exit.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn


def leave(code: int) -> NoReturn:
    """Flush logging and the standard streams, then end the process with `code`."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
