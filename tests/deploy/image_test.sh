#!/usr/bin/env bash
# //tests/deploy:image_test: builds deploy/Dockerfile for real, with podman,
# the way docs/kubernetes.md says (`podman build -f deploy/Dockerfile .` from
# the repository root), and runs the image the way deploy/kubernetes/ does:
# read-only root, uid 65532, every capability dropped, no new privileges,
# the data and socket volumes, the health port (published on 127.0.0.1 only).
# Then checks: health SERVING for "", kvd.ready and store:default; set/get
# over the unix socket in the socket volume; the SQLite file in the data
# volume; SIGTERM exits 0 within the 30 s Kubernetes grace period.
#   image_test.sh DOCKERFILE KVCTL HEALTH_PROBE
# Needs root (rootful podman, debootstrap). Installs podman, buildah, runc,
# debootstrap and debuerreotype from Debian if any is missing.
#
# No registry is reachable here, so the two base images the Dockerfile names
# (debian:12.8, debian:12.8-slim) are made locally from a debootstrap of
# bookworm (minbase) from the apt mirror this machine is configured with,
# minimized as Debian's official images are (debuerreotype), and cached
# between runs: in podman's image store, and as tarballs in $KVD_TEST_CACHE
# (default /var/cache/kvd-test), outside the repository.
#
# This VM's own settings, not the project's, go in a containers.conf of the
# test's own (CONTAINERS_CONF): root cannot raise its limits past
# nofile=20000 / nproc=32768 here (podman's defaults are higher), and crun 1.8
# refuses the VM's hybrid cgroups, so runc.
set -euo pipefail

step() { echo "image_test: $*"; }
fail() {
  echo "image_test: FAIL: $*" >&2
  exit 1
}

[[ $# -eq 3 ]] || fail "usage: image_test.sh DOCKERFILE KVCTL HEALTH_PROBE"
kvctl="$(readlink -f "$2")"
probe="$(readlink -f "$3")"
[[ $(id -u) -eq 0 ]] || fail "needs root (rootful podman, debootstrap)"

# The checked-in tree: the Dockerfile's data file resolves (through the
# runfiles and execroot symlinks) to the work tree, which is the build
# context; bazel-out is never sent (.dockerignore excludes bazel-*).
dockerfile="$(readlink -f "$1")"
root="$(dirname "$(dirname "$dockerfile")")"
[[ -f "$root/WORKSPACE" && -f "$root/.dockerignore" && "$dockerfile" == "$root/deploy/Dockerfile" ]] ||
  fail "$dockerfile is not deploy/Dockerfile of a kvd work tree"
step "build context: $root"

# --- The container engine, from Debian.
engine_packages=(podman buildah runc debootstrap debuerreotype)
missing=()
for p in "${engine_packages[@]}"; do
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" == installed ]] ||
    missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  step "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

work="$(mktemp -d /tmp/kvd-image-test.XXXXXX)"
containers=()
cleanup() {
  local c
  for c in "${containers[@]}"; do podman rm -f "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF="$work/containers.conf"

# --- The base images.

# The first bookworm "main" mirror of the apt sources (deb822 .sources files,
# then one-line .list files), as debootstrap's MIRROR argument.
apt_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm( |$)/ &&
            components ~ /(^| )main( |$)/ && enabled != "no" && uris != "") {
          split(uris, u, " "); print u[1]; found = 1; exit
        }
        types = suites = components = uris = ""; enabled = "yes"
      }
      BEGIN { enabled = "yes" }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
        if (key == "types") types = $0
        else if (key == "uris") uris = $0
        else if (key == "suites") suites = $0
        else if (key == "components") components = $0
        else if (key == "enabled") enabled = tolower($0)
      }
      END { if (!found) flush() }
    ' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    sed -E 's/\[[^]]*\]//' "$f" |
      awk '$1 == "deb" && $3 == "bookworm" { for (i = 4; i <= NF; i++) if ($i == "main") { print $2; exit } }'
  done
}

