"""packaging in the wasm Python: versions, specifiers, markers, wheel tags of this platform."""

import sys

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.tags import sys_tags
from packaging.version import Version


def test_versions_and_specifiers():
    assert Version("1.10.0") > Version("1.9.9")
    assert Version("2.0.0rc1") in SpecifierSet(">=1.5,<3", prereleases=True)


def test_markers_and_tags_know_emscripten():
    assert Marker('sys_platform == "emscripten"').evaluate() == (sys.platform == "emscripten")
    tags = [str(tag) for tag in sys_tags()]
    assert any("emscripten" in tag for tag in tags), tags[:5]
