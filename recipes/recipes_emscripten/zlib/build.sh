#!/bin/bash
set -euxo pipefail

# zlib's configure knows emcc: --static builds libz.a from -fPIC objects (CFLAGS).
emconfigure ./configure --static --prefix="$PREFIX"
emmake make -j"${CPU_COUNT:-1}" libz.a
emmake make install
# The same objects as a side module that a MAIN_MODULE can dlopen.
$CC $EM_SIDE_MODULE_LDFLAGS -o "$PREFIX/lib/libz.so" -Wl,--whole-archive libz.a -Wl,--no-whole-archive
rm -rf "$PREFIX/share/man"