base=debian:12.8
slim=debian:12.8-slim
cache="${KVD_TEST_CACHE:-/var/cache/kvd-test}/base-images"
base_start=$SECONDS
if podman image exists "$base" && podman image exists "$slim"; then
  step "base images $base and $slim: present"
else
  mkdir -p "$cache"
  if [[ ! -f "$cache/debian-12.8.tar" || ! -f "$cache/debian-12.8-slim.tar" ]]; then
    mirror="$(apt_mirror | head -n 1)"
    [[ -n "$mirror" ]] || fail "no bookworm main mirror in /etc/apt/sources.list{,.d}"
    rootfs="$work/rootfs"
    step "debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      { tail -n 30 "$work/debootstrap.log" >&2; fail "debootstrap failed"; }
    # debuerreotype's chroot helper reads SOURCE_DATE_EPOCH from this file.
    date +%s >"$rootfs/debuerreotype-epoch"
    debuerreotype-minimizing-config "$rootfs"
    # What debootstrap downloaded (the .debs, the package lists) stays out.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
      "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/tmp/*
    cp -a "$rootfs" "$rootfs-slim"
    debuerreotype-slimify "$rootfs-slim"
    rm -f "$rootfs/debuerreotype-epoch" "$rootfs-slim/debuerreotype-epoch"
    tar -C "$rootfs" --numeric-owner -cf "$cache/debian-12.8.tar.part" .
    tar -C "$rootfs-slim" --numeric-owner -cf "$cache/debian-12.8-slim.tar.part" .
    mv "$cache/debian-12.8.tar.part" "$cache/debian-12.8.tar"
    mv "$cache/debian-12.8-slim.tar.part" "$cache/debian-12.8-slim.tar"
    rm -rf "$rootfs" "$rootfs-slim"
  fi
  step "podman import $base and $slim from $cache"
  podman import --quiet --change 'CMD ["bash"]' "$cache/debian-12.8.tar" "$base" >/dev/null
  podman import --quiet --change 'CMD ["bash"]' "$cache/debian-12.8-slim.tar" "$slim" >/dev/null
fi
step "base images ready in $((SECONDS - base_start)) s"

# --- The build, as documented.
image=localhost/kvd-image-test:latest
previous="$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
build_start=$SECONDS
if ! (cd "$root" && podman build -f deploy/Dockerfile -t "$image" .) >"$work/build.log" 2>&1; then
  tail -n 60 "$work/build.log" >&2
  fail "podman build -f deploy/Dockerfile . failed"
fi
build_seconds=$((SECONDS - build_start))
current="$(podman image inspect --format '{{.Id}}' "$image")"
if [[ -n "$previous" && "$previous" != "$current" ]]; then
  podman rmi "$previous" >/dev/null 2>&1 || true
fi
size="$(podman image inspect --format '{{.Size}}' "$image")"
step "podman build: $build_seconds s; image size $((size / 1000000)) MB ($size bytes)"
# The steps, and which came from podman's layer cache.
{ grep -E 'STEP [0-9]+/|--> Using cache' "$work/build.log" || true; } | sed 's/^/  /' | cut -c1-120

# No warning from creating the runtime user (useradd's uid range warning).
if grep -iE 'useradd|groupadd|SYS_UID|SYS_GID' "$work/build.log" | grep -i warn; then
  fail "the build log has a user-creation warning (above)"
fi
who="$(podman run --rm --entrypoint /usr/bin/id "$image")"
[[ "$who" == "uid=65532(kvd) gid=65532(kvd) groups=65532(kvd)" ]] ||
  fail "the image's user is '$who', not uid=65532(kvd) gid=65532(kvd)"
step "image user: $who"

# --- Run it as deploy/kubernetes/ does.
data="$work/data"
socket_dir="$work/socket"
mkdir -p "$data" "$socket_dir"
chown 65532:65532 "$data" "$socket_dir"
name="kvd-image-test-$$"
containers+=("$name")
podman run -d --name "$name" \
  --read-only --user 65532:65532 --cap-drop=all --security-opt=no-new-privileges \
  -v "$data:/var/lib/kvd" -v "$socket_dir:/run/kvd" \
  -p 127.0.0.1::8081 \
  "$image" >/dev/null
