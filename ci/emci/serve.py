"""Serving a directory channel over HTTP on 127.0.0.1 for local conda clients."""

from __future__ import annotations

import errno
import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from emci.errors import EmciError


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        pass


def make_server(directory: Path, port: int = 0) -> ThreadingHTTPServer:
    """A server for `directory` on 127.0.0.1 (port 0: any free port)."""
    if not (directory / "noarch" / "repodata.json").is_file():
        raise EmciError(f"{directory}: not a channel (no noarch/repodata.json)")
    handler = functools.partial(_QuietHandler, directory=str(directory))
    try:
        return ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        why = "already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise EmciError(f"--port {port}: cannot serve on 127.0.0.1:{port} ({why})") from None
