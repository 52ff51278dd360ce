#!/usr/bin/env bash
# Installs everything kvd needs to build and test, from Debian's packages and
# the npm registry (the only two sources a machine here reaches):
#   - the Debian packages below (only those missing; `apt-get update` runs once,
#     and only if something is missing);
#   - the npm tools pinned in tools/npm/package-lock.json (buf), with `npm ci`,
#     only when tools/npm/node_modules does not match the lock file; the same
#     for the Node client's packages in clients/node/package-lock.json and
#     the deploy checks' in tests/deploy/package-lock.json.
# Idempotent; takes about a second when everything is present. Runs from any
# directory. Prints one line per step.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
npm_dir="$root/tools/npm"

step() { echo "setup: $*"; }

# Debian packages. Build: Bazel and the C++ toolchain and libraries. Test:
# GoogleTest/GoogleMock, sqlite3 (CLI, for inspecting test stores),
# clang-format (//tests/format), nodejs/npm (buf, //tests/buf).
packages=(
  bazel-bootstrap
  g++
  pkg-config
  libgrpc++-dev
  protobuf-compiler
  protobuf-compiler-grpc
  grpc-proto
  libabsl-dev
  libsqlite3-dev
  sqlite3
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libtomlplusplus-dev
  libspdlog-dev
  libfmt-dev
  libcli11-dev
  nlohmann-json3-dev
  # kvd's Prometheus metrics endpoint (prometheus-cpp's core and HTTP pull).
  prometheus-cpp-dev
  clang-format
  git
  # Fuzzing (tests/fuzz, --config=fuzz): clang and its libFuzzer, ASan and
  # UBSan runtimes.
  clang
  libclang-rt-14-dev
  lld
  # Bearer token hashing (OpenSSL libcrypto) and the test certificates of
  # //tests:kvd_auth_test (the openssl CLI).
  libssl-dev
  openssl
  # The Redis driver (hiredis) and its tests (a private redis-server).
  libhiredis-dev
  redis-server
  # kv_bench's etcd baseline and its smoke test (a private etcd 3.4), and
  # redis-benchmark (redis-tools) for the non-gRPC reference in
  # docs/benchmarks.md.
  etcd-server
  redis-tools
  # The Go client (clients/go): Go 1.19, grpc-go 1.33, protobuf-go, and the
  # protoc plugins of generate.sh. grpc-go needs golang/protobuf 1.5 (the shim
  # over protobuf-go), not 1.3, for messages made by protoc-gen-go 1.28.
  golang-go
  golang-google-grpc-dev
  golang-google-protobuf-dev
  golang-github-golang-protobuf-1-5-dev
  protoc-gen-go
  protoc-gen-go-grpc
  # The Python client (clients/python): Debian's grpcio and protobuf for
  # /usr/bin/python3 (stubs come from protoc and grpc_python_plugin, above).
  python3-grpcio
  python3-protobuf
  # The Python client's packaging (clients/python/README.md, "Install") and
  # //clients/python:consumer_test: venvs (with pip), setuptools and wheel
  # for `pip install --no-build-isolation`, and `python3 -m build`.
  python3-venv
  python3-setuptools
  python3-wheel
  python3-build
  # The PostgreSQL driver (libpq) and its tests (a private PostgreSQL 15).
  libpq-dev
  postgresql
  # The Java client (clients/java): JDK, protoc's grpc-java plugin, and the
  # jars build.sh compiles against (/usr/share/java).
  default-jdk-headless
  protobuf-compiler-grpc-java-plugin
  libgrpc-java
  libprotobuf-java
  libnetty-java
  libperfmark-java
  libguava-java
  libgoogle-gson-java
  libgeronimo-annotation-1.3-spec-java
  libjsr305-java
  liberror-prone-java
  # The Java client's Maven build (clients/java/pom.xml, offline with
  # clients/java/debian-settings.xml against /usr/share/maven-repo): Maven and
  # every plugin its lifecycle runs, up to install (plus clean), with the
  # sources and javadoc jars.
  maven
  libmaven-clean-plugin-java
  libexec-maven-plugin-java
  libbuild-helper-maven-plugin-java
  libmaven-resources-plugin-java
  libmaven-compiler-plugin-java
  libsurefire-java
  libmaven-jar-plugin-java
  libmaven-source-plugin-java
  libmaven-javadoc-plugin-java
  libmaven-install-plugin-java
  # The C++ client's CMake build (clients/cpp/CMakeLists.txt) and its
  # consumer tests (add_subdirectory, cmake --install + pkg-config).
  cmake
)

installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
# Node.js and npm: any install that provides both commands will do (some
# machines have NodeSource's nodejs, which bundles npm and conflicts with
# Debian's npm package); otherwise Debian's nodejs and npm.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  step "Debian packages: all ${#packages[@]} present (+ node $(node --version), npm $(npm --version 2>/dev/null))"
else
  if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
  else
    sudo=()
  fi
  step "Debian packages missing: ${missing[*]}"
  step "apt-get update"
  "${sudo[@]}" apt-get update -qq
  step "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  step "Debian packages installed"
fi

# npm_ci_if_stale DIR LABEL MARKER: installs DIR's npm packages exactly as
# its lock file pins them (`npm ci`), unless node_modules was installed from
# this same lock file (a stamp records the lock file's hash) and MARKER, a
# path under DIR, exists.
npm_ci_if_stale() {
  local dir="$1" label="$2" marker="$3"
  local rel="${dir#"$root"/}"
  local stamp="$dir/node_modules/.kvd-setup-lock.sha256"
  local want have
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  have="$(cat "$stamp" 2>/dev/null || true)"
  if [[ "$have" == "$want" && -e "$dir/$marker" ]]; then
    step "$label: up to date with $rel/package-lock.json"
  else
    step "npm ci in $rel (lock file changed or node_modules missing)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
    step "$label: installed"
  fi
}

# npm tools (tools/npm: buf).
npm_ci_if_stale "$npm_dir" "npm tools" node_modules/.bin/buf
step "npm tools: buf $("$npm_dir/node_modules/.bin/buf" --version)"
# The Node client's packages (clients/node: @grpc/grpc-js, ts-proto,
# typescript).
npm_ci_if_stale "$root/clients/node" "node client" node_modules/.bin/tsc
# The npm packages of the deploy/ checks (tests/deploy: kubernetes-models,
# yaml, smol-toml, dockerfile-ast, dockerfile-utils).
npm_ci_if_stale "$root/tests/deploy" "deploy checks" \
  node_modules/kubernetes-models

step "done"
