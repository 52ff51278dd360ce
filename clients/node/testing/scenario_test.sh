#!/usr/bin/env bash
# //clients/node:scenario_test. Builds @kvd/client from its sources in a
# scratch copy (`npm run build`: protoc + ts-proto, then tsc), then runs with
# `node --test` the scenario of clients/SCENARIO.md against a private kvd over
# TCP and over a unix socket, and the client's own tests. (The README's
# examples run in //clients/node:consumer_test, against the installed package.)
#   scenario_test.sh WITH_KVD PROTO_FILE PACKAGE_JSON
# node_modules comes from the work tree: clients/node/node_modules, which
# tools/setup.sh installs with `npm ci` (it is too big, and too platform
# specific, for Bazel to copy). Any failure fails the test.
set -euo pipefail

with_kvd="$(pwd)/$1"
proto_dir="$(cd "$(dirname "$2")/../.." && pwd)"   # PROTO_FILE is .../kv/v1/kv.proto
runfiles_pkg="$(cd "$(dirname "$3")" && pwd)"

# The work tree's clients/node, found through the source symlink of package.json.
work_pkg="$(dirname "$(readlink -f "$3")")"
modules="$work_pkg/node_modules"
stamp="$modules/.kvd-setup-lock.sha256"
want="$(sha256sum "$runfiles_pkg/package-lock.json" | cut -d' ' -f1)"
if [[ ! -d "$modules" || "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
  echo "scenario_test: $modules is missing or does not match package-lock.json;" \
       "run tools/setup.sh (npm ci in clients/node)" >&2
  exit 1
fi

tmp="${TEST_TMPDIR:-$(mktemp -d)}"
pkg="$tmp/node-client"
rm -rf "$pkg"
mkdir -p "$pkg"
# Only the sources (runfiles), never the work tree's src/gen or dist.
(cd "$runfiles_pkg" && cp -L --parents package.json package-lock.json tsconfig.json README.md \
   scripts/generate.sh $(find src -name '*.ts' -not -path 'src/gen/*') "$pkg/")
ln -s "$modules" "$pkg/node_modules"

echo "== npm run build" >&2
(cd "$pkg" && KVD_PROTO_DIR="$proto_dir" npm run --silent build)

echo "== node --test over TCP" >&2
(cd "$pkg" && "$with_kvd" node --test dist/*.test.js)
echo "== node --test over a unix socket" >&2
(cd "$pkg" && "$with_kvd" --unix node --test dist/*.test.js)
