#!/usr/bin/env bash
# The README's install.sh block, run outside the repository: build and
# `cmake --install` the real clients/cpp into a prefix under $HOME (here
# $TEST_TMPDIR/home), then compile app.cc with `pkg-config --cflags --libs
# kvd-client`. Then the README's find_package project against the same
# prefix. Both apps run against a real kvd.
#   cmake_install_consumer_test.sh WITH_KVD
set -euo pipefail
source "$TEST_SRCDIR/$TEST_WORKSPACE/clients/cpp/consumer/common.sh"
with_kvd="$(realpath "$1")"

export HOME="$TEST_TMPDIR/home"
work="$TEST_TMPDIR/work"
mkdir -p "$HOME" "$work/find_package"
readme_block app.cc > "$work/app.cc"
readme_block install.sh > "$work/install.sh"
readme_block find_package/CMakeLists.txt > "$work/find_package/CMakeLists.txt"
cp "$work/app.cc" "$work/find_package/app.cc"

cd "$work"
start=$(date +%s)
bash -euo pipefail install.sh
echo "install + pkg-config build: $(($(date +%s) - start)) s"
for installed in lib/libkvd-client.a lib/pkgconfig/kvd-client.pc \
    include/clients/cpp/store.h include/kv/v1/kv.grpc.pb.h \
    lib/cmake/kvd-client/kvd-client-config.cmake; do
  [[ -f "$HOME/.local/$installed" ]] || { echo "FAIL: not installed: $installed" >&2; exit 1; }
done
check_output $'hello\nnope is missing' "$with_kvd" ./app

cmake -S find_package -B find_package/build -DCMAKE_PREFIX_PATH="$HOME/.local"
cmake --build find_package/build
check_output $'hello\nnope is missing' "$with_kvd" find_package/build/app
