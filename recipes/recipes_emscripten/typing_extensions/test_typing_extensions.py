"""typing_extensions in the wasm Python: backports that Python 3.11 lacks."""

from typing import Literal

from typing_extensions import TypedDict, TypeIs, get_type_hints, override


class Movie(TypedDict, total=False):
    title: str
    year: int


class Base:
    def name(self) -> str:
        return "base"


class Child(Base):
    @override
    def name(self) -> str:
        return "child"


def is_str(value: object) -> TypeIs[str]:
    return isinstance(value, str)


def test_backports():
    assert Movie.__optional_keys__ == frozenset({"title", "year"})
    assert get_type_hints(Movie) == {"title": str, "year": int}
    assert Child().name() == "child" and Child.name.__override__ is True
    assert is_str("x") and not is_str(1)
    assert Literal["a", "b"].__args__ == ("a", "b")
