#!/usr/bin/env bash
# A Kubernetes pod, simulated with real parts: kvd as the sidecar and an app
# in a network namespace of their own (loopback only, like a pod's), sharing
# a unix socket in a "shared volume" folder; probes speak the gRPC health
# protocol over TCP, as the kubelet does. Then the kubelet's SIGTERM, sent to
# kvd and the app together while the app has calls in flight, and proof that:
#   1. no call of the app failed;
#   2. readiness (kvd.ready) flipped to NOT_SERVING first, while kvd still
#      served the app's calls;
#   3. kvd exited 0 within --shutdown-timeout;
#   4. every acknowledged write is there, with its value, after a restart on
#      the same data.
# kvd runs as PID 1 of its own PID namespace, as in a container, where the
# kernel drops signals that PID 1 does not handle.
# Also checks that the namespace has only loopback and that kvd's probe port
# is unreachable from outside it.
#   pod_test.sh KVD POD_APP HEALTH_PROBE
# Needs root (unshare --net); fails, never skips, without it.
set -euo pipefail

kvd="$(readlink -f "$1")"
app="$(readlink -f "$2")"
probe="$(readlink -f "$3")"

drain_delay=5s
shutdown_timeout_s=25
probe_port=50052   # Fixed: nothing else lives in the pod's namespace.

fail() { echo "FAIL: $*" >&2; exit 1; }
now_ns() { date +%s%N; }

if [[ "${KVD_POD_TEST_INSIDE:-}" != 1 ]]; then
  # Outside: the host side. Run the pod in a new network namespace, and
  # meanwhile check that the pod's probe port is not reachable from here.
  [[ $(id -u) -eq 0 ]] || fail "needs root for unshare --net (a network namespace)"
  # A short path: unix socket paths are limited to 107 bytes.
  export KVD_POD_DIR="$(mktemp -d /tmp/kvd-pod.XXXXXX)"
  trap 'rm -rf "$KVD_POD_DIR"' EXIT
  KVD_POD_TEST_INSIDE=1 unshare --net -- "$0" "$@" &
  pod=$!
  for _ in $(seq 1 600); do
    [[ -e "$KVD_POD_DIR/serving" ]] && break
    kill -0 "$pod" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -e "$KVD_POD_DIR/serving" ]]; then
    # 127.0.0.1 here is the host's loopback, not the pod's.
    if out="$("$probe" "127.0.0.1:$probe_port" "")"; then
      echo "outside: $out" > "$KVD_POD_DIR/outside"
      fail "kvd's probe port answered from outside the pod's namespace"
    fi
    echo "outside the namespace, 127.0.0.1:$probe_port: $out"
    echo "$out" > "$KVD_POD_DIR/outside"
  fi
  rc=0
  wait "$pod" || rc=$?
  [[ $rc -eq 0 ]] && echo "PASS: pod test" || echo "FAIL: pod test (exit $rc)" >&2
  exit $rc
fi

# Inside the pod's network namespace.
dir="$KVD_POD_DIR"
shared="$dir/shared"   # the emptyDir both containers mount
data="$dir/data"       # kvd's data volume
mkdir -p "$shared" "$data"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

ip link set lo up
links="$(ip -o link show | awk -F': ' '{print $2}')"
echo "network interfaces in the pod: $links"
[[ "$links" == lo ]] || fail "the namespace has interfaces other than lo: $links"

# kvd runs as PID 1 of a PID namespace of its own, as in its container:
# $kvd_pid is its PID here (for signals), $kvd_wait_pid the unshare process
# whose exit status is kvd's.
start_kvd() {  # start_kvd LOG
  unshare --pid --fork -- \
    "$kvd" --listen="unix:$shared/kvd.sock" --health-listen="127.0.0.1:$probe_port" \
    --data-dir="$data" --drain-delay="$drain_delay" --shutdown-grace=10s \
    --shutdown-timeout="${shutdown_timeout_s}s" >"$1.out" 2>"$1.err" &
  kvd_wait_pid=$!
  pids+=("$kvd_wait_pid")
  kvd_pid=""
  for _ in $(seq 1 100); do
    kvd_pid="$(pgrep -P "$kvd_wait_pid" || true)"
    [[ -n "$kvd_pid" ]] && break
    sleep 0.05
  done
  [[ -n "$kvd_pid" ]] || fail "kvd did not start in its PID namespace"
  pids+=("$kvd_pid")
  [[ "$(awk '/^NSpid:/ {print $NF}' "/proc/$kvd_pid/status")" == 1 ]] ||
    fail "kvd is not PID 1 in its namespace"
  # The kubelet's startup: probe liveness, then readiness, over TCP.
  for _ in $(seq 1 300); do
    "$probe" "127.0.0.1:$probe_port" kvd.ready >/dev/null 2>&1 && return 0
    kill -0 "$kvd_pid" 2>/dev/null || { cat "$1.err" >&2; fail "kvd exited at startup"; }
    sleep 0.1
  done
  cat "$1.err" >&2
  fail "kvd did not become ready"
}

