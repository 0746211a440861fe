"""emci lite's page fix: where `add_page_fixes` puts it in a site, and what the script does in a
real JavaScript engine (Node's Atomics, the same V8 as Chromium's). Whether a notebook runs in
Chromium with it is test_lite_e2e.py's."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from emci.lite_page import ANCHOR, FIX_FILE, FIX_SCRIPT, LitePageError, add_page_fixes

PAGE = f'<html><head>\n    {ANCHOR} type="application/json">{{}}</script>\n</head></html>\n'


def site_of(root: Path, apps=("lab", "notebooks", "repl"), page: str = PAGE) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(PAGE)
    for app in apps:
        (root / app).mkdir()
        (root / app / "index.html").write_text(page)
    # a notebook folder of the site's contents with a page of its own: not an app
    (root / "files" / "docs").mkdir(parents=True)
    (root / "files" / "index.html").write_text(PAGE)
    (root / "api").mkdir()
    return root


def test_each_app_page_loads_the_fix_before_jupyterlite(tmp_path: Path):
    site = site_of(tmp_path / "site")
    changed = add_page_fixes(site)
    assert sorted(p.relative_to(site).as_posix() for p in changed) == [
        "index.html",
        "lab/index.html",
        "notebooks/index.html",
        "repl/index.html",
    ]
    assert (site / FIX_FILE).read_text() == FIX_SCRIPT
    root_page = (site / "index.html").read_text()
    assert root_page.index(f'<script src="./{FIX_FILE}">') < root_page.index(ANCHOR)
    app_page = (site / "notebooks" / "index.html").read_text()
    assert app_page.index(f'<script src="../{FIX_FILE}">') < app_page.index(ANCHOR)
    assert (site / "files" / "index.html").read_text() == PAGE  # the site's contents
    # a second run changes nothing
    assert add_page_fixes(site) == []
    assert (site / "notebooks" / "index.html").read_text().count(FIX_FILE) == 1


def test_a_site_of_another_page_template_is_refused_untouched(tmp_path: Path):
    site = site_of(tmp_path / "site", apps=("lab",))
    (site / "notebooks").mkdir()
    (site / "notebooks" / "index.html").write_text("<html><script src='main.js'></script></html>")
    with pytest.raises(LitePageError, match=r"site: no <script id=.* in notebooks/index.html"):
        add_page_fixes(site)
    assert not (site / FIX_FILE).exists()
    assert (site / "lab" / "index.html").read_text() == PAGE


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node")
def test_the_fix_gives_an_early_answer_as_a_promise(tmp_path: Path):
    script = tmp_path / "check.js"
    script.write_text(
        "const cell = new Int32Array(new SharedArrayBuffer(4));\n"
        "Atomics.store(cell, 0, 1);\n"
        "const plain = Atomics.waitAsync(cell, 0, 0);  // the value is not 0 any more\n"
        + FIX_SCRIPT
        + "(async () => {\n"
        "  const early = Atomics.waitAsync(cell, 0, 0);\n"
        "  const zero = Atomics.waitAsync(cell, 0, 1, 0);  // no time to wait: left alone\n"
        "  const late = Atomics.waitAsync(cell, 0, 1, 5000);  // a real wait, then a notify\n"
        "  setTimeout(() => { Atomics.store(cell, 0, 2); Atomics.notify(cell, 0); }, 10);\n"
        "  console.log(JSON.stringify({\n"
        "    plain: [plain.async, typeof plain.value],\n"
        "    early: [early.async, await early.value],\n"
        "    zero: [zero.async, zero.value],\n"
        "    late: [late.async, await late.value],\n"
        "  }));\n"
        "})();\n"
    )
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == {
        "plain": [False, "string"],  # what coincident cannot take: no promise
        "early": [True, "not-equal"],
        "zero": [False, "timed-out"],
        "late": [True, "ok"],
    }
