#!/usr/bin/env bash
# A CMake project outside the repository, the README's CMakeLists.txt
# (add_subdirectory of the real clients/cpp, linking kvd::client) with its
# app.cc and app_async.cc, built and run against a real kvd.
#   cmake_subdirectory_consumer_test.sh WITH_KVD
set -euo pipefail
source "$TEST_SRCDIR/$TEST_WORKSPACE/clients/cpp/consumer/common.sh"
with_kvd="$(realpath "$1")"

app="$TEST_TMPDIR/app"
mkdir -p "$app"
for file in CMakeLists.txt app.cc app_async.cc; do
  readme_block "$file" > "$app/$file"
done
cd "$app"
start=$(date +%s)
cmake -S . -B build
cmake --build build -j 2
echo "cmake build: $(($(date +%s) - start)) s"

check_output $'hello\nnope is missing' "$with_kvd" build/app
check_output "hello, async" "$with_kvd" build/app_async
