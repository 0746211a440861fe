"""End to end: a JupyterLite site built by `emci lite build` from the channel of the shared
end-to-end build (conftest.e2e_tree: python, pyyaml, jedi and the xeus-python kernel
stack), served with its channel by `emci lite serve`'s server, and a notebook run in headless
Chromium (Debian's chromium driven by Playwright, tests/lite_notebook_check.js).

The page asks one host this machine cannot reach (the conda-to-PyPI name mapping of the
page's installer, on GitHub); the browser answers that request alone with `{}` and the test
checks that it was the only one. Everything else comes from 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest

from conftest import REPO_ROOT, npm_install, run_emci
from emci.lite_page import FIX_FILE

pytestmark = pytest.mark.e2e

SITE_SPECS = ("python", "ipython", "numpy", "jedi", "pyyaml")

# (code, what its output must show): one cell each, run top to bottom
CELLS = (
    ("import sys; sys.platform", "'emscripten'"),
    ("import yaml; yaml.safe_load('a: 1')", "{'a': 1}"),
    ("import numpy as np; int(np.arange(4).sum())", "6"),
    ("import js; js.eval('6*7')", "42"),
    ("1 / 0", "ZeroDivisionError"),
    (
        "class Bold:\n"
        "    def _repr_html_(self):\n"
        "        return '<b id=\"emci-html\">bold</b>'\n"
        "Bold()",
        "bold",
    ),
    # an install in the running page from our channel (msgpack is not in the site)
    ("%mamba install msgpack", "+ msgpack"),
    ("import msgpack; msgpack.unpackb(msgpack.packb([1, 2]))", "[1, 2]"),
)
COMPLETE = "import yaml; yaml.safe_"


def notebook(cells: tuple[tuple[str, str], ...]) -> dict:
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": code,
            }
            for code, _ in cells
        ],
        "metadata": {
            "kernelspec": {
                "display_name": "Python 3.11 (XPython)",
                "language": "python",
                "name": "xpython",
            },
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture(scope="module")
def site(e2e_tree: Path, tmp_path_factory) -> Path:
    contents = tmp_path_factory.mktemp("contents")
    (contents / "check.ipynb").write_text(json.dumps(notebook(CELLS), indent=1))
    outdir = tmp_path_factory.mktemp("lite") / "site"
    done = run_emci(
        e2e_tree, "lite", "build", str(outdir), *SITE_SPECS, "--contents", str(contents)
    )
    assert done.returncode == 0, done.stderr
    return outdir


def run_notebook(site: Path, channel: Path, shots: Path, visit: str) -> tuple[dict, list[str]]:
    from emci.lite import make_site_server

    node_modules = npm_install(REPO_ROOT / "build" / "node", "playwright-core@1")
    server = make_site_server(site, channel, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/notebooks/index.html?path=check.ipynb"
        done = subprocess.run(
            [
                "node",
                str(Path(__file__).parent / "lite_notebook_check.js"),
                *(["--first-visit"] if visit == "first" else []),
                url,
                str(shots),
                str(len(CELLS)),
                COMPLETE,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
            env={**os.environ, "NODE_PATH": str(node_modules)},
        )
        assert done.returncode == 0, done.stderr[-5000:]
        seen = json.loads(done.stdout.strip().splitlines()[-1])
        print("\n".join(seen["problems"]))  # shown by pytest when the test fails
        return seen, list(server.requests)
    finally:
        server.shutdown()
        server.server_close()


def test_the_site_holds_our_kernel_and_environment(site: Path):
    meta = json.loads(next(site.glob("xeus/**/empack_env_meta.json")).read_text())
    assert meta["channels"] == ["./channel"]  # made absolute by the server, as it is sent
    names = {p["name"] for p in meta["packages"]}
    assert {"python", "xeus-python", "numpy", "pyyaml", "jedi", "ipython", "pyjs"} <= names
    assert "msgpack" not in names  # the notebook installs it in the page
    # packed without what a page never reads (static libraries, headers)
    packed = {}
    for package in (site / "xeus" / "env" / "kernel_packages").glob("*.tar.gz"):
        with tarfile.open(package) as archive:
            packed[package.name] = archive.getnames()
    assert any("lib/python3.11/os.py" in names for names in packed.values())
    # with bytecode the page can use (hash-based .pyc: valid whatever time the page gives the
    # unpacked source), so that it does not compile every module at each start
    pyc = "lib/python3.11/__pycache__/os.cpython-311.pyc"
    holding = [site / "xeus/env/kernel_packages" / p for p, n in packed.items() if pyc in n]
    assert len(holding) == 1, f"{pyc} packed in {holding}"
    python = holding[0]
    with tarfile.open(python) as archive:
        header = archive.extractfile(pyc).read(8)
    assert int.from_bytes(header[4:8], "little") & 0b01, header  # hash-based
    left = {
        package: [n for n in names if n.endswith((".a", ".h")) or n.startswith("include/")]
        for package, names in packed.items()
    }
    assert not {package: files for package, files in left.items() if files}
    kernels = json.loads((site / "xeus" / "kernels.json").read_text())
    assert [k["kernel"] for k in kernels] == ["xpython"]


# first: the notebook runs in the page as first opened (the page is cross-origin isolated:
# the kernel reaches the notebook's files through shared memory and does not wait for
# JupyterLite's service worker); next: the page loaded again once the service worker is
# registered, as on a person's next visit
@pytest.mark.parametrize("visit", ["first", "next"])
def test_a_notebook_runs_in_chromium(site: Path, e2e_tree: Path, visit: str):
    shots = REPO_ROOT / "build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    seen, requests = run_notebook(site, e2e_tree / "output", shots, visit)
    assert seen["firstVisit"] is (visit == "first")

    # the cells of the notebook, then the empty one Shift+Enter adds after the last
    outputs = [cell["text"] for cell in seen["cells"]]
    assert len(outputs) == len(CELLS) + 1 and outputs[-1] == ""
    for (code, expected), output in zip(CELLS, outputs[:-1], strict=True):
        assert expected in output, f"cell {code!r} printed {output!r}"
    assert "Traceback" in outputs[4]
    assert seen["cells"][5]["html"] == ["b#emci-html"]  # rendered as HTML, not as text
    assert ".safe_load" in seen["completions"]  # jedi's answer for `yaml.safe_`
    # the kernel came from the site, over our server
    assert "/xeus/env/bin/xpython.wasm" in requests
    # the page loaded emci's fix of its bridge to the kernel's worker (lite_page), which
    # otherwise lost a call now and then with this error
    assert f"/{FIX_FILE}" in requests
    assert not [p for p in seen["problems"] if "value.then is not a function" in p]

    # the install read our channel's index and fetched msgpack from our server
    paths = [path.partition("?")[0] for path in requests]
    assert any(p.startswith("/channel/emscripten-wasm32/repodata.json") for p in paths), paths
    fetched = [p for p in paths if p.startswith("/channel/emscripten-wasm32/msgpack-")]
    assert fetched and all(p.endswith(".conda") for p in fetched), paths

    # nothing but the name mapping was answered by the browser itself
    assert all("parselmouth" in url for url in seen["routed"])
    assert (shots / "lite-notebook.png").stat().st_size > 10_000
