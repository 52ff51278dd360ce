#!/usr/bin/env bash
# Fails, naming the file, when the committed Go stubs (clients/go/kv/v1/) are
# not exactly what clients/go/generate.sh makes from proto/kv/v1/kv.proto now.
#   generated_test.sh GENERATE_SH PROTO_FILE COMMITTED_FILE...
# Fix a finding with: clients/go/generate.sh  (then commit clients/go/kv/v1/).
set -euo pipefail
generate="$1"
proto="$2"
shift 2
proto_root="$(cd "$(dirname "$proto")/../.." && pwd)"   # proto/kv/v1/kv.proto -> proto
out="${TEST_TMPDIR:-$(mktemp -d)}/generated"
rm -rf "$out"
"$generate" "$proto_root" "$out"

fix="regenerate with clients/go/generate.sh and commit clients/go/kv/v1/"
status=0
declare -A committed=()
for f in "$@"; do
  rel="kv/v1/$(basename "$f")"
  committed[$rel]=1
  if [[ ! -f "$out/$rel" ]]; then
    echo "STALE: clients/go/$rel is committed but generate.sh no longer makes it; delete it" >&2
    status=1
  elif ! cmp -s "$f" "$out/$rel"; then
    echo "STALE: clients/go/$rel differs from what generate.sh makes from proto/kv/v1/kv.proto; $fix" >&2
    diff -u "$f" "$out/$rel" | head -n 40 >&2 || true
    status=1
  fi
done
while IFS= read -r g; do
  rel="${g#"$out"/}"
  if [[ -z "${committed[$rel]:-}" ]]; then
    echo "STALE: generate.sh makes clients/go/$rel, which is not committed; $fix" >&2
    status=1
  fi
done < <(find "$out" -type f -name '*.go' | sort)
[[ $status -eq 0 ]] && echo "clients/go/kv/v1: ${#committed[@]} files up to date with proto/kv/v1/kv.proto"
exit "$status"
