#!/bin/bash
set -euxo pipefail

# The Debian tarball carries configure.ac, not configure.
autoreconf -fi
emconfigure ./configure --prefix="$PREFIX" --host=wasm32-unknown-emscripten \
    --enable-static --disable-shared --disable-dependency-tracking --disable-builddir \
    --disable-multi-os-directory --disable-raw-api --disable-docs
emmake make -j"${CPU_COUNT:-1}"
emmake make install
rm -rf "$PREFIX/share" "$PREFIX/lib/libffi.la"
