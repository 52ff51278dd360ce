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
#
# kv.proto imports google/protobuf/duration.proto and timestamp.proto. protoc
# reads them from $PROTOBUF_INCLUDE (default /usr/include, where Debian's
# libprotobuf-dev puts them: offline, nothing is fetched); the generated code
# imports their modules from the protobuf runtime (google.protobuf.duration_pb2
# and timestamp_pb2 ship with python3-protobuf and with the protobuf wheel).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proto_root="${KVD_PROTO_ROOT:-$here/../../proto}"
protoc="${PROTOC:-protoc}"
plugin="${GRPC_PYTHON_PLUGIN:-/usr/bin/grpc_python_plugin}"
wkt_include="${PROTOBUF_INCLUDE:-/usr/include}"
for wkt in duration timestamp; do
  if [[ ! -f "$wkt_include/google/protobuf/$wkt.proto" ]]; then
    echo "generate.sh: $wkt_include/google/protobuf/$wkt.proto is missing;" \
         "install libprotobuf-dev (tools/setup.sh) or set PROTOBUF_INCLUDE" >&2
    exit 1
  fi
done

check=false
case "${1:-}" in
  --check) check=true ;;
  "") ;;
  *) echo "usage: generate.sh [--check]" >&2; exit 2 ;;
esac

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$protoc" -Ikvd_client="$proto_root" -I"$wkt_include" \
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
