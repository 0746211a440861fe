"""xeus-python-shell in the wasm Python, driven the way the xeus-python kernel drives it: the
app creates the shell, a cell's result reaches the kernel's execute_result hook, display
data reaches its display hook, completion goes through jedi, errors are kept for the kernel."""

import os
import sys

import pytest
from xeus_python_shell.shell import LiteHistoryManager, XPythonShellApp


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    os.environ["IPYTHONDIR"] = str(tmp_path_factory.mktemp("ipython"))
    app = XPythonShellApp()
    app.initialize(use_jedi=True, argv=[])
    return app.shell


def test_execute_result_reaches_the_kernel_hook(shell):
    results = []
    shell.displayhook.publish_execution_result = lambda count, data, meta: results.append(
        (count, data)
    )
    assert shell.run_cell("1 + 1", store_history=True).success
    assert results == [(1, {"text/plain": "2"})]


def test_display_data_reaches_the_display_hook(shell):
    shown = []
    shell.display_pub.publish_display_data = lambda data, meta, transient, update: shown.append(
        data
    )
    shell.run_cell("from IPython.display import display, HTML\ndisplay(HTML('<b>hi</b>'))")
    assert shown and shown[0]["text/html"] == "<b>hi</b>"


def test_completion_with_jedi(shell):
    shell.run_cell("import json")
    code = "json.du"
    matches, start, end = shell.complete_code(code, len(code))
    assert "dumps" in matches and (start, end) == (5, 7)


def test_errors_are_kept_for_the_kernel(shell):
    shell.run_cell("1 / 0")
    etype, evalue, traceback = shell.last_error
    assert "ZeroDivisionError" in etype and evalue == "division by zero"
    assert traceback


def test_history_is_the_lite_one_in_wasm(shell):
    assert sys.platform == "emscripten"
    assert isinstance(shell.history_manager, LiteHistoryManager)
