#!/usr/bin/env bash
# Runs the C++ async scenario over TCP and over a unix socket, each against a
# private kvd.
set -euo pipefail
with_kvd="$1"
scenario="$2"
"$with_kvd" "$scenario"
"$with_kvd" --unix "$scenario"
