#!/usr/bin/env bash
# Generates the Python stubs of proto/kv/v1/kv.proto into
# clients/python/kvd_client/kv/v1/ with Debian's protoc and grpc_python_plugin.
#   generate.sh           rewrite kvd_client/kv/v1/kv_pb2.py and kv_pb2_grpc.py
#   generate.sh --check   regenerate into a temporary folder; exit 1 if the
#                         committed files differ (//clients/python:stubs_test)
# This is the only way the wire code changes: never edit the generated files.
#
# protoc's virtual path mapping (-Ikvd_client=proto) makes the proto's path
# kvd_client/kv/v1/kv.proto, so the generated kv_pb2_grpc.py imports
# `from kvd_client.kv.v1 import kv_pb2`, which resolves inside this package.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proto_root="${KVD_PROTO_ROOT:-$here/../../proto}"
protoc="${PROTOC:-protoc}"
plugin="${GRPC_PYTHON_PLUGIN:-/usr/bin/grpc_python_plugin}"

check=false
case "${1:-}" in
  --check) check=true ;;
  "") ;;
  *) echo "usage: generate.sh [--check]" >&2; exit 2 ;;
esac

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$protoc" -Ikvd_client="$proto_root" \
  --python_out="$out" --grpc_out="$out" --plugin=protoc-gen-grpc="$plugin" \
  kvd_client/kv/v1/kv.proto

status=0
for f in kv_pb2.py kv_pb2_grpc.py; do
  generated="$out/kvd_client/kv/v1/$f"
  committed="$here/kvd_client/kv/v1/$f"
  if $check; then
    if ! diff -u "$committed" "$generated" >&2; then
      echo "generate.sh: clients/python/kvd_client/kv/v1/$f is stale;" \
           "run clients/python/generate.sh and commit the result" >&2
      status=1
    fi
  else
    cp "$generated" "$committed"
  fi
done
$check && [[ $status -eq 0 ]] && echo "generate.sh: stubs are up to date with kv.proto"
exit "$status"
