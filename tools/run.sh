#!/usr/bin/env bash
# Builds and starts the kvd server from the repository root (so its data goes
# to ./.kvd unless --data-dir or a config says otherwise):
#   tools/run.sh [--listen=ADDR] [--config=FILE] [--data-dir=DIR] [--log-level=LEVEL]
# It installs only what building and running kvd needs (tools/setup.sh
# --build); tools/test.sh installs the rest. Setup and build messages go to
# stderr; stdout is kvd's own, whose first line is "kvd listening on HOST:PORT".
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/setup.sh" --build >&2
cd "$root"
bazel build //service/kvd:kvd >&2
exec bazel-bin/service/kvd/kvd "$@"
