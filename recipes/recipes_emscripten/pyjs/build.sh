#!/bin/bash
set -euxo pipefail

# The embedded interpreter: libpython3.11.a and what the python package lists beside it.
config="$PREFIX/lib/python3.11/config-3.11-wasm32-emscripten"

# toolchain-settings.patch makes these settable (upstream: the environment's bin/python,
# -fexceptions, a fixed library list, a browser-only runtime):
# - merge_js.py runs with the build machine's python3;
# - the toolchain's exception mode (wasm exceptions), which every object must share;
# - the python package's embed-libs.txt, and zstd (pyjs unpacks .conda packages);
# - the runtime also runs in Node (its test, and Node users), with NODEFS to mount a prefix.
# pybind11 finds the wasm Python through cross-python's CROSS_PYTHON_CMAKE_ARGS.
# shellcheck disable=SC2086  # CMAKE_ARGS is a list of arguments
emcmake cmake -S . -B _build $CMAKE_ARGS \
    -DPYJS_BUILD_PYTHON=python3 \
    -DPYJS_EXCEPTION_FLAGS="$EM_EXCEPTION_FLAGS" \
    -DPYJS_PYTHON_EMBED_LIBS="$(cat "$config/embed-libs.txt") -lzstd" \
    -DPYJS_ENVIRONMENT=web,worker,node \
    -DCMAKE_EXE_LINKER_FLAGS="-lnodefs.js" \
    $CROSS_PYTHON_CMAKE_ARGS
cmake --build _build --parallel "${CPU_COUNT:-2}"
cmake --install _build
