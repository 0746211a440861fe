"""regex in the wasm Python: its C engine, fuzzy matching and Unicode properties."""

import regex


def test_c_engine():
    assert regex._regex.__file__.endswith(".cpython-311-wasm32-emscripten.so")


def test_fuzzy_and_unicode():
    assert regex.fullmatch(r"(?:emscripten){e<=1}", "emscriptem")
    assert regex.findall(r"\p{Greek}+", "alpha αβγ beta δ") == ["αβγ", "δ"]
    assert regex.sub(r"(?<word>\w+)", r"<\g<word>>", "a b") == "<a> <b>"
