"""attrs in the wasm Python (run by pytester under Node): classes from annotations, validators,
comparison and conversion to dicts."""

import attrs
import pytest


@attrs.define
class Point:
    x: int = attrs.field(validator=attrs.validators.instance_of(int))
    y: int = 0


def test_define_makes_init_repr_and_equality():
    assert Point(1, 2) == Point(1, 2)
    assert Point(1) != Point(2)
    assert repr(Point(1, 2)) == "Point(x=1, y=2)"


def test_validators_and_asdict():
    with pytest.raises(TypeError):
        Point("one")
    assert attrs.asdict(Point(3, 4)) == {"x": 3, "y": 4}
    assert attrs.evolve(Point(3, 4), y=5) == Point(3, 5)
