#!/bin/bash
set -euxo pipefail

# Only liblzma: the command-line tools need fork/exec, which wasm does not have.
emconfigure ./configure --prefix="$PREFIX" --host=wasm32-unknown-emscripten \
    --enable-static --disable-shared --disable-threads --disable-nls --disable-doc \
    --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo --disable-lzma-links \
    --disable-scripts
emmake make -j"${CPU_COUNT:-1}"
emmake make install
$CC $EM_SIDE_MODULE_LDFLAGS -o "$PREFIX/lib/liblzma.so" \
    -Wl,--whole-archive "$PREFIX/lib/liblzma.a" -Wl,--no-whole-archive
rm -rf "$PREFIX/share" "$PREFIX/lib/liblzma.la"
