"""PyYAML in the wasm Python: the C loader and dumper do a real round trip."""

import yaml
from yaml import CDumper, CLoader


def test_built_with_libyaml():
    assert yaml.__with_libyaml__, "PyYAML was built without its libyaml extension"
    from yaml import _yaml

    assert _yaml.__file__.endswith(".cpython-311-wasm32-emscripten.so")


def test_c_round_trip():
    document = {"name": "emscripten-wasm32", "items": [1, 2.5, None, True], "nested": {"a": "b"}}
    text = yaml.dump(document, Dumper=CDumper, sort_keys=True)
    assert yaml.load(text, Loader=CLoader) == document
    assert yaml.safe_load("a: [1, 2]") == {"a": [1, 2]}
