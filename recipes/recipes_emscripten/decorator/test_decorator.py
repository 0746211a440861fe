"""decorator in the wasm Python: a decorator that keeps the signature of what it wraps."""

import inspect

from decorator import decorator


@decorator
def logged(func, *args, **kwargs):
    logged.calls.append((func.__name__, args))
    return func(*args, **kwargs)


logged.calls = []


@logged
def area(width, height=2):
    """The area of a rectangle."""
    return width * height


def test_signature_and_behaviour_are_kept():
    assert str(inspect.signature(area)) == "(width, height=2)"
    assert area.__doc__ == "The area of a rectangle."
    assert area(3) == 6
    assert area(3, height=5) == 15
    assert logged.calls == [("area", (3, 2)), ("area", (3, 5))]
