# cross-python for emscripten-wasm32: $PYTHON builds for the wasm python in $PREFIX.
if [ -n "${BUILD_PREFIX:-}" ] && [ -x "${BUILD_PREFIX}/bin/cross-python3.11" ]; then
    export PYTHON="${BUILD_PREFIX}/bin/cross-python3.11"
elif [ -n "${CONDA_PREFIX:-}" ] && [ -x "${CONDA_PREFIX}/bin/cross-python3.11" ]; then
    export PYTHON="${CONDA_PREFIX}/bin/cross-python3.11"
fi
export CROSS_PYTHON_TARGET="${PREFIX:-${CONDA_PREFIX:-}}"
# CMake projects that find the wasm Python through pybind11 (extension modules, and
# programs embedding the interpreter: pyjs, xeus-python): cross-compiling mode, the wasm
# Python's headers, static library and extension suffix (cross-python's sysconfig answers
# with the wasm Python's values but the machine's paths and pointer size), and $PYTHON for
# both CMake's FindPython and pybind11's.
_cross_python_target="${CROSS_PYTHON_TARGET}"
export CROSS_PYTHON_CMAKE_ARGS="-DPython_EXECUTABLE=${PYTHON:-} -DPYTHON_EXECUTABLE=${PYTHON:-} -DPYBIND11_USE_CROSSCOMPILING=ON -DPYBIND11_PYTHONLIBS_OVERWRITE=OFF -DPYTHON_INCLUDE_DIR=${_cross_python_target}/include/python3.11 -DPYTHON_LIBRARY=${_cross_python_target}/lib/libpython3.11.a -DPYTHON_MODULE_EXTENSION=.cpython-311-wasm32-emscripten.so"
unset _cross_python_target
