#!/bin/bash
# End-to-end test of kvctl against a real kvd server.
#
# Usage: kvctl_test.sh KVCTL KVD (Bazel passes both as runfiles paths.)
# Starts kvd on 127.0.0.1:0 with a memory store "mem", and a second kvd on a
# Unix socket, then checks kvctl's output bytes and exit codes; then a third
# kvd for export and import between its default store and a memory store.

set -u

readonly KVCTL="$1"
readonly KVD="$2"

# Sockets need a short path (sun_path is 108 bytes), so not TEST_TMPDIR.
TMP="$(mktemp -d /tmp/kvctl_test.XXXXXX)" || exit 1
readonly TMP
KVD_PIDS=()

cleanup() {
  for pid in "${KVD_PIDS[@]}"; do
    kill -TERM "${pid}" 2>/dev/null
  done
  for pid in "${KVD_PIDS[@]}"; do
    wait "${pid}" 2>/dev/null
  done
  rm -rf "${TMP}"
}
trap cleanup EXIT

failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# start_kvd NAME ARGS...: starts kvd with ARGS, waits up to 20 s for its
# "kvd listening on ADDR" line and sets LISTEN_ADDR to ADDR.
start_kvd() {
  local name="$1"
  shift
  "${KVD}" "$@" >"${TMP}/${name}.out" 2>"${TMP}/${name}.err" &
  KVD_PIDS+=("$!")
  local pid="$!"
  LISTEN_ADDR=""
  for _ in $(seq 1 200); do
    LISTEN_ADDR="$(sed -n 's/^kvd listening on //p' "${TMP}/${name}.out" \
      2>/dev/null | head -n 1)"
    [[ -n "${LISTEN_ADDR}" ]] && return 0
    if ! kill -0 "${pid}" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "kvd (${name}) did not start; stdout:" >&2
  cat "${TMP}/${name}.out" >&2
  echo "stderr:" >&2
  cat "${TMP}/${name}.err" >&2
  exit 1
}

# run EXPECTED_RC DESCRIPTION KVCTL_ARGS...: runs kvctl (stdin from
# ${STDIN:-/dev/null}), keeping its output in OUT and ERR files.
readonly OUT="${TMP}/out"
readonly ERR="${TMP}/err"
run() {
  local expected="$1" description="$2"
  shift 2
  "${KVCTL}" "$@" <"${STDIN:-/dev/null}" >"${OUT}" 2>"${ERR}"
  local rc=$?
  if [[ "${rc}" -ne "${expected}" ]]; then
    fail "${description}: exit ${rc}, want ${expected}" \
      "(kvctl $*; stderr: $(cat "${ERR}"))"
    return 1
  fi
  return 0
}

# expect_out DESCRIPTION BYTES: the last run's stdout is exactly BYTES
# (printf format).
expect_out() {
  # shellcheck disable=SC2059
  printf -- "$2" >"${TMP}/want"
  cmp -s "${TMP}/want" "${OUT}" ||
    fail "$1: stdout is '$(cat -v "${OUT}")', want '$(cat -v "${TMP}/want")'"
}

# expect_err DESCRIPTION TEXT: the last run's stderr is one line containing
# TEXT.
expect_err() {
  grep -qF -- "$2" "${ERR}" || fail "$1: stderr lacks '$2': $(cat "${ERR}")"
  [[ "$(wc -l <"${ERR}")" -eq 1 ]] ||
    fail "$1: stderr is not one line: $(cat "${ERR}")"
}

# expect_err_has DESCRIPTION TEXT: the last run's stderr contains TEXT (for
# CLI11's usage errors, which add a "Run with --help" line).
expect_err_has() {
  grep -qF -- "$2" "${ERR}" || fail "$1: stderr lacks '$2': $(cat "${ERR}")"
}

# The servers.
printf '[key_value_store.mem]\ntype = "memory"\n' >"${TMP}/kvd.toml"
start_kvd tcp --listen=127.0.0.1:0 --data-dir="${TMP}/data-tcp" \
  --config="${TMP}/kvd.toml"
port="$(echo "${LISTEN_ADDR}" | awk -F: '{print $NF}')"
[[ "${port}" =~ ^[0-9]+$ && "${port}" -ne 0 ]] ||
  { echo "bad listening line: ${LISTEN_ADDR}" >&2; exit 1; }
readonly TCP="127.0.0.1:${port}"
start_kvd unix --listen="unix:${TMP}/kvd.sock" --data-dir="${TMP}/data-unix"
readonly UNIX="unix:${TMP}/kvd.sock"

