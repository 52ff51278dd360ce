#!/bin/bash
# Smoke test of kv_bench against real servers: a kvd (its default SQLite
# store), a private etcd, and SQLite in process. Each run is short (about a
# second); the test checks that kv_bench works (valid JSON, calls made, no
# errors, the right exit codes), never how fast anything is.
#
# Usage: kv_bench_smoke_test.sh KV_BENCH KVD (Bazel passes runfiles paths.)

set -u

readonly KV_BENCH="$1"
readonly KVD="$2"
readonly PYTHON=/usr/bin/python3

TMP="$(mktemp -d /tmp/kv_bench_test.XXXXXX)" || exit 1
readonly TMP
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "${pid}" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "${pid}" 2>/dev/null; done
  rm -rf "${TMP}"
}
trap cleanup EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# check_json FILE MIN_CALLS: FILE holds one JSON report with at least
# MIN_CALLS calls, a positive rate, latency percentiles in order, and no
# errors.
check_json() {
  "${PYTHON}" - "$1" "$2" <<'PY'
import json, sys
with open(sys.argv[1]) as f:
    lines = f.read().splitlines()
assert len(lines) == 1, f"expected one line of JSON, got {len(lines)}"
r = json.loads(lines[0])
assert r["calls"] >= int(sys.argv[2]), f"calls {r['calls']}"
assert r["rpc_per_s"] > 0, r["rpc_per_s"]
assert r["error_calls"] == 0 and r["errors"] == {}, r["errors"]
lat = r["latency_us"]
assert 0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p999"] <= lat["max"], lat
PY
}

# run_bench NAME ARGS...: runs kv_bench with ARGS and JSON output; checks
# exit 0 and the report.
run_bench() {
  local name="$1"
  shift
  if ! "${KV_BENCH}" --format=json --duration=1s --warmup=200ms "$@" \
    >"${TMP}/${name}.json" 2>"${TMP}/${name}.err"; then
    fail "${name}: kv_bench exited $?: $(cat "${TMP}/${name}.err")"
    return
  fi
  check_json "${TMP}/${name}.json" 1 || fail "${name}: bad report: $(cat "${TMP}/${name}.json")"
}

# --- kvd ---
"${KVD}" --listen=127.0.0.1:0 --data-dir="${TMP}/kvd" \
  >"${TMP}/kvd.out" 2>"${TMP}/kvd.err" &
PIDS+=("$!")
KVD_ADDR=""
for _ in $(seq 1 200); do
  KVD_ADDR="$(sed -n 's/^kvd listening on //p' "${TMP}/kvd.out" | head -n 1)"
  [[ -n "${KVD_ADDR}" ]] && break
  sleep 0.1
done
if [[ -z "${KVD_ADDR}" ]]; then
  echo "kvd did not start: $(cat "${TMP}/kvd.err")" >&2
  exit 1
fi

for op in noop get set exists get_keys mixed; do
  run_bench "kvd_${op}" --address="${KVD_ADDR}" --op="${op}" --keys=200 \
    --in-flight=4 --channels=2
done
run_bench kvd_zipf --address="${KVD_ADDR}" --op=get --keys=200 \
  --distribution=zipf --in-flight=2
run_bench kvd_4k --address="${KVD_ADDR}" --op=set --value-size=4KiB --keys=50

# list: keys/s counts the keys returned, pages of --page-size; 200 keys in
# pages of 64 give pages of 64, 64, 64 and 8, so keys per page is below 64.
run_bench kvd_list --address="${KVD_ADDR}" --op=list --keys=200 \
  --page-size=64 --in-flight=2
"${PYTHON}" -c "
import json, sys
r = json.load(open(sys.argv[1]))
assert r['page_size'] == 64, r
assert r['keys_per_s'] > 0, r
assert r['keys_per_s'] < 64 * r['rpc_per_s'], r
" "${TMP}/kvd_list.json" || fail "list report: $(cat "${TMP}/kvd_list.json")"
# set --ttl: every Set carries the ttl, and succeeds.
run_bench kvd_set_ttl --address="${KVD_ADDR}" --op=set --keys=200 --ttl=1h \
  --in-flight=2
"${PYTHON}" -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['ttl']=='1h', r" \
  "${TMP}/kvd_set_ttl.json" || fail "set --ttl report"
# --expired-fraction=1: every preloaded key expires before the Gets, so
# every Get is a NO_SUCH_KEY (counted as errors).
"${KV_BENCH}" --address="${KVD_ADDR}" --op=get --keys=100 --seed=3 \
  --expired-fraction=1 --expired-ttl=50ms --format=json --duration=300ms \
  --warmup=0s --allow-errors >"${TMP}/expired.json" 2>"${TMP}/expired.err" ||
  fail "--expired-fraction: exit $?: $(cat "${TMP}/expired.err")"
grep -q 'waiting 50ms for the expiring keys' "${TMP}/expired.err" ||
  fail "--expired-fraction did not wait: $(cat "${TMP}/expired.err")"
"${PYTHON}" -c "
import json, sys
r = json.load(open(sys.argv[1]))
assert r['expired_fraction'] == 1, r
assert r['calls'] > 0, r
assert r['errors'] == {'NOT_FOUND/ERROR_CODE_NO_SUCH_KEY': r['calls']}, r
" "${TMP}/expired.json" || fail "--expired-fraction=1: $(cat "${TMP}/expired.json")"
"${KV_BENCH}" --address="${KVD_ADDR}" --op=get --keys=10 --preload=no \
  --expired-fraction=0.5 >/dev/null 2>"${TMP}/expired_no_preload.err"
