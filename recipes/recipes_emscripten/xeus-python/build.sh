#!/bin/bash
set -euxo pipefail

# The embedded interpreter: libpython3.11.a and what the python package lists beside it.
config="$PREFIX/lib/python3.11/config-3.11-wasm32-emscripten"

# cmake-settings.patch makes these settable (upstream: a fixed library list,
# a browser-only kernel):
# - the python package's embed-libs.txt, and zstd (pyjs' static library needs it);
# - the kernel also runs in Node (its test), with NODEFS to mount a prefix;
# - xeus as our xeus package exports it (the static target, once), and a kernel spec
#   without upstream's "shared": {"libxeus.so": ...} (xeus is static here; JupyterLite's
#   xeus addon copies what it names and fails on a missing file).
# pybind11 and find_package(Python) find the wasm Python through cross-python's
# CROSS_PYTHON_CMAKE_ARGS. The kernel spec's argv names $PREFIX/bin/xpython (upstream's
# default; conda clients replace the prefix on install): JupyterLite's xeus addon loads
# argv[0].js and argv[0].wasm.
# shellcheck disable=SC2086  # CMAKE_ARGS is a list of arguments
emcmake cmake -S . -B _build $CMAKE_ARGS \
    -DXPYT_EMSCRIPTEN_WASM_BUILD=ON \
    -DXPYT_PYTHON_EMBED_LIBS="$(cat "$config/embed-libs.txt") -lzstd" \
    -DXPYT_WASM_ENVIRONMENT=web,worker,node \
    -DCMAKE_EXE_LINKER_FLAGS="-lnodefs.js" \
    $CROSS_PYTHON_CMAKE_ARGS
cmake --build _build --parallel "${CPU_COUNT:-2}"
cmake --install _build
# the native raw kernel's spec folder comes without a kernel.json in a wasm build
rm -rf "$PREFIX/share/jupyter/kernels/xpython-raw"
