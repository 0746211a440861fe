#!/bin/bash
set -euxo pipefail

OBJS="blocksort.o huffman.o crctable.o randtable.o compress.o decompress.o bzlib.o"
emmake make -j"${CPU_COUNT:-1}" libbz2.a CC="$CC" AR="$AR" RANLIB="$RANLIB" \
    CFLAGS="$CFLAGS -Wall -Winline -D_FILE_OFFSET_BITS=64"
# The same objects (built with -fPIC) linked as a side module for dlopen.
$CC $EM_SIDE_MODULE_LDFLAGS -o libbz2.so $OBJS

mkdir -p "$PREFIX/include" "$PREFIX/lib"
cp bzlib.h "$PREFIX/include/"
cp libbz2.a libbz2.so "$PREFIX/lib/"
