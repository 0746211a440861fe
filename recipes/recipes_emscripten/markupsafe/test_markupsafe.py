"""MarkupSafe in the wasm Python, with its C speedups loaded as a side module."""

import markupsafe
from markupsafe import Markup, escape


def test_speedups_are_the_c_extension():
    from markupsafe import _speedups

    assert _speedups.__file__.endswith(".cpython-311-wasm32-emscripten.so")
    assert escape is _speedups._escape_inner or markupsafe._escape_inner is _speedups._escape_inner


def test_escape():
    assert escape("<script>&'\"") == "&lt;script&gt;&amp;&#39;&#34;"
    assert Markup("<b>%s</b>") % "<i>" == "<b>&lt;i&gt;</b>"
    assert Markup("<em>safe</em>").striptags() == "safe"
