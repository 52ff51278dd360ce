#!/usr/bin/env bash
# Runs Python unittest modules of clients/python with Debian's /usr/bin/python3.
#   run_tests.sh [--with-kvd WITH_KVD_SH] MODULE...
# With --with-kvd, runs them twice, each against a private kvd started by
# clients/testing/with_kvd.sh: over TCP, then over a unix socket. Exits
# non-zero if any run fails (unittest's exit code is propagated).
set -euo pipefail

python="${KVD_PYTHON:-/usr/bin/python3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
with_kvd=""
if [[ "${1:-}" == "--with-kvd" ]]; then
  with_kvd="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
  shift 2
fi
[[ $# -gt 0 ]] || { echo "usage: run_tests.sh [--with-kvd WITH_KVD_SH] MODULE..." >&2; exit 2; }

cd "$here"
export PYTHONPATH="$here"
export PYTHONDONTWRITEBYTECODE=1

if [[ -z "$with_kvd" ]]; then
  "$python" -m unittest -v "$@"
else
  echo "== over TCP" >&2
  "$with_kvd" "$python" -m unittest -v "$@"
  echo "== over a unix socket" >&2
  "$with_kvd" --unix "$python" -m unittest -v "$@"
fi
