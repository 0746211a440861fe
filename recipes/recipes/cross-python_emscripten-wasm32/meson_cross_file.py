"""A meson cross file for emscripten-wasm32, written by cross-python3.11 for one build.

    python3.11 meson_cross_file.py --target PREFIX --python CROSS_PYTHON --output FILE

reads the environment the compiler package sets (PATH for emcc/em++/emar, `EM_NODE`,
`EM_SIDE_MODULE_LDFLAGS`) and the target Python's sysconfig data in PREFIX, and writes FILE
plus two compiler wrappers (`emcc`, `em++`) in a `bin/` folder beside it. meson-python gets
FILE through pip's config settings (`setup-args=--cross-file=FILE`), which also reach a
project's vendored meson (numpy's).

The wrappers run emcc without cross-python's variables (emcc is itself a Python program) and
link a side module when meson links a shared module (`-shared`): configure checks that link
executables stay plain executables, so a missing function is still missing.

Runs with the machine's python3.11 and the standard library only. Problems are one line on
stderr and exit status 1; nothing is written then.
"""

from __future__ import annotations

import argparse
import os
import runpy
import shlex
import shutil
import stat
import sys
from pathlib import Path

SYSCONFIG = "lib/python3.11/_sysconfigdata__emscripten_wasm32-emscripten.py"
SITE_PACKAGES = "lib/python3.11/site-packages"
# clang's wasm32 target: `long double` is IEEE binary128 (16 bytes, software emulated).
LONG_DOUBLE = {16: "IEEE_QUAD_LE"}
# What cross-python3.11 exports for the native interpreter; emcc must not see them.
CROSS_VARIABLES = ("_PYTHON_SYSCONFIGDATA_NAME", "_PYTHON_HOST_PLATFORM", "PYTHONPATH")
DEFAULT_SIDE_MODULE = "-sSIDE_MODULE=1 -sWASM_BIGINT"
DEFAULT_NODE = "node"


class CrossFileError(Exception):
    """A problem with the environment or the target, as one line for the user."""


def meson_value(value: str | bool | list[str]) -> str:
    """A value in meson's machine-file syntax (a Python-like literal)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(meson_value(item) for item in value) + "]"
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _which(name: str, path: str) -> str:
    found = shutil.which(name, path=path)
    if found is None:
        raise CrossFileError(f"{name} is not on PATH (the compiler package provides it)")
    return os.path.abspath(found)


def _sysconfig_vars(target: Path) -> dict:
    path = target / SYSCONFIG
    if not path.is_file():
        raise CrossFileError(f"{path}: no sysconfig data of the wasm python (host 'python')")
    try:
        data = runpy.run_path(str(path))["build_time_vars"]
    except (KeyError, SyntaxError, OSError) as exc:
        raise CrossFileError(f"{path}: cannot read build_time_vars ({exc})") from exc
    if not isinstance(data, dict):
        raise CrossFileError(f"{path}: build_time_vars is not a dict")
    return data


def _long_double_format(config: dict, target: Path) -> str:
    size = config.get("SIZEOF_LONG_DOUBLE")
    if size not in LONG_DOUBLE:
        raise CrossFileError(
            f"{target / SYSCONFIG}: SIZEOF_LONG_DOUBLE is {size!r}, expected 16 for wasm32"
        )
    return LONG_DOUBLE[size]


def _wrapper(real: str, side_flags: list[str]) -> str:
    unset = " ".join(CROSS_VARIABLES)
    side = " ".join(shlex.quote(flag) for flag in side_flags)
    return (
        "#!/bin/sh\n"
        "# Written by cross-python3.11 for meson: emcc without cross-python's variables, and\n"
        "# a side module when linking a shared module.\n"
        f"unset {unset}\n"
        'for arg in "$@"; do\n'
        '    if [ "$arg" = -shared ]; then\n'
        f'        exec {shlex.quote(real)} "$@" {side}\n'
        "    fi\n"
        "done\n"
        f'exec {shlex.quote(real)} "$@"\n'
    )


def cross_file_text(
    *,
    target: Path,
    python: str,
    native: str,
    wrappers: dict[str, str],
    env: dict[str, str],
) -> str:
    """The cross file for this environment (compilers are the wrappers' paths)."""
    path = env.get("PATH", "")
    config = _sysconfig_vars(target)
    node = shlex.split(env.get("EM_NODE") or DEFAULT_NODE)
    binaries: dict[str, str | list[str]] = {
        "c": wrappers["emcc"],
        "cpp": wrappers["em++"],
        "ar": _which("emar", path),
        "python": python,
        "cython": [native, "-m", "cython"],
        "exe_wrapper": [_which(node[0], path), *node[1:]],
    }
    for name, program in (("strip", "emstrip"), ("pkg-config", "pkg-config")):
        found = shutil.which(program, path=path)
        if found is not None:
            binaries[name] = os.path.abspath(found)
    pkg_config_dirs = [str(target / "lib" / "pkgconfig")]
    properties: dict[str, str | bool | list[str]] = {
        "needs_exe_wrapper": True,
        # meson's compiler sanity check would link and run a program: the configure checks
        # that need to run code do so through exe_wrapper (Node) instead.
        "skip_sanity_check": True,
        "longdouble_format": _long_double_format(config, target),
    }
    numpy = target / SITE_PACKAGES / "numpy" / "_core"
    if (numpy / "include" / "numpy").is_dir():
        # numpy's headers for the target; `import numpy` cannot run in the build's python
        # (its extension modules are wasm). scipy-style meson.build files read this.
        properties["numpy-include-dir"] = str(numpy / "include")
        if (numpy / "lib" / "pkgconfig").is_dir():
            pkg_config_dirs.append(str(numpy / "lib" / "pkgconfig"))
    properties["pkg_config_libdir"] = pkg_config_dirs
    host_machine = {
        "system": "emscripten",
        "cpu_family": "wasm32",
        "cpu": "wasm32",
        "endian": "little",
    }
    lines = [
        "# meson cross file for emscripten-wasm32, written by cross-python3.11 for one build.",
    ]
    for section, values in (
        ("binaries", binaries),
        ("host_machine", host_machine),
        ("properties", properties),
    ):
        lines.append("")
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {meson_value(value)}" for key, value in values.items())
    return "\n".join(lines) + "\n"


def write(target: Path, python: str, output: Path, env: dict[str, str]) -> None:
    """Write the wrappers and the cross file; nothing is written when anything is missing."""
    path = env.get("PATH", "")
    side_flags = shlex.split(env.get("EM_SIDE_MODULE_LDFLAGS") or DEFAULT_SIDE_MODULE)
    real = {name: _which(name, path) for name in ("emcc", "em++")}
    bin_dir = output.parent / "bin"
    wrappers = {name: str(bin_dir / name) for name in real}
    text = cross_file_text(
        target=target, python=python, native=sys.executable, wrappers=wrappers, env=env
    )
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, compiler in real.items():
        wrapper = bin_dir / name
        wrapper.write_text(_wrapper(compiler, side_flags))
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    partial = output.with_name(output.name + ".part")
    partial.write_text(text)
    os.replace(partial, output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, type=Path, help="the wasm python's prefix")
    parser.add_argument("--python", required=True, help="the build's python (cross-python)")
    parser.add_argument("--output", required=True, type=Path, help="the cross file to write")
    args = parser.parse_args(argv)
    try:
        write(args.target, args.python, args.output, dict(os.environ))
    except CrossFileError as exc:
        print(f"cross-python3.11: meson cross file: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
