#!/usr/bin/env bash
# Builds the Java client into $TEST_TMPDIR with build.sh, runs the unit tests
# of update()'s retry loop (UpdaterTest, no server) and of listing and ttls
# (ListAndTtlTest, against a fake server on 127.0.0.1), then, each against a
# private kvd: the scenario (blocking, then CompletableFuture) over TCP and
# over a unix socket, the README
# examples exactly as the README prints them (and their output), and RoundTrip.
#   scenario_test.sh WITH_KVD BUILD_SH README
set -euo pipefail
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
with_kvd="$(abs "$1")"
build_sh="$(abs "$2")"
readme="$(abs "$3")"
out="${TEST_TMPDIR:-$(mktemp -d)}/java"

start=$SECONDS
"$build_sh" "$out"
echo "scenario_test: build took $((SECONDS - start)) s"
cp="$(cat "$out/classpath")"

java -cp "$cp:$out/test-classes" dev.kvd.client.UpdaterTest
java -cp "$cp:$out/test-classes" dev.kvd.client.ListAndTtlTest

for mode in sync async; do
  "$with_kvd" java -cp "$cp:$out/test-classes" ScenarioTest "$mode"
  "$with_kvd" --unix java -cp "$cp:$out/test-classes" ScenarioTest "$mode"
done

# The README example: the ```java block saved as Example.java, run with the
# single-file launcher as the README says; its output must be the ```text block
# that follows.
example_dir="$out/readme"
mkdir -p "$example_dir"
awk '/^```java$/{on=1; next} on && /^```$/{exit} on' "$readme" > "$example_dir/Example.java"
awk '/^```java$/{seen=1} seen && /^```text$/{on=1; next} on && /^```$/{exit} on' "$readme" \
  > "$example_dir/expected"
[[ -s "$example_dir/Example.java" && -s "$example_dir/expected" ]] \
  || { echo "scenario_test: README has no \`\`\`java example and \`\`\`text output" >&2; exit 1; }
(cd "$example_dir" && "$with_kvd" java -cp "$cp" Example.java) > "$example_dir/actual"
diff -u "$example_dir/expected" "$example_dir/actual" \
  || { echo "scenario_test: README example output differs" >&2; exit 1; }
echo "scenario_test: README example ok"

# The README's second runnable example: the ```java block after
# <!-- example: Counters.java -->, whose output is the ```text block after
# <!-- example: Counters output -->.
marked() { # MARKER FENCE
  awk -v marker="<!-- example: $1 -->" -v fence='```'"$2" '
    $0 == marker { found = 1; next }
    found && !on && $0 == fence { on = 1; next }
    on && $0 == "```" { exit }
    on' "$readme"
}
marked Counters.java java > "$example_dir/Counters.java"
marked "Counters output" text > "$example_dir/counters.expected"
[[ -s "$example_dir/Counters.java" && -s "$example_dir/counters.expected" ]] \
  || { echo "scenario_test: README has no Counters.java example and output" >&2; exit 1; }
(cd "$example_dir" && "$with_kvd" java -cp "$cp" Counters.java) > "$example_dir/counters.actual"
diff -u "$example_dir/counters.expected" "$example_dir/counters.actual" \
  || { echo "scenario_test: README Counters.java output differs" >&2; exit 1; }
echo "scenario_test: README Counters.java ok"

# The third: Listing.java (expiry and paged listing), the same way.
marked Listing.java java > "$example_dir/Listing.java"
marked "Listing output" text > "$example_dir/listing.expected"
[[ -s "$example_dir/Listing.java" && -s "$example_dir/listing.expected" ]] \
  || { echo "scenario_test: README has no Listing.java example and output" >&2; exit 1; }
(cd "$example_dir" && "$with_kvd" java -cp "$cp" Listing.java) > "$example_dir/listing.actual"
diff -u "$example_dir/listing.expected" "$example_dir/listing.actual" \
  || { echo "scenario_test: README Listing.java output differs" >&2; exit 1; }
echo "scenario_test: README Listing.java ok"

# RoundTrip: set, get (matching and not), exists, delete, exists false (1),
# and an unreachable kvd (3, never confused with "false").
rt=(java -cp "$cp" dev.kvd.client.RoundTrip)
"$with_kvd" bash -c '
  set -u
  rt=("$@")
  fail() { echo "scenario_test: RoundTrip: $*" >&2; exit 1; }
  "${rt[@]}" set roundtrip/key 00ff10 || fail "set"
  [[ "$("${rt[@]}" get roundtrip/key 00ff10)" == 00ff10 ]] || fail "get"
  "${rt[@]}" get roundtrip/key 00ff11 >/dev/null 2>&1; [[ $? == 1 ]] || fail "get mismatch is not 1"
  [[ "$("${rt[@]}" exists roundtrip/key)" == true ]] || fail "exists true"
  "${rt[@]}" delete roundtrip/key || fail "delete"
  "${rt[@]}" exists roundtrip/key >/dev/null; [[ $? == 1 ]] || fail "exists false is not 1"
  "${rt[@]}" get roundtrip/key >/dev/null 2>&1; [[ $? == 1 ]] || fail "get missing is not 1"
  KVD_ADDR=127.0.0.1:1 "${rt[@]}" exists roundtrip/key >/dev/null 2>&1; [[ $? == 3 ]] || fail "unreachable is not 3"
  "${rt[@]}" frob k >/dev/null 2>&1; [[ $? == 2 ]] || fail "bad usage is not 2"
  [[ "$("${rt[@]}" incr roundtrip/counter)" == 1 ]] || fail "incr"
  [[ "$("${rt[@]}" incr roundtrip/counter 41)" == 42 ]] || fail "incr 41"
  [[ "$("${rt[@]}" incr roundtrip/counter -50)" == -8 ]] || fail "incr -50"
  "${rt[@]}" incr roundtrip/counter x >/dev/null 2>&1; [[ $? == 2 ]] || fail "incr x is not 2"
  "${rt[@]}" set roundtrip/text 61 || fail "set text"
  "${rt[@]}" incr roundtrip/text >/dev/null 2>&1; [[ $? == 3 ]] || fail "incr of text is not 3"
' roundtrip "${rt[@]}"
echo "scenario_test: RoundTrip ok"
echo "scenario_test: done in $((SECONDS - start)) s"
