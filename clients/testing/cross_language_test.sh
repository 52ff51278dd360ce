#!/usr/bin/env bash
# //clients/testing:cross_language_test: one value through every client, on
# one kvd. Python sets roundtrip/key to bytes 00 FF 10 00 7F; Go reads it back
# and checks the bytes; Node deletes it; Java and C++ (kvctl, built on the C++
# client) each see that it no longer exists. Then all five increment one
# counter 100 times each, at the same time: it must end at exactly 500, and
# each language must have seen its own increments return increasing values.
#   cross_language_test.sh WITH_KVD KVCTL NODE_PACKAGE_JSON JAVA_BUILD_SH PROTO
set -euo pipefail

abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
with_kvd="$(abs "$1")"
kvctl="$(abs "$2")"
node_pkg_json="$3"
java_build="$(abs "$4")"
proto="$(abs "$5")"
root="${TEST_SRCDIR:?run under bazel test}/${TEST_WORKSPACE:-kvd}"
tmp="${TEST_TMPDIR:?}"
step() { echo "=== $*" >&2; }

step "build the Go leg (kvdrt)"
gopath="$tmp/gopath"
pkg=github.com/kvd-project/kvd/clients/go
mkdir -p "$gopath/src/$(dirname "$pkg")"
ln -sfn "$root/clients/go" "$gopath/src/$pkg"
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$tmp/gocache" \
  HOME="$tmp" GOFLAGS= GOPROXY=off CGO_ENABLED=0 \
  go build -o "$tmp/kvdrt" "$pkg/cmd/kvdrt"

step "build the Node leg (roundtrip.js)"
node_src="$(cd "$(dirname "$node_pkg_json")" && pwd)"
node_modules="$(dirname "$(readlink -f "$node_pkg_json")")/node_modules"
[[ -d "$node_modules" ]] || { echo "$node_modules missing: run tools/setup.sh" >&2; exit 1; }
node_pkg="$tmp/node-client"
mkdir -p "$node_pkg"
(cd "$node_src" && cp -L --parents package.json package-lock.json tsconfig.json \
   scripts/generate.sh $(find src -name '*.ts' -not -path 'src/gen/*') "$node_pkg/")
ln -s "$node_modules" "$node_pkg/node_modules"
(cd "$node_pkg" && KVD_PROTO_DIR="$(dirname "$(dirname "$(dirname "$proto")")")" \
   npm run --silent build)

step "build the Java leg (RoundTrip)"
java_out="$tmp/java"
"$java_build" "$java_out" >&2
java_cp="$(cat "$java_out/classpath")"

export PYTHONPATH="$root/clients/python"
"$with_kvd" bash -s "$tmp/kvdrt" "$node_pkg/dist/roundtrip.js" "$java_cp" "$kvctl" <<'SCRIPT'
set -euo pipefail
kvdrt="$1"; node_rt="$2"; java_cp="$3"; kvctl="$4"
key=roundtrip/key
value=00ff10007f
expect() {  # expect WANT_OUTPUT WANT_EXIT COMMAND...
  local want="$1" want_rc="$2"; shift 2
  local rc=0 out
  out="$("$@")" || rc=$?
  if [[ "$out" != "$want" || $rc -ne $want_rc ]]; then
    echo "FAIL: $* printed '$out' (exit $rc); wanted '$want' (exit $want_rc)" >&2
    exit 1
  fi
  echo "ok: $*" >&2
}
# The Python leg prints nothing on success.
/usr/bin/python3 -m kvd_client.roundtrip set "$key" "$value"
expect "$value" 0 "$kvdrt" get "$key"
"$(command -v node)" "$node_rt" delete "$key" >/dev/null
expect false 1 java -cp "$java_cp" dev.kvd.client.RoundTrip exists "$key"
expect false 1 "$kvctl" exists "$key"
echo "cross-language round trip: Python → Go → Node → Java, C++: ok" >&2

# The counter: five languages at once, 100 increments each. Each prints the
# value every increment returned, one per line.
counter=roundtrip/counter
out="$(mktemp -d)"
/usr/bin/python3 -m kvd_client.roundtrip --count 100 incr "$counter" >"$out/python" &
"$kvdrt" incr "$counter" 1 100 >"$out/go" &
"$(command -v node)" "$node_rt" incr "$counter" 1 100 >"$out/node" &
java -cp "$java_cp" dev.kvd.client.RoundTrip incr "$counter" 1 100 >"$out/java" &
( for _ in $(seq 100); do "$kvctl" incr "$counter"; done ) >"$out/cpp" &
failed=0
for job in $(jobs -p); do wait "$job" || failed=1; done
[[ $failed -eq 0 ]] || { echo "FAIL: an increment leg failed" >&2; exit 1; }
for lang in python go node java cpp; do
  n="$(grep -c . "$out/$lang" || true)"
  [[ "$n" -eq 100 ]] || { echo "FAIL: $lang printed $n values, not 100" >&2; exit 1; }
  sort -n -c "$out/$lang" 2>/dev/null && [[ "$(sort -un "$out/$lang" | wc -l)" -eq 100 ]] \
    || { echo "FAIL: $lang's increments did not return increasing values" >&2; exit 1; }
done
total="$(cat "$out"/* | sort -un | wc -l)"
[[ "$total" -eq 500 ]] || { echo "FAIL: $total distinct values across languages, not 500" >&2; exit 1; }
expect "500" 0 "$kvdrt" incr "$counter" 0
echo "cross-language counter: 5 languages x 100 increments = 500: ok" >&2
SCRIPT
