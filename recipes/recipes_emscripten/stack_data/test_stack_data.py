"""stack_data in the wasm Python: source lines and variables of a frame, as IPython's
tracebacks show them."""

import sys

import stack_data


def test_frame_lines_and_variables():
    answer = 6 * 7  # noqa: F841 (read back from the frame)
    frame = sys._getframe()
    info = stack_data.FrameInfo(frame)
    assert info.executing.node is not None
    text = "\n".join(line.text for line in info.lines if isinstance(line, stack_data.Line))
    assert "answer = 6 * 7" in text
    variables = {v.name: v.value for v in info.variables}
    assert variables["answer"] == 42
