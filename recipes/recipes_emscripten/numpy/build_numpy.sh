#!/bin/bash
# numpy with meson-python and numpy's vendored meson. cross-python's PIP_CONFIG_SETTINGS
# carries the emscripten-wasm32 cross file; pip adds these options to it:
#   allow-noblas: numpy's bundled fallback (lapack_lite) when no BLAS is found, and none is:
#     the cross file's pkg-config looks only in the target prefix (numpy's default is true;
#     said here because the build depends on it);
#   cpu-baseline/dispatch none: no SIMD code paths (numpy's meson_cpu lists no features for
#     wasm32 and chooses none itself; said here so that a change there cannot surprise us).
set -euxo pipefail

$PYTHON -m pip install . --no-deps --no-build-isolation -v \
    -Csetup-args=-Dallow-noblas=true \
    -Csetup-args=-Dcpu-baseline=none \
    -Csetup-args=-Dcpu-dispatch=none
