"""wcwidth in the wasm Python: terminal widths of wide, combining and control characters."""

import importlib.util

from wcwidth import wcswidth, wcwidth


def test_widths():
    assert wcswidth("wasm") == 4
    assert wcswidth("コンニチハ") == 10  # East Asian wide: two columns each
    assert wcwidth("e\u0301"[1]) == 0  # a combining accent takes no column
    assert wcswidth("cafe\u0301") == 4
    assert wcwidth("\x1b") == -1  # control characters have no width


def test_pure_python():
    # built without the optional C extension (recipe: WCWIDTH_NO_EXTENSION)
    assert importlib.util.find_spec("wcwidth._wcwidth_c") is None
