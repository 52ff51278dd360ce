#!/usr/bin/env bash
# The README's app.cc, app_async.cc and app_revisions.cc blocks are
# example.cc, example_async.cc and example_revisions.cc (without their
# leading comment), so the examples that //clients/cpp:example* build are the
# ones the README shows.
set -euo pipefail
source "$TEST_SRCDIR/$TEST_WORKSPACE/clients/cpp/consumer/common.sh"
status=0
for pair in app.cc:example.cc app_async.cc:example_async.cc \
  app_revisions.cc:example_revisions.cc; do
  block_name="${pair%%:*}" source_name="${pair#*:}"
  source_text="$(sed '1,/^[^/]/{/^\/\//d}' "$KVD_ROOT/clients/cpp/$source_name")"
  block_text="$(readme_block "$block_name")"
  [[ -n "$source_text" ]] || { echo "FAIL: $source_name is empty" >&2; exit 1; }
  if [[ "$source_text" != "$block_text" ]]; then
    echo "FAIL: README block $block_name differs from $source_name:" >&2
    diff -u <(printf '%s\n' "$source_text") <(printf '%s\n' "$block_text") >&2 || true
    status=1
  fi
done
exit "$status"
