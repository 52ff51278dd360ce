#!/usr/bin/env bash
# Installs what kvd needs, from Debian's packages and the npm registry (the
# only two sources a machine here reaches). Two modes:
#   tools/setup.sh           everything to build and test kvd (tools/test.sh,
#                            CI): the Debian packages of `build_packages` and
#                            of `packages`, Node.js/npm, and the npm trees:
#                            tools/npm (buf), clients/node and tests/deploy,
#                            each with `npm ci`, only when its node_modules does
#                            not match its lock file;
#   tools/setup.sh --build   only what building and running //service/kvd:kvd
#                            needs (tools/run.sh, deploy/Dockerfile's build
#                            stage): the Debian packages of `build_packages`;
#                            no test toolchain, no Node.js, no npm.
# Only missing packages are installed (`apt-get update` runs once, and only if
# something is missing). Idempotent; takes about a second when everything is
# present. Runs from any directory. Prints one line per step.
set -euo pipefail

mode=full
case "${1:-}" in
  "") ;;
  --build) mode=build ;;
  *)
    echo "setup: unknown argument '$1' (usage: tools/setup.sh [--build])" >&2
    exit 2
    ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
npm_dir="$root/tools/npm"

step() { echo "setup: $*"; }

# What building and running //service/kvd:kvd needs: Bazel (its Debian package
# brings the JDK it runs on), the C++ toolchain, protoc and gRPC's C++ plugin,
# grpc-proto (health.proto), and the -dev packages of every library kvd links
# (see @system in WORKSPACE). deploy/Dockerfile's build stage installs exactly
# this list on a bare Debian 12 image, which proves it complete.
build_packages=(
  bazel-bootstrap
  g++
  pkg-config
  libgrpc++-dev
  libprotobuf-dev
  protobuf-compiler
  protobuf-compiler-grpc
  grpc-proto
  libabsl-dev
  libsqlite3-dev
  libtomlplusplus-dev
  libspdlog-dev
  libfmt-dev
  # kvd's flags (CLI11, header-only).
  libcli11-dev
  nlohmann-json3-dev
  # kvd's Prometheus metrics endpoint (prometheus-cpp's core and HTTP pull).
  prometheus-cpp-dev
  # Bearer token hashing (OpenSSL libcrypto).
  libssl-dev
  # The Redis driver (hiredis) and the PostgreSQL driver (libpq).
  libhiredis-dev
  libpq-dev
)

# Everything else the tests, tools and clients need (the full mode installs
# these and build_packages). Test: GoogleTest/GoogleMock, sqlite3 (CLI, for
# inspecting test stores), clang-format (//tests/format), nodejs/npm (buf,
# //tests/buf).
packages=(
  sqlite3
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  clang-format
  git
  # Fuzzing (tests/fuzz, --config=fuzz): clang and its libFuzzer, ASan and
  # UBSan runtimes.
  clang
  libclang-rt-14-dev
  lld
  # The test certificates of //tests:kvd_auth_test (the openssl CLI).
  openssl
  # The Redis driver's tests (a private redis-server).
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
  # The PostgreSQL driver's tests (a private PostgreSQL 15).
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
  # The real-image test (//tests/deploy:image_test): podman and buildah with
  # runc, and debootstrap + debuerreotype to make the Debian base images
  # locally (no registry is reachable).
  podman
  buildah
  runc
  debootstrap
  debuerreotype
)

installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

wanted=("${build_packages[@]}")
[[ $mode == build ]] || wanted+=("${packages[@]}")
missing=()
for p in "${wanted[@]}"; do
  installed "$p" || missing+=("$p")
done
# Node.js and npm (full mode): any install that provides both commands will
# do (some machines have NodeSource's nodejs, which bundles npm and conflicts
# with Debian's npm package); otherwise Debian's nodejs and npm.
if [[ $mode == full ]] && { ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; }; then
  missing+=(nodejs npm)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  if [[ $mode == full ]]; then
    step "Debian packages: all ${#wanted[@]} present (+ node $(node --version), npm $(npm --version 2>/dev/null))"
  else
    step "Debian packages to build kvd: all ${#wanted[@]} present"
  fi
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

if [[ $mode == build ]]; then
  step "done (build only)"
  exit 0
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
