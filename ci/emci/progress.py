"""Progress while recipes build: which are running, for how long, and the last line of each
log. On a terminal a status line is redrawn in place every second; elsewhere (CI logs) a
heartbeat line is printed every 60 seconds, so a ten-minute CPython build is not silence.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

HEARTBEAT_SECONDS = 60.0
REDRAW_SECONDS = 1.0
TAIL_BYTES = 8192
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


@dataclass(frozen=True)
class Running:
    recipe: str
    log: Path
    since: float


def last_log_line(path: Path, limit: int = 120) -> str:
    """The last non-blank line of a log (its final `\\r`-separated part, without terminal
    escapes), read from the end of the file; "" when there is none yet."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - TAIL_BYTES))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    for line in reversed(tail.splitlines()):
        text = ANSI.sub("", line.split("\r")[-1]).strip()
        text = "".join(c if c.isprintable() else " " for c in text)
        if text:
            return text if len(text) <= limit else text[: limit - 1] + "…"
    return ""


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class BuildProgress:
    """What is building now. Thread-safe: the scheduler reports, a ticker reads."""

    def __init__(self, total: int = 0, clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.done = 0
        self.clock = clock
        self._running: dict[str, Running] = {}
        self._lock = threading.Lock()

    def started(self, recipe: str, log: Path) -> None:
        with self._lock:
            self._running[recipe] = Running(recipe, log, self.clock())

    def finished(self, recipe: str) -> None:
        with self._lock:
            self._running.pop(recipe, None)
            self.done += 1

    def running(self) -> list[Running]:
        with self._lock:
            return sorted(self._running.values(), key=lambda r: (r.since, r.recipe))

    def parts(self, now: float | None = None) -> list[str]:
        """`recipes_emscripten/python 10m12s: checking for gcc...` per running recipe."""
        now = self.clock() if now is None else now
        parts = []
        for item in self.running():
            text = f"{item.recipe} {duration(now - item.since)}"
            line = last_log_line(item.log)
            parts.append(f"{text}: {line}" if line else text)
        return parts

    def status_line(self, now: float | None = None) -> str:
        """The live terminal line."""
        parts = self.parts(now)
        return f"[{self.done}/{self.total} done, building] " + " | ".join(parts) if parts else ""

    def heartbeat_line(self, now: float | None = None) -> str:
        parts = self.parts(now)
        if not parts:
            return ""
        return f"still building ({self.done}/{self.total} done): " + "; ".join(parts)


class Heartbeat:
    """Decides when a heartbeat line is due: every `interval` seconds of a clock."""

    def __init__(self, interval: float, start: float) -> None:
        self.interval = interval
        self.next_at = start + interval

    def due(self, now: float) -> bool:
        if now < self.next_at:
            return False
        while self.next_at <= now:  # a stalled clock reader does not print a burst
            self.next_at += self.interval
        return True


class StatusDisplay:
    """Shows a BuildProgress while a build runs: a status line redrawn in place on a
    terminal, a heartbeat line every `interval` seconds otherwise. A context manager: the
    ticker thread runs inside the `with` block. `clear()` before printing other lines."""

    def __init__(
        self,
        progress: BuildProgress,
        stream: TextIO,
        *,
        live: bool,
        interval: float = HEARTBEAT_SECONDS,
        redraw: float = REDRAW_SECONDS,
        width: Callable[[], int] | None = None,
    ) -> None:
        self.progress = progress
        self.stream = stream
        self.live = live
        self.heartbeat = Heartbeat(interval, progress.clock())
        self.period = redraw if live else min(redraw, interval)
        self.width = width or (lambda: _terminal_width(stream))
        self._shown = 0  # characters of the status line on screen
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="emci-progress", daemon=True)

    def __enter__(self) -> StatusDisplay:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.clear()

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.tick()

    def tick(self, now: float | None = None) -> None:
        now = self.progress.clock() if now is None else now
        with self._lock:
            if self.live:
                line = self.progress.status_line(now)
                if line or self._shown:
                    self._draw(line)
            elif self.heartbeat.due(now):
                line = self.progress.heartbeat_line(now)
                if line:
                    self.stream.write(line + "\n")
                    self.stream.flush()

    def _draw(self, line: str) -> None:
        room = max(10, self.width() - 1)
        if len(line) > room:
            line = line[: room - 1] + "…"
        self.stream.write("\r" + line.ljust(self._shown))  # spaces cover a longer old line
        self.stream.flush()
        self._shown = len(line)

    def clear(self) -> None:
        """Remove the status line, so that the next line printed starts on a clean row."""
        with self._lock:
            self._clear()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Print other lines inside this block: the status line is removed first and not
        redrawn until the block ends."""
        with self._lock:
            self._clear()
            yield

    def _clear(self) -> None:
        if self.live and self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self.stream.flush()
            self._shown = 0


def _terminal_width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 100
