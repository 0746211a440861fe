#!/usr/bin/env bash
# binaryen 120 with the machine's C++ compiler, cmake and ninja (see README: bootstrap).
set -euxo pipefail
cmake -S . -B _build -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" \
    -DCMAKE_INSTALL_LIBDIR=lib \
    -DBUILD_TESTS=OFF \
    -DBUILD_EMSCRIPTEN_TOOLS_ONLY=ON \
    -DENABLE_WERROR=OFF
cmake --build _build -j"${CPU_COUNT:-2}"
cmake --install _build
# the headers of the C API are not needed by Emscripten; keep the package to the tools
rm -rf "$PREFIX/include"
