"""emci: the CI orchestrator for this repository's emscripten-wasm32 conda recipes."""

__version__ = "0.1.0"
