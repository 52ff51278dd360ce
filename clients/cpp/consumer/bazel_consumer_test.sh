#!/usr/bin/env bash
# A second Bazel workspace, outside the repository, made of the README's
# WORKSPACE, .bazelrc and BUILD.bazel blocks and its app.cc and app_async.cc,
# depends on @kvd//clients/cpp:store through local_repository to the real
# kvd tree; it is built with a nested bazel and run against a real kvd.
#   bazel_consumer_test.sh WITH_KVD
set -euo pipefail
source "$TEST_SRCDIR/$TEST_WORKSPACE/clients/cpp/consumer/common.sh"
with_kvd="$(realpath "$1")"

app="$TEST_TMPDIR/app"
mkdir -p "$app"
for file in WORKSPACE .bazelrc BUILD.bazel app.cc app_async.cc; do
  readme_block "$file" > "$app/$file"
done

# A Bazel of its own (server, output base) under $TEST_TMPDIR. The user's
# ~/.bazelrc (here: the shared disk cache) applies, as it would to a user;
# the test environment's HOME is $TEST_TMPDIR, so it is named explicitly.
real_home="$(getent passwd "$(id -u)" | cut -d: -f6)"
startup=(--output_user_root="$TEST_TMPDIR/bazel-root" --max_idle_secs=60)
if [[ -f "$real_home/.bazelrc" ]]; then
  startup+=(--bazelrc="$real_home/.bazelrc")
fi
cd "$app"
trap 'bazel "${startup[@]}" shutdown >/dev/null 2>&1 || true' EXIT
start=$(date +%s)
bazel "${startup[@]}" build //:app //:app_async
echo "nested bazel build: $(($(date +%s) - start)) s"

check_output $'hello\nnope is missing' "$with_kvd" bazel-bin/app
check_output "hello, async" "$with_kvd" bazel-bin/app_async
