"""prompt_toolkit in the wasm Python: documents, completion and formatted text (no terminal
here: these are the parts a kernel's completer and IPython use)."""

from prompt_toolkit.completion import WordCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import HTML, to_plain_text


def test_document_cursor_and_words():
    document = Document("import json\njson.du", cursor_position=len("import json\njson.du"))
    assert document.current_line == "json.du"
    assert document.get_word_before_cursor() == "du"
    assert document.cursor_position_row == 1


def test_word_completer():
    completer = WordCompleter(["dump", "dumps", "load", "loads"])
    found = completer.get_completions(Document("du"), None)
    assert [c.text for c in found] == ["dump", "dumps"]


def test_formatted_text():
    assert to_plain_text(HTML("<b>bold</b> and <i>italic</i>")) == "bold and italic"