status=$?
[[ ${status} -eq 2 ]] || fail "--expired-fraction with --preload=no: exit ${status}, want 2"

# kv_bench closes its store handles: more runs than the 256 handles a
# client may hold, each opening 2, all succeed.
for i in $(seq 1 140); do
  "${KV_BENCH}" --address="${KVD_ADDR}" --op=set --preload=only --keys=1 \
    --channels=2 --in-flight=2 >/dev/null 2>"${TMP}/handles.err" ||
    { fail "run ${i} of 140: $(cat "${TMP}/handles.err")"; break; }
done

# The preload wrote exactly the keys asked for (get_keys ran on them, 200).
"${PYTHON}" -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['key_count']==200" \
  "${TMP}/kvd_get_keys.json" || fail "get_keys report"

# Errors are counted by code, and make the exit status 1.
"${KV_BENCH}" --address="${KVD_ADDR}" --store=nonexistent --op=get \
  >"${TMP}/nostore.out" 2>"${TMP}/nostore.err"
status=$?
[[ ${status} -eq 2 ]] || fail "unknown store: exit ${status}, want 2"
grep -q 'NO_SUCH_STORE' "${TMP}/nostore.err" || fail "unknown store: $(cat "${TMP}/nostore.err")"

"${KV_BENCH}" --address="${KVD_ADDR}" --op=get --preload=no \
  --keys=1000000 --seed=7 --format=json --duration=500ms --warmup=0s \
  >"${TMP}/missing.json" 2>"${TMP}/missing.err"
status=$?
[[ ${status} -eq 1 ]] || fail "missing keys: exit ${status}, want 1"
"${PYTHON}" -c "
import json, sys
r = json.load(open(sys.argv[1]))
assert r['error_calls'] > 0, r
assert r['errors'].get('NOT_FOUND/ERROR_CODE_NO_SUCH_KEY', 0) > 0, r['errors']
" "${TMP}/missing.json" || fail "missing keys: $(cat "${TMP}/missing.json")"
"${KV_BENCH}" --address="${KVD_ADDR}" --op=get --preload=no --keys=1000000 \
  --duration=300ms --warmup=0s --allow-errors >/dev/null 2>&1 ||
  fail "--allow-errors: exit $?, want 0"

# Bad flags: exit 2 and a message naming the flag.
"${KV_BENCH}" --op=fly >/dev/null 2>"${TMP}/badop.err"
[[ $? -eq 2 ]] || fail "--op=fly: want exit 2"
grep -q -- '--op' "${TMP}/badop.err" || fail "--op=fly: $(cat "${TMP}/badop.err")"
"${KV_BENCH}" --duration=soon >/dev/null 2>"${TMP}/baddur.err"
[[ $? -eq 2 ]] || fail "--duration=soon: want exit 2"
grep -q -- '--duration=soon' "${TMP}/baddur.err" || fail "--duration=soon: $(cat "${TMP}/baddur.err")"
"${KV_BENCH}" --help >"${TMP}/help.out" 2>&1 || fail "--help exited non-zero"
grep -q -- '--etcd-linearizable' "${TMP}/help.out" || fail "--help lacks flags"

# --- sqlite-raw ---
for op in get set exists; do
  run_bench "raw_${op}" --target=sqlite-raw --db="${TMP}/raw.db" \
    --op="${op}" --keys=200
done
run_bench raw_batch --target=sqlite-raw --db="${TMP}/raw.db" --op=set \
  --sqlite-batch=100 --keys=200

# --- etcd (its own KV API, through the proto subset) ---
free_port() {
  "${PYTHON}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
ETCD_ADDR=""
for attempt in 1 2 3; do
  client_port="$(free_port)"
  peer_port="$(free_port)"
  etcd --name smoke --data-dir "${TMP}/etcd${attempt}" \
    --listen-client-urls "http://127.0.0.1:${client_port}" \
    --advertise-client-urls "http://127.0.0.1:${client_port}" \
    --listen-peer-urls "http://127.0.0.1:${peer_port}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${peer_port}" \
    --initial-cluster "smoke=http://127.0.0.1:${peer_port}" \
    --log-level error >"${TMP}/etcd${attempt}.log" 2>&1 &
  pid=$!
  PIDS+=("${pid}")
  for _ in $(seq 1 100); do
    if "${KV_BENCH}" --target=etcd --address="127.0.0.1:${client_port}" \
      --op=noop --duration=100ms --warmup=0s >/dev/null 2>&1; then
      ETCD_ADDR="127.0.0.1:${client_port}"
      break
    fi
    kill -0 "${pid}" 2>/dev/null || break # e.g. a port taken meanwhile
    sleep 0.2
  done
  [[ -n "${ETCD_ADDR}" ]] && break
done
if [[ -z "${ETCD_ADDR}" ]]; then
  fail "etcd did not start: $(tail -5 "${TMP}"/etcd*.log)"
else
  for op in noop get set exists get_keys; do
    run_bench "etcd_${op}" --target=etcd --address="${ETCD_ADDR}" \
      --op="${op}" --keys=200 --in-flight=4 --channels=2
  done
  run_bench etcd_linearizable --target=etcd --address="${ETCD_ADDR}" \
    --op=get --keys=200 --etcd-linearizable
fi

if [[ ${failures} -gt 0 ]]; then
  echo "${failures} check(s) failed" >&2
  exit 1
fi
echo "PASS"
