"""pygments in the wasm Python: lex, highlight to HTML, find lexers by file name."""

from pygments import highlight, lex
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer, get_lexer_for_filename
from pygments.token import Keyword, Name


def test_lexing_python():
    tokens = [(kind, text) for kind, text in lex("def f(): pass\n", PythonLexer()) if text.strip()]
    assert tokens[0] == (Keyword, "def")
    assert tokens[1] == (Name.Function, "f")


def test_html_and_lexer_lookup():
    html = highlight("import json\n", PythonLexer(), HtmlFormatter())
    assert '<span class="kn">import</span>' in html
    assert get_lexer_for_filename("hello.c").name == "C"
    assert get_lexer_for_filename("recipe.yaml").name == "YAML"
