#!/usr/bin/env bash
# Runs one of the Node.js checks of tests/deploy (SCRIPT.mjs) with the npm
# packages of tests/deploy/package-lock.json, which tools/setup.sh installs
# (`npm ci`) in the work tree's tests/deploy/node_modules.
#   run_node_check.sh PACKAGE_JSON SCRIPT.mjs ARGS...
# Node resolves the script's imports from its real (work tree) location, so
# it finds that node_modules. Any failure fails the test.
set -euo pipefail

runfiles_lock="$(dirname "$1")/package-lock.json"
work_dir="$(dirname "$(readlink -f "$1")")"
modules="$work_dir/node_modules"
want="$(sha256sum "$runfiles_lock" | cut -d' ' -f1)"
if [[ ! -d "$modules" || "$(cat "$modules/.kvd-setup-lock.sha256" 2>/dev/null || true)" != "$want" ]]; then
  echo "$modules is missing or does not match package-lock.json;" \
       "run tools/setup.sh (npm ci in tests/deploy)" >&2
  exit 1
fi
script="$(readlink -f "$2")"
shift 2
exec node "$script" "$@"
