#!/usr/bin/env bash
# Runs kvd's benchmark matrix on this machine and writes docs/benchmarks.md.
#
# Usage: tools/kv_bench/run_benchmarks.sh [--quick] [--duration=3s]
#            [--warmup=1s] [--out=docs/benchmarks.md] [--results=FILE.jsonl]
#
#   --quick      a smoke run: in flight 1 and 64, 100 B and 4 KiB values,
#                1 s cells, a 100,000-key store instead of 1,000,000; the
#                report says it is a quick run (about 5 minutes)
#   --duration   measured time per cell (default 3s; 1s with --quick)
#   --warmup     unmeasured time before each cell (default 1s; 500ms quick)
#   --out        where to write the report (default docs/benchmarks.md)
#   --results    also write every kv_bench JSON report, one per line
#   --only=expiry-listing
#                run only the expiry and listing section (ListKeys on
#                10,000 and 1,000,000 keys, Set with a ttl against a plain
#                Set, Get on a half-expired store) and replace that section
#                of --out, keeping the rest (about 5 minutes)
#
# Builds kv_bench and kvd with `bazel build -c opt` (optimized; its outputs
# sit beside the default fastbuild ones, so the first run compiles
# everything once more), then runs tools/kv_bench/run_matrix.py, which starts
# a private etcd, Redis and kvd, runs the cells and writes the report. The
# full matrix takes about 15 minutes. Run it on a quiet machine: the report
# records the load average before and after.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${root}"

out="docs/benchmarks.md"
passthrough=()
for arg in "$@"; do
  case "${arg}" in
    --quick | --duration=* | --warmup=* | --results=* | --only=*)
      passthrough+=("${arg}")
      ;;
    --out=*) out="${arg#--out=}" ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "run_benchmarks.sh: unknown argument ${arg} (see --help)" >&2
      exit 2
      ;;
  esac
done

for tool in etcd redis-server redis-benchmark; do
  if ! command -v "${tool}" >/dev/null; then
    echo "run_benchmarks.sh: ${tool} is missing; run tools/setup.sh" >&2
    exit 2
  fi
done

echo "bench: bazel build -c opt //tools/kv_bench //service/kvd:kvd" >&2
# --symlink_prefix=/ leaves the bazel-bin symlink on the default build.
bazel build -c opt --symlink_prefix=/ //tools/kv_bench //service/kvd:kvd
bin="$(bazel info -c opt bazel-bin 2>/dev/null)"

exec /usr/bin/python3 tools/kv_bench/run_matrix.py \
  --kv-bench="${bin}/tools/kv_bench/kv_bench" \
  --kvd="${bin}/service/kvd/kvd" \
  --out="${out}" \
  --command="tools/kv_bench/run_benchmarks.sh${*:+ $*}" \
  ${passthrough[@]+"${passthrough[@]}"}