# Help and usage errors (exit 2).
if run 0 "--help" --help; then
  grep -q "Exit codes" "${OUT}" || fail "--help does not document exit codes"
fi
if run 0 "get --help" get --help; then
  grep -q "Examples" "${OUT}" || fail "get --help has no examples"
fi
run 2 "no subcommand" --addr "${TCP}"
run 2 "unknown subcommand" --addr "${TCP}" frobnicate
run 2 "get without a key" --addr "${TCP}" get
run 2 "set without a value" --addr "${TCP}" set k
run 2 "set with both a value and --file" --addr "${TCP}" set k v \
  --file "${TMP}/kvd.toml"
run 2 "set --file of a missing file" --addr "${TCP}" set k \
  --file "${TMP}/no-such-file"
run 2 "timeout without a unit" --addr "${TCP}" --timeout 5 keys
run 2 "unknown option" --addr "${TCP}" --bogus keys

# Set and get, text and binary; global options after the subcommand too.
run 0 "set text" --addr "${TCP}" set greeting hello
run 0 "get text" --addr "${TCP}" get greeting && expect_out "get text" 'hello'
run 0 "options after the subcommand" get greeting --addr "${TCP}" \
  --timeout 500ms && expect_out "options after the subcommand" 'hello'
run 0 "set overwrites" --addr "${TCP}" set greeting 'hi there'
run 0 "get overwritten" --addr "${TCP}" get greeting &&
  expect_out "get overwritten" 'hi there'

printf 'a\000b\000\377\n\000' >"${TMP}/binary"
run 0 "set --file binary" --addr "${TCP}" set bin --file "${TMP}/binary"
run 0 "get binary" --addr "${TCP}" get bin &&
  { cmp -s "${TMP}/binary" "${OUT}" || fail "binary value from --file differs"; }
STDIN="${TMP}/binary" run 0 "set - (stdin) binary" --addr "${TCP}" set bin2 -
run 0 "get stdin binary" --addr "${TCP}" get bin2 &&
  { cmp -s "${TMP}/binary" "${OUT}" || fail "binary value from stdin differs"; }
head -c 524288 /dev/urandom >"${TMP}/large"
STDIN="${TMP}/large" run 0 "set 512 KiB from stdin" --addr "${TCP}" set large -
run 0 "get 512 KiB" --addr "${TCP}" get large &&
  { cmp -s "${TMP}/large" "${OUT}" || fail "512 KiB value differs"; }
: >"${TMP}/empty"
run 0 "set empty value" --addr "${TCP}" set empty --file "${TMP}/empty"
run 0 "get empty value" --addr "${TCP}" get empty && expect_out "get empty" ''

# Exists (0 / 1) and a missing key (1, naming the key).
run 0 "exists true" --addr "${TCP}" exists greeting &&
  expect_out "exists true" 'true\n'
run 1 "exists false" --addr "${TCP}" exists missing-key &&
  expect_out "exists false" 'false\n'
run 1 "get missing" --addr "${TCP}" get missing-key && {
  expect_out "get missing" ''
  expect_err "get missing" '"missing-key"'
  expect_err "get missing" 'NO_SUCH_KEY'
  expect_err "get missing" '(NOT_FOUND)'
  grep -q '^kvctl: ' "${ERR}" || fail "get missing: no kvctl: prefix"
}
run 0 "key starting with - after --" --addr "${TCP}" set -- -dash v &&
  run 0 "get key starting with -" --addr "${TCP}" get -- -dash &&
  expect_out "get -dash" 'v'

# Delete, including a key that does not exist.
run 0 "delete" --addr "${TCP}" delete greeting
run 1 "exists after delete" --addr "${TCP}" exists greeting
run 1 "get after delete" --addr "${TCP}" get greeting
run 0 "delete missing key" --addr "${TCP}" delete greeting

# Keys of the default store, in byte order.
run 0 "keys" --addr "${TCP}" keys &&
  expect_out "keys" '-dash\nbin\nbin2\nempty\nlarge\n'

# A configured memory store, separate from default.
run 0 "keys of empty mem" --addr "${TCP}" --store mem keys &&
  expect_out "keys of empty mem" ''
run 0 "set in mem" --addr "${TCP}" --store mem set k2 two
run 0 "set in mem" --addr "${TCP}" -s mem set k1 one
run 0 "get from mem" --addr "${TCP}" --store mem get k1 &&
  expect_out "get from mem" 'one'
run 0 "keys of mem" --addr "${TCP}" --store mem keys &&
  expect_out "keys of mem" 'k1\nk2\n'
