#!/usr/bin/env bash
# //clients/node:consumer_test. Installs @kvd/client the way README.md's
# "Install" section tells a user, in a folder outside the repository, and runs
# the README's examples against a real kvd:
#   1. a scratch checkout (clients/node's sources + proto/, laid out as in the
#      repository): `cd clients/node && npm pack --pack-destination DIR`,
#      whose `prepare` builds dist/;
#   2. the tarball's contents: both entry points with types, no tests, no
#      sources;
#   3. a new application (`npm init -y`): `npm install TARBALL`, then
#      `npm install --save-dev typescript@5 @types/node@20`; its dependencies
#      come from the npm registry through the machine's npm config;
#   4. the README's tsconfig.json, example.mts, deadlines.mts, revisions.mts,
#      expiry.mts and example.cjs,
#      taken literally from the blocks after the `<!-- consumer-test: NAME -->`
#      markers; `npx tsc`; plus a plain-JavaScript ES module and a CommonJS
#      TypeScript file (`require` types) of this test's own;
#   5. each program against one kvd from with_kvd.sh; the output must match the
#      README's (example.out, deadlines.out, revisions.out, expiry.out,
#      example.cjs.out) or
#      this test's.
#   consumer_test.sh WITH_KVD PROTO_FILE PACKAGE_JSON
# node_modules for the build comes from the work tree (tools/setup.sh runs
# `npm ci` in clients/node), as for //clients/node:scenario_test.
set -euo pipefail

with_kvd="$(pwd)/$1"
proto_file="$(pwd)/$2"
runfiles_pkg="$(cd "$(dirname "$3")" && pwd)"

