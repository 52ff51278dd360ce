#!/usr/bin/env bash
# Runs `buf lint` on the kvd protos with proto/buf.yaml (buf's DEFAULT rules)
# and fails on any finding.
# Usage (from Bazel): buf_lint_test.sh BUF PROTO_BUF_YAML
set -euo pipefail

buf="$1"
module_dir="$(dirname "$2")"  # proto/: the buf module root

# buf keeps a cache under $HOME; keep it inside the test's own folder.
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
export HOME="$tmp" BUF_CACHE_DIR="$tmp/buf-cache"

echo "buf $("$buf" --version), module ${module_dir}"
out="$tmp/lint.out"
rc=0
"$buf" lint "$module_dir" --error-format=text >"$out" 2>&1 || rc=$?
cat "$out"
if [[ $rc -ne 0 ]]; then
  echo "FAIL: buf lint exited $rc (100 means findings; fix them in the .proto files)" >&2
  exit 1
fi
if grep -q '\.proto:' "$out"; then
  echo "FAIL: buf lint printed findings" >&2
  exit 1
fi
# Make sure buf really looked at the API: a lint of an empty folder also passes.
"$buf" ls-files "$module_dir" | tee "$tmp/files"
grep -q 'kv/v1/kv.proto$' "$tmp/files" || { echo "FAIL: buf did not see kv/v1/kv.proto" >&2; exit 1; }
echo "PASS: buf lint clean"
