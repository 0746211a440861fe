"""jedi in the wasm Python: completions and inference without subprocesses (none under Node)."""

import json

import jedi
from jedi.api.environment import InterpreterEnvironment


def names(completions):
    return [c.name for c in completions]


def test_script_completes_json_du_to_dumps():
    script = jedi.Script("import json; json.du", environment=InterpreterEnvironment())
    assert "dumps" in names(script.complete())


def test_interpreter_completes_from_a_namespace():
    # what IPython's completer does: complete against live objects
    completions = jedi.Interpreter("json.du", [{"json": json}]).complete()
    assert names(completions) == ["dump", "dumps"]


def test_inference_and_signatures():
    source = "def twice(x: int) -> int:\n    return 2 * x\n\ntwice(3)"
    script = jedi.Script(source, environment=InterpreterEnvironment())
    (signature,) = script.get_signatures(4, 6)
    assert signature.name == "twice"
    assert [p.name for p in signature.params] == ["x"]
    (definition,) = script.goto(4, 1)
    assert definition.line == 1 and definition.type == "function"
