#!/bin/sh
# Generates the TypeScript messages and the @grpc/grpc-js client for kv.v1 from
# proto/kv/v1/kv.proto into src/gen/, with Debian's protoc and the ts-proto
# plugin pinned in package-lock.json. Run by `npm run build`; the output is
# not committed.
#   KVD_PROTO_DIR     the folder holding kv/v1/kv.proto (default: ../../proto)
#   PROTOBUF_INCLUDE  the folder holding google/protobuf/duration.proto and
#                     timestamp.proto, which kv.proto imports (default
#                     /usr/include, from Debian's libprotobuf-dev: offline).
#                     ts-proto generates their TypeScript into
#                     src/gen/google/protobuf/, so the runtime needs nothing
#                     more than @bufbuild/protobuf.
# importSuffix=.js: the generated kv.ts imports those files with the .js
# suffix that ES modules under "moduleResolution": "node16" require.
set -eu
here="$(cd "$(dirname "$0")/.." && pwd)"
proto_dir="${KVD_PROTO_DIR:-$here/../../proto}"
plugin="$here/node_modules/.bin/protoc-gen-ts_proto"
if [ ! -x "$plugin" ]; then
  echo "generate.sh: $plugin is missing; run tools/setup.sh (npm ci in clients/node)" >&2
  exit 1
fi
command -v protoc >/dev/null 2>&1 || {
  echo "generate.sh: protoc not found; run tools/setup.sh (Debian protobuf-compiler)" >&2
  exit 1
}
wkt_include="${PROTOBUF_INCLUDE:-/usr/include}"
for wkt in duration timestamp; do
  if [ ! -f "$wkt_include/google/protobuf/$wkt.proto" ]; then
    echo "generate.sh: $wkt_include/google/protobuf/$wkt.proto is missing;" \
         "install libprotobuf-dev (tools/setup.sh) or set PROTOBUF_INCLUDE" >&2
    exit 1
  fi
done
rm -rf "$here/src/gen"
mkdir -p "$here/src/gen"
protoc -I "$proto_dir" -I "$wkt_include" \
  --plugin=protoc-gen-ts_proto="$plugin" \
  --ts_proto_out="$here/src/gen" \
  --ts_proto_opt=outputServices=generic-definitions,env=node,esModuleInterop=true,forceLong=bigint,importSuffix=.js \
  kv/v1/kv.proto
