"""Benchmark: time to a notebook's first cell output in Chromium, our JupyterLite site
(xeus-python from our channel) against a JupyterLite site with the Pyodide kernel.

    python bench/lite_startup.py --site SITE [--channel output] [--runs 5] [--reload]
    python bench/lite_startup.py --prepare-only     # build the Pyodide site, time nothing

Ours: SITE, built by `emci lite build SITE ... --contents` with a notebook `bench.ipynb`
(this script writes one into build/bench/lite-contents/ to pass as --contents), served with
its channel by `emci lite serve`'s server.
Theirs: a site built here in build/bench/lite-pyodide/ by JupyterLite's own build from its own
venv (jupyterlite-core at our pin plus jupyterlite-pyodide-kernel; never our .venv, whose
sites would all get the Pyodide kernel), with the Pyodide the kernel expects taken from npm
and served from the site itself: nothing is fetched from outside at run time. It gets the page fix
that `emci lite build` gives our site (emci/lite_page.py: a call between the page and the
kernel's worker was lost now and then, with either kernel), so the pages differ in their
kernels only.

npm's `pyodide` holds the runtime (pyodide.mjs, pyodide.asm.mjs/.wasm, python_stdlib.zip,
pyodide-lock.json) but no packages. The kernel's worker loads micropip from the lock file, then
piplite.install()s ipykernel, comm, pyodide-kernel, jedi and ipython: ipykernel, piplite and
pyodide-kernel come with the extension (its pypi/all.json), ipython and jedi and their
dependencies from the lock file, comm from neither. So: the lock's wheels are downloaded by pip
(same file names, pure Python), put next to the lock, and its sha256 entries rewritten (Pyodide
checks them); comm is given to the site's piplite index (--piplite-wheels); PyPI fallback is off.

Each run is a fresh Chromium (cold cache) driven by tests/lite_notebook_check.js, timed from
opening the page to the first cell's output, the notebook run in the page as first opened (a
person's first visit; both sites are cross-origin isolated, so neither kernel waits for
JupyterLite's service worker). --reload times a next visit instead (the Chromium test runs
both): the page loaded again once the service worker is registered, the reload counted in.
Prints both medians, their ratio and the bytes each page received. It also splits each time
at the moment the notebook's cells are shown (JupyterLite's own frontend loaded, the same for
both sites; the kernel starts then) and gives the ratio of the rest, the kernel's start to
the first output.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "ci"))

WORK = ROOT / "build" / "bench" / "lite-pyodide"
CONTENTS = ROOT / "build" / "bench" / "lite-contents"
NOTEBOOK = "bench.ipynb"
CODE = "print(6 * 7)"
EXPECTED = "42"

CORE_PIN = "jupyterlite-core==0.8.6"  # as pyproject.toml's `lite` extra
SERVER_PIN = "jupyter-server==2.21.1"  # indexes the site's notebooks
# the last release whose jupyterlite-core range holds 0.8.6 (0.8.7 wants core >= 0.8.7)
PYODIDE_KERNEL_PIN = "jupyterlite-pyodide-kernel==0.8.6"
COMM_PIN = "comm==0.2.3"  # pyodide-kernel needs comm; not in Pyodide's lock file
# what the kernel's worker gets from the lock file (loadPackage / piplite.install), roots only
LOCK_ROOTS = ("micropip", "ipython", "jedi")
# the runtime files of npm's pyodide that the page fetches
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"


def run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], check=True, **kwargs)


def notebook(kernel: str, display: str) -> dict:
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "c1",
                "metadata": {},
                "outputs": [],
                "source": CODE,
            }
        ],
        "metadata": {
            "kernelspec": {"name": kernel, "display_name": display, "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_contents(folder: Path, kernel: str, display: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / NOTEBOOK).write_text(json.dumps(notebook(kernel, display), indent=1))
    return folder


def make_venv(work: Path) -> Path:
    venv = work / "venv"
    python = venv / "bin" / "python"
    if not python.is_file():
        run(sys.executable, "-m", "venv", venv)
        run(
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            CORE_PIN,
            PYODIDE_KERNEL_PIN,
            SERVER_PIN,
        )
    return python


def expected_pyodide(python: Path) -> str:
    """The Pyodide version the installed kernel's default pyodideUrl names."""
    return subprocess.check_output(
        [
            str(python),
            "-c",
            "from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION as v; print(v)",
        ],
        text=True,
    ).strip()


