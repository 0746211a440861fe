"""PyYAML in the wasm Python: the C loader and dumper do a real round trip."""

import yaml
from yaml import CDumper, CLoader

assert yaml.__with_libyaml__, "PyYAML was built without its libyaml extension"
document = {"name": "emscripten-wasm32", "items": [1, 2.5, None, True], "nested": {"a": "b"}}
text = yaml.dump(document, Dumper=CDumper, sort_keys=True)
assert yaml.load(text, Loader=CLoader) == document
assert yaml.safe_load("a: [1, 2]") == {"a": [1, 2]}
assert type(yaml.CLoader("x").get_single_node()).__name__ == "ScalarNode"
print("pyyaml", yaml.__version__, "C loader round trip ok")
