# cross-python for emscripten-wasm32: $PYTHON builds for the wasm python in $PREFIX.
if [ -n "${BUILD_PREFIX:-}" ] && [ -x "${BUILD_PREFIX}/bin/cross-python3.11" ]; then
    export PYTHON="${BUILD_PREFIX}/bin/cross-python3.11"
elif [ -n "${CONDA_PREFIX:-}" ] && [ -x "${CONDA_PREFIX}/bin/cross-python3.11" ]; then
    export PYTHON="${CONDA_PREFIX}/bin/cross-python3.11"
fi
export CROSS_PYTHON_TARGET="${PREFIX:-${CONDA_PREFIX:-}}"