run 1 "mem keys are not in default" --addr "${TCP}" get k1

# kvd refuses (3): an undefined store, an invalid key.
run 3 "unknown store" --addr "${TCP}" --store nosuch get k && {
  expect_err "unknown store" '"nosuch"'
  expect_err "unknown store" 'NO_SUCH_STORE'
}
run 3 "unknown store, keys" --addr "${TCP}" --store nosuch keys
run 3 "empty key" --addr "${TCP}" get '' && expect_err "empty key" '""'
run 3 "key that is not UTF-8" --addr "${TCP}" get $'\xff' &&
  expect_err "key that is not UTF-8" '"\377"'

# No server (4).
run 4 "no server on TCP" --addr 127.0.0.1:1 --timeout 5s get k &&
  expect_err "no server on TCP" '(UNAVAILABLE)'
run 4 "no server on a socket" --addr "unix:${TMP}/nothing.sock" keys

# Unix socket, by --addr and by KVD_ADDR.
run 0 "set over unix" --addr "${UNIX}" set k unix-value
run 0 "get over unix" --addr "${UNIX}" get k && expect_out "get over unix" \
  'unix-value'
KVD_ADDR="${UNIX}" run 0 "KVD_ADDR" get k && expect_out "KVD_ADDR" 'unix-value'
KVD_ADDR="${UNIX}" run 0 "--addr beats KVD_ADDR" --addr "${TCP}" --store mem \
  get k1 && expect_out "--addr beats KVD_ADDR" 'one'
run 1 "the unix server is a different server" --addr "${TCP}" get k

# Counters: incr prints the new value; DELTA may be negative; a value that is
# not an integer, or an overflow, is refused (3) and left as it was.
run 0 "incr a new counter" --addr "${TCP}" incr visits &&
  expect_out "incr a new counter" '1\n'
run 0 "incr by 41" --addr "${TCP}" incr visits 41 &&
  expect_out "incr by 41" '42\n'
run 0 "incr by a negative DELTA" --addr "${TCP}" incr visits -50 &&
  expect_out "incr by -50" '-8\n'
run 0 "incr by -- -2" --addr "${TCP}" incr visits -- -2 &&
  expect_out "incr by -- -2" '-10\n'
run 0 "get a counter" --addr "${TCP}" get visits && expect_out "get counter" '-10'
run 0 "set text" --addr "${TCP}" set word abc
run 3 "incr of text" --addr "${TCP}" incr word && {
  expect_err "incr of text" 'increment "word" by 1 in store "default": '
  expect_err "incr of text" 'NOT_AN_INTEGER'
}
run 0 "text unchanged" --addr "${TCP}" get word && expect_out "text unchanged" 'abc'
run 0 "set the largest int64" --addr "${TCP}" set big 9223372036854775807
run 3 "incr past int64" --addr "${TCP}" incr big && expect_err "overflow" \
  '(OUT_OF_RANGE)'
run 0 "largest int64 unchanged" --addr "${TCP}" get big &&
  expect_out "largest int64 unchanged" '9223372036854775807'
run 2 "incr with a DELTA that is not a number" --addr "${TCP}" incr visits x &&
  expect_err_has "bad DELTA" 'DELTA: not a whole number from'
run 2 "incr with a fractional DELTA" --addr "${TCP}" incr visits 1.5
run 2 "incr with a hex DELTA" --addr "${TCP}" incr visits 0x10
run 2 "incr with a DELTA past int64" --addr "${TCP}" incr visits \
  9223372036854775808
run 2 "incr without a key" --addr "${TCP}" incr

# Revisions and conditional writes: get --revision prints the revision on
# its own line before the value; a conditional write prints the revision it
# wrote; a failed condition exits 7, naming the current revision.
run 0 "set --create-only of a new key" --addr "${TCP}" set --create-only \
  cas first && rev1="$(cat "${OUT}")"
[[ "${rev1:-}" =~ ^[1-9][0-9]*$ ]] || fail "create-only printed '${rev1:-}'"
run 0 "get --revision" --addr "${TCP}" get --revision cas &&
  expect_out "get --revision" "${rev1}\nfirst"
run 7 "set --create-only of a present key" --addr "${TCP}" set --create-only \
  cas again && {
  expect_out "failed create-only" ''
  expect_err "failed create-only" 'set "cas" in store "default" if absent: '
  expect_err "failed create-only" "(ABORTED); current revision ${rev1}"
}
run 0 "set --if-revision, current" --addr "${TCP}" set --if-revision \
  "${rev1}" cas second && rev2="$(cat "${OUT}")"
