"""End to end: really build the repository's recipes with rattler-build and Emscripten, run
their Node tests, and install from the resulting channel with a conda client (py-rattler).

One build of the whole tree (in a copy of the repository, a real git repo) is shared by
the tests of this module and every other one that needs it (conftest.e2e_tree).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO_ROOT, git_in, npm_install, run_emci, wasm

pytestmark = pytest.mark.e2e

ZLIB = wasm("zlib")

RECIPES = (
    "recipes/emscripten_emscripten-wasm32",
    "recipes_emscripten/zlib",
    "recipes_emscripten/bzip2",
    "recipes_emscripten/libzip",
    "recipes_emscripten/xz",
    "recipes_emscripten/sqlite",
    "recipes_emscripten/python",
)


def git(root: Path, *args: str) -> str:
    return git_in(root, *args)


def emci(root: Path, *args: str) -> subprocess.CompletedProcess:
    return run_emci(root, *args)


@pytest.fixture(scope="module")
def built(e2e_tree: Path) -> Path:
    """The tree built once per run (conftest.e2e_tree)."""
    return e2e_tree


def repodata(root: Path, subdir: str) -> dict:
    return json.loads((root / "output" / subdir / "repodata.json").read_text())


def test_channel_lists_every_package(built: Path):
    wasm = {p["name"] for p in repodata(built, "emscripten-wasm32")["packages.conda"].values()}
    assert {"zlib", "bzip2", "libzip"} <= wasm
    native = {p["name"] for p in repodata(built, "linux-64")["packages.conda"].values()}
    assert "emscripten_emscripten-wasm32" in native
    noarch = {p["name"] for p in repodata(built, "noarch")["packages.conda"].values()}
    assert "emscripten-abi" in noarch
    for package in repodata(built, "emscripten-wasm32")["packages.conda"].values():
        if package["name"] in ("zlib", "bzip2", "libzip", "python", "pyyaml"):
            assert any(dep.startswith("emscripten-abi") for dep in package["depends"])
    # logs, work trees and caches live beside the channel, never in it
    entries = sorted(p.name for p in (built / "output").iterdir())
    # the channel's own lock and metadata files are all there is besides the subdirs
    assert entries == [
        ".emci-channel.lock",
        "emci-metadata.json",
        "emscripten-wasm32",
        "linux-64",
        "noarch",
    ]


def test_node_tests_ran_and_passed(built: Path):
    logs = built / "build" / "logs" / "recipes_emscripten"  # build/logs/<recipe id>.log
    zlib = (logs / "zlib.log").read_text()
    assert "zlib round trip ok" in zlib and zlib.count("dlopen_test.js") >= 2
    assert "bzip2 round trip ok" in (logs / "bzip2.log").read_text()
    assert "libzip 1.7.3 round trip ok: 2 entries" in (logs / "libzip.log").read_text()
    assert "sqlite 3.40.1 ok" in (logs / "sqlite.log").read_text()
    assert "xz round trip ok" in (logs / "xz.log").read_text()
    assert "stdlib checks ok" in (logs / "python.log").read_text()
    for recipe in RECIPES:
        assert "all tests passed" in (logs.parent / f"{recipe}.log").read_text()


def test_a_conda_client_installs_from_the_channel(built: Path, tmp_path: Path):
    import rattler

    async def install() -> list[str]:
        records = await rattler.solve(
            [rattler.Channel(str(built / "output"))],
            ["libzip"],
            platforms=["emscripten-wasm32", "noarch"],
        )
        await rattler.install(
            records, target_prefix=tmp_path / "env", platform=rattler.Subdir("emscripten-wasm32")
        )
        return sorted(r.name.normalized for r in records)

    assert asyncio.run(install()) == ["bzip2", "emscripten-abi", "libzip", "zlib"]
    for file in ("lib/libz.a", "lib/libz.so", "include/zip.h", "lib/libbz2.so"):
        assert (tmp_path / "env" / file).is_file(), file
    assert (tmp_path / "env" / "lib" / "libz.so").read_bytes()[:4] == b"\0asm"


def test_bumped_build_number_plans_and_builds_exactly_zlib(built: Path):
    git(built, "checkout", "-q", "-b", "bump-zlib")
    recipe = built / "recipes" / "recipes_emscripten" / "zlib" / "recipe.yaml"
    recipe.write_text(recipe.read_text().replace("  number: 0", "  number: 1", 1))
    git(built, "commit", "-q", "-am", "zlib: build number 1")
    try:
        plan = json.loads(emci(built, "plan", "main", "HEAD", "--json").stdout)
        assert plan["generations"] == [[ZLIB]]
        plan = json.loads(emci(built, "plan", "main", "HEAD", "--json", "--with-dependents").stdout)
        first, second = plan["generations"][:2]
        # zlib, with whatever its dependents need that the channel lacks (built as "needed")
        assert ZLIB in first
        assert all("needed" in " ".join(plan["recipes"][r]["reasons"]) for r in first if r != ZLIB)
        assert second == [wasm("libzip"), wasm("python")]
        assert wasm("pyyaml") in plan["recipes"]  # python's dependents come along
        done = emci(built, "build", "changed", "main", "HEAD", "--skip-existing")
        assert done.returncode == 0
        assert f"[1/1] built {ZLIB}" in done.stdout
        names = [
            p["build"]
            for p in repodata(built, "emscripten-wasm32")["packages.conda"].values()
            if p["name"] == "zlib"
        ]
        assert sorted(b[-1] for b in names) == ["0", "1"]
        # a pull request builds what it changed whatever exists; main never rebuilds it
        again = emci(built, "build", "changed", "main", "HEAD", "--skip-existing")
        assert f"[1/1] built {ZLIB}" in again.stdout
        main = emci(built, "build", "changed", "main", "HEAD", "--no-rebuild")
        assert main.returncode == 0
        assert f"[1/1] existed {ZLIB}" in main.stdout
    finally:
        git(built, "checkout", "-q", "main")


def test_failing_test_fails_the_build_and_skips_dependents(built: Path):
    git(built, "checkout", "-q", "-b", "break-bzip2")
    recipe = built / "recipes" / "recipes_emscripten" / "bzip2" / "recipe.yaml"
    text = recipe.read_text().replace("  number: 0", "  number: 7", 1)
    recipe.write_text(text.replace("$EM_NODE static_test.js", "$EM_NODE static_test.js && exit 3"))
    git(built, "commit", "-q", "-am", "bzip2: a failing test")
    try:
        done = emci(built, "build", "changed", "main", "HEAD", "--with-dependents")
        assert done.returncode == 1
        assert "failed recipes_emscripten/bzip2" in done.stdout
        assert "skipped recipes_emscripten/libzip" in done.stdout
        assert "last lines of" in done.stdout
        log = (built / "build" / "logs" / "recipes_emscripten" / "bzip2.log").read_text()
        assert "bzip2 round trip ok" in log and "TESTS FAILED" in log
        builds = [
            p["build"]
            for p in repodata(built, "emscripten-wasm32")["packages.conda"].values()
            if p["name"] == "bzip2"
        ]
        assert builds and not any(b.endswith("_7") for b in builds)
    finally:
        git(built, "checkout", "-q", "main")


def test_wasm_python_runs_in_node_from_an_installed_env(built: Path, tmp_path: Path):
    prefix = tmp_path / "env"
    done = emci(built, "env", "create", str(prefix), "python")
    assert done.returncode == 0, done.stderr
    code = (
        "import zlib, bz2, lzma, sqlite3, json, sys; "
        "print(json.dumps([sys.platform, sys.prefix, sqlite3.sqlite_version]))"
    )
    done = emci(built, "run", str(prefix), "--", "-c", code)
    assert done.returncode == 0, done.stderr
    platform, sys_prefix, sqlite_version = json.loads(done.stdout)
    assert platform == "emscripten" and sqlite_version == "3.40.1"
    assert Path(sys_prefix).resolve() == prefix.resolve()
    assert emci(built, "run", str(prefix), "--", "-c", "raise SystemExit(3)").returncode == 3
    launcher = subprocess.run(
        [str(prefix / "bin" / "python"), "-c", "print(6 * 7)"], capture_output=True, text=True
    )
    assert launcher.stdout.strip() == "42"


def test_the_kernel_shell_runs_from_an_installed_env(built: Path, tmp_path: Path):
    """The Python side of the xeus-python kernel, installed from the channel like a user's
    environment: xeus-python-shell runs a cell (its result reaches the kernel's hook) and
    completes with jedi, in Node."""
    prefix = tmp_path / "env"
    done = emci(built, "env", "create", str(prefix), "python", "xeus-python-shell", "jedi")
    assert done.returncode == 0, done.stderr
    code = (
        "import json, os, tempfile\n"
        "os.environ['IPYTHONDIR'] = tempfile.mkdtemp()\n"
        "from xeus_python_shell.shell import XPythonShellApp\n"
        "app = XPythonShellApp()\n"
        "app.initialize(use_jedi=True, argv=[])\n"
        "results = []\n"
        "app.shell.displayhook.publish_execution_result = lambda n, d, m: results.append(d)\n"
        "app.shell.run_cell('import json\\n%time x = 1 + 1\\nx', store_history=True)\n"
        "matches, _, _ = app.shell.complete_code('json.du', 7)\n"
        "print(json.dumps([results, matches]))\n"
    )
    done = emci(built, "run", str(prefix), "--", "-c", code)
    assert done.returncode == 0, done.stderr
    results, matches = json.loads(done.stdout.strip().splitlines()[-1])
    assert results == [{"text/plain": "2"}]
    assert "dumps" in matches


def test_the_kernel_answers_in_node_from_an_installed_env(built: Path, tmp_path: Path):
    """The xeus-python kernel from an environment a JupyterLite site would be made of
    (python xeus-python ipython jedi pyyaml, solved from the channel): its recipe's own
    kernel test (execute_request 1 + 1 gives execute_result 2, through notify_listener and
    postMessage) passes against that environment in Node."""
    prefix = tmp_path / "env"
    specs = ("python", "xeus-python", "ipython", "jedi", "pyyaml")
    done = emci(built, "env", "create", str(prefix), *specs)
    assert done.returncode == 0, done.stderr
    kernel_test = REPO_ROOT / "recipes" / "recipes_emscripten" / "xeus-python" / "test"
    flags = (prefix / "bin" / "python3.11.node-flags").read_text().split()
    done = subprocess.run(
        ["node", *flags, str(kernel_test / "test_xpython.js"), str(prefix)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "execute_request 1 + 1: execute_result 2" in done.stdout


def test_cross_python_builds_an_extension_module(built: Path, tmp_path: Path):
    git(built, "checkout", "-q", "-b", "add-spam")
    shutil.copytree(
        Path(__file__).parent / "data" / "spam", built / "recipes" / "recipes_emscripten" / "spam"
    )
    git(built, "add", "-A")
    git(built, "commit", "-q", "-m", "spam: a C extension")
    try:
        done = emci(built, "build", "changed", "main", "HEAD", "--skip-existing")
        assert done.returncode == 0
        prefix = tmp_path / "env"
        assert emci(built, "env", "create", str(prefix), "spam").returncode == 0
        done = emci(
            built,
            "run",
            str(prefix),
            "--",
            "-c",
            "import spam; print(spam.add(40, 2), spam.__file__)",
        )
        assert done.stdout.split()[0] == "42"
        assert done.stdout.strip().endswith("spam.cpython-311-wasm32-emscripten.so")
    finally:
        git(built, "checkout", "-q", "main")


def test_a_failing_python_test_fails_the_build_with_pytest_output(built: Path):
    git(built, "checkout", "-q", "-b", "break-markupsafe")
    folder = built / "recipes" / "recipes_emscripten" / "markupsafe"
    recipe = folder / "recipe.yaml"
    recipe.write_text(recipe.read_text().replace("  number: 0", "  number: 9", 1))
    with (folder / "test_markupsafe.py").open("a") as handle:
        handle.write("\n\ndef test_deliberately_failing():\n    assert 1 + 1 == 3\n")
    git(built, "commit", "-q", "-am", "markupsafe: a failing test")
    try:
        done = emci(built, "build", "changed", "main", "HEAD")
        assert done.returncode == 1
        log = (built / "build" / "logs" / "recipes_emscripten" / "markupsafe.log").read_text()
        assert "FAILED test_markupsafe.py::test_deliberately_failing" in log
        assert "assert (1 + 1) == 3" in log
        assert "PASSED test_markupsafe.py::test_escape" in log
    finally:
        git(built, "checkout", "-q", "main")


def test_env_create_installs_from_a_served_channel(built: Path, tmp_path: Path):
    import threading

    from emci.serve import make_server

    server = make_server(built / "output", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        prefix = tmp_path / "env"
        done = emci(built, "env", "create", str(prefix), "zlib", "--channel", url)
        assert done.returncode == 0, done.stderr
        assert (prefix / "lib" / "libz.a").is_file()
        assert url in done.stdout  # installed from the served channel
    finally:
        server.shutdown()
        server.server_close()


def test_channel_page_renders_in_chromium(built: Path, tmp_path: Path):
    import threading

    from emci.serve import make_server

    channel = tmp_path / "channel"
    files = sorted(map(str, (built / "output").glob("*/*.conda")))
    assert emci(built, "upload", "--to", str(channel), *files).returncode == 0
    metadata = json.loads((channel / "emci-metadata.json").read_text())["packages"]
    zlib_key = next(k for k in metadata if "/zlib-" in k)
    assert metadata[zlib_key]["tests"] == "passed"
    assert metadata[zlib_key]["recipe"] == "recipes_emscripten/zlib"
    assert metadata[zlib_key]["built_at"] and metadata[zlib_key]["uploaded_at"]
    assert emci(built, "channel-page", str(channel)).returncode == 0
    node_modules = npm_install(REPO_ROOT / "build" / "node", "playwright-core@1")
    server = make_server(channel, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    shots = REPO_ROOT / "build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        done = subprocess.run(
            ["node", str(Path(__file__).parent / "channel_page_check.js"), url, str(shots)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env={**os.environ, "NODE_PATH": str(node_modules)},
        )
        assert done.returncode == 0, done.stderr
        seen = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        server.shutdown()
        server.server_close()
    assert {"zlib", "bzip2", "python", "pyyaml"} <= set(seen["names"])
    assert set(seen["visible"]) == {"zlib"}  # search hides the rest
    assert seen["phoneTableHeader"] == "none"  # rows become cards on a phone
    assert (shots / "channel-desktop.png").stat().st_size > 10_000


def test_upload_without_files_publishes_the_last_build_only(built: Path, tmp_path: Path):
    git(built, "checkout", "-q", "-b", "zlib-build-5")
    recipe = built / "recipes" / "recipes_emscripten" / "zlib" / "recipe.yaml"
    recipe.write_text(recipe.read_text().replace("  number: 0", "  number: 5", 1))
    git(built, "commit", "-q", "-am", "zlib: build number 5")
    try:
        assert emci(built, "build", "changed", "main", "HEAD").returncode == 0
        channel = tmp_path / "published"
        done = emci(built, "upload", "--to", str(channel))
        assert done.returncode == 0, done.stderr
        published = sorted(p.name for p in channel.glob("*/*.conda"))
        assert len(published) == 1 and published[0].startswith("zlib-1.2.13-")
        assert published[0].endswith("_5.conda")
        again = emci(built, "upload", "--to", str(channel))
        assert "unchanged" in again.stdout  # the same bytes again: a no-op
    finally:
        git(built, "checkout", "-q", "main")
