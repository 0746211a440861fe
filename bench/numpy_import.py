"""Benchmark: numpy in our wasm Python under Node against native CPython + numpy, same run.

    python bench/numpy_import.py [--runs 5] [--prefix ENV]

Ours: an environment with python and numpy installed with `emci env create` from output/
(or --prefix ENV), run through the python package's launcher (Node). Native: this machine's
CPython with the same numpy release installed from pip into a venv under build/bench/.
Each run is a fresh process that times, in-process, `import numpy` and a small workload
(1e6-element vector ops, a 200x200 matrix product, an FFT of 2^16; each the best of 3); the
process's wall time is measured from outside too. Prints medians over the runs, the ratios
ours/native, and numpy's installed size in the environment. It reports; it has no pass/fail.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rattler import PrefixRecord

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "ci"))

from emci.env import create_env, environment_abi, python_command  # noqa: E402
from emci.settings import Settings  # noqa: E402

WORK = ROOT / "build" / "bench" / "numpy-native"

# Runs unchanged in both interpreters; prints one JSON line of seconds.
WORKLOAD = """\
import json, time
start = time.perf_counter()
import numpy as np
timings = {"import numpy": time.perf_counter() - start}
rng = np.random.default_rng(0)
a, b = rng.random(1_000_000), rng.random(1_000_000)
m = rng.random((200, 200))
x = rng.random(1 << 16)
cases = {
    "vector ops (1e6)": lambda: float((np.sqrt(a * b + a) - b).sum()),
    "matmul 200x200": lambda: float((m @ m).trace()),
    "fft 2^16": lambda: float(np.abs(np.fft.fft(x)).max()),
}
for name, case in cases.items():
    best = None
    for _ in range(3):
        start = time.perf_counter()
        case()
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    timings[name] = best
print("TIMINGS " + json.dumps(timings))
"""


def numpy_record(prefix: Path) -> PrefixRecord:
    """The environment's numpy as py-rattler reads its conda-meta record (its version and
    installed files)."""
    from rattler import PrefixRecord

    for path in (prefix / "conda-meta").glob("numpy-[0-9]*.json"):
        return PrefixRecord.from_path(path)
    raise SystemExit(f"{prefix}: no numpy installed in this environment")


def installed_size(prefix: Path, record: PrefixRecord) -> int:
    """Bytes of the files a package's record says it installed."""
    files = [prefix / f for f in record.files]
    return sum(f.stat().st_size for f in files if f.is_file())


def native_python(version: str) -> Path:
    """A venv of this machine's CPython with numpy==version from pip."""
    python = WORK / "venv" / "bin" / "python"
    if not python.is_file():
        subprocess.run([sys.executable, "-m", "venv", str(WORK / "venv")], check=True)
    probe = subprocess.run(
        [str(python), "-c", "import numpy; print(numpy.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.stdout.strip() != version:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"numpy=={version}"],
            check=True,
        )
    return python


def one_run(command: list[str]) -> dict[str, float]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith("TIMINGS ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{command[0]} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    timings = json.loads(lines[-1].removeprefix("TIMINGS "))
    timings["process wall time"] = wall
    return timings


def medians(command: list[str], runs: int) -> dict[str, float]:
    results = [one_run(command) for _ in range(runs)]
    return {name: statistics.median(r[name] for r in results) for name in results[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--prefix", type=Path, help="an environment with python and numpy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="emci-bench-numpy-") as tmp:
        prefix = args.prefix
        if prefix is None:
            prefix = Path(tmp) / "env"
            abi = environment_abi(lambda: Settings.load(ROOT), None, needs_repository=True)
            create_env(prefix, ["python", "numpy"], [str(ROOT / "output")], abi=abi)
        record = numpy_record(prefix)
        version = str(record.version)
        ours = medians(python_command(prefix, ["-c", WORKLOAD]), args.runs)
        size = installed_size(prefix, record)
    native = native_python(version)
    theirs = medians([str(native), "-c", WORKLOAD], args.runs)
    native_version = subprocess.check_output(
        [str(native), "-c", "import sys; print(sys.version.split()[0])"], text=True
    ).strip()
    node = subprocess.check_output(["node", "--version"], text=True).strip()
    print(f"numpy {version}; median of {args.runs} runs each")
    print(f"ours: wasm Python 3.11 in node {node}; native: CPython {native_version}")
    print(f"{'':<20} {'ours':>10} {'native':>10} {'ratio':>8}")
    for name, seconds in ours.items():
        ratio = seconds / theirs[name] if theirs[name] else float("inf")
        print(f"{name:<20} {seconds * 1e3:>8.1f}ms {theirs[name] * 1e3:>8.1f}ms {ratio:>7.1f}x")
    print(f"numpy installed size (ours, files of the conda package): {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
