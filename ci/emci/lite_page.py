"""What `emci lite build` adds to the pages of a JupyterLite site: a script that every app page
(each app folder's `index.html`: lab, notebooks, repl, ..., and the site's own if it is one)
loads before JupyterLite's code.

The script mends `Atomics.waitAsync` for the bridge between a page and its kernel's worker
(coincident, in jupyterlite-xeus and the Pyodide kernel alike): `Atomics.waitAsync` answers
`{async: false, value: "not-equal"}` when the worker has written its answer before the page
waits for it, and coincident takes every answer for a promise (`value.then`), so it throws
"value.then is not a function" and that call is lost. When the lost call is the kernel's
start, the page never learns that the kernel is ready and no cell runs until the page is
loaded again: at least 7 of 24 page loads here. The script gives such an answer as a
promise already resolved, which is what coincident expects (it reads the worker's answer
from the shared buffer, not from the promise); other answers are left as they are.
"""

from __future__ import annotations

import os
from pathlib import Path

from emci.errors import EmciError

FIX_FILE = "emci-page-fixes.js"
FIX_SCRIPT = """\
// Added by `emci lite build` (ci/emci/lite_page.py): Atomics.waitAsync answers synchronously,
// {async: false, value: "not-equal"}, when the awaited value changed before the call;
// coincident (the page's bridge to a kernel's worker) expects a promise in `value` and
// loses the call otherwise. Such answers are given as a resolved promise.
(function () {
  const waitAsync = Atomics.waitAsync;
  if (typeof waitAsync !== "function" || waitAsync.emciFixed) return;
  const fixed = function (...args) {
    const answer = waitAsync.apply(Atomics, args);
    if (answer.async || answer.value !== "not-equal") return answer;
    return { async: true, value: Promise.resolve(answer.value) };
  };
  fixed.emciFixed = true;
  Atomics.waitAsync = fixed;
})();
"""
# JupyterLite's app pages all hold this script element; the fix goes right before it
ANCHOR = '<script id="jupyter-config-data"'
# app pages that every JupyterLite site has: a site without the anchor in them has a page
# template this code does not know
REQUIRED_APPS = ("lab", "notebooks")
# folders of a site that hold no app page (the notebooks and files a site serves are in files/)
NOT_APPS = frozenset({"files", "api", "build", "extensions", "static", "xeus"})


class LitePageError(EmciError):
    pass


def _read(page: Path) -> str:
    try:
        return page.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as error:
        raise LitePageError(f"{page}: cannot read the page ({error})") from error


def app_pages(site: Path) -> dict[Path, str]:
    """The site's app pages (the index.html of the site and of each app folder that holds
    ANCHOR; JupyterLite's other pages only redirect) and their text."""
    pages = [site / "index.html"]
    pages += sorted(
        folder / "index.html"
        for folder in site.iterdir()
        if folder.is_dir() and folder.name not in NOT_APPS
    )
    texts = {page: _read(page) for page in pages if page.is_file()}
    return {page: text for page, text in texts.items() if ANCHOR in text}


def add_page_fixes(site: Path) -> list[Path]:
    """Writes FIX_FILE at the site's root and loads it in each app page, before JupyterLite's
    code; returns the pages changed. A page that loads it already is left as it is. Every
    page is read and checked before anything is written."""
    pages = app_pages(site)
    missing = [app for app in REQUIRED_APPS if site / app / "index.html" not in pages]
    if missing:
        raise LitePageError(
            f"{site}: no {ANCHOR}> in {', '.join(f'{a}/index.html' for a in missing)}; "
            "JupyterLite's page template is not the one emci knows"
        )
    changed = []
    try:
        (site / FIX_FILE).write_text(FIX_SCRIPT, encoding="utf-8")
        for page, text in pages.items():
            if FIX_FILE in text:
                continue
            root = Path(os.path.relpath(site, page.parent)).as_posix()
            tag = f'<script src="{root}/{FIX_FILE}"></script>\n    '
            page.write_text(text.replace(ANCHOR, tag + ANCHOR, 1), encoding="utf-8")
            changed.append(page)
    except OSError as error:
        raise LitePageError(f"{error.filename or site}: cannot write ({error.strerror})") from error
    return changed
