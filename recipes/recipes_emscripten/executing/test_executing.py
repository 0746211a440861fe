"""executing in the wasm Python: the AST node a frame is executing right now."""

import ast
import sys

import executing


def current_call():
    frame = sys._getframe(1)
    return executing.Source.executing(frame).node


def test_finds_the_calling_node():
    node = current_call()
    assert isinstance(node, ast.Call)
    assert node.func.id == "current_call"
    value = [current_call(), current_call()][1]
    assert isinstance(value, ast.Call) and value.col_offset > 0
