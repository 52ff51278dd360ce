#!/usr/bin/env bash
# Regenerates the Go stubs of proto/kv/v1/kv.proto: kv/v1/kv.pb.go (messages,
# protoc-gen-go) and kv/v1/kv_grpc.pb.go (client and server, protoc-gen-go-grpc),
# with Debian's protoc and plugins. This is the only way the wire code changes;
# //clients/go:generated_test fails when the committed files are stale.
#   clients/go/generate.sh                      # writes into clients/go/kv/v1/
#   clients/go/generate.sh PROTO_ROOT OUT_DIR   # writes OUT_DIR/kv/v1/*.pb.go
# The file locations follow the proto's go_package
# (github.com/kvd-project/kvd/clients/go/kv/v1), taken relative to this
# module's path (go.mod), so OUT_DIR is the module root.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proto_root="${1:-$here/../../proto}"
out="${2:-$here}"
module=github.com/kvd-project/kvd/clients/go

for tool in protoc protoc-gen-go protoc-gen-go-grpc; do
  command -v "$tool" >/dev/null || {
    echo "generate.sh: $tool not found (apt-get install protobuf-compiler protoc-gen-go protoc-gen-go-grpc)" >&2
    exit 2
  }
done

mkdir -p "$out"
protoc --proto_path="$proto_root" \
  --go_out="$out" --go_opt=module="$module" \
  --go-grpc_out="$out" --go-grpc_opt=module="$module" \
  kv/v1/kv.proto
