#!/usr/bin/env bash
# Usage (from Bazel): layering_test.sh PATH/TO/.clang-format (any file at the
# work tree's root); by hand: tests/layering/layering_test.sh .clang-format
set -euo pipefail
root="$(dirname "$(readlink -f "$1")")"
exec /usr/bin/python3 "$(dirname "$(readlink -f "$0")")/layering.py" "$root"
