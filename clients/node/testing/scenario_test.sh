#!/usr/bin/env bash
# //clients/node:scenario_test. Builds @kvd/client from its sources in a
# scratch copy (`npm run build`: protoc + ts-proto, then tsc), then runs with
# `node --test` the scenario of clients/SCENARIO.md against a private kvd over
# TCP and over a unix socket, the client's own tests, and the README example,
# whose output must match the README.
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
(cd "$pkg" && "$with_kvd" node --test dist/)
echo "== node --test over a unix socket" >&2
(cd "$pkg" && "$with_kvd" --unix node --test dist/)

# The README example, literally: the first ```ts block, compiled as a user's
# ES module importing "@kvd/client", must print the ```text block after it.
echo "== README example" >&2
user="$tmp/readme-user"
rm -rf "$user"
mkdir -p "$user/node_modules/@kvd"
ln -s "$pkg" "$user/node_modules/@kvd/client"
awk '/^```ts$/ { f = 1; next } /^```$/ { if (f) exit } f' "$pkg/README.md" >"$user/example.mts"
awk '/^```ts$/ { t = 1 } t && /^```text$/ { f = 1; next } f && /^```$/ { exit } f' \
  "$pkg/README.md" >"$user/expected.txt"
[[ -s "$user/example.mts" && -s "$user/expected.txt" ]] || {
  echo "scenario_test: no \`\`\`ts example and \`\`\`text output in README.md" >&2
  exit 1
}
"$modules/.bin/tsc" --strict --target ES2022 --module node16 --moduleResolution node16 \
  --lib ES2022,ESNext.Disposable --types node --typeRoots "$modules/@types" \
  "$user/example.mts"
"$with_kvd" node "$user/example.mjs" >"$user/actual.txt"
diff -u "$user/expected.txt" "$user/actual.txt"
echo "README example: output matches" >&2
