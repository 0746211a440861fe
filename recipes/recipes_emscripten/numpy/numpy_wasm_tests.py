"""pytest plugin for numpy's own tests in the wasm Python (`pytester -p numpy_wasm_tests`).

--skips FILE        skip tests by id, each with a reason from REASONS (one per line:
                    `<test id>  <reason>  <note>`, ids as `numpy/<path>::<name>`); an id
                    that no collected test has is an error, so the list cannot go stale;
--min-collected N   fail the run when fewer tests are collected,
--min-passed N      or when fewer pass (a run that silently skips most of numpy is not green).

The closing line says passed / skipped / failed, as pytest counts them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Why a numpy test cannot run in the wasm Python under Node (issue: numpy for WebAssembly).
REASONS = {
    "threads": "no threads in this Python (no pthreads in the Emscripten build)",
    "subprocess": "no subprocess or fork under Node",
    "fp-exceptions": "WebAssembly has no floating-point exception flags",
    "memory": "needs more memory than wasm32 can address",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("numpy-wasm")
    group.addoption("--skips", default=None, help="file of test ids to skip, with reasons")
    group.addoption("--min-collected", type=int, default=0, help="fewest tests to collect")
    group.addoption("--min-passed", type=int, default=0, help="fewest tests that must pass")


def read_skips(path: Path) -> dict[str, str]:
    skips: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(maxsplit=2)
        if len(fields) < 2 or fields[1] not in REASONS:
            raise pytest.UsageError(
                f"{path}: line {number}: expected `<test id> <reason>` with a reason among "
                f"{', '.join(sorted(REASONS))}"
            )
        skips[fields[0]] = fields[1]
    return skips


def test_id(item: pytest.Item) -> str:
    """`numpy/<path inside numpy>::<name>`, whatever the rootdir."""
    import numpy

    package = Path(numpy.__file__).parent
    relative = Path(os.path.relpath(item.path, package)).as_posix()
    return "numpy/" + relative + "::" + item.nodeid.split("::", 1)[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    option = config.getoption("--skips")
    if not option:
        return
    skips = read_skips(Path(option))
    seen = set()
    for item in items:
        reason = skips.get(test_id(item))
        if reason is not None:
            seen.add(test_id(item))
            item.add_marker(pytest.mark.skip(reason=f"wasm: {reason}: {REASONS[reason]}"))
    unknown = sorted(set(skips) - seen)
    if unknown:
        raise pytest.UsageError(f"{option}: no collected test has the id {unknown[0]}")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    passed = len([r for r in reporter.stats.get("passed", []) if r.when == "call"])
    collected = session.testscollected
    problems = []
    if collected < config.getoption("--min-collected"):
        problems.append(f"{collected} collected, fewer than {config.getoption('--min-collected')}")
    if passed < config.getoption("--min-passed"):
        problems.append(f"{passed} passed, fewer than {config.getoption('--min-passed')}")
    if problems:
        reporter.write_line("numpy_wasm_tests: " + "; ".join(problems), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
