"""Checks the wasm interpreter's stdlib modules do real work (run under Node)."""

import bz2
import csv
import ctypes
import datetime
import decimal
import hashlib
import io
import json
import lzma
import math
import os
import sqlite3
import ssl
import struct
import sys
import sysconfig
import unicodedata
import xml.etree.ElementTree as ET
import zlib

assert sys.platform == "emscripten", sys.platform
if len(sys.argv) > 1:
    assert os.path.realpath(sys.prefix) == os.path.realpath(sys.argv[1]), (sys.prefix, sys.argv)

data = b"emscripten-wasm32 " * 500
for module in (zlib, bz2, lzma):
    assert module.decompress(module.compress(data)) == data, module.__name__

db = sqlite3.connect(":memory:")
db.execute("CREATE TABLE t (name TEXT, n INTEGER)")
db.executemany("INSERT INTO t VALUES (?, ?)", [("a", 1), ("b", 2), ("c", 3)])
assert db.execute("SELECT sum(n) FROM t").fetchone() == (6,)
# what configure probes libsqlite3 for (the module is left out when a probe fails, and
# serialize only exists when its probe passes)
assert sqlite3.complete_statement("SELECT 1;")
traced = []
db.set_trace_callback(traced.append)
db.set_progress_handler(lambda: 0, 1)
db.set_authorizer(lambda *args: sqlite3.SQLITE_OK)
db.create_function("twice", 1, lambda x: 2 * x, deterministic=True)
assert db.execute("SELECT twice(2.5)").fetchone() == (5.0,)
assert traced == ["SELECT twice(2.5)"]
assert sqlite3.connect(":memory:").deserialize(db.serialize()) is None

assert json.loads(json.dumps({"a": [1, 2.5, None]})) == {"a": [1, 2.5, None]}
assert decimal.Decimal("1.1") + decimal.Decimal("2.2") == decimal.Decimal("3.3")
assert hashlib.sha256(b"abc").hexdigest().startswith("ba7816bf")
# OpenSSL: scrypt exists only with it (RFC 7914's test vector), and a TLS client context.
key = hashlib.scrypt(b"password", salt=b"NaCl", n=1024, r=8, p=16, dklen=64)
assert key.hex().startswith("fdbabe1c9d3472007856e7190d01e9fe"), key.hex()
assert ssl.OPENSSL_VERSION.startswith("OpenSSL 3."), ssl.OPENSSL_VERSION
assert ssl.create_default_context().check_hostname
assert ssl._ssl.__file__.endswith(".cpython-311-wasm32-emscripten.so"), ssl._ssl  # side module
assert unicodedata.name("é") == "LATIN SMALL LETTER E WITH ACUTE"
assert ET.fromstring("<a><b>x</b></a>").find("b").text == "x"
assert struct.unpack("<q", struct.pack("<q", -(2**40))) == (-(2**40),)
assert math.isclose(math.sqrt(2) ** 2, 2)
assert datetime.date(2026, 11, 25).isoformat() == "2026-11-25"
rows = list(csv.reader(io.StringIO("a,b\n1,2\n")))
assert rows == [["a", "b"], ["1", "2"]]

# ctypes through libffi: a C callback called by libc's qsort, and C data types.
numbers = (ctypes.c_int * 5)(5, 1, 4, 2, 3)
compare = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))
libc = ctypes.CDLL(None)
libc.qsort(numbers, len(numbers), ctypes.sizeof(ctypes.c_int), compare(lambda a, b: a[0] - b[0]))
assert list(numbers) == [1, 2, 3, 4, 5], list(numbers)
libc.strlen.restype = ctypes.c_size_t
assert libc.strlen(b"wasm32") == 6


class Point(ctypes.Structure):
    _fields_ = [("x", ctypes.c_double), ("y", ctypes.c_int64)]


assert ctypes.sizeof(Point) == 16 and Point(1.5, -(2**40)).y == -(2**40)

with open("roundtrip.txt", "w") as handle:  # the host file system, through Node
    handle.write("written from wasm\n")
with open("roundtrip.txt") as handle:
    assert handle.read() == "written from wasm\n"
os.remove("roundtrip.txt")

# Deep C recursion (repr and json of nested lists recurse in C, not in the interpreter loop)
# near the recursion limit: the interpreter's wasm stack must hold it.
nested: list = []
for _ in range(800):
    nested = [nested]
assert repr(nested).count("[") == 801
assert json.loads(json.dumps(nested)) == nested

# No debug information in what extension builds inherit (OPT) nor in the static library
# embeddings link (DWARF sections are named .debug_* in wasm objects).
assert "-g" not in sysconfig.get_config_var("OPT").split(), sysconfig.get_config_var("OPT")
with open(os.path.join(sys.prefix, "lib", "libpython3.11.a"), "rb") as handle:
    assert b".debug_info" not in handle.read(), "libpython3.11.a carries DWARF"

print("python", sys.version.split()[0], "stdlib checks ok")
