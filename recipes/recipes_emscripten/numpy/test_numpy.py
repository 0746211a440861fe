"""numpy in the wasm Python under Node: linear algebra with numpy's own fallback routines (no
BLAS), FFT, random, long double as IEEE binary128, and the files later cross builds compile
against, where numpy itself says they are."""

import contextlib
import io
import os
import sys
import sysconfig

import numpy as np
import pytest


def test_solve_a_linear_system():
    assert np.linalg.solve([[3, 1], [1, 2]], [9, 8]).tolist() == [2.0, 3.0]


def test_linear_algebra_without_blas():
    # show_config drops false values: a dependency that was not found has no "found"
    dependencies = np.show_config(mode="dicts")["Build Dependencies"]
    assert not dependencies["blas"].get("found") and dependencies["blas"]["name"] == "auto"
    assert not dependencies["lapack"].get("found")
    a = np.array([[4.0, 1.0], [2.0, 3.0]])
    assert np.allclose(sorted(np.linalg.eigvals(a)), [2.0, 5.0])
    assert np.allclose(np.linalg.inv(a) @ a, np.eye(2))


def test_built_for_emscripten_wasm32():
    host = np.show_config(mode="dicts")["Machine Information"]["host"]
    assert (host["system"], host["cpu"]) == ("emscripten", "wasm32")
    assert sys.platform == "emscripten"
    assert np._core._multiarray_umath.__file__.endswith(".cpython-311-wasm32-emscripten.so")


def test_fft_of_a_known_signal():
    n = 64
    signal = np.cos(2 * np.pi * 5 * np.arange(n) / n)
    spectrum = np.abs(np.fft.rfft(signal))
    assert int(np.argmax(spectrum)) == 5
    assert np.allclose(np.fft.irfft(np.fft.rfft(signal), n), signal)


def test_random_generator_is_reproducible():
    first = np.random.default_rng(12345).integers(0, 1000, size=5)
    second = np.random.default_rng(12345).integers(0, 1000, size=5)
    assert first.tolist() == second.tolist()
    assert np.random.default_rng(1).standard_normal(10000).std() == pytest.approx(1.0, abs=0.05)


def test_long_double_is_ieee_quad():
    info = np.finfo(np.longdouble)
    assert info.nmant == 112 and info.dtype.itemsize == 16
    assert np.longdouble(1) + np.finfo(np.longdouble).eps != np.longdouble(1)


def test_headers_and_pkg_config_are_the_targets():
    include = np.get_include()
    site = sysconfig.get_paths()["platlib"]
    assert include == os.path.join(site, "numpy", "_core", "include")
    assert os.path.isfile(os.path.join(include, "numpy", "arrayobject.h"))
    config_h = open(os.path.join(include, "numpy", "_numpyconfig.h")).read()
    assert "#define NPY_SIZEOF_LONG 4" in config_h  # wasm32, not the build machine's 8
    pc = os.path.join(site, "numpy", "_core", "lib", "pkgconfig", "numpy.pc")
    assert f"Version: {np.__version__}" in open(pc).read()


def test_numpy_config_answers_with_the_targets_files():
    from numpy._configtool import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        sys.argv = ["numpy-config", "--cflags"]
        main()
    assert out.getvalue().strip() == f"-I{np.get_include()}"
