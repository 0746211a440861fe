"""PyWavelets in the wasm Python under Node: its extension modules (Cython, numpy's C API)
load, and a transform round-trips."""

import importlib.metadata
import sys

import numpy as np
import pywt


def test_built_for_emscripten():
    assert sys.platform == "emscripten"
    assert pywt._extensions._pywt.__file__.endswith(".cpython-311-wasm32-emscripten.so")


def test_dwt_round_trip():
    signal = np.sin(np.linspace(0, 8 * np.pi, 256))
    approximation, detail = pywt.dwt(signal, "db4")
    assert np.allclose(pywt.idwt(approximation, detail, "db4"), signal)


def test_haar_of_a_step():
    approximation, detail = pywt.dwt([1.0, 1.0, 3.0, 3.0], "haar")
    assert np.allclose(approximation, [2**0.5, 3 * 2**0.5])
    assert np.allclose(detail, [0.0, 0.0])


def test_multilevel_2d():
    image = np.arange(64.0).reshape(8, 8)
    coefficients = pywt.wavedec2(image, "haar", level=2)
    assert np.allclose(pywt.waverec2(coefficients, "haar"), image)


def test_installed_release():
    # pywt.__version__ says 1.8.0 in upstream's own 1.9.0 sdist and wheels (their
    # util/version_utils.py was not bumped); the installed metadata names the release, of
    # the 1.9 series the recipe's extra.bot.max_version keeps it in
    assert importlib.metadata.version("pywavelets").startswith("1.9.")
