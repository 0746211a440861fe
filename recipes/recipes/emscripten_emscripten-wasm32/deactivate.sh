# Deactivation for the emscripten-wasm32 compiler package.
unset CC CXX AR RANLIB NM EM_SIDE_MODULE_LDFLAGS EM_NODE CMAKE_ARGS EMSCRIPTEN_VERSION
