#!/usr/bin/env bash
# A new user's path, outside the repository tree: copies the client's Maven
# project into $TEST_TMPDIR, `mvn -o -s debian-settings.xml install`s it into a
# fresh local repository there, builds the application the README shows (its
# pom.xml and App.java blocks, verbatim) with `mvn -o ... package`, runs it
# with `exec:java` against a private kvd, and compares its output with the
# README's block.
#   consumer_test.sh WITH_KVD README POM PROTO
set -euo pipefail
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
with_kvd="$(abs "$1")"
readme="$(abs "$2")"
java_src="$(dirname "$(abs "$3")")"
proto="$(abs "$4")"
work="${TEST_TMPDIR:?consumer_test.sh runs under bazel test}/consumer"
start=$SECONDS
fail() { echo "consumer_test: $*" >&2; exit 1; }

# The client's sources, as a user's checkout has them (generate.sh reads
# ../../proto), copied out of the runfiles: Maven writes target/ beside pom.xml.
rm -rf "$work"
client="$work/kvd/clients/java"
mkdir -p "$client" "$work/kvd/proto/kv/v1"
cp -L "$java_src/pom.xml" "$java_src/debian-settings.xml" "$java_src/generate.sh" "$client/"
cp -RL "$java_src/src" "$client/src"
cp -L "$proto" "$work/kvd/proto/kv/v1/kv.proto"
settings="$client/debian-settings.xml"
# The README's commands, plus a local repository of the test's own (instead
# of ~/.m2/repository) and batch mode.
mvn_flags=(-B -q -Dmaven.repo.local="$work/m2")

(cd "$client" && mvn -o -s debian-settings.xml "${mvn_flags[@]}" install) \
  || fail "mvn install of the client failed"
installed="$work/m2/dev/kvd/kvd-client/0.1.0"
for f in kvd-client-0.1.0.jar kvd-client-0.1.0-sources.jar kvd-client-0.1.0-javadoc.jar \
         kvd-client-0.1.0.pom; do
  [[ -s "$installed/$f" ]] || fail "mvn install did not install $f"
done
# (Listed into files: grep -q would close the pipe under pipefail.)
unzip -l "$installed/kvd-client-0.1.0-javadoc.jar" > "$work/javadoc.list"
grep -q 'dev/kvd/client/Store.html' "$work/javadoc.list" || fail "the javadoc jar has no Store.html"
unzip -l "$installed/kvd-client-0.1.0-sources.jar" > "$work/sources.list"
grep -q 'dev/kvd/client/Store.java' "$work/sources.list" || fail "the sources jar has no Store.java"
# The installed POM is what users elsewhere get: real versions, and "debian"
# only inside the opt-in -Pdebian profile.
pom="$installed/kvd-client-0.1.0.pom"
grep -q '<grpc.version>1\.41\.3</grpc.version>' "$pom" || fail "installed POM lacks grpc 1.41.3"
if sed '/<profiles>/,/<\/profiles>/d' "$pom" | grep -n '>debian<'; then
  fail "installed POM names version \"debian\" outside the debian profile"
fi
echo "consumer_test: client installed ($((SECONDS - start)) s)"

# The application: the README's blocks after the <!-- consumer: NAME --> markers.
block() { # NAME FENCE
  awk -v marker="<!-- consumer: $1 -->" -v fence='```'"$2" '
    $0 == marker { found = 1; next }
    found && !on && $0 == fence { on = 1; next }
    on && $0 == "```" { exit }
    on' "$readme"
}
app="$work/app"
mkdir -p "$app/src/main/java/example"
block pom.xml xml > "$app/pom.xml"
block App.java java > "$app/src/main/java/example/App.java"
block output text > "$work/expected"
for f in "$app/pom.xml" "$app/src/main/java/example/App.java" "$work/expected"; do
  [[ -s "$f" ]] || fail "README has no block for $(basename "$f")"
done
(cd "$app" && mvn -o -s "$settings" "${mvn_flags[@]}" package) || fail "mvn package of the app failed"
[[ -s "$app/target/kvd-app-1.0.jar" ]] || fail "mvn package made no target/kvd-app-1.0.jar"
echo "consumer_test: application built ($((SECONDS - start)) s)"

(cd "$app" && "$with_kvd" mvn -o -s "$settings" "${mvn_flags[@]}" exec:java) > "$work/raw" \
  || { cat "$work/raw" >&2; fail "the application failed"; }
# Maven 3.8 writes ANSI resets (ESC[0m) around its own output even in batch
# mode with colour off; they are Maven's, not the application's.
sed $'s/\e\\[[0-9;]*m//g' "$work/raw" > "$work/actual"
diff -u "$work/expected" "$work/actual" || fail "the application's output differs from the README's"
echo "consumer_test: done in $((SECONDS - start)) s"
