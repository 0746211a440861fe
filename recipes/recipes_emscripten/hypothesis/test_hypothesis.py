"""hypothesis in the wasm Python (run by pytester under Node): strategies drive a property test,
and a false property is found and shrunk to its smallest example."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


@given(st.lists(st.integers()))
def test_sorting_is_idempotent(values):
    assert sorted(sorted(values)) == sorted(values)


def test_a_false_property_is_shrunk_to_the_smallest_example():
    @settings(database=None, derandomize=True)
    @given(st.integers())
    def below_ten(value):
        assert value < 10

    with pytest.raises(AssertionError) as failure:
        below_ten()
    assert "value=10" in str(failure.value.__notes__)
