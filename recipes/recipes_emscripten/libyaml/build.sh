#!/bin/bash
set -euxo pipefail

# The git snapshot has no configure script: build with CMake.
# shellcheck disable=SC2086  # CMAKE_ARGS is a list of arguments
emcmake cmake -S . -B _build $CMAKE_ARGS -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
    -DINSTALL_CMAKE_DIR=lib/cmake/yaml
cmake --build _build -j"${CPU_COUNT:-1}"
cmake --install _build
$CC $EM_SIDE_MODULE_LDFLAGS -o "$PREFIX/lib/libyaml.so" \
    -Wl,--whole-archive "$PREFIX/lib/libyaml.a" -Wl,--no-whole-archive
# upstream's CMake build does not write the pkg-config file: write it like autotools does
mkdir -p "$PREFIX/lib/pkgconfig"
cat > "$PREFIX/lib/pkgconfig/yaml-0.1.pc" <<PC
prefix=$PREFIX
exec_prefix=\${prefix}
includedir=\${prefix}/include
libdir=\${exec_prefix}/lib

Name: LibYAML
Description: Library to parse and emit YAML
Version: $PKG_VERSION
Cflags: -I\${includedir}
Libs: -L\${libdir} -lyaml
PC
