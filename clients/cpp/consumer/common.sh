# Sourced by the C++ consumer tests. Sets KVD_ROOT (the real kvd source tree,
# found from this file's runfile, which links into it) and README; defines
# readme_block.
set -euo pipefail

KVD_ROOT="$(cd "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/../../.." && pwd)"
README="$KVD_ROOT/clients/cpp/README.md"
[[ -f "$KVD_ROOT/proto/kv/v1/kv.proto" ]] || {
  echo "consumer test: $KVD_ROOT is not a kvd source tree" >&2
  exit 2
}

# readme_block NAME: the fenced block under "<!-- consumer-test: NAME -->" in
# the README, with /path/to/kvd replaced by the real tree. Fails if absent.
readme_block() {
  local text
  text="$(awk -v marker="<!-- consumer-test: $1 -->" '
    $0 == marker { found = 1; next }
    found && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$README")"
  [[ -n "$text" ]] || { echo "README.md has no consumer-test block $1" >&2; return 1; }
  printf '%s\n' "${text//\/path\/to\/kvd/$KVD_ROOT}"
}

# check_output EXPECTED COMMAND...: runs COMMAND, fails unless its stdout is
# exactly EXPECTED.
check_output() {
  local expected="$1" actual
  shift
  actual="$("$@")"
  if [[ "$actual" != "$expected" ]]; then
    echo "FAIL: $* printed:" >&2
    printf '%s\n' "$actual" >&2
    echo "expected:" >&2
    printf '%s\n' "$expected" >&2
    exit 1
  fi
  echo "ok: $*"
}
