"""msgpack in the wasm Python, with its C++ extension."""

import msgpack


def test_the_c_extension_is_used():
    assert msgpack.Packer.__module__ == "msgpack._cmsgpack"


def test_round_trip():
    data = {"name": "emscripten-wasm32", "numbers": [1, -2, 3.5, 2**40], "raw": b"\x00\xff"}
    packed = msgpack.packb(data)
    assert msgpack.unpackb(packed) == data


def test_streaming_unpacker():
    unpacker = msgpack.Unpacker()
    for item in (1, "two", [3]):
        unpacker.feed(msgpack.packb(item))
    assert list(unpacker) == [1, "two", [3]]
