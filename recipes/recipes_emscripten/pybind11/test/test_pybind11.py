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


def test_a_cpp_exception_becomes_a_python_exception():
    # thrown in the side module, caught by pybind11's translator (wasm exceptions in the
    # interpreter and in the module)
    assert demo.non_negative(4) == 4
    with pytest.raises(ValueError, match="negative: -4"):
        demo.non_negative(-4)


def test_a_python_exception_crosses_cpp_and_comes_back():
    def fail(_x):
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        demo.apply_twice(fail, 1)
