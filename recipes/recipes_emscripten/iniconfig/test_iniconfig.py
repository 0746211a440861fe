"""iniconfig in the wasm Python: parse sections, values and line numbers."""

import iniconfig

TEXT = "[metadata]\nname = demo\n\n[options]\nzip_safe = false\n"


def test_sections_and_values():
    config = iniconfig.IniConfig("setup.cfg", data=TEXT)
    assert config["metadata"]["name"] == "demo"
    assert config.get("options", "zip_safe") == "false"
    assert config["options"].lineof("zip_safe") == 5


def test_parse_error_names_the_line():
    try:
        iniconfig.IniConfig("bad.cfg", data="[section\n")
    except iniconfig.ParseError as error:
        assert error.lineno == 0
    else:
        raise AssertionError("no ParseError")
