"""parso in the wasm Python: parse with error recovery, find errors, round-trip the code."""

import parso

CODE = "def add(a, b):\n    return a + b\n\nclass C:\n    x = add(1,\n"


def test_round_trip_and_tree():
    module = parso.parse(CODE, version="3.11")
    assert module.get_code() == CODE  # lossless, even with a syntax error
    functions = list(module.iter_funcdefs())
    assert [f.name.value for f in functions] == ["add"]
    assert [p.name.value for p in functions[0].get_params()] == ["a", "b"]


def test_syntax_errors_are_reported():
    grammar = parso.load_grammar(version="3.11")
    errors = list(grammar.iter_errors(grammar.parse(CODE)))
    assert errors and errors[0].message.startswith("SyntaxError")
    assert list(grammar.iter_errors(grammar.parse("x = 1\n"))) == []
