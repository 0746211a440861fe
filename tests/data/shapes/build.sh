#!/usr/bin/env bash
set -euxo pipefail
# The compiler is the build environment's, whatever /usr/bin holds.
emcc_path=$(command -v emcc)
case "$emcc_path" in
    "$BUILD_PREFIX"/*) echo "emcc from the build environment: $emcc_path" ;;
    *) echo "emcc is $emcc_path, not under $BUILD_PREFIX" >&2; exit 1 ;;
esac
emcc --version | head -n 1 | tee emcc-version.txt
grep -q " 3\.1\.69" emcc-version.txt
echo "exception flags: $EM_EXCEPTION_FLAGS"

mkdir -p "$PREFIX/lib" "$PREFIX/bin"
em++ -std=c++17 $CXXFLAGS $EM_SIDE_MODULE_LDFLAGS "$RECIPE_DIR/shapes.cpp" -o "$PREFIX/lib/libshapes.so"
em++ -std=c++17 $CXXFLAGS $EM_MAIN_MODULE_LDFLAGS -sNODERAWFS=1 "$RECIPE_DIR/main.cpp" \
    -o "$PREFIX/bin/shapes.js"
em++ -std=c++17 $CXXFLAGS $LDFLAGS -lembind -sMODULARIZE=1 \
    "$RECIPE_DIR/bind.cpp" "$RECIPE_DIR/shapes.cpp" -o "$PREFIX/lib/shapes_bind.js"
