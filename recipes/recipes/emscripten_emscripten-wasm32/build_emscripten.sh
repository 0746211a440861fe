#!/usr/bin/env bash
# Emscripten 3.1.69 from Debian 13's source package, installed under $PREFIX/lib/emscripten
# with its own config file and a frozen cache of prebuilt system libraries.
set -euo pipefail

src="$SRC_DIR/emscripten"
root="$PREFIX/lib/emscripten"
llvm_root="${EM_LLVM_ROOT:-/usr/lib/llvm-19/bin}"

# Debian's patches, in their series order (one expects LLVM 19, one binaryen 120), then ours.
cd "$src"
debian="$SRC_DIR/debian-packaging"   # the debian tarball (its top folder may be stripped)
[ -d "$debian/debian" ] && debian="$debian/debian"
while read -r patch _; do
    case "$patch" in ''|'#'*) continue ;; esac
    echo "== debian patch $patch"
    patch -p1 --forward --quiet < "$debian/patches/$patch"
done < "$debian/patches/series"
patch -p1 --forward < "$RECIPE_DIR/frozen-cache-missing-library-error.patch"
# loadDynamicLibrary reads a library from the file system its caller names (flags.fs), as
# Emscripten did until 3.1.5x: JupyterLite's xeus kernels load their packages' shared
# libraries so, and without it numpy's extension modules fail to import in the browser
patch -p1 --forward < "$RECIPE_DIR/dylink-fs-option.patch"
# The dfsg tarball leaves out a generated header and source; the cache copies the headers
# into its sysroot on first use, so they must exist before any emcc call.
python3 tools/create_dom_pk_codes.py

python3 tools/install.py "$root"
rm -rf "$root/test" "$root/site" "$root/docs" "$root/media"
# Upstream's launchers (emcc, emconfigure, ... and tools/file_packager) run the python named
# by $PYTHON before $EMSDK_PYTHON. In builds $PYTHON names the host's wasm python, and make
# exports a Makefile's own PYTHON (CPython's is python.js) to what it runs; emconfigure and
# emmake also hand those launchers' paths to builds as CC, CXX, AR. Here they use
# $EMSDK_PYTHON (the activation sets the machine's python3), then python3 on PATH, and leave
# PYTHON alone, as later Emscripten releases do.
patched=0
for launcher in "$root"/em* "$root"/tools/*; do
    [ -f "$launcher" ] || continue
    case "$launcher" in *.py|*.bat|*.ps1) continue ;; esac
    grep -q 'create_entry_points' "$launcher" || continue
    sed -i -e 's/\$PYTHON/$_EM_PY/g' -e 's/^\([[:space:]]*\)PYTHON=/\1_EM_PY=/' \
        -e '/^unset _PYTHON_SYSCONFIGDATA_NAME$/a _EM_PY=' "$launcher"
    patched=$((patched + 1))
done
[ "$patched" -ge 10 ] || { echo "only $patched launchers patched in $root" >&2; exit 1; }
grep -L '_EM_PY=' "$root/emcc" "$root/emconfigure" | grep . && exit 1
# The JS optimizer imports acorn as an ES module: ship the machine's copy (Debian's
# node-acorn) inside the tree, where Node's resolver looks.
mkdir -p "$root/node_modules"
cp -rL /usr/share/nodejs/acorn "$root/node_modules/acorn"

write_config() {  # write_config FILE BINARYEN_ROOT FROZEN
    cat > "$1" <<CONFIG
# Emscripten's config for this package (read from the emscripten root: activation unsets
# EM_CONFIG and the EM_* overrides that would point elsewhere).
import shutil
LLVM_ROOT = '$llvm_root'
BINARYEN_ROOT = '$2'
NODE_JS = shutil.which('node') or 'node'
CACHE = '$root/cache'
FROZEN_CACHE = $3
CONFIG
}

# Build the system libraries with the build environment's binaryen, cache writable.
build_config="$SRC_DIR/emscripten-build-config.py"
write_config "$build_config" "$BUILD_PREFIX" False
unset EM_CACHE EM_FROZEN_CACHE EM_BINARYEN_ROOT EM_PORTS EMCC_CFLAGS
# emcc is a Python program: the machine's python3 (rattler-build's $PYTHON names the host's)
export EM_CONFIG="$build_config" EMSDK_PYTHON=/usr/bin/python3
mapfile -t libraries < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$RECIPE_DIR/system_libraries.txt" | awk '{print $1}')
"$root/emcc" --version
start=$SECONDS
"$root/embuilder" build "${libraries[@]}"
echo "== embuilder: ${#libraries[@]} libraries in $((SECONDS - start)) s"
start=$SECONDS
"$root/embuilder" --pic build "${libraries[@]}"
echo "== embuilder --pic: ${#libraries[@]} libraries in $((SECONDS - start)) s"
unset EM_CONFIG
rm -f "$root/cache/cache.lock"
rm -rf "$root/cache/ports" "$root/cache/build"
du -sh "$root/cache"

# The installed package's own config: its binaryen, a frozen cache.
write_config "$root/.emscripten" "$PREFIX" True

# Commands on PATH: each runs the tree's Python entry point (emcc.py, tools/emnm.py, ...) with
# the machine's python3 (or $EMSDK_PYTHON) itself, not through upstream's launcher: the
# launcher prefers $PYTHON, which names a wasm python or cross-python in the builds of Python
# packages, and exporting a PYTHON for it would reach the commands emmake and emconfigure
# run (CPython's Makefile has its own PYTHON).
mkdir -p "$PREFIX/bin"
for tool in emcc em++ emar emranlib emnm emstrip emsize emcmake emconfigure emmake em-config embuilder emsymbolizer; do
    entry="$tool.py"
    [ -f "$root/$entry" ] || entry="tools/$tool.py"
    [ -f "$root/$entry" ] || { echo "no Python entry point for $tool in $root" >&2; exit 1; }
    cat > "$PREFIX/bin/$tool" <<WRAPPER
#!/bin/sh
unset _PYTHON_SYSCONFIGDATA_NAME
if [ -n "\${EMSDK_PYTHON:-}" ]; then em_python="\$EMSDK_PYTHON"
elif [ -x /usr/bin/python3 ]; then em_python=/usr/bin/python3
else em_python=python3
fi
exec "\$em_python" -E "\$(dirname "\$0")/../lib/emscripten/$entry" "\$@"
WRAPPER
    chmod +x "$PREFIX/bin/$tool"
done
