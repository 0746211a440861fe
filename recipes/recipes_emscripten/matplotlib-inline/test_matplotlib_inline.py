"""matplotlib-inline in the wasm Python. The backend needs matplotlib, which this channel does
not have yet, so the package cannot be imported; its configuration part (traitlets only) is
loaded on its own and checked, and importing the package names exactly what is missing."""

import importlib.util
from importlib.metadata import files, version
from pathlib import Path

import pytest


def test_installed_with_metadata():
    assert version("matplotlib-inline") == "0.2.2"
    assert any(
        str(f).endswith("matplotlib_inline/backend_inline.py") for f in files("matplotlib-inline")
    )


def test_config_defaults():
    (config_py,) = [
        f for f in files("matplotlib-inline") if str(f).endswith("matplotlib_inline/config.py")
    ]
    spec = importlib.util.spec_from_file_location("inline_config", Path(config_py.locate()))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # class traits only: an instance resolves its `shell` trait, which imports IPython
    # (a dependent of this package, so not in its test environment)
    traits = module.InlineBackend.class_traits(config=True)
    assert traits["figure_formats"].default() == {"png"}
    assert traits["close_figures"].default() is True
    assert traits["print_figure_kwargs"].default() == {"bbox_inches": "tight"}


def test_the_backend_needs_matplotlib():
    with pytest.raises(ModuleNotFoundError, match="No module named 'matplotlib'"):
        import matplotlib_inline  # noqa: F401
