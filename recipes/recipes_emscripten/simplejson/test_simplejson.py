"""simplejson in the wasm Python, with its C speedups."""

import decimal

import simplejson


def test_speedups_are_the_c_extension():
    from simplejson import _speedups

    assert _speedups.__file__.endswith(".cpython-311-wasm32-emscripten.so")
    assert simplejson.decoder.scanstring is _speedups.scanstring


def test_round_trip_with_decimals():
    text = simplejson.dumps({"price": decimal.Decimal("1.10"), "items": [1, "two"]}, sort_keys=True)
    assert text == '{"items": [1, "two"], "price": 1.10}'
    assert simplejson.loads(text, use_decimal=True)["price"] == decimal.Decimal("1.10")
