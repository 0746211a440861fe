"""cross-python's meson cross file and how it reaches a build backend, without Emscripten.

The recipe's own `cross-python3.11` runs with this interpreter as the machine's python3.11, a
target prefix holding only the wasm python's sysconfig data (as the python package installs
it), and recorders in place of emcc/em++/emar/node/pkg-config (each logs its arguments and
whether cross-python's variables reached it). pip is real: a local PEP 517 backend records
the config settings pip hands it. Real Emscripten builds with the file are e2e work.
"""

from __future__ import annotations

import ast
import configparser
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO_ROOT

RECIPE = REPO_ROOT / "recipes" / "recipes" / "cross-python_emscripten-wasm32"
# The build tools scripts/bootstrap.sh installs beside emci (as builds find them), or another
# folder made the same way (pip install --target) named by EMCI_CROSS_PYTHON_TOOLS.
BOOTSTRAP_TOOLS = Path(
    os.environ.get("EMCI_CROSS_PYTHON_TOOLS") or Path(sys.prefix) / "cross-python-tools"
)
SYSCONFIG = "lib/python3.11/_sysconfigdata__emscripten_wasm32-emscripten.py"

RECORDER = """\
#!{python}
import json, os, sys
with open({log!r}, "a") as log:
    log.write(json.dumps({{
        "tool": os.path.basename(sys.argv[0]),
        "argv": sys.argv[1:],
        "sysconfig_name": os.environ.get("_PYTHON_SYSCONFIGDATA_NAME"),
    }}) + "\\n")
"""


def sysconfig_data(target: Path, long_double: int = 16) -> str:
    """build_time_vars as the wasm python's package holds them (its prefix replaced)."""
    return "build_time_vars = " + repr(
        {
            "CC": "emcc",
            "EXT_SUFFIX": ".cpython-311-wasm32-emscripten.so",
            "HOST_GNU_TYPE": "wasm32-unknown-emscripten",
            "INCLUDEPY": f"{target}/include/python3.11",
            "LDSHARED": "emcc",
            "LIBDIR": f"{target}/lib",
            "LIBPC": f"{target}/lib/pkgconfig",
            "LIBPYTHON": "",
            "MACHDEP": "emscripten",
            "MULTIARCH": "wasm32-emscripten",
            "Py_DEBUG": 0,
            "Py_ENABLE_SHARED": 0,
            "SIZEOF_LONG_DOUBLE": long_double,
            "SIZEOF_VOID_P": 4,
            "SOABI": "cpython-311-wasm32-emscripten",
            "VERSION": "3.11",
            "prefix": str(target),
            "exec_prefix": str(target),
        }
    )


class Setup:
    def __init__(self, tmp_path: Path, long_double: int = 16, tools: Path | None = None):
        self.root = tmp_path
        # installed as build_cross_python.sh installs it
        self.cross_python = tmp_path / "build-prefix" / "bin" / "cross-python3.11"
        helper = tmp_path / "build-prefix" / "share" / "cross-python" / "meson_cross_file.py"
        for name, path, mode in (
            ("cross-python3.11", self.cross_python, 0o755),
            ("meson_cross_file.py", helper, 0o644),
        ):
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(RECIPE / name, path)
            path.chmod(mode)
        self.target = tmp_path / "target"
        (self.target / SYSCONFIG).parent.mkdir(parents=True)
        (self.target / SYSCONFIG).write_text(sysconfig_data(self.target, long_double))
        self.bin = tmp_path / "fakebin"
        self.bin.mkdir()
        self.log = tmp_path / "tools.jsonl"
        for tool in ("emcc", "em++", "emar", "node", "pkg-config"):
            path = self.bin / tool
            path.write_text(RECORDER.format(python=sys.executable, log=str(self.log)))
            path.chmod(0o755)
        # the commands cross-python3.11 uses, and no Emscripten of the machine's
        self.system = tmp_path / "system"
        self.system.mkdir()
        commands = ("sh", "dirname", "basename", "cp", "mkdir", "rm", "tr", "cat", "env", "ninja")
        for command in commands:
            found = shutil.which(command)
            if found:
                (self.system / command).symlink_to(found)
        self.tools = tools or tmp_path / "no-tools"
        self.tools.mkdir(exist_ok=True)
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir()

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PIP_", "_PYTHON_", "EM_", "CROSS_PYTHON"))
            and key != "PYTHONPATH"
        }
        env.update(
            PATH=f"{self.bin}:{self.system}",
            CROSS_PYTHON_NATIVE=sys.executable,
            CROSS_PYTHON_PATH=str(self.tools),
            CROSS_PYTHON_TARGET=str(self.target),
            TMPDIR=str(self.tmp),
            EMSCRIPTEN_VERSION="3.1.69",
            EM_NODE="node --stack-size=2048",
            EM_SIDE_MODULE_LDFLAGS="-sSIDE_MODULE=1 -sWASM_BIGINT",
        )
        env.update(extra)
        return env

    def run(self, *args: str, cwd: Path | None = None, **extra: str):
        return subprocess.run(
            [str(self.cross_python), *args],
            capture_output=True,
            text=True,
            env=self.env(**extra),
            cwd=cwd or self.root,
            check=False,
        )

    def calls(self) -> list[dict]:
        if not self.log.is_file():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


