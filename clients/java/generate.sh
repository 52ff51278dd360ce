#!/usr/bin/env bash
# Generates the Java messages and gRPC stubs of proto/kv/v1/kv.proto into
# OUT_DIR, with Debian's protoc (3.21, matching libprotobuf-java 3.21) and
# grpc-java plugin (1.41, matching libgrpc-java 1.41). Nothing generated is
# committed: build.sh and pom.xml both call this script, so regenerating is
# the only way the wire code changes.
#   generate.sh OUT_DIR
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: generate.sh OUT_DIR" >&2; exit 2; }
out="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proto_root="$here/../../proto"
plugin="${GRPC_JAVA_PLUGIN:-/usr/bin/grpc_java_plugin}"
[[ -x "$plugin" ]] || {
  echo "generate.sh: $plugin not found; apt-get install protobuf-compiler-grpc-java-plugin" >&2
  exit 1
}
rm -rf "$out"
mkdir -p "$out"
protoc -I"$proto_root" \
  --java_out="$out" \
  --plugin=protoc-gen-grpc-java="$plugin" \
  --grpc-java_out="$out" \
  "$proto_root/kv/v1/kv.proto"
