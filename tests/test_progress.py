"""Progress on long builds: the running recipes, for how long, the last line of each log; a
live line on a terminal, a heartbeat line otherwise. Clocks and intervals are injected: no
test waits for real minutes or asserts on elapsed time."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from conftest import Repo, recipe_text, wasm
from emci.builder import BuildOptions, build_plan, log_path_for
from emci.progress import BuildProgress, Heartbeat, StatusDisplay, duration, last_log_line
from emci.scheduler import BUILT, TaskResult
from emci.workspace import Workspace


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_last_log_line_is_the_last_visible_text(tmp_path: Path):
    log = tmp_path / "x.log"
    assert last_log_line(log) == ""  # not written yet
    log.write_bytes(
        b"== building\n"
        b"downloading 10%\rdownloading 55%\rdownloading 100%\n"
        b"\x1b[1;32mchecking for gcc... \x1b[0myes\n\n   \n"
    )
    assert last_log_line(log) == "checking for gcc... yes"
    log.write_bytes(b"x" * 20000 + b"\nCC crypto/aes.o\r\n" + b"\xff\xfe bad bytes\n")
    assert last_log_line(log) == "\ufffd\ufffd bad bytes"
    log.write_text("y" * 300)
    assert len(last_log_line(log, limit=50)) == 50


def test_duration():
    assert [duration(s) for s in (0, 59, 60, 612, 3600 * 2 + 61)] == [
        "0s",
        "59s",
        "1m00s",
        "10m12s",
        "2h01m",
    ]


def test_status_names_each_running_recipe_its_time_and_log_line(tmp_path: Path):
    clock = Clock()
    progress = BuildProgress(total=3, clock=clock)
    python_log, openssl_log = tmp_path / "python.log", tmp_path / "openssl.log"
    python_log.write_text("configure\nchecking for gcc... yes\n")
    progress.started("recipes_emscripten/python", python_log)
    clock.now += 30
    progress.started("recipes_emscripten/openssl", openssl_log)  # no log yet
    clock.now += 582
    assert progress.heartbeat_line() == (
        "still building (0/3 done): recipes_emscripten/python 10m12s: checking for gcc... yes; "
        "recipes_emscripten/openssl 9m42s"
    )
    openssl_log.write_text("CC crypto/aes.o\n")
    progress.finished("recipes_emscripten/python")
    assert progress.status_line() == (
        "[1/3 done, building] recipes_emscripten/openssl 9m42s: CC crypto/aes.o"
    )
    progress.finished("recipes_emscripten/openssl")
    assert progress.status_line() == progress.heartbeat_line() == ""


def test_heartbeat_is_due_once_per_interval():
    beat = Heartbeat(60.0, start=0.0)
    assert [beat.due(t) for t in (1, 59.9, 60, 61, 119, 120)] == [
        False,
        False,
        True,
        False,
        False,
        True,
    ]
    assert beat.due(500) and not beat.due(530)  # a late check gives one line, not a burst
    assert beat.due(540)


def test_heartbeat_lines_without_a_terminal(tmp_path: Path):
    clock = Clock()
    progress = BuildProgress(total=1, clock=clock)
    out = io.StringIO()
    display = StatusDisplay(progress, out, live=False, interval=60)
    display.tick()
    assert out.getvalue() == ""  # nothing running, nothing due
    log = tmp_path / "python.log"
    log.write_text("make: building _ssl\n")
    progress.started("recipes_emscripten/python", log)
    clock.now += 59
    display.tick()
    assert out.getvalue() == ""
    clock.now += 1
    display.tick()
    clock.now += 30
    display.tick()
    assert out.getvalue().splitlines() == [
        "still building (0/1 done): recipes_emscripten/python 1m00s: make: building _ssl"
    ]
    assert "\r" not in out.getvalue()


def test_live_line_is_redrawn_in_place_and_cleared_for_other_lines(tmp_path: Path):
    clock = Clock()
    progress = BuildProgress(total=2, clock=clock)
    out = io.StringIO()
    display = StatusDisplay(progress, out, live=True, width=lambda: 60)
    display.tick()
    assert out.getvalue() == ""  # nothing to show yet: nothing written
    log = tmp_path / "zlib.log"
    log.write_text("a very long line from the build that does not fit in sixty columns\n")
    progress.started("recipes_emscripten/zlib", log)
    clock.now += 5
    display.tick()
    first = out.getvalue()
    assert first.startswith("\r[0/2 done, building] recipes_emscripten/zlib 5s: a very")
    assert len(first) == 60 and first.endswith("…")  # fits the terminal (width - 1)
    with display.paused():
        out.write("[1/2] built recipes_emscripten/zlib in 5s\n")
    assert out.getvalue()[len(first) :].startswith("\r" + " " * 59 + "\r[1/2] built")


def test_a_running_build_gets_heartbeats_from_the_ticker_thread(repo: Repo, settings_for):
    """The real scheduler and the display's own thread, with a 10 ms heartbeat injected:
    each build waits until two heartbeat lines have named it."""
    repo.recipe("zlib", recipe_text("zlib"))
    repo.recipe("libpng", recipe_text("libpng", host=["zlib"]))
    workspace = Workspace.load(settings_for(repo))
    settings = workspace.settings
    progress = BuildProgress(total=2)

    class Stream(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.changed = threading.Condition()

        def write(self, text: str) -> int:
            with self.changed:
                written = super().write(text)
                self.changed.notify_all()
            return written

        def beats_naming(self, recipe: str) -> int:
            lines = self.getvalue().splitlines()
            return sum(line.startswith("still building") and recipe in line for line in lines)

    out = Stream()

    def build(name: str) -> TaskResult:
        path = log_path_for(settings, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"building {name}\n")
        with out.changed:
            ok = out.changed.wait_for(lambda: out.beats_naming(name) >= 2, timeout=60)
        return TaskResult(name, BUILT if ok else "failed")

    with StatusDisplay(progress, out, live=False, interval=0.01):
        report = build_plan(
            settings,
            workspace.graph,
            sorted(workspace.graph.recipes),
            BuildOptions(),
            build=build,
            on_start=lambda name: progress.started(name, log_path_for(settings, name)),
            on_result=lambda result: progress.finished(result.name),
        )
    assert report.ok
    text = out.getvalue()
    assert "still building (0/2 done): recipes_emscripten/zlib" in text
    assert f"still building (1/2 done): {wasm('libpng')}" in text
    assert "building recipes_emscripten/libpng" in text  # the log's last line
