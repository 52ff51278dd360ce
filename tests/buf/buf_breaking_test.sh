#!/usr/bin/env bash
# Runs `buf breaking` on the kvd API against the last published API
# (tests/buf/baseline/, a copy of proto/ as released) with the FILE rules of
# proto/buf.yaml, and fails on any finding: the API only grows, so an
# existing field, RPC or enum value never changes meaning or disappears.
# To publish a release, copy proto/kv/ over tests/buf/baseline/kv/.
# Usage (from Bazel): buf_breaking_test.sh BUF PROTO_BUF_YAML BASELINE_PROTO
set -euo pipefail

buf="$1"
module_dir="$(dirname "$2")"                        # proto/
baseline_dir="$(dirname "$(dirname "$(dirname "$3")")")"  # tests/buf/baseline/

tmp="${TEST_TMPDIR:-$(mktemp -d)}"
export HOME="$tmp" BUF_CACHE_DIR="$tmp/buf-cache"

echo "buf $("$buf" --version): ${module_dir} against ${baseline_dir}"
out="$tmp/breaking.out"
rc=0
"$buf" breaking "$module_dir" --against "$baseline_dir" --error-format=text \
  >"$out" 2>&1 || rc=$?
cat "$out"
if [[ $rc -ne 0 ]] || grep -q '\.proto:' "$out"; then
  echo "FAIL: buf breaking found changes that break the published API (exit $rc)" >&2
  exit 1
fi
# The check must have compared real files: an empty baseline passes too.
"$buf" ls-files "$baseline_dir" | tee "$tmp/files"
grep -q 'kv/v1/kv.proto$' "$tmp/files" || { echo "FAIL: no baseline kv/v1/kv.proto" >&2; exit 1; }

# And it must be able to fail: a copy of the API with a field renumbered is
# refused.
mutant="$tmp/mutant"
mkdir -p "$mutant/kv/v1"
cp "$module_dir/buf.yaml" "$mutant/"
sed 's/^  bytes value = 1;$/  bytes value = 9;/' "$module_dir/kv/v1/kv.proto" >"$mutant/kv/v1/kv.proto"
cmp -s "$mutant/kv/v1/kv.proto" "$module_dir/kv/v1/kv.proto" && { echo "FAIL: mutation did not apply" >&2; exit 1; }
if "$buf" breaking "$mutant" --against "$baseline_dir" --error-format=text >/dev/null 2>&1; then
  echo "FAIL: buf breaking accepted a renumbered field" >&2
  exit 1
fi
echo "PASS: no breaking change against the baseline"
