"""Benchmark: cold start of our wasm Python against Pyodide, in the same Node, same run.

    python bench/python_startup.py [--runs 10] [--prefix ENV ...] [--pyodide-version V]

Ours: `bin/python3.11 -c pass`, the python package's launcher (Node with the flags the
package recorded for its interpreter), from an environment installed with `emci env create`
(made from output/, of the tree's ABI, unless --prefix is given: any ABI's environment;
give it more than once to compare ABIs in the same run, each line naming its ABI).
Pyodide: a fresh Node process doing `loadPyodide()` then `runPython("pass")`, with the npm
`pyodide` package installed under build/bench/. Prints both medians and the ratio (goal: ours
at most a quarter of Pyodide's), and the installed size of python + stdlib against Pyodide's
core files.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "ci"))

from emci.env import create_env, environment_abi, python_command, python_entry  # noqa: E402
from emci.settings import Settings  # noqa: E402

PYODIDE_SCRIPT = """\
const { loadPyodide } = require("pyodide");
loadPyodide().then((pyodide) => { pyodide.runPython("pass"); });
"""
PYODIDE_CORE = (
    "pyodide.asm.wasm",
    "pyodide.asm.js",
    "pyodide.asm.mjs",  # newer releases ship the module as .mjs
    "pyodide.js",
    "python_stdlib.zip",
    "pyodide-lock.json",
)


def median_seconds(command: list[str], runs: int, cwd: Path | None = None) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, cwd=cwd, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def tree_size(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        if path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            total += path.stat().st_size
    return total


def installed_abi(prefix: Path) -> str:
    """The Emscripten ABI an environment was installed with (its emscripten-abi package)."""
    from rattler import PrefixRecord

    for record in (prefix / "conda-meta").glob("emscripten-abi-*.json"):
        return str(PrefixRecord.from_path(record).version)
    return "unknown"


def install_pyodide(version: str) -> Path:
    folder = ROOT / "build" / "bench" / f"pyodide-{version}"
    if not (folder / "node_modules" / "pyodide" / "pyodide.asm.wasm").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(folder),
                f"pyodide@{version}",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    (folder / "start.js").write_text(PYODIDE_SCRIPT)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--prefix", type=Path, action="append")
    parser.add_argument("--pyodide-version", default="314.0.7")
    args = parser.parse_args()
    ours: list[tuple[str, float, int]] = []
    with tempfile.TemporaryDirectory(prefix="emci-bench-env-") as tmp:
        prefixes = args.prefix
        if not prefixes:
            prefixes = [Path(tmp) / "env"]
            abi = environment_abi(lambda: Settings.load(ROOT), None, needs_repository=True)
            create_env(prefixes[0], ["python"], [str(ROOT / "output")], abi=abi)
        for prefix in prefixes:
            entry = python_entry(prefix)
            seconds = median_seconds(python_command(prefix, ["-c", "pass"]), args.runs)
            size = tree_size([entry, entry.with_suffix(".wasm"), prefix / "lib" / "python3.11"])
            ours.append((installed_abi(prefix), seconds, size))
    pyodide = install_pyodide(args.pyodide_version)
    theirs = median_seconds(["node", "start.js"], args.runs, cwd=pyodide)
    core = pyodide / "node_modules" / "pyodide"
    theirs_size = tree_size([core / name for name in PYODIDE_CORE])
    node = subprocess.check_output(["node", "--version"], text=True).strip()
    print(f"runs: {args.runs} each, node {node}")
    for abi, seconds, _ in ours:
        label = f"ours    (python 3.11, emscripten {abi}, -c pass):"
        print(f"{label:<52} median {seconds:.3f} s")
    label = f"pyodide {args.pyodide_version} (loadPyodide + runPython):"
    print(f"{label:<52} median {theirs:.3f} s")
    for abi, seconds, size in ours:
        ratio = seconds / theirs
        verdict = "met" if ratio <= 0.25 else "NOT met"
        print(f"ratio ours ({abi})/pyodide: {ratio:.2f} (goal <= 0.25): {verdict}")
        print(f"installed size ({abi}): python + stdlib {size / 1e6:.1f} MB")
    print(f"installed size: pyodide core files {theirs_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
