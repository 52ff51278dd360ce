#!/usr/bin/env bash
# Builds the fuzz targets with clang under --config=fuzz and runs each for a
# bounded time over a copy of its checked-in corpus (tests/fuzz/corpus/NAME).
#
#   tests/fuzz/run_fuzzers.sh                    # every fuzzer, 30 s each
#   FUZZ_SECONDS=600 tests/fuzz/run_fuzzers.sh config_fuzzer
#
# Environment:
#   FUZZ_SECONDS      how long each fuzzer runs (default 30)
#   FUZZ_OUTPUT_BASE  Bazel output base of the clang build (default
#                     ~/.cache/kvd-fuzz/output_base), kept apart from the gcc
#                     build's so neither invalidates the other's cache
#   FUZZ_WORK_DIR     where corpora copies, logs and crash inputs go (default
#                     a new temporary directory, kept when a fuzzer fails)
#
# Prints one line per fuzzer, "fuzz: NAME PASSED (...)" with its runs,
# execs/s, coverage and the new inputs it found, or "fuzz: NAME FAILED (...)"
# with the log's tail and the crashing input. Exits non-zero if any failed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

seconds="${FUZZ_SECONDS:-30}"
output_base="${FUZZ_OUTPUT_BASE:-$HOME/.cache/kvd-fuzz/output_base}"
all_fuzzers=(config_fuzzer validation_fuzzer request_path_fuzzer)
if [[ $# -gt 0 ]]; then
  fuzzers=("$@")
else
  fuzzers=("${all_fuzzers[@]}")
fi

# The clang build's Bazel server exits when idle, so CI leaves none behind.
bazel_fuzz=(bazel "--output_base=$output_base" --max_idle_secs=120)
targets=()
for fuzzer in "${fuzzers[@]}"; do targets+=("//tests/fuzz:$fuzzer"); done

echo "fuzz: building ${targets[*]} with --config=fuzz (output base $output_base)"
# --symlink_prefix=/ leaves the workspace's bazel-* links to the gcc build.
"${bazel_fuzz[@]}" build --config=fuzz --symlink_prefix=/ "${targets[@]}"
bin="$("${bazel_fuzz[@]}" info --config=fuzz bazel-bin 2>/dev/null)"

work="${FUZZ_WORK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/kvd-fuzz.XXXXXX")}"
mkdir -p "$work"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0
for fuzzer in "${fuzzers[@]}"; do
  corpus="$work/$fuzzer/corpus"
  artifacts="$work/$fuzzer/artifacts"
  log="$work/$fuzzer/fuzz.log"
  rm -rf "$corpus" "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  cp tests/fuzz/corpus/"$fuzzer"/* "$corpus"/
  seeds=$(ls "$corpus" | wc -l)
  echo "fuzz: $fuzzer: fuzzing for ${seconds}s over $seeds corpus inputs"
  rc=0
  # -timeout: an input running 10 s is a hang; -rss_limit_mb: a leak.
  "$bin/tests/fuzz/$fuzzer" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
  found=$(( $(ls "$corpus" | wc -l) - seeds ))
  summary="${runs:-0} runs, ${speed:-0} exec/s, ${cov:-no coverage}, $found new inputs"
  if [[ $rc -eq 0 ]]; then
    echo "fuzz: $fuzzer PASSED ($summary)"
  else
    failed=$((failed + 1))
    tail -n 40 "$log"
    echo "fuzz: $fuzzer FAILED (exit $rc; $summary)"
    for crash in "$artifacts"/*; do
      [[ -e "$crash" ]] && echo "fuzz: $fuzzer: crashing input $crash" \
        "(replay: $bin/tests/fuzz/$fuzzer $crash)"
    done
  fi
done

if [[ $failed -gt 0 ]]; then
  echo "fuzz: $failed of ${#fuzzers[@]} fuzzers failed; logs and inputs in $work"
  exit 1
fi
[[ -z "${FUZZ_WORK_DIR:-}" ]] && rm -rf "$work"
echo "fuzz: all ${#fuzzers[@]} fuzzers passed"
