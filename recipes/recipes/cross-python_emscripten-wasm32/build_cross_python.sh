#!/bin/bash
set -euxo pipefail

mkdir -p "$PREFIX/bin" "$PREFIX/etc/conda/activate.d" "$PREFIX/share/cross-python"
install -m 0755 "$RECIPE_DIR/cross-python3.11" "$PREFIX/bin/cross-python3.11"
install -m 0644 "$RECIPE_DIR/meson_cross_file.py" "$PREFIX/share/cross-python/meson_cross_file.py"
install -m 0644 "$RECIPE_DIR/activate.sh" "$PREFIX/etc/conda/activate.d/cross-python_activate.sh"
