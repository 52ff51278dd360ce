#!/usr/bin/env bash
# Builds and runs every test: tools/setup.sh, then `bazel test //...`.
# Extra arguments go to `bazel test`: flags (tools/test.sh --config=asan) and/or
# target patterns, which then replace //... (tools/test.sh //store/...).
# Ends with a line "N passed, N failed" counted from Bazel's test summary, and
# exits non-zero if Bazel did.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/setup.sh"
cd "$root"

# Use //... unless the caller named targets (any argument that is not a flag,
# or anything after "--").
has_targets=false
for arg in "$@"; do
  if [[ "$arg" == "--" || "$arg" != -* ]]; then
    has_targets=true
    break
  fi
done
cmd=(bazel test)
$has_targets || cmd+=(//...)
cmd+=("$@")

log="$(mktemp "${TMPDIR:-/tmp}/kvd-test.XXXXXX")"
trap 'rm -f "$log"' EXIT

echo "test: ${cmd[*]}"
rc=0
"${cmd[@]}" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}

# Bazel's summary has one line per test target:
#   //pkg:name   (cached) PASSED in 0.1s | FAILED in 2.0s | TIMEOUT in 60.0s
#   | NO STATUS | FAILED TO BUILD | FLAKY, failed in 1 out of 2 | ...
# FLAKY (failed, then passed on a retry) counts as passed, as Bazel's exit code does.
passed=$(grep -Ec '^//[^ ]+ +(\(cached\) )?(PASSED|FLAKY)( |,|$)' "$log" || true)
failed=$(grep -Ec '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|INCOMPLETE)' "$log" || true)

if [[ $rc -ne 0 ]]; then
  echo "test: bazel test exited with code $rc"
elif [[ $passed -eq 0 && $failed -eq 0 ]]; then
  echo "test: bazel ran no test"
fi
echo "$passed passed, $failed failed"
exit "$rc"
