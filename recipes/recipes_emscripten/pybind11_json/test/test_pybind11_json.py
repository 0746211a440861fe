"""The pybind11_json module built by the recipe's test, in the wasm Python under Node."""

import json

import demo_json

VALUE = {"name": "wasm", "sizes": [1, 2.5, None, True], "nested": {"ok": False, "big": 2**40}}


def test_python_to_json_and_back():
    assert demo_json.roundtrip(VALUE) == VALUE
    assert demo_json.keys({"b": 1, "a": 2}) == ["a", "b"]  # nlohmann orders object keys


def test_dump_and_parse_agree_with_the_json_module():
    assert json.loads(demo_json.dumps(VALUE)) == VALUE
    assert demo_json.loads(json.dumps(VALUE)) == VALUE
    assert demo_json.loads("[]") == [] and demo_json.loads("null") is None
