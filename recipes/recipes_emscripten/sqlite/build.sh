#!/bin/bash
set -euxo pipefail

# configure generates the amalgamation with tclsh and native helper tools, built with
# BUILD_CC. The build machine is named: otherwise configure runs a test program, which
# Emscripten 3.1.69's Node output passes, decides it is not cross-compiling, and builds the
# helpers with emcc.
export BUILD_CC=gcc BUILD_CFLAGS=-O2
emconfigure ./configure --prefix="$PREFIX" --build=x86_64-pc-linux-gnu \
    --host=wasm32-unknown-emscripten \
    --enable-static --disable-shared --disable-tcl --disable-readline --disable-threadsafe \
    --disable-load-extension --disable-editline \
    CFLAGS="$CFLAGS -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_JSON1 -DSQLITE_ENABLE_RTREE -DSQLITE_OMIT_LOAD_EXTENSION"
emmake make -j"${CPU_COUNT:-1}" libsqlite3.la sqlite3.h sqlite3.pc
# The library, header and pkg-config file (not the shell, which needs a terminal).
emmake make lib_install
install -d "$PREFIX/include" "$PREFIX/lib/pkgconfig"
install -m 0644 sqlite3.h src/sqlite3ext.h "$PREFIX/include/"
install -m 0644 sqlite3.pc "$PREFIX/lib/pkgconfig/"
$CC $EM_SIDE_MODULE_LDFLAGS -o "$PREFIX/lib/libsqlite3.so" \
    -Wl,--whole-archive "$PREFIX/lib/libsqlite3.a" -Wl,--no-whole-archive
rm -f "$PREFIX/lib/libsqlite3.la"
