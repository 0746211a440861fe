#!/bin/bash
set -euxo pipefail

tools="$PREFIX/lib/cross-python/site-packages"
mkdir -p "$tools" "$PREFIX/bin" "$PREFIX/etc/conda/activate.d"
# Build tools for extension builds, from PyPI through pip (versions known to cross-build).
python3.11 -m pip install --no-compile --disable-pip-version-check --target "$tools" \
    "pip==24.3.1" "setuptools==80.9.0" "wheel==0.45.1" "Cython==3.1.2"
install -m 0755 "$RECIPE_DIR/cross-python3.11" "$PREFIX/bin/cross-python3.11"
install -m 0644 "$RECIPE_DIR/activate.sh" "$PREFIX/etc/conda/activate.d/cross-python_activate.sh"
