#!/bin/bash
set -euxo pipefail

# The static library only (no programs, no threads: wasm32 without pthreads), from
# upstream's CMake build; then the same objects as a side module that a MAIN_MODULE can
# dlopen.
# shellcheck disable=SC2086  # CMAKE_ARGS is a list of arguments
emcmake cmake -S build/cmake -B _build $CMAKE_ARGS \
    -DZSTD_BUILD_PROGRAMS=OFF -DZSTD_BUILD_TESTS=OFF -DZSTD_BUILD_SHARED=OFF \
    -DZSTD_BUILD_STATIC=ON -DZSTD_MULTITHREAD_SUPPORT=OFF -DZSTD_LEGACY_SUPPORT=OFF
cmake --build _build -j"${CPU_COUNT:-1}"
cmake --install _build
$CC $EM_SIDE_MODULE_LDFLAGS -o "$PREFIX/lib/libzstd.so" \
    -Wl,--whole-archive "$PREFIX/lib/libzstd.a" -Wl,--no-whole-archive
rm -rf "$PREFIX/share/man"
