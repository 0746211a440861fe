"""A local package index on 127.0.0.1 (the PEP 503 `simple/` layout, and PEP 691 JSON when
asked for it) serving sdists whose build backend leaves a marker file when it runs: if any
code of the sdist is executed while fetching it, the marker exists."""

from __future__ import annotations

import hashlib
import html
import io
import json
import tarfile
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BACKEND = """\
# An in-tree PEP 517 build backend that records being run.
from pathlib import Path

Path({marker!r}).write_text("the build backend ran")


def _ran(*args, **kwargs):
    Path({marker!r}).write_text("the build backend ran")
    raise RuntimeError("this sdist must never be built while it is fetched")


get_requires_for_build_wheel = get_requires_for_build_sdist = _ran
prepare_metadata_for_build_wheel = build_wheel = build_sdist = _ran
"""


def sdist_bytes(
    project: str,
    version: str,
    marker: Path,
    summary: str = "A probe that must never be built",
    license: str = "MIT",
    requires: tuple[str, ...] = ("six",),
    extra_files: dict[str, str] | None = None,
    c_code: bool = True,
) -> bytes:
    """An sdist whose in-tree build backend writes `marker` on import or on any hook;
    `requires` become its Requires-Dist lines, `extra_files` are added (paths under its top
    folder), `c_code` adds a C file of the package's own."""
    stem = f"{project.replace('-', '_')}-{version}"
    requires_dist = "".join(f"Requires-Dist: {r}\n" for r in requires)
    files = {
        "pyproject.toml": (
            '[build-system]\nrequires = []\nbuild-backend = "probe_backend"\nbackend-path = ["."]\n'
        ),
        "probe_backend.py": BACKEND.format(marker=str(marker)),
        "PKG-INFO": (
            f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n"
            f"Summary: {summary}\nLicense: {license}\n"
            f"Home-page: https://example.invalid/probe\n{requires_dist}"
        ),
        **({"probe.c": "int probe(void) { return 1; }\n"} if c_code else {}),
        **(extra_files or {}),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{stem}/{name}")
            info.size = len(data)
            info.mtime = 0
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass
class Release:
    filename: str
    sha256: str
    yanked: bool = False
    listed_sha256: str | None = None  # what the index claims (default: the real one)
    requires_python: str | None = None  # listed as data-requires-python / requires-python


def _anchor(release: Release) -> str:
    """A PEP 503 link to the release's file, with its hash, yank and requires-python."""
    attributes = ""
    if release.yanked:
        attributes += ' data-yanked=""'
    if release.requires_python:
        attributes += f' data-requires-python="{html.escape(release.requires_python)}"'
    href = f"../../files/{release.filename}#sha256={release.listed_sha256 or release.sha256}"
    return f'<a href="{href}"{attributes}>{release.filename}</a>\n'


@dataclass
class LocalIndex:
    root: Path
    marker: Path
    releases: dict[str, list[Release]] = field(default_factory=dict)
    url: str = ""
    json_api: bool = True  # also answer PEP 691 JSON (else PEP 503 HTML only)

    def add(
        self,
        project: str,
        version: str,
        *,
        summary: str | None = None,
        contents: dict | None = None,
        **options,
    ) -> Release:
        """Publish an sdist; `contents` are keyword arguments of `sdist_bytes`."""
        texts = {"summary": summary} if summary is not None else {}
        data = sdist_bytes(project, version, self.marker, **texts, **(contents or {}))
        filename = f"{project.replace('-', '_')}-{version}.tar.gz"
        (self.root / "files").mkdir(parents=True, exist_ok=True)
        (self.root / "files" / filename).write_bytes(data)
        release = Release(filename, hashlib.sha256(data).hexdigest(), **options)
        self.releases.setdefault(project, []).append(release)
        self._write_page(project)
        return release

    def _write_page(self, project: str) -> None:
        folder = self.root / "simple" / project
        folder.mkdir(parents=True, exist_ok=True)
        anchors = "".join(_anchor(r) for r in self.releases[project])
        (folder / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{anchors}</body></html>")
        files = [
            {
                "filename": r.filename,
                "url": f"../../files/{r.filename}",
                "hashes": {"sha256": r.listed_sha256 or r.sha256},
                "yanked": r.yanked,
                **({"requires-python": r.requires_python} if r.requires_python else {}),
            }
            for r in self.releases[project]
        ]
        page = {"meta": {"api-version": "1.0"}, "name": project, "files": files}
        (folder / "index.json").unlink(missing_ok=True)
        if self.json_api:
            (folder / "index.json").write_text(json.dumps(page))

    @property
    def simple(self) -> str:
        return f"{self.url}/simple/"


class _Handler(SimpleHTTPRequestHandler):
    """Static files; a project page as PEP 691 JSON when the client asks for it."""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        wants_json = "application/vnd.pypi.simple.v1+json" in self.headers.get("Accept", "")
        page = Path(self.directory) / path.lstrip("/") / "index.json"
        if path.startswith("/simple/") and path.endswith("/") and wants_json and page.is_file():
            body = page.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


def serve(root: Path, marker: Path):
    """Start a LocalIndex server; returns (index, server)."""
    root.mkdir(parents=True, exist_ok=True)
    index = LocalIndex(root, marker)
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a, **kw: _Handler(*a, directory=str(root), **kw)
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    index.url = f"http://127.0.0.1:{server.server_address[1]}"
    return index, server
