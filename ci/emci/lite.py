"""JupyterLite sites from our channel: an emscripten-wasm32 environment with a xeus kernel,
packed by JupyterLite's own build (jupyterlite-core, jupyterlite-xeus, empack), and served
together with the channel from one origin.

`build_site` creates the environment with py-rattler (env.create_env), checks that it holds
a kernel, records the specs and the channel in `conda-meta/history` (jupyterlite-xeus reads
them there; py-rattler leaves the file empty) and runs `jupyter lite build` with
`--XeusAddon.prefix` and an empack file filter: empack's own, plus what a kernel never reads
at run time (static libraries, C headers, pkg-config and CMake files, pyjs' standalone
runtime), so a page downloads less; it keeps the packages' bytecode, which empack leaves
out: without it a page compiles every module it imports from source at each start (our
packages' .pyc are hash-based, as the builds write them, so they hold whatever time the page
gives an unpacked file). Each app page of the site loads a fix for the bridge between the page
and the kernel's worker first (`lite_page`). The site names the channel `./channel` (the path
`serve_site` serves it under): the page's in-browser installer needs an absolute URL, so the
server writes its own origin into `empack_env_meta.json` as it sends it, and a site works on
any host and port.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from emci.env import AbiPin, create_env
from emci.errors import EmciError
from emci.lite_page import add_page_fixes

DEFAULT_SPECS = ("xeus-python",)
CHANNEL_PATH = "channel"  # the channel's path on the site's origin
CHANNEL_NAME = f"./{CHANNEL_PATH}"  # how the built site names it, until served
META_FILE = "empack_env_meta.json"
# Files of the environment's packages a page never needs, left out of the packed kernel
# environment on top of empack's own exclusions (fnmatch patterns, paths from the prefix;
# `*` also matches `/`).
PAGE_EXCLUDES = (
    "**/*.a",  # static libraries: libpython3.11.a, libcrypto.a, numpy's libnpymath.a, ...
    "include/**",  # C and C++ headers
    "**/*.h",  # headers elsewhere (numpy's _core/include)
    "**/pkgconfig/**",
    "lib/cmake/**",
    "share/cmake/**",
    # pyjs' own runtime for pages without a kernel; the kernel links pyjs in
    "lib_js/pyjs/pyjs_runtime_browser.*",
    # jedi's type stubs of third-party packages (pywin32, requests, ...: 4300 of jedi's 5700
    # files; unpacking them took 0.26 s of a page's start): jedi reads an installed package's
    # own source in their place. Its stubs of the standard library stay.
    "**/site-packages/jedi/third_party/typeshed/stubs/**",
)
# empack's exclusions a page is better off without: bytecode (a page without it compiles each
# module it imports at each start; measured: `import IPython` 3x slower)
PAGE_KEEPS = ("**/*.pyc",)


class LiteError(EmciError):
    pass


@dataclass(frozen=True)
class Kernel:
    """A kernel spec of an environment and the two files JupyterLite serves for it."""

    name: str
    spec: Path
    js: Path
    wasm: Path


def kernels(prefix: Path) -> list[Kernel]:
    """The kernels of `prefix` whose program (argv[0] + .js and .wasm) is installed."""
    found = []
    for spec in sorted(prefix.glob("share/jupyter/kernels/*/kernel.json")):
        try:
            argv = json.loads(spec.read_text())["argv"]
            program = Path(argv[0])
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            continue
        if not program.is_absolute():
            program = prefix / program
        js, wasm = (
            program.with_name(program.name + ".js"),
            program.with_name(program.name + ".wasm"),
        )
        if js.is_file() and wasm.is_file():
            found.append(Kernel(spec.parent.name, spec, js, wasm))
    return found


def write_history(prefix: Path, specs: Sequence[str], channel: str) -> None:
    """conda-meta/history as conda writes it: the requested specs and the channel, which
    jupyterlite-xeus carries into the site (the page's installer solves them again)."""
    history = prefix / "conda-meta" / "history"
    lines = [
        f"# cmd: emci lite build -c {channel} {' '.join(specs)}",
        f"# update specs: {list(specs)!r}",
    ]
    history.write_text("\n".join(lines) + "\n")


def build_site(
    outdir: Path,
    specs: Sequence[str],
    channels: Sequence[str],
    work: Path,
    contents: Path | None = None,
    abi: AbiPin | None = None,
) -> list[Kernel]:
    """A JupyterLite site in `outdir` whose kernels come from an environment of `specs`
    (created under `work`); returns the kernels it holds."""
    prefix = work / "env"
    create_env(prefix, list(specs), list(channels), abi=abi)
    found = kernels(prefix)
    if not found:
        raise LiteError(
            f"{prefix}: the environment of {' '.join(specs)} has no kernel "
            "(share/jupyter/kernels/*/kernel.json naming an installed .js and .wasm); "
            "add a kernel package such as xeus-python"
        )
    write_history(prefix, specs, CHANNEL_NAME)
    filters = write_empack_config(work / "empack_config.yaml")
    command = [
        sys.executable,
        "-m",
        "jupyterlite_core",
        "build",
        "--lite-dir",
        str(work / "lite"),
        "--output-dir",
        str(outdir),
        f"--XeusAddon.prefix={prefix}",
        f"--XeusAddon.empack_config={filters}",
    ]
    if contents is not None:
        command += ["--contents", str(contents)]
    # JupyterLite's build keeps a task database and the packed environment in its lite dir
    # and skips tasks it thinks are up to date: a lite dir left by an earlier build would give
    # the site packed files of that build (seen: a changed file filter not applied)
    if (work / "lite").exists():
        shutil.rmtree(work / "lite")
    (work / "lite").mkdir(parents=True)
    done = subprocess.run(command, cwd=work / "lite", check=False)
    if done.returncode != 0:
        raise LiteError(f"jupyter lite build failed (exit {done.returncode}); its output is above")
    add_page_fixes(outdir)
    return found


def empack_config(installed: dict) -> dict:
    """empack's configuration `installed` with PAGE_EXCLUDES added to its default filter and
    to each package's own (empack uses a package's section instead of the default one), and
    PAGE_KEEPS taken out of them."""
    config = json.loads(json.dumps(installed))  # a deep copy
    sections = [config.setdefault("default", {}), *config.get("packages", {}).values()]
    for section in sections:
        patterns = section.setdefault("exclude_patterns", [])
        patterns[:] = [p for p in patterns if p.get("pattern") not in PAGE_KEEPS]
        patterns += [{"pattern": p} for p in PAGE_EXCLUDES if {"pattern": p} not in patterns]
    return config


def write_empack_config(path: Path) -> Path:
    """empack's installed configuration plus PAGE_EXCLUDES and minus PAGE_KEEPS, as a file for
    the xeus addon (JSON, which YAML readers take)."""
    from empack.pack import DEFAULT_CONFIG_PATH  # the lite extra
    from ruamel.yaml import YAML

    if DEFAULT_CONFIG_PATH is None or not Path(DEFAULT_CONFIG_PATH).is_file():
        raise LiteError(f"empack's configuration file is missing ({DEFAULT_CONFIG_PATH})")
    installed = YAML(typ="safe").load(Path(DEFAULT_CONFIG_PATH).read_text())
    path.write_text(json.dumps(empack_config(installed or {}), indent=1))
    return path


def served_meta(data: bytes, origin: str) -> bytes:
    """An empack_env_meta.json with the site's channel as an absolute URL on `origin`
    (e.g. http://127.0.0.1:8000): the page's installer fetches repodata from it and matches
    every installed package's channel against it."""
    meta = json.loads(data)
    url = f"{origin.rstrip('/')}/{CHANNEL_PATH}"

    def absolute(channel: object) -> object:
        return url if channel in (CHANNEL_NAME, CHANNEL_PATH) or _is_local(channel) else channel

    meta["channels"] = [absolute(c) for c in meta.get("channels") or [CHANNEL_NAME]]
    for package in meta.get("packages", []):
        if "channel" in package:
            package["channel"] = absolute(package["channel"])
    return json.dumps(meta).encode()


def _is_local(channel: object) -> bool:
    return isinstance(channel, str) and channel.startswith("file://")


# -- serving ----------------------------------------------------------------------------------

# Cross-origin isolation lets the kernel share memory with the page (SharedArrayBuffer, for
# input() and the file browser); everything is served from one origin, so resources need
# nothing more than same-origin.
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def make_site_server(site: Path, channel: Path, port: int = 0):
    """A server on 127.0.0.1 for the site at / and the channel at /channel/."""
    import errno
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    if not (site / "index.html").is_file() or not (site / "jupyter-lite.json").is_file():
        raise LiteError(f"{site}: not a JupyterLite site (no index.html and jupyter-lite.json)")
    if not (channel / "noarch" / "repodata.json").is_file():
        raise LiteError(f"{channel}: not a channel (no noarch/repodata.json)")

    class Handler(SimpleHTTPRequestHandler):
        extensions_map = {
            **SimpleHTTPRequestHandler.extensions_map,
            ".wasm": "application/wasm",
            ".js": "text/javascript",
            ".json": "application/json",
        }

        def translate_path(self, path: str) -> str:
            route = path.split("?", 1)[0].split("#", 1)[0]
            if route == f"/{CHANNEL_PATH}" or route.startswith(f"/{CHANNEL_PATH}/"):
                site_directory, self.directory = self.directory, str(channel)
                try:
                    return super().translate_path(path[len(CHANNEL_PATH) + 1 :] or "/")
                finally:
                    self.directory = site_directory
            return super().translate_path(path)

        def end_headers(self) -> None:
            for name, value in ISOLATION_HEADERS.items():
                self.send_header(name, value)
            super().end_headers()

        def send_head(self):
            local = Path(self.translate_path(self.path))
            if local.name == META_FILE and local.is_file():
                bound_host, bound_port = self.server.server_address[:2]
                host = self.headers.get("Host") or f"{bound_host}:{bound_port}"
                body = served_meta(local.read_bytes(), f"http://{host}")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                return _Body(body)
            return super().send_head()

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
            self.server.requests.append(self.path)  # type: ignore[attr-defined]

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address) -> None:
            # a browser that closes a connection mid-response (a closed tab, a test's end)
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    handler = functools.partial(Handler, directory=str(site))
    try:
        server = Server(("127.0.0.1", port), handler)
    except OSError as exc:
        why = "already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise LiteError(f"--port {port}: cannot serve on 127.0.0.1:{port} ({why})") from None
    server.requests = []  # type: ignore[attr-defined]  # paths asked for, for tests and logs
    return server


class _Body:
    """A response body for SimpleHTTPRequestHandler.copyfile (a file-like object)."""

    def __init__(self, data: bytes) -> None:
        import io

        self._stream = io.BytesIO(data)
        self.read = self._stream.read

    def close(self) -> None:
        self._stream.close()
