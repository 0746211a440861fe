"""pure_eval in the wasm Python: evaluate expressions of a frame without side effects."""

import ast
import sys

import pytest
from pure_eval import CannotEval, Evaluator


class Noisy:
    calls = 0

    @property
    def value(self):
        Noisy.calls += 1
        return 1


def node(expression):
    return ast.parse(expression, mode="eval").body


def test_safe_expressions_only():
    numbers = [1, 2, 3]  # noqa: F841 (read by the evaluator from the frame)
    noisy = Noisy()
    evaluator = Evaluator.from_frame(sys._getframe())
    assert evaluator[node("numbers[1] + len(numbers)")] == 5
    assert noisy is not None
    with pytest.raises(CannotEval):
        evaluator[node("noisy.value")]  # a property could have side effects
    assert Noisy.calls == 0
