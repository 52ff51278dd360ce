#!/usr/bin/env bash
# Builds the Java client with javac against Debian's jars (/usr/share/java),
# no Maven and no network:
#   build.sh OUT_DIR
# OUT_DIR/gen/             the stubs generate.sh made from proto/kv/v1/kv.proto
# OUT_DIR/kvd-client.jar   dev.kvd.kv.v1 (generated) + dev.kvd.client
# OUT_DIR/test-classes/    ScenarioTest, dev.kvd.client.UpdaterTest
# OUT_DIR/classpath        the runtime class path: kvd-client.jar and its jars
# Needs: default-jdk-headless protobuf-compiler protobuf-compiler-grpc-java-plugin
#   libgrpc-java libprotobuf-java libnetty-java libperfmark-java libguava-java
#   libgoogle-gson-java libgeronimo-annotation-1.3-spec-java (tools/setup.sh).
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: build.sh OUT_DIR" >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
java_dir=/usr/share/java

# The runtime jars, by their unversioned Debian names (symlinks to the
# packaged versions: grpc 1.41.3, protobuf 3.21.12, netty 4.1.48).
runtime_jars=(
  grpc-api grpc-context grpc-core grpc-netty grpc-protobuf grpc-protobuf-lite grpc-stub
  protobuf guava perfmark-api gson
  netty-buffer netty-codec netty-codec-http netty-codec-http2 netty-codec-socks
  netty-common netty-handler netty-handler-proxy netty-resolver netty-transport
)
# Compile only: javax.annotation.Generated (gone from the JDK since 11) on the
# generated stubs; the annotations gRPC's API carries.
compile_jars=(geronimo-annotation-1.3-spec jsr305 error_prone_annotations)

jar_path() {
  local path="" j
  for j in "$@"; do
    [[ -f "$java_dir/$j.jar" ]] || { echo "build.sh: missing $java_dir/$j.jar (see tools/setup.sh)" >&2; exit 1; }
    path+="${path:+:}$java_dir/$j.jar"
  done
  echo "$path"
}
runtime_cp="$(jar_path "${runtime_jars[@]}")"
compile_cp="$runtime_cp:$(jar_path "${compile_jars[@]}")"

# protoc's Java output must match the protobuf-java runtime (same 3.x minor).
protoc_version="$(protoc --version | awk '{print $2}')"
jar_version="$(basename "$(readlink -f "$java_dir/protobuf.jar")" .jar)"
jar_version="${jar_version#protobuf-}"
if [[ "${protoc_version%.*}" != "${jar_version%.*}" ]]; then
  echo "build.sh: protoc $protoc_version does not match protobuf-java $jar_version" >&2
  exit 1
fi

"$here/generate.sh" "$out/gen"

rm -rf "$out/classes" "$out/test-classes"
mkdir -p "$out/classes" "$out/test-classes"
# One javac run (2 cores: each JVM start counts); the test classes (those of
# src/test/java, nested classes included) are moved out of the library
# afterwards.
find "$out/gen" "$here/src/main/java" "$here/src/test/java" -name '*.java' > "$out/sources"
javac --release 17 -encoding UTF-8 -nowarn -Xlint:-options \
  -cp "$compile_cp" -d "$out/classes" @"$out/sources"
shopt -s nullglob
while IFS= read -r test_source; do
  rel="${test_source#"$here/src/test/java/"}"   # e.g. dev/kvd/client/UpdaterTest.java
  rel="${rel%.java}"
  classes=("$out/classes/$rel.class" "$out/classes/$rel"\$*.class)
  mkdir -p "$out/test-classes/$(dirname "$rel")"
  mv "${classes[@]}" "$out/test-classes/$(dirname "$rel")/"
done < <(find "$here/src/test/java" -name '*.java')
shopt -u nullglob
rm -f "$out/kvd-client.jar"
jar --create --file "$out/kvd-client.jar" -C "$out/classes" .
echo "$out/kvd-client.jar:$runtime_cp" > "$out/classpath"
echo "build.sh: built $out/kvd-client.jar (protoc $protoc_version, protobuf-java $jar_version)" >&2
