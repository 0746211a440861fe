#!/bin/sh
# Runs this prefix's wasm CPython under Node.js (NODERAWFS: the host file system is visible),
# with the Node flags its compiler asked for, recorded beside it at build time.
here=$(cd "$(dirname "$0")" && pwd -P)
flags=
read -r flags < "$here/python3.11.node-flags" || :
# shellcheck disable=SC2086  # the flags are words
exec node $flags "$here/python3.11.js" "$@"