[[ "${rev2:-0}" -gt "${rev1}" ]] || fail "if-revision printed '${rev2:-}'"
run 7 "set --if-revision, stale" --addr "${TCP}" set --if-revision "${rev1}" \
  cas third && expect_err "stale set" "; current revision ${rev2}"
run 0 "a failed condition writes nothing" --addr "${TCP}" get cas &&
  expect_out "value after the failed set" 'second'
run 7 "delete --if-revision, stale" --addr "${TCP}" delete --if-revision \
  "${rev1}" cas && expect_err "stale delete" "; current revision ${rev2}"
run 0 "delete --if-revision, current" --addr "${TCP}" delete --if-revision \
  "${rev2}" cas && rev3="$(cat "${OUT}")"
[[ "${rev3:-0}" -gt "${rev2}" ]] || fail "delete printed '${rev3:-}'"
run 1 "conditionally deleted" --addr "${TCP}" exists cas
run 7 "set --if-revision of an absent key" --addr "${TCP}" set --if-revision \
  5 cas x && expect_err "absent key" '; current revision 0: the key is absent'
run 0 "delete --if-revision 0 of an absent key" --addr "${TCP}" delete \
  --if-revision 0 cas && expect_out "nothing deleted" '0\n'
run 0 "unconditional set prints nothing" --addr "${TCP}" set cas plain &&
  expect_out "plain set" ''
run 2 "--if-revision with --create-only" --addr "${TCP}" set --if-revision 3 \
  --create-only cas x && expect_err_has "both conditions" '--create-only'
run 2 "--if-revision that is not a number" --addr "${TCP}" set \
  --if-revision abc cas x && expect_err_has "bad N" \
  '--if-revision: not a whole number from 0 to 18446744073709551615: "abc"'
run 2 "--if-revision that is negative" --addr "${TCP}" delete \
  --if-revision=-1 cas
run 0 "nothing was written by the usage errors" --addr "${TCP}" get cas &&
  expect_out "value after usage errors" 'plain'

# Describe: the SQLite default store and the memory store.
if run 0 "describe" --addr "${TCP}" describe; then
  grep -qx 'name:          default' "${OUT}" || fail "describe: name"
  grep -qx 'driver:        sqlite' "${OUT}" || fail "describe: driver"
  grep -q '^durability:    DISK ' "${OUT}" || fail "describe: durability"
  grep -qx 'capabilities:  REVISIONS CONDITIONAL_WRITES INCREMENT ATOMIC_BATCHES TTL LIST_PAGES' \
    "${OUT}" || fail "describe: capabilities"
  grep -qx 'max ttl:       87600h' "${OUT}" || fail "describe: max ttl"
  grep -qx 'max page:      10000 keys' "${OUT}" || fail "describe: max page"
  grep -qx 'max key:       256 bytes' "${OUT}" || fail "describe: max key"
  grep -qE '^revision:      [1-9][0-9]*$' "${OUT}" || fail "describe: revision"
fi
run 0 "describe mem" --addr "${TCP}" --store mem describe &&
  { grep -qx 'driver:        memory' "${OUT}" || fail "describe mem: driver"; }
run 3 "describe an unknown store" --addr "${TCP}" --store nosuch describe &&
  expect_err "describe nosuch" 'NO_SUCH_STORE'

# Export and import: move the default (SQLite) store into a memory store
# through JSON Lines, on a kvd of its own.
printf '[key_value_store.copy]\ntype = "memory"\n' >"${TMP}/transfer.toml"
start_kvd transfer --listen=127.0.0.1:0 --data-dir="${TMP}/data-transfer" \
  --config="${TMP}/transfer.toml"
readonly XFER="${LISTEN_ADDR}"
readonly UTF8_KEY=$'caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac'
readonly DUMPS="${TMP}/dumps"
mkdir -p "${DUMPS}"
run 0 "transfer: set text" --addr "${XFER}" set greeting 'hello, world'
run 0 "transfer: set binary" --addr "${XFER}" set bin --file "${TMP}/binary"
run 0 "transfer: set UTF-8 key" --addr "${XFER}" set "${UTF8_KEY}" 'clé'
run 0 "transfer: set empty" --addr "${XFER}" set empty --file "${TMP}/empty"
run 0 "transfer: set odd key" --addr "${XFER}" set $'quote"back\\slash\ttab' x
run 0 "transfer: set 512 KiB" --addr "${XFER}" set large --file "${TMP}/large"

