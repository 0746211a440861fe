"""IPython in the wasm Python: an InteractiveShell runs cells with magics, completes with
jedi, and formats tracebacks with stack_data."""

import sys

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

# lazy-embed.patch: importing IPython leaves the terminal's embed() (prompt_toolkit) alone
TERMINAL_ON_IMPORT = sorted(m for m in sys.modules if m.split(".")[0] == "prompt_toolkit")


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    config.InteractiveShell.ipython_dir = str(tmp_path_factory.mktemp("ipython"))
    return InteractiveShell.instance(config=config)


def test_a_cell_with_a_magic(shell, capsys):
    result = shell.run_cell("a = 40\n%time b = a + 2")
    assert result.success, result.error_in_exec
    assert shell.user_ns["b"] == 42
    assert "Wall time" in capsys.readouterr().out


def test_line_magic_and_expression_result(shell):
    shell.run_line_magic("alias_magic", "t time")
    result = shell.run_cell("%t c = 6 * 7")
    assert result.success and shell.user_ns["c"] == 42
    assert shell.run_cell("c + 1").result == 43
    assert shell.run_cell("%who_ls int").result == ["a", "b", "c"]


def test_jedi_completion(shell):
    shell.run_cell("import json")
    with __import__("IPython").core.completer.provisionalcompleter():
        completions = list(shell.Completer.completions("json.du", 7))
    assert "dumps" in [c.text for c in completions]


def test_errors_are_reported_not_raised(shell, capsys):
    result = shell.run_cell("1 / 0")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_import_leaves_the_terminal_out_and_embed_is_there_when_asked():
    assert TERMINAL_ON_IMPORT == []
    import IPython
    from IPython import embed

    assert embed is IPython.embed and embed.__module__ == "IPython.terminal.embed"
    assert "embed" in dir(IPython) and "InteractiveShell" in dir(IPython)
    assert "prompt_toolkit" in sys.modules
    with pytest.raises(AttributeError, match="no_such_name"):
        IPython.no_such_name  # noqa: B018 - the attribute access is the test
