#!/bin/bash
set -euxo pipefail

# The embedded interpreter: libpython3.11.a and what the python package lists beside it.
config="$PREFIX/lib/python3.11/config-3.11-wasm32-emscripten"

# toolchain-settings.patch makes these settable (upstream: the environment's bin/python,
# -fexceptions, a fixed library list, a browser-only runtime):
# - merge_js.py runs with the build machine's python3;
# - the toolchain's exception mode (wasm exceptions), which every object must share;
# - the python package's embed-libs.txt;
# - the runtime also runs in Node (its test, and Node users), with NODEFS to mount a prefix.
# pybind11 is found in cross-compiling mode with the wasm Python's headers and library.
# shellcheck disable=SC2086  # CMAKE_ARGS is a list of arguments
emcmake cmake -S . -B _build $CMAKE_ARGS \
    -DPYJS_BUILD_PYTHON=python3 \
    -DPYJS_EXCEPTION_FLAGS="$EM_EXCEPTION_FLAGS" \
    -DPYJS_PYTHON_EMBED_LIBS="$(cat "$config/embed-libs.txt")" \
    -DPYJS_ENVIRONMENT=web,worker,node \
    -DCMAKE_EXE_LINKER_FLAGS="-lnodefs.js" \
    -DPYTHON_EXECUTABLE="$PYTHON" \
    -DPYBIND11_USE_CROSSCOMPILING=ON -DPYBIND11_PYTHONLIBS_OVERWRITE=OFF \
    -DPYTHON_INCLUDE_DIR="$PREFIX/include/python3.11" \
    -DPYTHON_LIBRARY="$config/libpython3.11.a" \
    -DPYTHON_MODULE_EXTENSION=.cpython-311-wasm32-emscripten.so
cmake --build _build --parallel "${CPU_COUNT:-2}"
cmake --install _build
