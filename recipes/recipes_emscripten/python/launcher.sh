#!/bin/sh
# Runs this prefix's wasm CPython under Node.js (NODERAWFS: the host file system is visible).
here=$(cd "$(dirname "$0")" && pwd -P)
exec node --no-experimental-fetch "$here/python3.11.js" "$@"