if run 0 "export default to a file" --addr "${XFER}" export \
  --output "${DUMPS}/default.jsonl"; then
  expect_out "export --output writes nothing to stdout" ''
  expect_err "export summary" 'exported 6 keys, '
  grep -qE '^exported 6 keys, [0-9.]+ (B|KiB|MiB), in [0-9.]+ s$' "${ERR}" ||
    fail "export summary format: $(cat "${ERR}")"
fi
[[ "$(wc -l <"${DUMPS}/default.jsonl")" -eq 6 ]] ||
  fail "export: want 6 lines, got $(wc -l <"${DUMPS}/default.jsonl")"
grep -qxF "{\"key\":\"bin\",\"value\":\"$(base64 -w0 "${TMP}/binary")\"}" \
  "${DUMPS}/default.jsonl" || fail "export: binary record is not base64"
grep -qxF "{\"key\":\"${UTF8_KEY}\",\"value\":\"$(printf 'clé' | base64)\"}" \
  "${DUMPS}/default.jsonl" || fail "export: UTF-8 key is not written as is"
grep -qxF '{"key":"empty","value":""}' "${DUMPS}/default.jsonl" ||
  fail "export: empty value"
grep -qxF '{"key":"quote\"back\\slash\ttab","value":"eA=="}' \
  "${DUMPS}/default.jsonl" || fail "export: key escapes"

run 0 "import into the memory store" --addr "${XFER}" --store copy import \
  --input "${DUMPS}/default.jsonl" && expect_err "import summary" \
  'imported 6 keys, '
run 0 "export the memory store to stdout" --addr "${XFER}" --store copy \
  export --quiet && {
  cp "${OUT}" "${DUMPS}/copy.jsonl"
  [[ -s "${ERR}" ]] && fail "export --quiet wrote to stderr: $(cat "${ERR}")"
}
sort "${DUMPS}/default.jsonl" >"${DUMPS}/default.sorted"
sort "${DUMPS}/copy.jsonl" >"${DUMPS}/copy.sorted"
cmp -s "${DUMPS}/default.sorted" "${DUMPS}/copy.sorted" ||
  fail "the two exports differ: $(diff "${DUMPS}/default.sorted" \
    "${DUMPS}/copy.sorted" | head -c 2000)"
run 0 "get the imported binary" --addr "${XFER}" --store copy get bin &&
  { cmp -s "${TMP}/binary" "${OUT}" || fail "imported binary value differs"; }
run 0 "get the imported UTF-8 key" --addr "${XFER}" --store copy \
  get "${UTF8_KEY}" && expect_out "get the imported UTF-8 key" 'clé'
STDIN="${DUMPS}/default.jsonl" run 0 "import from stdin, again" \
  --addr "${XFER}" --store copy import -q && expect_out "import -q" ''
[[ -s "${ERR}" ]] && fail "import -q wrote to stderr: $(cat "${ERR}")"

# Malformed input: exit 6, naming the line; nothing after it is set.
{
  echo '{"key":"m1","value":"MQ=="}'
  echo '{"key":"m2","value":"not base64!"}'
  echo '{"key":"m3","value":"Mw=="}'
} >"${DUMPS}/bad.jsonl"
run 6 "import --dry-run of a bad line" --addr "${XFER}" --store copy import \
  --dry-run --input "${DUMPS}/bad.jsonl" && {
  expect_err "dry-run bad line" 'line 2: field "value" of key "m2"'
  expect_err "dry-run bad line" 'nothing imported'
}
run 1 "dry-run set nothing" --addr "${XFER}" --store copy exists m1
run 6 "import of a bad line" --addr "${XFER}" --store copy import \
  --input "${DUMPS}/bad.jsonl" && {
  expect_err "bad line" 'line 2: '
  expect_err "bad line" 'imported the 1 key before it'
}
run 0 "the line before the bad one is imported" --addr "${XFER}" \
  --store copy get m1 && expect_out "line before the bad one" '1'
run 1 "the line after the bad one is not" --addr "${XFER}" --store copy \
  exists m3
printf 'not json\n' >"${DUMPS}/not-json.jsonl"
STDIN="${DUMPS}/not-json.jsonl" run 6 "import of non-JSON from stdin" \
  --addr "${XFER}" --store copy import && expect_err "non-JSON" \
  'line 1: not valid JSON'
run 2 "import --input of a missing file" --addr "${XFER}" import \
  --input "${DUMPS}/no-such-file"

# A failed export leaves no file, not even a temporary one.
mkdir -p "${DUMPS}/failed"
run 3 "export of an unknown store" --addr "${XFER}" --store nosuch export \
  --output "${DUMPS}/failed/dump.jsonl" && expect_err "export nosuch" \
  'NO_SUCH_STORE'
