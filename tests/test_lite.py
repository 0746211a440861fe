"""emci lite: the parts of a JupyterLite site build that are ours (kernel discovery, the
environment's history, the served metadata) and the server of a site and its channel, run
over real HTTP. The site build itself (jupyter lite build with a xeus-python kernel) and the
notebooks in Chromium are end-to-end tests (test_lite_e2e.py)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from emci.lite import (
    CHANNEL_NAME,
    LiteError,
    kernels,
    make_site_server,
    served_meta,
    write_empack_config,
    write_history,
)


def kernel_prefix(root: Path, argv0: str = "{prefix}/bin/xpython", files=(".js", ".wasm")) -> Path:
    prefix = root / "env"
    spec = prefix / "share" / "jupyter" / "kernels" / "xpython" / "kernel.json"
    spec.parent.mkdir(parents=True)
    spec.write_text(json.dumps({"argv": [argv0.format(prefix=prefix), "-f", "{connection_file}"]}))
    (prefix / "bin").mkdir()
    for suffix in files:
        (prefix / "bin" / f"xpython{suffix}").write_text("")
    (prefix / "conda-meta").mkdir()
    (prefix / "conda-meta" / "history").write_text("")
    return prefix


def test_a_kernel_is_found_with_its_program(tmp_path: Path):
    prefix = kernel_prefix(tmp_path)
    (found,) = kernels(prefix)
    assert found.name == "xpython"
    assert found.js == prefix / "bin" / "xpython.js"
    assert found.wasm == prefix / "bin" / "xpython.wasm"


def test_a_relative_program_is_found_in_the_prefix(tmp_path: Path):
    prefix = kernel_prefix(tmp_path, argv0="bin/xpython")
    assert [k.name for k in kernels(prefix)] == ["xpython"]


def test_a_kernel_without_its_wasm_is_not_a_kernel(tmp_path: Path):
    assert kernels(kernel_prefix(tmp_path, files=(".js",))) == []


def test_history_holds_the_specs_and_the_channel(tmp_path: Path):
    prefix = kernel_prefix(tmp_path)
    write_history(prefix, ["xeus-python", "pyyaml"], CHANNEL_NAME)
    lines = (prefix / "conda-meta" / "history").read_text().splitlines()
    assert lines == [
        "# cmd: emci lite build -c ./channel xeus-python pyyaml",
        "# update specs: ['xeus-python', 'pyyaml']",
    ]


def test_the_page_filter_adds_to_empacks_own(tmp_path: Path):
    """The packed environment leaves out what a page never reads, on top of empack's own
    exclusions, as empack's own filter decides it."""
    from empack.file_patterns import pkg_file_filter_from_yaml

    config = write_empack_config(tmp_path / "empack_config.yaml")
    keep = pkg_file_filter_from_yaml(config).get_filter_for_pkg("python")
    for path in (
        "lib/python3.11/lib-dynload/_ssl.cpython-311-wasm32-emscripten.so",
        "lib/libsqlite3.so",  # _sqlite3 loads it
        "lib/python3.11/site-packages/pyjs/core.py",
        "share/jupyter/kernels/xpython/kernel.json",
        "lib/python3.11/__pycache__/os.cpython-311.pyc",  # empack leaves bytecode out; we keep it
        "lib/python3.11/site-packages/jedi/third_party/typeshed/stdlib/os/__init__.pyi",
    ):
        assert keep.match(path), path
    for path in (
        "lib/libpython3.11.a",
        "include/openssl/ssl.h",
        "lib/pkgconfig/sqlite3.pc",
        "lib_js/pyjs/pyjs_runtime_browser.wasm",
        "lib/python3.11/site-packages/yaml/tests/test_x.py",  # empack's own exclusion
        "lib/python3.11/site-packages/jedi/third_party/typeshed/stubs/six/six/__init__.pyi",
    ):
        assert not keep.match(path), path
    # a package with a section of its own in empack's configuration (used instead of the
    # default one) keeps empack's patterns and gets ours
    numpy = pkg_file_filter_from_yaml(config).get_filter_for_pkg("numpy")
    assert not numpy.match("lib/python3.11/site-packages/numpy/_core/x.pyx")  # empack's
    for path in (
        "lib/python3.11/site-packages/numpy/_core/lib/libnpymath.a",
        "lib/python3.11/site-packages/numpy/_core/include/numpy/ndarraytypes.h",
        "lib/python3.11/site-packages/numpy/_core/lib/pkgconfig/numpy.pc",
    ):
        assert not numpy.match(path), path
    assert numpy.match("lib/python3.11/site-packages/numpy/_core/_multiarray_umath.so")
    assert numpy.match("lib/python3.11/site-packages/numpy/__pycache__/version.cpython-311.pyc")
    zlib = pkg_file_filter_from_yaml(config).get_filter_for_pkg("zlib")
    assert not zlib.match("lib/libz.a") and not zlib.match("include/zlib.h")


