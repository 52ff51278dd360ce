#!/usr/bin/env bash
# Builds and runs every test: tools/setup.sh, then `bazel test //...`.
# Extra arguments go to `bazel test`: flags (tools/test.sh --config=asan) and/or
# target patterns, which then replace //... (tools/test.sh //store/...).
# When no targets are named (a full run, flags or not, as .ci/run does) it then
# fuzzes: tests/fuzz/run_fuzzers.sh builds the fuzz targets with clang and runs
# each for FUZZ_SECONDS (default 30); KVD_FUZZ=0 skips that. Ends with a line "N passed, N failed" counted from Bazel's test
# summary (plus one per fuzzer), and exits non-zero if Bazel or a fuzzer did.
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

# --- Fuzzing (tests/fuzz/run_fuzzers.sh): a full run only (no targets named).
# Each fuzzer that ran counts as one test; a fuzz build that fails counts as
# one failure.
if ! $has_targets && [[ "${KVD_FUZZ:-1}" != 0 ]]; then
  fuzz_log="$(mktemp "${TMPDIR:-/tmp}/kvd-fuzz.XXXXXX")"
  echo "test: tests/fuzz/run_fuzzers.sh"
  fuzz_rc=0
  "$root/tests/fuzz/run_fuzzers.sh" 2>&1 | tee "$fuzz_log" || fuzz_rc=${PIPESTATUS[0]}
  fuzz_passed=$(grep -Ec '^fuzz: [^ ]+ PASSED' "$fuzz_log" || true)
  fuzz_failed=$(grep -Ec '^fuzz: [^ ]+ FAILED' "$fuzz_log" || true)
  rm -f "$fuzz_log"
  if [[ $fuzz_rc -ne 0 && $fuzz_failed -eq 0 ]]; then
    fuzz_failed=1
  fi
  passed=$((passed + fuzz_passed))
  failed=$((failed + fuzz_failed))
  if [[ $fuzz_rc -ne 0 ]]; then
    echo "test: run_fuzzers.sh exited with code $fuzz_rc"
    [[ $rc -ne 0 ]] || rc=$fuzz_rc
  fi
fi
# --- End of fuzzing.

if [[ $rc -ne 0 ]]; then
  echo "test: bazel test or fuzzing exited with code $rc"
elif [[ $passed -eq 0 && $failed -eq 0 ]]; then
  echo "test: bazel ran no test"
fi
echo "$passed passed, $failed failed"
exit "$rc"
