"""sortedcontainers in the wasm Python (run by pytester under Node): lists, dicts and sets kept
in order, with bisection and ranges."""

from sortedcontainers import SortedDict, SortedList, SortedSet


def test_sorted_list_keeps_order_and_bisects():
    values = SortedList([5, 1, 4, 1, 3])
    assert list(values) == [1, 1, 3, 4, 5]
    values.add(2)
    assert values.bisect_left(3) == 3
    assert list(values.irange(2, 4)) == [2, 3, 4]


def test_sorted_dict_and_set():
    table = SortedDict({"b": 2, "a": 1, "c": 3})
    assert list(table) == ["a", "b", "c"]
    assert table.peekitem(-1) == ("c", 3)
    assert list(SortedSet("banana")) == ["a", "b", "n"]