def test_served_meta_names_the_channel_on_the_origin():
    meta = {
        "prefix": "/",
        "channels": [CHANNEL_NAME],
        "specs": ["xeus-python"],
        "packages": [
            {"name": "python", "channel": "file:///work/output/"},
            {"name": "pyyaml", "channel": CHANNEL_NAME},
            {"name": "other", "channel": "https://example.invalid/other"},
        ],
    }
    served = json.loads(served_meta(json.dumps(meta).encode(), "http://127.0.0.1:8123"))
    assert served["channels"] == ["http://127.0.0.1:8123/channel"]
    assert [p["channel"] for p in served["packages"]] == [
        "http://127.0.0.1:8123/channel",
        "http://127.0.0.1:8123/channel",
        "https://example.invalid/other",
    ]


@pytest.fixture
def site_and_channel(tmp_path: Path) -> tuple[Path, Path]:
    site = tmp_path / "site"
    (site / "xeus" / "env").mkdir(parents=True)
    (site / "index.html").write_text("<html>lite</html>")
    (site / "jupyter-lite.json").write_text("{}")
    (site / "xeus" / "env" / "xpython.wasm").write_bytes(b"\0asm")
    meta = {"channels": [CHANNEL_NAME], "packages": [{"name": "python", "channel": CHANNEL_NAME}]}
    (site / "xeus" / "env" / "empack_env_meta.json").write_text(json.dumps(meta))
    channel = tmp_path / "output"
    (channel / "noarch").mkdir(parents=True)
    (channel / "noarch" / "repodata.json").write_text('{"packages": {}}')
    (channel / "emscripten-wasm32").mkdir()
    (channel / "emscripten-wasm32" / "msgpack-1.0-h0_0.conda").write_bytes(b"PK")
    return site, channel


def serving(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_the_site_and_its_channel_share_one_origin(site_and_channel):
    site, channel = site_and_channel
    server = make_site_server(site, channel)
    origin = serving(server)
    try:
        with urllib.request.urlopen(f"{origin}/xeus/env/xpython.wasm") as response:
            assert response.headers["Content-Type"] == "application/wasm"
            assert response.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
            assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
            assert response.read() == b"\0asm"
        with urllib.request.urlopen(f"{origin}/channel/noarch/repodata.json") as response:
            assert json.load(response) == {"packages": {}}
        url = f"{origin}/channel/emscripten-wasm32/msgpack-1.0-h0_0.conda"
        with urllib.request.urlopen(url) as response:
            assert response.read() == b"PK"
        with urllib.request.urlopen(f"{origin}/xeus/env/empack_env_meta.json") as response:
            meta = json.load(response)
        assert meta["channels"] == [f"{origin}/channel"]
        assert meta["packages"][0]["channel"] == f"{origin}/channel"
        assert "/channel/emscripten-wasm32/msgpack-1.0-h0_0.conda" in server.requests
    finally:
        server.shutdown()
        server.server_close()


def test_the_channel_path_does_not_leave_the_channel(site_and_channel):
    site, channel = site_and_channel
    (site.parent / "secret.txt").write_text("no")
    server = make_site_server(site, channel)
    origin = serving(server)
    try:
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(f"{origin}/channel/../secret.txt")
        assert raised.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_a_folder_that_is_not_a_site_is_refused(site_and_channel, tmp_path: Path):
    _site, channel = site_and_channel
    with pytest.raises(LiteError, match="not a JupyterLite site"):
        make_site_server(tmp_path, channel)
    with pytest.raises(LiteError, match="not a channel"):
        make_site_server(_site, tmp_path)