# Inside cross-python: the setting pip would read, the cross file, and the compiler wrappers
# run as meson runs them (a shared-module link, an executable link for a configure check).
INSIDE = textwrap.dedent(
    """\
    import json, os, subprocess
    setting = os.environ["PIP_CONFIG_SETTINGS"]
    path = setting.split("--cross-file=", 1)[1]
    text = open(path).read()
    bin_dir = os.path.join(os.path.dirname(path), "bin")
    subprocess.run([os.path.join(bin_dir, "emcc"), "-shared", "a.o", "-o", "m.so"], check=True)
    subprocess.run([os.path.join(bin_dir, "em++"), "conftest.c", "-o", "conftest.js"], check=True)
    print(json.dumps({"setting": setting, "path": path, "text": text, "bin": bin_dir}))
    """
)


def parse_cross_file(text: str) -> dict[str, dict[str, object]]:
    """meson's machine-file syntax: ini sections, values as Python-like literals."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in meson
    parser.read_string(text)
    literals = {"true": True, "false": False}
    return {
        section: {
            key: literals[value] if value in literals else ast.literal_eval(value)
            for key, value in parser[section].items()
        }
        for section in parser.sections()
    }


def inside(setup: Setup) -> dict:
    done = setup.run("-c", INSIDE)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_cross_file_describes_the_wasm_target_and_reaches_pip(tmp_path: Path):
    setup = Setup(tmp_path)
    seen = inside(setup)
    assert seen["setting"] == f"setup-args=--cross-file={seen['path']}"
    assert Path(seen["path"]).parent.parent == setup.tmp  # this run's folder, removed after
    cross = parse_cross_file(seen["text"])
    assert cross["host_machine"] == {
        "system": "emscripten",
        "cpu_family": "wasm32",
        "cpu": "wasm32",
        "endian": "little",
    }
    binaries = cross["binaries"]
    assert binaries["c"] == f"{seen['bin']}/emcc"
    assert binaries["cpp"] == f"{seen['bin']}/em++"
    assert binaries["ar"] == str(setup.bin / "emar")
    assert binaries["pkg-config"] == str(setup.bin / "pkg-config")
    assert binaries["exe_wrapper"] == [str(setup.bin / "node"), "--stack-size=2048"]
    assert binaries["python"] == str(setup.cross_python)  # the target's sysconfig answers
    assert binaries["cython"] == [sys.executable, "-m", "cython"]
    assert cross["properties"] == {
        "needs_exe_wrapper": True,
        "skip_sanity_check": True,
        "longdouble_format": "IEEE_QUAD_LE",
        "pkg_config_libdir": [str(setup.target / "lib" / "pkgconfig")],
    }
    # the run's folder (sysconfig copy, cross file, wrappers) is gone afterwards
    assert list(setup.tmp.iterdir()) == []


def test_the_compiler_wrappers_link_side_modules_and_hide_cross_pythons_variables(
    tmp_path: Path,
):
    setup = Setup(tmp_path)
    inside(setup)
    shared, program = (call for call in setup.calls() if call["tool"] in ("emcc", "em++"))
    assert shared == {
        "tool": "emcc",
        "argv": ["-shared", "a.o", "-o", "m.so", "-sSIDE_MODULE=1", "-sWASM_BIGINT"],
        "sysconfig_name": None,
    }
    # a configure check's program stays a program: no side-module flags
    assert program == {
        "tool": "em++",
        "argv": ["conftest.c", "-o", "conftest.js"],
        "sysconfig_name": None,
    }


def test_the_numpy_of_the_target_is_named_for_later_cross_builds(tmp_path: Path):
    setup = Setup(tmp_path)
    core = setup.target / "lib" / "python3.11" / "site-packages" / "numpy" / "_core"
    (core / "include" / "numpy").mkdir(parents=True)
    (core / "lib" / "pkgconfig").mkdir(parents=True)
    properties = parse_cross_file(inside(setup)["text"])["properties"]
    assert properties["numpy-include-dir"] == str(core / "include")
    assert properties["pkg_config_libdir"] == [
        str(setup.target / "lib" / "pkgconfig"),
        str(core / "lib" / "pkgconfig"),
    ]


BACKEND = '''\
"""A PEP 517 backend that records the config settings it gets and builds an empty wheel."""
import base64, hashlib, json, os, zipfile

NAME = "recorded"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    setting = (config_settings or {}).get("setup-args")
    files = [setting] if isinstance(setting, str) else list(setting or [])
    cross = [s.split("=", 1)[1] for s in files if s.startswith("--cross-file=")]
    with open(os.environ["RECORD_CONFIG_SETTINGS"], "w") as out:
        json.dump({"config_settings": config_settings,
                   "cross_file_exists": [os.path.isfile(path) for path in cross]}, out)
    wheel = f"{NAME}-1.0-py3-none-any.whl"
    entries = {
        f"{NAME}.py": b"",
        f"{NAME}-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: recorded\\n"
                                          b"Version: 1.0\\n",
        f"{NAME}-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: test\\n"
                                       b"Root-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{name},sha256={digest.decode()},{len(data)}")
        record.append(f"{NAME}-1.0.dist-info/RECORD,,")
        archive.writestr(f"{NAME}-1.0.dist-info/RECORD", "\\n".join(record) + "\\n")
    return wheel
'''


@pytest.mark.parametrize(
    "recipe_args, expected",
    [
        ([], "ours"),
        (["-Csetup-args=-Dblas=none", "-Csetup-args=-Dlapack=none"], "ours and the recipe's"),
    ],
)
def test_pip_hands_the_cross_file_to_the_build_backend(
    tmp_path: Path, recipe_args: list[str], expected: str
):
    # pip as builds run it: bootstrap's tools folder has its own pip (Debian 12's venv pip,
    # 23.0, predates -C/--config-settings on the command line)
    has_pip = (BOOTSTRAP_TOOLS / "pip").is_dir()
    setup = Setup(tmp_path, tools=BOOTSTRAP_TOOLS if has_pip else None)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
    )
    (project / "backend.py").write_text(BACKEND)
    record = tmp_path / "settings.json"
    done = setup.run(
        *("-m", "pip", "install", ".", "--no-deps", "--no-build-isolation", "--no-index"),
        *recipe_args,
        cwd=project,
        RECORD_CONFIG_SETTINGS=str(record),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    got = json.loads(record.read_text())
    setting = got["config_settings"]["setup-args"]
    if expected == "ours":
        assert isinstance(setting, str) and setting.startswith("--cross-file=")
    else:
        assert setting[0].startswith("--cross-file=")
        assert setting[1:] == ["-Dblas=none", "-Dlapack=none"]
    assert got["cross_file_exists"] == [True]  # still there while the backend runs
    # installed into the target prefix, as every cross-python build
    assert (setup.target / "lib" / "python3.11" / "site-packages" / "recorded.py").is_file()


def test_a_target_with_another_long_double_is_refused_naming_file_and_field(tmp_path: Path):
    setup = Setup(tmp_path, long_double=8)
    done = setup.run("-c", "pass")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"cross-python3.11: meson cross file: {setup.target / SYSCONFIG}: SIZEOF_LONG_DOUBLE"
        " is 8, expected 16 for wasm32"
    ]
    assert list(setup.tmp.iterdir()) == []  # nothing left behind


def test_no_emscripten_on_path_is_one_clear_line(tmp_path: Path):
    setup = Setup(tmp_path)
    (setup.bin / "emcc").unlink()
    done = setup.run("-c", "pass")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "cross-python3.11: meson cross file: emcc is not on PATH (the compiler package provides it)"
    )
    assert list(setup.tmp.iterdir()) == []


MESON_PROJECT = """\
project('crossdemo', version: '1.0')
assert(meson.is_cross_build(), 'not a cross build')
assert(host_machine.system() == 'emscripten' and host_machine.cpu_family() == 'wasm32')
assert(meson.get_external_property('longdouble_format') == 'IEEE_QUAD_LE')
assert(meson.can_run_host_binaries(), 'no exe_wrapper')
py = import('python').find_installation(pure: false)
message('EXT_SUFFIX ' + py.get_variable('EXT_SUFFIX'))
assert(py.get_variable('EXT_SUFFIX') == '.cpython-311-wasm32-emscripten.so')
py.install_sources('crossdemo.py')
"""


@pytest.mark.skipif(
    not (BOOTSTRAP_TOOLS / "mesonpy").is_dir(),
    reason=f"needs meson-python in {BOOTSTRAP_TOOLS} (scripts/bootstrap.sh)",
)
def test_meson_python_configures_a_cross_build_for_the_target(tmp_path: Path):
    """Real pip, meson-python and meson from bootstrap's tools: a project without compiled
    code is configured as a cross build for emscripten-wasm32 (the cross file parsed by
    meson, the target's python answering meson's introspection) and installed into the
    target prefix. No compiler runs (the project has no languages)."""
    setup = Setup(tmp_path, tools=BOOTSTRAP_TOOLS)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["meson-python"]\nbuild-backend = "mesonpy"\n\n'
        '[project]\nname = "crossdemo"\nversion = "1.0"\n'
    )
    (project / "meson.build").write_text(MESON_PROJECT)
    (project / "crossdemo.py").write_text("ANSWER = 42\n")
    done = setup.run(
        *("-m", "pip", "install", ".", "--no-deps", "--no-build-isolation", "--no-index", "-v"),
        cwd=project,
        PATH=f"{setup.bin}:{setup.system}:{BOOTSTRAP_TOOLS / 'bin'}",
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "Build type: cross build" in log
    assert "EXT_SUFFIX .cpython-311-wasm32-emscripten.so" in log
    site = setup.target / "lib" / "python3.11" / "site-packages"
    assert (site / "crossdemo.py").read_text() == "ANSWER = 42\n"
