#!/usr/bin/env bash
# End to end, as an operator would: start the real kvd, then drive it with
# `buf curl` through gRPC server reflection only (no .proto files given).
# Usage (from Bazel): buf_curl_test.sh BUF KVD
set -euo pipefail

buf="$(realpath "$1")"
kvd="$(realpath "$2")"

tmp="${TEST_TMPDIR:-$(mktemp -d)}"
export HOME="$tmp" BUF_CACHE_DIR="$tmp/buf-cache"
# kvd runs in its own folder under $TEST_TMPDIR, so its default data
# directory (./.kvd) lands there.
work_dir="$tmp/kvd-work"
mkdir -p "$work_dir"

kvd_pid=""
stop_kvd() {
  if [[ -n "$kvd_pid" ]] && kill -0 "$kvd_pid" 2>/dev/null; then
    kill -TERM "$kvd_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$kvd_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$kvd_pid" 2>/dev/null || true
    wait "$kvd_pid" 2>/dev/null || true
  fi
}
trap stop_kvd EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- kvd stdout" >&2
  cat "$tmp/kvd.out" >&2 || true
  echo "--- kvd stderr" >&2
  cat "$tmp/kvd.err" >&2 || true
  exit 1
}

# --- start kvd on a free port; the first stdout line names the address.
(cd "$work_dir" && exec "$kvd" --listen=127.0.0.1:0) >"$tmp/kvd.out" 2>"$tmp/kvd.err" &
kvd_pid=$!
addr=""
for _ in $(seq 300); do
  line="$(head -n 1 "$tmp/kvd.out" 2>/dev/null || true)"
  if [[ "$line" =~ ^kvd\ listening\ on\ ([0-9.]+:[0-9]+)$ ]]; then
    addr="${BASH_REMATCH[1]}"
    break
  fi
  kill -0 "$kvd_pid" 2>/dev/null || fail "kvd exited before listening"
  sleep 0.1
done
[[ -n "$addr" ]] || fail "kvd printed no 'kvd listening on HOST:PORT' line within 30s"
[[ "$addr" != *:0 ]] || fail "kvd reported port 0 instead of the port it bound: $addr"
url="http://$addr"
echo "kvd is listening on $addr"

# buf curl through reflection. Prints the response (stdout and stderr merged)
# to $tmp/out and returns buf's exit code.
bcurl() {
  local rc=0
  timeout 60 "$buf" curl --protocol grpc --http2-prior-knowledge \
    --connect-timeout 10 "$@" >"$tmp/out" 2>&1 || rc=$?
  echo "\$ buf curl $*"
  cat "$tmp/out"
  return "$rc"
}
# call METHOD JSON: a call that must succeed.
call() {
  bcurl -d "$2" "$url/$service/$1" || fail "$1 $2 failed"
}

# --- reflection lists the API.
bcurl --list-methods "$url" || fail "buf curl --list-methods failed"
service="$(sed -n 's|^\(kv\.v1\.[A-Za-z0-9_]*\)/Open$|\1|p' "$tmp/out" | head -n 1)"
[[ -n "$service" ]] || fail "no kv.v1 service with an Open method in the reflection listing"
for method in Open Get Set Delete Exists GetKeys Close; do
  grep -qx "$service/$method" "$tmp/out" || fail "reflection does not list $service/$method"
done
echo "reflection lists $service with Open, Get, Set, Delete, Exists, GetKeys, Close"

# --- Open "default": a non-zero uint32 handle.
call Open '{"name":"default"}'
store="$(tr -d ' \n' <"$tmp/out" | sed -n 's/.*"store":\([0-9][0-9]*\).*/\1/p')"
[[ -n "$store" && "$store" != 0 ]] || fail "Open returned no store handle"
echo "store handle: $store"

