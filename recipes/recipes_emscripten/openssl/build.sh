#!/bin/bash
set -euxo pipefail

# OpenSSL's Configure takes compiler flags as arguments and refuses them twice: the
# compiler package's CFLAGS go on the command line instead of the environment.
flags="${CFLAGS}"
unset CFLAGS CXXFLAGS CPPFLAGS LDFLAGS
# Not through emconfigure: it would make Configure prefix every tool with "em".
./Configure linux-generic32 no-asm no-shared no-dso no-engine no-afalgeng no-async \
    no-ui-console no-tests ${flags} -DOPENSSL_NO_SECURE_MEMORY \
    --prefix="$PREFIX" --openssldir="$PREFIX/ssl" --libdir=lib
# Threads stay configured (CPython's _ssl requires OPENSSL_THREADS) but without -pthread:
# wasm modules here are single-threaded, and Emscripten's libc implements the pthread
# calls OpenSSL makes for that case. -pthread would build shared-memory objects that
# cannot link into a non-threaded program.
no_pthread=(CNF_CFLAGS= CNF_CXXFLAGS= CNF_EX_LIBS=)
make -j"${CPU_COUNT:-1}" "${no_pthread[@]}" build_libs
make "${no_pthread[@]}" install_dev
