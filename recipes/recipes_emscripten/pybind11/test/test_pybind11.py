"""The pybind11 module built by the recipe's test, imported by the wasm Python under Node."""

import sys

import demo
import pytest


def test_it_is_a_wasm_side_module():
    assert sys.platform == "emscripten"
    with open(demo.__file__, "rb") as handle:
        assert handle.read(4) == b"\0asm"
    assert demo.__file__.endswith(".cpython-311-wasm32-emscripten.so")


def test_functions_and_conversions():
    assert demo.add(2, 3) == 5
    assert demo.add(41) == 42
    assert demo.lengths(["wasm", "node"]) == {"node": 4, "wasm": 4}
    assert demo.apply_twice(lambda x: x * 10, 3) == 300


def test_classes():
    counter = demo.Counter(start=5)
    assert counter.increment() == 6
    assert counter.increment(by=4) == 10
    counter.value = 1
    assert counter.value == 1


def test_wrong_arguments_raise_type_error():
    with pytest.raises(TypeError, match="incompatible function arguments"):
        demo.add("two", 3)


# Not tested: a C++ exception thrown in the module and turned into a Python exception. The
# side module (built with -fexceptions, as pybind11 asks) then imports
# __cxa_find_matching_catch_N, which the Emscripten 3.1.6 CPython main module does not
# export, so Node stops with "Cannot read properties of undefined (reading 'apply')".
# Emscripten 3.1.69 resolves those functions for side modules; test it there.