[[ -z "$(ls -A "${DUMPS}/failed")" ]] ||
  fail "a failed export left files: $(ls -A "${DUMPS}/failed")"
run 4 "export with no server" --addr 127.0.0.1:1 export \
  --output "${DUMPS}/failed/dump.jsonl"
[[ -z "$(ls -A "${DUMPS}/failed")" ]] ||
  fail "an unreachable export left files: $(ls -A "${DUMPS}/failed")"

# Expiry and paged listing, on a kvd of its own with two memory stores (and
# SQLite's expiry on the first kvd's default store).
run 0 "set --ttl on SQLite" --addr "${TCP}" set --ttl 1h sqlite-ttl v
run 0 "get --expire-time on SQLite" --addr "${TCP}" get --expire-time sqlite-ttl &&
  { grep -qE '^20[0-9-]{8}T[0-9:]{8}\.[0-9]{3}Z$' <(head -n 1 "${OUT}") ||
    fail "SQLite expire time: $(cat "${OUT}")"; }
run 0 "keys of SQLite with a prefix" --addr "${TCP}" keys --prefix sqlite- &&
  expect_out "SQLite prefix" 'sqlite-ttl\n'
printf '[key_value_store.mem]\ntype = "memory"\n[key_value_store.back]\ntype = "memory"\n' \
  >"${TMP}/list.toml"
start_kvd list --listen=127.0.0.1:0 --data-dir="${TMP}/data-list" \
  --config="${TMP}/list.toml"
readonly LIST="${LISTEN_ADDR}"

# set --ttl: get shows the expire time only where it can (the value's bytes
# stay exact off a terminal); --json and --expire-time always.
run 0 "set --ttl" --addr "${LIST}" -s mem set --ttl 1h session tok &&
  expect_out "set --ttl prints nothing" ''
run 0 "get of an expiring key" --addr "${LIST}" -s mem get session &&
  expect_out "get of an expiring key" 'tok'
if run 0 "get --expire-time" --addr "${LIST}" -s mem get --expire-time session; then
  expires="$(head -n 1 "${OUT}")"
  [[ "${expires}" =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]{8}\.[0-9]{3}Z$ ]] ||
    fail "get --expire-time: '${expires}' is not RFC 3339 with ms"
  left=$(( $(date -d "${expires}" +%s) - $(date +%s) ))
  (( left > 3500 && left <= 3600 )) || fail "get --expire-time: ${left} s left, want ~1 h"
  [[ "$(tail -n +2 "${OUT}")" == "tok" ]] || fail "get --expire-time: value"
fi
run 0 "--json get of an expiring key" --addr "${LIST}" -s mem --json get session &&
  { grep -qF "\"expire_time\":\"${expires:-none}\"" "${OUT}" ||
    fail "--json get: no expire_time ${expires:-}: $(cat "${OUT}")"; }
run 0 "get --expire-time of a permanent key" --addr "${LIST}" -s mem set plain v
run 0 "get --expire-time of a permanent key" --addr "${LIST}" -s mem get \
  --expire-time plain && expect_out "never expires" 'never\nv'
run 0 "--json get without expiry" --addr "${LIST}" -s mem --json get plain &&
  { grep -qF 'expire_time' "${OUT}" && fail "--json get: expire_time for a permanent key"; }
run 0 "a plain set clears the ttl" --addr "${LIST}" -s mem set session tok2
run 0 "expiry cleared" --addr "${LIST}" -s mem get --expire-time session &&
  expect_out "expiry cleared" 'never\ntok2'
run 0 "set --ttl 300ms" --addr "${LIST}" -s mem set --ttl 300ms short v
gone=""
for _ in $(seq 1 100); do  # At most 10 s: a bound, not a timing check.
  "${KVCTL}" --addr "${LIST}" -s mem exists short >/dev/null 2>&1
  [[ $? -eq 1 ]] && { gone=yes; break; }
  sleep 0.1
done
[[ -n "${gone}" ]] || fail "a key set with --ttl 300ms still exists after 10 s"
run 1 "get of an expired key" --addr "${LIST}" -s mem get short
run 2 "--ttl without a unit" --addr "${LIST}" -s mem set --ttl 30 k v &&
  expect_err_has "--ttl without a unit" \
    '--ttl: not a duration with a unit, such as 500ms, 30s, 5m, 24h or 1h30m: "30"'
run 2 "--ttl under 1ms" --addr "${LIST}" -s mem set --ttl 500us k v &&
  expect_err_has "--ttl under 1ms" '--ttl: must be at least 1ms'
