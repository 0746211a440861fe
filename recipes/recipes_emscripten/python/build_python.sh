#!/bin/bash
set -euxo pipefail

# The build interpreter must be the same version: Debian's python3.11 (3.11.2).
BUILD_PYTHON=$(command -v python3.11)

# configure's AC_CHECK_LIB probes declare `char f()`, which does not match the functions'
# wasm signatures: with Emscripten 3.1.6 the mismatch crashed binaryen's finalizer, and with
# 3.1.69 every probe of libsqlite3 answers "no" as well (_sqlite3 is then left out). The
# library has these functions (built from our sqlite recipe): answer the probes.
for fn in bind_double column_decltype column_double complete enable_shared_cache \
          progress_handler result_double set_authorizer trace_v2 trace value_double \
          serialize; do
    export "ac_cv_lib_sqlite3_sqlite3_${fn}=yes"
done

# Modules/Setup.local comes first for makesetup (first rule wins):
# - ctypes: 3.11's configure leaves _ctypes to setup.py, which does not find libffi when
#   cross-compiling; build it into the interpreter like the other stdlib modules (makesetup
#   reads a line with "=" as a variable: the -D flags carry no values).
# - _ssl and _hashlib link OpenSSL (3 MB of wasm): side modules in lib-dynload, loaded on
#   import, keep it out of every interpreter start. Their flags are configure's.
cat > Modules/Setup.local <<SETUP
_ctypes _ctypes/_ctypes.c _ctypes/callbacks.c _ctypes/callproc.c _ctypes/stgdict.c _ctypes/cfield.c -I$PREFIX/include -L$PREFIX/lib -lffi -DHAVE_FFI_PREP_CIF_VAR -DHAVE_FFI_PREP_CLOSURE_LOC -DHAVE_FFI_CLOSURE_ALLOC

*shared*
_ssl _ssl.c
_hashlib _hashopenssl.c
SETUP

# configure's default OPT has -g: every object (libpython3.11.a, 30 MB with DWARF) and every
# extension module cross-python builds (it reads OPT from the sysconfig) would carry debug
# information. llvm-strip cannot strip wasm objects in an archive, so it is not made.
export OPT="-DNDEBUG -fwrapv -O3 -Wall"

# Stdlib modules link our libraries statically into the interpreter (never Emscripten's
# ports, which download at build time).
CONFIG_SITE=Tools/wasm/config.site-wasm32-emscripten emconfigure ./configure -C \
    --host=wasm32-unknown-emscripten --build=x86_64-pc-linux-gnu \
    --with-emscripten-target=node --enable-wasm-dynamic-linking \
    --with-build-python="$BUILD_PYTHON" --prefix="$PREFIX" \
    --without-ensurepip --disable-test-modules --with-openssl="$PREFIX" \
    ZLIB_CFLAGS="-I$PREFIX/include" ZLIB_LIBS="-L$PREFIX/lib -lz" \
    BZIP2_CFLAGS="-I$PREFIX/include" BZIP2_LIBS="-L$PREFIX/lib -lbz2" \
    LIBLZMA_CFLAGS="-I$PREFIX/include" LIBLZMA_LIBS="-L$PREFIX/lib -llzma" \
    LIBSQLITE3_CFLAGS="-I$PREFIX/include" LIBSQLITE3_LIBS="-L$PREFIX/lib -lsqlite3"

# zlib is already linked into the main module through zlibmodule: binascii must not link
# it a second time (wasm-ld: duplicate symbol adler32).
# The wasm stack: 5 MB, as CPython's own later releases ask for (Emscripten's default has
# been 64 kB since 3.1.27, too small for C recursion near the recursion limit).
stack="-sSTACK_SIZE=5242880"
emmake make -j"${CPU_COUNT:-1}" MODULE_BINASCII_LDFLAGS= LDFLAGS_NODIST="$stack"
emmake make install MODULE_BINASCII_LDFLAGS= LDFLAGS_NODIST="$stack"

# The interpreter: bin/python3.11.js loads bin/python3.11.wasm; bin/python3.11 runs it.
cp python.wasm "$PREFIX/bin/python3.11.wasm"
sed -i 's/"python\.wasm"/"python3.11.wasm"/' "$PREFIX/bin/python3.11.js"
rm -f "$PREFIX/bin/python3.js"
install -m 0755 "$RECIPE_DIR/launcher.sh" "$PREFIX/bin/python3.11"
# How Node runs programs of this Emscripten: the compiler package's EM_NODE (`node` and its
# flags). Its flags are recorded for the launcher and for `emci run`.
case "${EM_NODE:?the compiler package sets EM_NODE}" in
    node|node\ *) echo "${EM_NODE#node}" | sed 's/^ *//' > "$PREFIX/bin/python3.11.node-flags" ;;
    *) echo "EM_NODE is '$EM_NODE', not node and its flags" >&2; exit 1 ;;
esac
ln -sf python3.11 "$PREFIX/bin/python3"
ln -sf python3.11 "$PREFIX/bin/python"

# What cannot work in wasm, or only serves CPython's own development, is left out.
stdlib="$PREFIX/lib/python3.11"
rm -rf "$stdlib/test" "$stdlib/idlelib" "$stdlib/tkinter" "$stdlib/turtledemo" \
    "$stdlib/ensurepip" "$stdlib/lib2to3/tests" "$stdlib/distutils/tests" \
    "$stdlib/ctypes/test" "$stdlib/unittest/test" "$stdlib/sqlite3/test" \
    "$stdlib/config-3.11-wasm32-emscripten/libpython3.11.a" \
    "$PREFIX/bin/idle3"* "$PREFIX/bin/2to3"* \
    "$PREFIX/bin/pydoc3"* "$PREFIX/share/man"
find "$stdlib" -name "*.opt-1.pyc" -delete -o -name "*.opt-2.pyc" -delete

# Embedding the interpreter (xeus-python, pyjs link it into their own main modules): the
# static library stays, in lib/ (where xeus-python's CMake looks; the copy in the config
# directory goes), with the two archives CPython builds from its bundled sources and links
# into python.js (libmpdec for _decimal, libexpat for pyexpat) in the config directory.
# What an embedding links beside libpython3.11.a is written there too, in embed-libs.txt
# (the C libraries come from the recipes in the environment; CMake projects get
# libpython3.11.a itself through pybind11::embed, see cross-python's CROSS_PYTHON_CMAKE_ARGS).
config="$stdlib/config-3.11-wasm32-emscripten"
test -f "$PREFIX/lib/libpython3.11.a"
cp Modules/_decimal/libmpdec/libmpdec.a Modules/expat/libexpat.a "$config/"
echo "-L$config -lmpdec -lexpat -L$PREFIX/lib -lffi -lbz2 -llzma -lz -lsqlite3" \
    > "$config/embed-libs.txt"
