# Activation for the emscripten-wasm32 compiler package that carries Emscripten itself
# (the `emscripten` package of this recipe, installed in the same prefix).
# Checks the machine's LLVM, then exports the toolchain. @EMSCRIPTEN_ROOT@ is the package's
# tree (conda's prefix replacement makes it this environment's path).
_emci_expected="@EMSCRIPTEN_VERSION@"
_emci_root="@EMSCRIPTEN_ROOT@"
_emci_llvm="${EM_LLVM_ROOT:-/usr/lib/llvm-@LLVM_MAJOR@/bin}"
_emci_llvm_major="@LLVM_MAJOR@"
_emci_fail=""
_emci_found=""
if [ -r "${_emci_root}/emscripten-version.txt" ]; then
    _emci_found=$(tr -d '"[:space:]' < "${_emci_root}/emscripten-version.txt")
fi
# Debian's source tree says "3.1.69-git": compare the release part
if [ "${_emci_found%%-*}" != "${_emci_expected}" ]; then
    _emci_fail="expected Emscripten ${_emci_expected} at ${_emci_root}, found '${_emci_found:-nothing}' (the emscripten package is missing from this environment)"
elif [ ! -x "${_emci_llvm}/clang" ] || [ ! -x "${_emci_llvm}/wasm-ld" ] || [ ! -x "${_emci_llvm}/llvm-ar" ]; then
    _emci_fail="needs LLVM ${_emci_llvm_major} (clang, wasm-ld, llvm-ar) in ${_emci_llvm}; install Debian's clang-${_emci_llvm_major} lld-${_emci_llvm_major} llvm-${_emci_llvm_major} (scripts/bootstrap.sh does), or point EM_LLVM_ROOT at another LLVM ${_emci_llvm_major}"
else
    _emci_clang=$("${_emci_llvm}/clang" --version 2>/dev/null | sed -n 's/.*clang version \([0-9][0-9]*\)\..*/\1/p' | head -n 1)
    if [ "${_emci_clang}" != "${_emci_llvm_major}" ]; then
        _emci_fail="needs LLVM ${_emci_llvm_major}, but ${_emci_llvm}/clang is version '${_emci_clang:-unknown}'; install Debian's clang-${_emci_llvm_major} lld-${_emci_llvm_major} llvm-${_emci_llvm_major}"
    fi
fi
if [ -n "${_emci_fail}" ]; then
    echo "emscripten_emscripten-wasm32 ${_emci_expected}: ${_emci_fail}" >&2
    unset _emci_expected _emci_root _emci_llvm _emci_llvm_major _emci_fail _emci_found _emci_clang
    return 1 2>/dev/null || exit 1
fi

# emcc reads the package's own config (${EMSCRIPTEN_ROOT}/.emscripten): nothing foreign.
unset EM_CONFIG EM_CACHE EM_FROZEN_CACHE EM_BINARYEN_ROOT EM_PORTS EM_NODE_JS
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
export NM=emnm
# The exception mode of this toolchain: native wasm exceptions (and wasm setjmp/longjmp).
# Every object of a program (main module and side modules) must agree, and the package's
# prebuilt C++ runtime is this variant only: EMCC_CFLAGS gives it to every emcc call, the
# flags below show it to build systems.
export EM_EXCEPTION_FLAGS="-fwasm-exceptions"
export EMCC_CFLAGS="${EM_EXCEPTION_FLAGS}${EMCC_CFLAGS:+ ${EMCC_CFLAGS}}"
# Code in static libraries may end up in side modules: always position independent.
export CFLAGS="-O2 -fPIC ${EM_EXCEPTION_FLAGS} ${CFLAGS:-}"
export CXXFLAGS="-O2 -fPIC ${EM_EXCEPTION_FLAGS} ${CXXFLAGS:-}"
export LDFLAGS="${EM_EXCEPTION_FLAGS} ${LDFLAGS:-}"
# Flags for linking a side module (a shared library dlopen-ed by a MAIN_MODULE).
export EM_SIDE_MODULE_LDFLAGS="-sSIDE_MODULE=1 -sWASM_BIGINT ${EM_EXCEPTION_FLAGS}"
# ... and for the main module that loads them (both sides must agree on WASM_BIGINT).
export EM_MAIN_MODULE_LDFLAGS="-sMAIN_MODULE=1 -sWASM_BIGINT ${EM_EXCEPTION_FLAGS}"
# Programs built for Node run with plain node (3.1.69 knows Node's fetch).
export EM_NODE="node"
export CMAKE_ARGS="-DCMAKE_TOOLCHAIN_FILE=${EMSCRIPTEN_ROOT}/cmake/Modules/Platform/Emscripten.cmake -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=${PREFIX:-} -DCMAKE_PREFIX_PATH=${PREFIX:-} -DCMAKE_FIND_ROOT_PATH=${PREFIX:-} -DCMAKE_INSTALL_LIBDIR=lib"
unset _emci_expected _emci_root _emci_llvm _emci_llvm_major _emci_fail _emci_found _emci_clang