health="$(podman port "$name" 8081/tcp | head -n 1)"
[[ "$health" == 127.0.0.1:* ]] || fail "the health port is published on '$health', not 127.0.0.1"
step "container $name; health port 8081 -> $health"

logs() {
  echo "--- podman logs $name" >&2
  podman logs "$name" >&2 || true
}

# Bounded wait for the first SERVING (30 s), then every service the probes use.
deadline=$((SECONDS + 30))
until status="$("$probe" "$health" "" 2>&1)"; do
  if ((SECONDS >= deadline)); then
    logs
    fail "health \"\" is not SERVING after 30 s: $status"
  fi
  sleep 0.2
done
for service in "" kvd.ready store:default; do
  status="$("$probe" "$health" "$service" 2>&1)" || true
  [[ "$status" == SERVING ]] || { logs; fail "health \"$service\": $status, want SERVING"; }
  step "health \"$service\": $status"
done

# Confinement as the manifests ask: not writable, uid 65532, no capabilities.
pid="$(podman inspect --format '{{.State.Pid}}' "$name")"
uids="$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")"
[[ "$uids" == "65532 65532 65532 65532" ]] || fail "kvd runs with uids $uids"
caps="$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")"
[[ "$caps" == 0000000000000000 ]] || fail "kvd has capabilities $caps"
root_options="$(awk '$2 == "/" { o = $4 } END { print o }' "/proc/$pid/mounts")"
[[ "$root_options" == ro,* ]] || fail "kvd's root filesystem is mounted $root_options, not ro"
step "kvd runs as uid 65532, CapEff 0, root filesystem read-only"

# Set/get over the socket in the socket volume (root on the host may use the
# 0660 socket owned by 65532).
socket="$socket_dir/kvd.sock"
[[ -S "$socket" ]] || { logs; fail "no socket at $socket (the socket volume)"; }
value="image test $$ $(date +%s%N)"
"$kvctl" --addr "unix:$socket" set image-test-key "$value" || { logs; fail "kvctl set"; }
got="$("$kvctl" --addr "unix:$socket" get image-test-key)" || { logs; fail "kvctl get"; }
[[ "$got" == "$value" ]] || fail "get returned '$got', want '$value'"
step "set/get over unix:$socket: ok"

# The image's own kvctl answers health from inside the container, as
# `kubectl exec ... -- kvctl health` and an exec probe would ask.
for args in "--addr unix:/run/kvd/kvd.sock health" \
            "--addr 127.0.0.1:8081 health --service kvd.ready"; do
  # shellcheck disable=SC2086 # the words of $args are kvctl's arguments
  out="$(podman exec "$name" kvctl $args)" || { logs; fail "podman exec kvctl $args: $out"; }
  [[ "$out" == SERVING ]] || fail "kvctl $args in the container printed '$out', want SERVING"
  step "in the container: kvctl $args: $out"
done

# The data is in the data volume, written by uid 65532.
[[ -f "$data/default.db" ]] || fail "no default.db in the data volume: $(ls -la "$data")"
owner="$(stat -c %u "$data/default.db")"
[[ "$owner" == 65532 ]] || fail "default.db is owned by uid $owner"
step "data volume: $(cd "$data" && ls | tr '\n' ' ')"

# SIGTERM, as the kubelet sends it; bounded by the 30 s grace period.
stop_start="$(date +%s%N)"
podman kill --signal TERM "$name" >/dev/null
if ! code="$(timeout 30 podman wait "$name")"; then
  logs
  fail "kvd did not exit within 30 s of SIGTERM"
fi
stop_ms=$((($(date +%s%N) - stop_start) / 1000000))
[[ "$code" == 0 ]] || { logs; fail "kvd exited with $code after SIGTERM"; }
step "SIGTERM: exit 0 after $stop_ms ms"
step "PASS (build $build_seconds s, image $((size / 1000000)) MB, stop $stop_ms ms)"
