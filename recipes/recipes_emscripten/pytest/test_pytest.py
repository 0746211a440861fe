"""pytest, run by pytester inside the wasm Python: fixtures, parametrize, raises, tmp_path."""

import sys

import pytest


@pytest.fixture
def numbers():
    return [3, 1, 2]


@pytest.mark.parametrize("value, expected", [(1, 2), (2, 4), (10, 20)])
def test_parametrize(value, expected):
    assert value * 2 == expected


def test_fixture(numbers):
    assert sorted(numbers) == [1, 2, 3]


def test_raises():
    with pytest.raises(ZeroDivisionError):
        _ = 1 / 0


def test_tmp_path(tmp_path):
    path = tmp_path / "hello.txt"
    path.write_text("wasm")
    assert path.read_text() == "wasm"


def test_runs_in_wasm():
    assert sys.platform == "emscripten"