# --- Set bytes (base64 in JSON, with a NUL and a 0xff byte), Get them back.
key="buf-curl/greeting"
value_b64="$(printf 'hello, kvd\000\377' | base64 -w0)"
call Set "{\"store\":$store,\"key\":\"$key\",\"value\":\"$value_b64\"}"
call Get "{\"store\":$store,\"key\":\"$key\"}"
got="$(tr -d ' \n' <"$tmp/out" | sed -n 's/.*"value":"\([^"]*\)".*/\1/p')"
[[ "$got" == "$value_b64" ]] || fail "Get returned value '$got', want '$value_b64'"
call Exists "{\"store\":$store,\"key\":\"$key\"}"
grep -q '"exists": *true' "$tmp/out" || fail "Exists did not report true"
call GetKeys "{\"store\":$store}"
grep -qF "\"$key\"" "$tmp/out" || fail "GetKeys does not list $key"

# --- Get of a missing key: NOT_FOUND, and a message naming NO_SUCH_KEY and the key.
missing="buf-curl/no-such-key-$$"
if bcurl -d "{\"store\":$store,\"key\":\"$missing\"}" "$url/$service/Get"; then
  fail "Get of a missing key succeeded"
fi
grep -Eq 'NOT_FOUND|not_found' "$tmp/out" || fail "missing key: no NOT_FOUND/not_found in the output"
grep -q 'NO_SUCH_KEY' "$tmp/out" || fail "missing key: no NO_SUCH_KEY in the output"
grep -qF "$missing" "$tmp/out" || fail "missing key: the output does not name the key $missing"

# --- A ttl (google.protobuf.Duration in JSON: "60s") shows as expire_time
# (a Timestamp); ListKeys pages with a token; a bad ttl names the field.
call Set "{\"store\":$store,\"key\":\"buf-curl/ttl\",\"value\":\"eA==\",\"ttl\":\"60s\"}"
call Get "{\"store\":$store,\"key\":\"buf-curl/ttl\"}"
grep -Eq '"expireTime": *"20[0-9]{2}-[0-9]{2}-[0-9]{2}T' "$tmp/out" || fail "Get after a Set with ttl shows no expireTime"
call ListKeys "{\"store\":$store,\"prefix\":\"buf-curl/\",\"page_size\":1}"
grep -qF '"buf-curl/greeting"' "$tmp/out" || fail "ListKeys page 1 is not buf-curl/greeting"
token="$(tr -d ' \n' <"$tmp/out" | sed -n 's/.*"nextPageToken":"\([^"]*\)".*/\1/p')"
[[ -n "$token" ]] || fail "ListKeys page 1 has no nextPageToken"
call ListKeys "{\"store\":$store,\"prefix\":\"buf-curl/\",\"page_size\":1,\"page_token\":\"$token\"}"
grep -qF '"buf-curl/ttl"' "$tmp/out" || fail "ListKeys page 2 is not buf-curl/ttl"
if grep -q nextPageToken "$tmp/out"; then fail "ListKeys' last page has a nextPageToken"; fi
if bcurl -d "{\"store\":$store,\"key\":\"buf-curl/bad\",\"ttl\":\"0s\"}" "$url/$service/Set"; then
  fail "Set with ttl 0s succeeded"
fi
grep -q 'ttl is 0; a ttl must be at least 1ms' "$tmp/out" || fail "Set with ttl 0s: the error does not say 'ttl is 0; a ttl must be at least 1ms'"

# --- Delete and Close succeed.
call Delete "{\"store\":$store,\"key\":\"$key\"}"
call Close "{\"store\":$store}"

kill -0 "$kvd_pid" 2>/dev/null || fail "kvd died during the test"
[[ -n "$(ls -A "$work_dir/.kvd" 2>/dev/null)" ]] || fail "kvd wrote nothing to its data directory $work_dir/.kvd"
echo "PASS: buf curl over reflection: list, Open, Set, Get, Exists, GetKeys, NOT_FOUND/NO_SUCH_KEY, ttl and expireTime, ListKeys pages, Delete, Close"