work_pkg="$(dirname "$(readlink -f "$3")")"
modules="$work_pkg/node_modules"
stamp="$modules/.kvd-setup-lock.sha256"
want="$(sha256sum "$runfiles_pkg/package-lock.json" | cut -d' ' -f1)"
if [[ ! -d "$modules" || "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
  echo "consumer_test: $modules is missing or does not match package-lock.json;" \
       "run tools/setup.sh (npm ci in clients/node)" >&2
  exit 1
fi

tmp="${TEST_TMPDIR:-$(mktemp -d)}"
# npm's cache and logs stay in the test's folder; the registry and its CA come
# from the machine's npm config (/usr/etc/npmrc, ~/.npmrc).
export npm_config_cache="$tmp/npm-cache"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

echo "== 1. npm pack in a scratch checkout" >&2
checkout="$tmp/kvd"
rm -rf "$checkout"
mkdir -p "$checkout/clients/node" "$checkout/proto/kv/v1" "$tmp/packs"
rm -f "$tmp/packs"/*.tgz
cp "$proto_file" "$checkout/proto/kv/v1/kv.proto"
(cd "$runfiles_pkg" && cp -L --parents package.json package-lock.json tsconfig.json README.md \
   scripts/generate.sh $(find src -name '*.ts' -not -path 'src/gen/*') "$checkout/clients/node/")
ln -s "$modules" "$checkout/clients/node/node_modules"
(cd "$checkout/clients/node" && npm pack --pack-destination "$tmp/packs" --loglevel=error >"$tmp/pack.out")
tarballs=("$tmp/packs"/kvd-client-*.tgz)
[[ ${#tarballs[@]} -eq 1 && -f "${tarballs[0]}" ]] || {
  echo "consumer_test: npm pack wrote no single kvd-client-*.tgz" >&2; ls -l "$tmp/packs" >&2; exit 1; }
tarball="${tarballs[0]}"
version="$(cd "$checkout/clients/node" && node -p 'require("./package.json").version')"
[[ "$(basename "$tarball")" == "kvd-client-$version.tgz" ]] || {
  echo "consumer_test: $tarball is not kvd-client-$version.tgz, the README's name" >&2; exit 1; }

echo "== 2. the tarball's contents" >&2
tar -tzf "$tarball" | sort >"$tmp/contents.txt"
for f in package/package.json package/README.md \
         package/dist/index.js package/dist/index.d.ts package/dist/store.js package/dist/errors.js \
         package/dist/gen/kv/v1/kv.js \
         package/dist/cjs/package.json package/dist/cjs/index.js package/dist/cjs/index.d.ts \
         package/dist/cjs/gen/kv/v1/kv.js; do
  grep -qx "$f" "$tmp/contents.txt" || { echo "consumer_test: the tarball lacks $f" >&2; cat "$tmp/contents.txt" >&2; exit 1; }
done
if grep -E '\.test\.|roundtrip|/src/|\.ts$' "$tmp/contents.txt" | grep -v '\.d\.ts$'; then
  echo "consumer_test: the tarball ships tests, roundtrip or sources (above)" >&2; exit 1
fi
tar -xzOf "$tarball" package/package.json | node -e '
  const p = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const bad = [];
  if (p.private) bad.push("private");
  for (const [n, v] of Object.entries(p.dependencies || {})) if (!/^[\^~]/.test(v)) bad.push(`${n}@${v} is not a range`);
  for (const k of ["license", "repository", "author", "exports", "types"]) if (!p[k]) bad.push(`no ${k}`);
  if (bad.length) { console.error("consumer_test: package.json: " + bad.join("; ")); process.exit(1); }'

echo "== 3. a new application outside the repository: npm install" >&2
app="$tmp/my-app"
rm -rf "$app"
mkdir -p "$app"
cd "$app"
npm init -y >/dev/null
npm install "$tarball" --loglevel=error
npm install --save-dev typescript@5 @types/node@20 --loglevel=error
[[ -d node_modules/@kvd/client/dist && ! -L node_modules/@kvd/client ]] || {
  echo "consumer_test: node_modules/@kvd/client is not an installed copy with dist/" >&2; exit 1; }

echo "== 4. the README's files, literally; npx tsc" >&2
readme="$checkout/clients/node/README.md"
extract() {  # extract NAME: the fenced block after <!-- consumer-test: NAME -->
  awk -v name="$1" '
    $0 == "<!-- consumer-test: " name " -->" { want = 1; next }
    want && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$readme" >"$1"
  [[ -s "$1" ]] || { echo "consumer_test: README.md has no block marked consumer-test: $1" >&2; exit 1; }
}
for name in tsconfig.json example.mts example.out deadlines.mts deadlines.out revisions.mts revisions.out \
            expiry.mts expiry.out example.cjs example.cjs.out; do
  extract "$name"
done
npx tsc
[[ -f dist/example.mjs && -f dist/deadlines.mjs && -f dist/revisions.mjs && -f dist/expiry.mjs ]] || { echo "consumer_test: npx tsc wrote no dist/*.mjs" >&2; exit 1; }

# A plain-JavaScript ES module: named imports, no TypeScript.
cat >plain.mjs <<'JS'
import { Store, ErrorCode, NoSuchStoreError, isNoSuchStore } from "@kvd/client";

const store = await Store.open("default");
try {
  await store.set("plain/js", new Uint8Array([0, 255, 16]));
  console.log(Buffer.from(await store.get("plain/js")).toString("hex"), (await store.getKeys()).includes("plain/js"));
} finally {
  await store.close();
}
const e = await Store.open("no-such-store").catch((e) => e);
console.log(e instanceof NoSuchStoreError, isNoSuchStore(e), e.code === ErrorCode.NO_SUCH_STORE, e.grpcCodeName);
JS
printf '%s\n' "00ff10 true" "true true true NOT_FOUND" >plain.out
# The CommonJS entry point's types: a .cts that `require`s the package.
cat >types.cts <<'TS'
import kvd = require("@kvd/client");
const code: kvd.ErrorCode = kvd.ErrorCode.NO_SUCH_KEY;
const call: kvd.CallOptions = { signal: new AbortController().signal, timeoutMs: 5 };
const open: (name: string, options?: kvd.OpenOptions) => Promise<kvd.Store> = kvd.Store.open;
export = { code, call, open };
TS
npx tsc --noEmit --strict --module node16 --moduleResolution node16 --target ES2022 --types node types.cts

echo "== 5. the programs against kvd" >&2
"$with_kvd" bash -c '
  set -euo pipefail
  node dist/example.mjs >example.actual
  node dist/deadlines.mjs >deadlines.actual
  node dist/revisions.mjs >revisions.actual
  node dist/expiry.mjs >expiry.actual
  node example.cjs >example.cjs.actual
  node plain.mjs >plain.actual'
status=0
for name in example deadlines revisions expiry example.cjs plain; do
  if diff -u "$name.out" "$name.actual"; then
    echo "consumer_test: $name: output matches" >&2
  else
    echo "consumer_test: $name printed something else (diff above)" >&2
    status=1
  fi
done
exit "$status"