run 2 "negative --ttl" --addr "${LIST}" -s mem set --ttl=-5s k v
run 3 "--ttl over the store's max" --addr "${LIST}" -s mem set --ttl 87624h k v &&
  expect_err "--ttl over max" 'ttl'
run 1 "no key was written by a refused ttl" --addr "${LIST}" -s mem exists k

# keys --prefix: compared byte for byte, whatever LIKE, glob or regex would
# make of the characters; then non-ASCII.
for key in 'p%_*[\1' 'p%_*[\2' 'p%a*[\3' 'p%_*[x' 'p%_*' $'p\xc3\xa9/1' \
  $'p\xc3\xa9/2' 'pe/3' 'q'; do
  run 0 "set ${key}" --addr "${LIST}" -s back set -- "${key}" v
done
run 0 "keys --prefix with % _ * [ \\" --addr "${LIST}" -s back keys \
  --prefix 'p%_*[\' && expect_out "special prefix" 'p%%_*[\\1\np%%_*[\\2\n'
run 0 "keys --prefix p%" --addr "${LIST}" -s back keys --prefix 'p%_' &&
  expect_out "p%_ prefix" 'p%%_*\np%%_*[\\1\np%%_*[\\2\np%%_*[x\n'
run 0 "keys --prefix non-ASCII" --addr "${LIST}" -s back keys \
  --prefix $'p\xc3\xa9/' --page-size 1 &&
  expect_out "non-ASCII prefix" 'p\303\251/1\np\303\251/2\n'
run 0 "keys --prefix matching nothing" --addr "${LIST}" -s back keys \
  --prefix 'zz' && expect_out "no match" ''

# Pagination: 2,500 keys (imported in one go), listed in pages of 7.
awk 'BEGIN { for (i = 0; i < 2500; i++) printf "{\"key\":\"k/%05d\",\"value\":\"dg==\"}\n", i }' \
  >"${TMP}/many.jsonl"
run 0 "import 2500 keys" --addr "${LIST}" -s mem import -q --input "${TMP}/many.jsonl"
awk 'BEGIN { for (i = 0; i < 2500; i++) printf "k/%05d\n", i }' >"${TMP}/many.keys"
if run 0 "keys in pages of 7, with progress" --addr "${LIST}" -s mem keys \
  --prefix k/ --page-size 7 --progress; then
  cmp -s "${TMP}/many.keys" "${OUT}" || fail "keys in pages of 7: $(diff \
    "${TMP}/many.keys" "${OUT}" | head -c 500)"
  grep -qE '^listed 2500 keys, [0-9.]+ KiB, in [0-9.]+ s \([0-9]+ keys/s\)$' \
    "${ERR}" || fail "keys --progress summary: $(cat "${ERR}")"
fi
run 0 "keys without --progress off a terminal" --addr "${LIST}" -s mem keys \
  --prefix k/ && { [[ -s "${ERR}" ]] && fail "keys wrote to stderr: $(cat "${ERR}")"; }
run 0 "keys --limit across pages" --addr "${LIST}" -s mem keys --prefix k/ \
  --page-size 7 --limit 20 && { head -n 20 "${TMP}/many.keys" | cmp -s - "${OUT}" ||
  fail "keys --limit 20: $(cat "${OUT}")"; }
run 0 "keys --limit beyond the keys" --addr "${LIST}" -s mem keys --prefix k/ \
  --limit 100000 && { cmp -s "${TMP}/many.keys" "${OUT}" || fail "keys --limit 100000"; }
run 0 "--json keys in pages" --addr "${LIST}" -s back --json keys \
  --prefix 'p%_*[\' --page-size 1 &&
  expect_out "--json keys" '{"keys":["p%%_*[\\\\1","p%%_*[\\\\2"],"store":"back"}\n'
run 2 "--limit 0" --addr "${LIST}" keys --limit 0
run 2 "--page-size 0" --addr "${LIST}" keys --page-size 0
run 2 "--page-size not a number" --addr "${LIST}" keys --page-size ten

# Export streams pages (2,500 keys: three ListKeys pages of 1,000) and keeps
# expire times; import restores them, into another store, then round trip.
run 0 "set an expiring key to export" --addr "${LIST}" -s mem set --ttl 2h k/lease me
run 0 "expire time at the source" --addr "${LIST}" -s mem get --expire-time \
  k/lease && source_expires="$(head -n 1 "${OUT}")"
run 0 "export 2501 keys" --addr "${LIST}" -s mem export -q --output "${TMP}/mem.jsonl"
[[ "$(wc -l <"${TMP}/mem.jsonl")" -eq 2503 ]] ||  # k/*, k/lease, plain, session
  fail "export: $(wc -l <"${TMP}/mem.jsonl") lines, want 2503"
grep -qxF "{\"key\":\"k/lease\",\"value\":\"bWU=\",\"expire_time\":\"${source_expires:-}\"}" \
  "${TMP}/mem.jsonl" || fail "export: k/lease has no expire_time ${source_expires:-}"
[[ "$(grep -c expire_time "${TMP}/mem.jsonl")" -eq 1 ]] ||
  fail "export: expire_time on keys that do not expire"
run 0 "import into the other store" --addr "${LIST}" -s back import \
  --input "${TMP}/mem.jsonl" && expect_err "import summary" 'imported 2503 keys, '
run 0 "expire time restored" --addr "${LIST}" -s back get --expire-time k/lease &&
  {
    target_expires="$(head -n 1 "${OUT}")"
    drift=$(( $(date -d "${source_expires:-now}" +%s) - $(date -d "${target_expires}" +%s) ))
    # A call's latency either way (whole seconds: a second boundary may
    # fall in between).
    (( drift >= -5 && drift <= 5 )) ||
      fail "import: expire time ${target_expires}, exported ${source_expires:-}"
  }
run 0 "export the copy" --addr "${LIST}" -s back export -q --output "${TMP}/back.jsonl"
# The copy holds every record of the first export (expire times aside), and
# the 9 keys the store had before.
[[ "$(wc -l <"${TMP}/back.jsonl")" -eq $((2503 + 9)) ]] ||
  fail "round trip: $(wc -l <"${TMP}/back.jsonl") lines, want 2512"
[[ "$(grep -c expire_time "${TMP}/back.jsonl")" -eq 1 ]] ||
  fail "round trip: want exactly one expiring key"
grep -v expire_time "${TMP}/mem.jsonl" | sort >"${TMP}/mem.sorted"
sort "${TMP}/back.jsonl" >"${TMP}/back.sorted"
missing="$(comm -23 "${TMP}/mem.sorted" "${TMP}/back.sorted")"
[[ -z "${missing}" ]] || fail "round trip lost records: $(head -c 500 <<<"${missing}")"
printf '{"key":"gone","value":"dg==","expire_time":"2001-01-01T00:00:00.000Z"}\n' \
  >"${TMP}/expired.jsonl"
run 0 "import of an expired record" --addr "${LIST}" -s back import \
  --input "${TMP}/expired.jsonl" &&
  expect_err "expired record" '1 key already expired, not imported'
run 1 "the expired record was not set" --addr "${LIST}" -s back exists gone

# Connection options. kvd has no TLS or token checks yet: check parsing,
# validation, and that TLS against a plaintext port fails as unreachable.
echo 'tok' >"${TMP}/token"
echo 'not a pem' >"${TMP}/bad.pem"
run 0 "--token-file" --addr "${TCP}" --token-file "${TMP}/token" keys
KVD_TOKEN=tok run 0 "KVD_TOKEN" --addr "${TCP}" keys
run 2 "--token-file missing" --addr "${TCP}" --token-file "${TMP}/nope" keys &&
  expect_err_has "--token-file missing" "${TMP}/nope"
: >"${TMP}/empty-token"
run 2 "--token-file empty" --addr "${TCP}" --token-file "${TMP}/empty-token" \
  keys && expect_err "--token-file empty" "is empty"
run 2 "--tls-ca missing" --addr "${TCP}" --tls-ca "${TMP}/nope.pem" keys &&
  expect_err_has "--tls-ca missing" "${TMP}/nope.pem"
run 2 "--tls-cert without --tls-key" --addr "${TCP}" \
  --tls-cert "${TMP}/bad.pem" keys &&
  expect_err_has "--tls-cert alone" "--tls-key"
run 2 "--tls-key without --tls-cert" --addr "${TCP}" \
  --tls-key "${TMP}/bad.pem" keys &&
  expect_err_has "--tls-key alone" "--tls-cert"
run 4 "--tls against a plaintext port" --addr "${TCP}" --timeout 3s --tls \
  keys && expect_err "--tls plaintext" 'open store "default": '
grep -q "(UNAVAILABLE)\|(DEADLINE_EXCEEDED)" "${ERR}" ||
  fail "--tls plaintext: no gRPC code in $(cat "${ERR}")"

if [[ "${failures}" -ne 0 ]]; then
  echo "${failures} check(s) failed" >&2
  exit 1
fi
echo "PASS"