def npm_pyodide(work: Path, version: str) -> Path:
    """npm's pyodide@version unpacked (npm pack: no install, no dependencies)."""
    folder = work / f"pyodide-{version}"
    if not (folder / "package" / "pyodide.asm.wasm").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        name = (
            subprocess.check_output(
                ["npm", "pack", "--silent", f"pyodide@{version}"], cwd=folder, text=True
            )
            .strip()
            .splitlines()[-1]
        )
        with tarfile.open(folder / name) as tar:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
                tar.extractall(folder, filter="data")
            else:
                tar.extractall(folder)
    return folder / "package"


def lock_closure(lock: dict, roots: tuple[str, ...]) -> list[dict]:
    packages = lock["packages"]
    norm = {name.replace("_", "-").lower(): name for name in packages}
    seen: dict[str, dict] = {}
    todo = list(roots)
    while todo:
        name = norm[todo.pop().replace("_", "-").lower()]
        if name not in seen:
            seen[name] = packages[name]
            todo += packages[name]["depends"]
    return [dict(entry, name=name) for name, entry in sorted(seen.items())]


def pip_download(python: Path, dest: Path, python_version: str, *specs: str) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    run(
        python,
        "-m",
        "pip",
        "download",
        "-q",
        "--disable-pip-version-check",
        "--no-deps",
        "--only-binary=:all:",
        "--python-version",
        python_version,
        "-d",
        dest,
        *specs,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assemble_pyodide(python: Path, work: Path, version: str, target: Path) -> str:
    """npm's runtime files plus the lock's wheels from pip, the lock's sha256s made theirs;
    returns the Python version (X.Y) of that Pyodide."""
    package = npm_pyodide(work, version)
    lock = json.loads((package / "pyodide-lock.json").read_text())
    py_version = ".".join(lock["info"]["python"].split(".")[:2])
    needed = lock_closure(lock, LOCK_ROOTS)
    wheels = work / "wheels"
    pip_download(python, wheels, py_version, *(f"{p['name']}=={p['version']}" for p in needed))
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in PYODIDE_FILES:
        shutil.copy2(package / name, target / name)
    for entry in needed:
        wheel = wheels / entry["file_name"]
        if not wheel.is_file():
            raise SystemExit(f"pip gave no {entry['file_name']} (lock entry {entry['name']})")
        shutil.copy2(wheel, target / wheel.name)
        lock["packages"][entry["name"]]["sha256"] = sha256(wheel)
    (target / "pyodide-lock.json").write_text(json.dumps(lock))
    return py_version


def build_pyodide_site(work: Path = WORK) -> Path:
    python = make_venv(work)
    version = expected_pyodide(python)
    lite = work / "lite"
    if lite.exists():
        shutil.rmtree(lite)
    lite.mkdir(parents=True)
    # the well-known place: the build copies it to static/pyodide/ and sets pyodideUrl
    py_version = assemble_pyodide(python, work, version, lite / "static" / "pyodide")
    settings = {PLUGIN: {"disablePyPIFallback": True}}
    (lite / "jupyter-lite.json").write_text(
        json.dumps(
            {
                "jupyter-lite-schema-version": 0,
                "jupyter-config-data": {"litePluginSettings": settings},
            }
        )
    )
    extra = work / "extra-wheels"
    pip_download(python, extra, py_version, COMM_PIN)
    contents = write_contents(work / "contents", "python", "Python (Pyodide)")
    site = work / "site"
    if site.exists():
        shutil.rmtree(site)
    run(
        python,
        "-m",
        "jupyterlite_core",
        "build",
        "--lite-dir",
        lite,
        "--output-dir",
        site,
        "--contents",
        contents,
        "--piplite-wheels",
        *sorted(extra.glob("comm-*.whl")),
        cwd=lite,
    )
    config = json.loads((site / "jupyter-lite.json").read_text())
    got = config["jupyter-config-data"]["litePluginSettings"][PLUGIN]
    if not got.get("pyodideUrl", "").startswith("./static/pyodide/"):
        raise SystemExit(f"the Pyodide site does not use its own Pyodide: {got}")
    # the page fix `emci lite build` gives our site (its bridge to the kernel's worker, the
    # same library in the Pyodide kernel): the two pages differ in their kernels only
    from emci.lite_page import add_page_fixes

    add_page_fixes(site)
    print(f"pyodide site: {site} (pyodide {version}, {PYODIDE_KERNEL_PIN})")
    return site


def time_site(
    site: Path, channel: Path, runs: int, node_modules: Path, reload: bool = False
) -> list[dict]:
    from emci.lite import make_site_server

    server = make_site_server(site, channel, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/notebooks/index.html?path={NOTEBOOK}"
    shots = ROOT / "build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    check = ["node", str(ROOT / "tests" / "lite_notebook_check.js")]
    check += [] if reload else ["--first-visit"]
    seen = []
    try:
        for _ in range(runs):
            done = subprocess.run(
                [*check, url, str(shots), "1"],
                capture_output=True,
                text=True,
                check=False,
                timeout=900,
                env={**os.environ, "NODE_PATH": str(node_modules)},
            )
            if done.returncode != 0:
                raise SystemExit(f"{site}: the notebook did not run\n{done.stderr[-3000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            if EXPECTED not in result["cells"][0]["text"]:
                raise SystemExit(f"{site}: first cell printed {result['cells'][0]['text']!r}")
            seen.append(result)
    finally:
        server.shutdown()
        server.server_close()
    return seen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--site",
        type=Path,
        help="our site (emci lite build ... --contents "
        f"{CONTENTS.relative_to(ROOT)}), with {NOTEBOOK}",
    )
    parser.add_argument("--channel", type=Path, default=ROOT / "output")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument(
        "--reload",
        action="store_true",
        help="load each page again once its service worker is registered (a next visit, the "
        "second of the Chromium test's two) and count the reload in; default: the first visit",
    )
    args = parser.parse_args()
    write_contents(CONTENTS, "xpython", "Python 3.11 (XPython)")
    theirs_site = build_pyodide_site()
    if args.prepare_only:
        return 0
    if not args.site or not (args.site / "files" / NOTEBOOK).is_file():
        raise SystemExit(f"--site: build it with `emci lite build SITE --contents {CONTENTS}`")
    from emci.lite_page import add_page_fixes

    add_page_fixes(args.site)  # a site built before emci gave it the page fix: both alike
    node_modules = ROOT / "build" / "node" / "node_modules"  # as the tests' npm_install
    if not (node_modules / "playwright-core").is_dir():
        run(
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            node_modules.parent,
            "playwright-core@1",
        )
    ours: list[dict] = []
    theirs: list[dict] = []
    for _ in range(args.runs):  # alternated, so that a slow patch of the machine hits both
        ours += time_site(args.site.resolve(), args.channel.resolve(), 1, node_modules, args.reload)
        theirs += time_site(theirs_site, args.channel.resolve(), 1, node_modules, args.reload)
    visit = (
        "loaded again once its service worker is registered, the reload counted in"
        if args.reload
        else "the first visit"
    )
    print(f"runs: {args.runs} each, fresh Chromium each (cold cache), {visit}; one cell: {CODE}")
    medians = {}
    for label, seen in (("ours (xeus-python)", ours), ("pyodide kernel", theirs)):
        first = statistics.median(r["firstOutputMs"] for r in seen)
        page = statistics.median(r["pageMs"] for r in seen)
        kernel = statistics.median(r["firstOutputMs"] - r["pageMs"] for r in seen)
        received = statistics.median(r["bytes"] for r in seen)
        medians[label] = (first, kernel)
        resent = sum(1 for r in seen if r["resent"])
        print(
            f"{label:<20} first output median {first / 1000:.2f} s "
            f"(notebook shown {page / 1000:.2f} s, then kernel to output {kernel / 1000:.2f} s), "
            f"received median {received / 1e6:.1f} MB; first cell sent again in {resent} of "
            f"{len(seen)} runs (a sign that the page lost it, or no answer within 15 s)"
        )
    ours_first, ours_kernel = medians["ours (xeus-python)"]
    theirs_first, theirs_kernel = medians["pyodide kernel"]
    print(f"ratio ours/pyodide (first output): {ours_first / theirs_first:.2f}")
    print(f"ratio ours/pyodide (notebook shown to first output): {ours_kernel / theirs_kernel:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
