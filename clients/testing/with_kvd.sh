#!/usr/bin/env bash
# Starts a private kvd for a client test, runs a command against it, stops kvd.
#   with_kvd.sh [--unix] COMMAND [ARGS...]
# kvd serves the stores of clients/SCENARIO.md (default, mem, broken) from a
# fresh temporary folder, on 127.0.0.1 with a free port (or, with --unix, a
# unix socket). The command runs with KVD_ADDR set to kvd's address; its exit
# code is this script's. The kvd binary is $KVD_BIN, or //service/kvd:kvd from the
# Bazel runfiles.
set -euo pipefail

listen_unix=false
if [[ "${1:-}" == "--unix" ]]; then
  listen_unix=true
  shift
fi
[[ $# -gt 0 ]] || { echo "usage: with_kvd.sh [--unix] COMMAND [ARGS...]" >&2; exit 2; }

kvd="${KVD_BIN:-}"
if [[ -z "$kvd" ]]; then
  for candidate in "${TEST_SRCDIR:-}/${TEST_WORKSPACE:-kvd}/service/kvd/kvd" \
                   "$(dirname "$0")/../../service/kvd/kvd" \
                   "$(dirname "$0")/../../bazel-bin/service/kvd/kvd"; do
    [[ -x "$candidate" ]] && { kvd="$candidate"; break; }
  done
fi
[[ -x "$kvd" ]] || { echo "with_kvd.sh: kvd binary not found; set KVD_BIN" >&2; exit 2; }

# Short path: unix socket paths are limited to 107 bytes.
dir="$(mktemp -d /tmp/kvd-client.XXXXXX)"
cat > "$dir/kvd.toml" <<'TOML'
[key_value_store.default]
type = "sqlite"

[key_value_store.mem]
type = "memory"

# Its parent is a regular file, so this store never opens: IO/UNAVAILABLE.
[key_value_store.broken]
type = "sqlite"
path = "/dev/null/broken.db"
TOML

listen="127.0.0.1:0"
$listen_unix && listen="unix:$dir/kvd.sock"
# No drain delay: nothing routes to this kvd, so waiting would only slow tests.
"$kvd" --listen="$listen" --config="$dir/kvd.toml" --data-dir="$dir/data" \
  --drain-delay=0s \
  >"$dir/stdout" 2>"$dir/stderr" &
pid=$!
cleanup() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

for _ in $(seq 1 300); do
  grep -q '^kvd listening on ' "$dir/stdout" 2>/dev/null && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "with_kvd.sh: kvd exited early:" >&2
    cat "$dir/stderr" >&2
    exit 1
  fi
  sleep 0.1
done
KVD_ADDR="$(sed -n 's/^kvd listening on //p' "$dir/stdout" | head -n 1)"
[[ -n "$KVD_ADDR" ]] || { echo "with_kvd.sh: kvd did not start" >&2; cat "$dir/stderr" >&2; exit 1; }
export KVD_ADDR
echo "with_kvd.sh: kvd on $KVD_ADDR" >&2

rc=0
"$@" || rc=$?
exit "$rc"