start_kvd "$dir/kvd1"
echo "liveness:  $("$probe" "127.0.0.1:$probe_port" "")"
echo "readiness: $("$probe" "127.0.0.1:$probe_port" kvd.ready)"
# The probe port serves health only; the API is on the socket.
[[ -S "$shared/kvd.sock" ]] || fail "no socket at $shared/kvd.sock"

# Let the host side check reachability, and wait for its verdict.
touch "$dir/serving"
for _ in $(seq 1 300); do [[ -e "$dir/outside" ]] && break; sleep 0.1; done
[[ -e "$dir/outside" ]] || fail "the outside check did not run"
grep -q '^UNREACHABLE' "$dir/outside" || fail "outside check: $(cat "$dir/outside")"

"$probe" --watch "127.0.0.1:$probe_port" kvd.ready >"$dir/readiness.log" &
watch_pid=$!
pids+=("$watch_pid")
"$app" write "unix:$shared/kvd.sock" "$dir/acks" >"$dir/app.out" 2>&1 &
app_pid=$!
pids+=("$app_pid")

# Let the app write for a while, then terminate the pod: the kubelet sends
# SIGTERM to both containers at once.
for _ in $(seq 1 300); do
  [[ -e "$dir/acks" && $(wc -l <"$dir/acks") -ge 500 ]] && break
  kill -0 "$app_pid" 2>/dev/null || { cat "$dir/app.out" >&2; fail "the app exited early"; }
  sleep 0.1
done
sigterm_ns=$(now_ns)
kill -TERM "$kvd_pid" "$app_pid"

app_rc=0
wait "$app_pid" || app_rc=$?
kvd_rc=-1
for _ in $(seq 1 $((shutdown_timeout_s * 10 + 50))); do
  if ! kill -0 "$kvd_wait_pid" 2>/dev/null; then
    kvd_rc=0
    wait "$kvd_wait_pid" || kvd_rc=$?
    break
  fi
  sleep 0.1
done
kvd_exit_ns=$(now_ns)
wait "$watch_pid" || true

echo "--- app"
cat "$dir/app.out"
echo "--- readiness as the probe saw it (unix ns, status)"
cat "$dir/readiness.log"
echo "--- kvd log"
cat "$dir/kvd1.err"
echo "---"

# 1. No call of the app failed, and calls were in flight at SIGTERM.
[[ $app_rc -eq 0 ]] || fail "the app exited $app_rc (a call failed)"
grep -q '^failed: 0$' "$dir/app.out" || fail "the app reports failed calls"
in_flight=$(sed -n 's/^in flight at SIGTERM: //p' "$dir/app.out")
after=$(sed -n 's/^acknowledged after SIGTERM: //p' "$dir/app.out")
[[ $in_flight -gt 0 ]] || fail "no call was in flight at SIGTERM"
[[ $after -gt 0 ]] || fail "no call was served after SIGTERM"

# 2. Readiness flipped first: after SIGTERM, NOT_SERVING while kvd still
# answered (before it went UNREACHABLE), and kvd served calls after that.
flip_ns=$(awk '$2 == "NOT_SERVING" {print $1; exit}' "$dir/readiness.log")
gone_ns=$(awk '$2 == "UNREACHABLE" {print $1; exit}' "$dir/readiness.log")
[[ -n "$flip_ns" ]] || fail "the probe never saw readiness NOT_SERVING"
[[ $flip_ns -ge $sigterm_ns ]] || fail "readiness flipped before SIGTERM"
[[ -z "$gone_ns" || $flip_ns -lt $gone_ns ]] || fail "kvd went away before readiness flipped"
last_ack_ns=$(sed -n 's/^last acknowledged at: //p' "$dir/app.out")
[[ $flip_ns -lt $last_ack_ns ]] || fail "kvd served no call after readiness flipped"
echo "readiness NOT_SERVING $(( (flip_ns - sigterm_ns) / 1000000 )) ms after SIGTERM;" \
     "the app's calls kept succeeding until $(( (last_ack_ns - flip_ns) / 1000000 )) ms" \
     "after that ($after after SIGTERM, $in_flight in flight at it)"

# 3. kvd exited 0 within the deadline.
[[ $kvd_rc -eq 0 ]] || fail "kvd exited $kvd_rc (or did not exit within ${shutdown_timeout_s}s)"
elapsed_ms=$(( (kvd_exit_ns - sigterm_ns) / 1000000 ))
echo "kvd exited 0, ${elapsed_ms} ms after SIGTERM (deadline ${shutdown_timeout_s} s)"
[[ $elapsed_ms -lt $((shutdown_timeout_s * 1000)) ]] || fail "kvd took longer than its deadline"

# 4. The data is intact after a restart on the same volume.
start_kvd "$dir/kvd2"
"$app" verify "unix:$shared/kvd.sock" "$dir/acks" | tail -n 5 | tee "$dir/verify.out"
grep -q ', wrong or missing: 0$' "$dir/verify.out" || fail "acknowledged writes were lost"
kill -INT "$kvd_pid"
wait "$kvd_wait_pid" || fail "the restarted kvd did not stop cleanly"
echo "PASS: inside the pod"
