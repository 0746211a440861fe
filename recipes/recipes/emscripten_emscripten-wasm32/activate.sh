# Activation for the emscripten-wasm32 compiler package.
# Checks that the system Emscripten is the expected version, then exports the toolchain.
_emci_expected="@EMSCRIPTEN_VERSION@"
_emci_root="${EMSCRIPTEN_ROOT:-/usr/share/emscripten}"
_emci_found=""
if [ -r "${_emci_root}/emscripten-version.txt" ]; then
    _emci_found=$(tr -d '"[:space:]' < "${_emci_root}/emscripten-version.txt")
fi
if ! command -v emcc >/dev/null 2>&1 || [ "${_emci_found}" != "${_emci_expected}" ]; then
    echo "emscripten_emscripten-wasm32: expected Emscripten ${_emci_expected} at ${_emci_root}, found '${_emci_found:-nothing}' (install Debian's emscripten package or set EMSCRIPTEN_ROOT)" >&2
    unset _emci_expected _emci_root _emci_found
    return 1 2>/dev/null || exit 1
fi

export EMSCRIPTEN_ROOT="${_emci_root}"
# emcc is a Python program: run it with the machine's python3, never a wasm python3 that a
# host environment puts first on PATH.
if [ -x /usr/bin/python3 ]; then
    export EMSDK_PYTHON=/usr/bin/python3
fi
export EMSCRIPTEN_VERSION="${_emci_expected}"
export CC=emcc
export CXX=em++
export AR=emar
export RANLIB=emranlib
export NM=llvm-nm
export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:${NODE_PATH}}"
# Code in static libraries may end up in side modules: always position independent.
export CFLAGS="-O2 -fPIC ${CFLAGS:-}"
export CXXFLAGS="-O2 -fPIC ${CXXFLAGS:-}"
export LDFLAGS="${LDFLAGS:-}"
# Flags for linking a side module (a shared library dlopen-ed by a MAIN_MODULE).
export EM_SIDE_MODULE_LDFLAGS="-sSIDE_MODULE=1 -sWASM_BIGINT"
# ... and for the main module that loads them (both sides must agree on WASM_BIGINT).
export EM_MAIN_MODULE_LDFLAGS="-sMAIN_MODULE=1 -sWASM_BIGINT"
# Programs built for Node run with this (Node 20 and Emscripten 3.1.6 disagree on fetch).
export EM_NODE="node --no-experimental-fetch"
export CMAKE_ARGS="-DCMAKE_TOOLCHAIN_FILE=${EMSCRIPTEN_ROOT}/cmake/Modules/Platform/Emscripten.cmake -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=${PREFIX:-} -DCMAKE_PREFIX_PATH=${PREFIX:-} -DCMAKE_FIND_ROOT_PATH=${PREFIX:-} -DCMAKE_INSTALL_LIBDIR=lib"
unset _emci_expected _emci_root _emci_found
