#!/usr/bin/env bash
# //clients/go:consumer_test. A program of a user's own, built outside the
# repository tree exactly as clients/go/README.md says ("In GOPATH mode,
# offline, with Debian's packages"), run against a real kvd:
#   0. go.mod names the module path the README imports, no replace, and
#      requires grpc and protobuf at the versions of Debian's packages;
#   1. HOME is a fresh folder under $TEST_TMPDIR, and no Go variable is set
#      but what the README's recipe sets;
#   2. the README's example program (its first ```go block) is written to
#      ~/kvd-gopath/src/myapp/main.go, as the README says;
#   3. the README's recipe (the ```sh block under that heading) runs from the
#      checkout's root, its apt-get line replaced by a check that those
#      packages are installed (tools/setup.sh installs them);
#   4. ~/bin/myapp runs against a private kvd (clients/testing/with_kvd.sh)
#      and must print the README's "It prints:" block; pointed at a unix
#      socket nobody listens on, it must fail naming that address.
#   consumer_test.sh WITH_KVD_SH
set -euo pipefail
with_kvd="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
root="${TEST_SRCDIR:?run under bazel test}/${TEST_WORKSPACE:-kvd}"
tmp="${TEST_TMPDIR:?}"
readme="$root/clients/go/README.md"
step() { echo "=== $*"; }

export HOME="$tmp/home"
rm -rf "$HOME"
mkdir -p "$HOME"
unset GOPATH GO111MODULE GOFLAGS GOCACHE GOMODCACHE GOBIN KVD_ADDR
export GOPROXY=off # offline: nothing may be fetched

step "go.mod"
# The module's requirements are the versions this offline build compiles
# against (Debian's), so module-mode users elsewhere get the same code; its
# path is the one the README's import uses, with no replace.
gomod="$root/clients/go/go.mod"
reqs="$(cd "$tmp" && GO111MODULE=on go mod edit -print "$gomod")"
printf '%s\n' "$reqs"
grep -qx 'module github.com/kvd-project/kvd/clients/go' <<<"$reqs" ||
  { echo "go.mod: module path is not github.com/kvd-project/kvd/clients/go" >&2; exit 1; }
! grep -q '^replace' <<<"$reqs" || { echo "go.mod must not replace anything" >&2; exit 1; }
for pair in google.golang.org/grpc=golang-google-grpc-dev google.golang.org/protobuf=golang-google-protobuf-dev; do
  mod="${pair%%=*}" deb="${pair#*=}"
  have="v$(dpkg-query -W -f '${Version}' "$deb" | sed -E 's/^[0-9]+://; s/[-+~].*$//')"
  grep -qE "^[[:space:]]*(require )?$mod $have\$" <<<"$reqs" ||
    { echo "go.mod: $mod is not required at $have, the version of Debian's $deb (update go.mod)" >&2; exit 1; }
done

step "the README's recipe"
heading="### In GOPATH mode, offline, with Debian's packages"
recipe="$(awk -v h="$heading" '$0 == h {seen=1; next} seen && /^```sh$/ {on=1; next}
  on && /^```$/ {exit} on' "$readme")"
[[ -n "$recipe" ]] || { echo "README: no \`\`\`sh block under '$heading'" >&2; exit 1; }
# apt-get needs root and a network: check that the packages it names are
# installed instead (joining its continuation lines first).
recipe="$(printf '%s\n' "$recipe" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' |
  sed -E 's/^apt-get install ([^#]*)(#.*)?$/dpkg-query -W \1 >\/dev\/null/')"
printf '%s\n' "$recipe"
grep -q '^dpkg-query -W golang-go ' <<<"$recipe" || { echo "README recipe: apt-get line not recognised" >&2; exit 1; }

app="$HOME/kvd-gopath/src/myapp"
mkdir -p "$app"
awk '/^```go$/ && !done {on=1; next} on && /^```$/ {on=0; done=1} on' "$readme" >"$app/main.go"
awk '/^It prints:$/ {seen=1} seen && /^```text$/ {on=1; next} on && /^```$/ {exit} on' \
  "$readme" >"$tmp/want.txt"
[[ -s "$app/main.go" && -s "$tmp/want.txt" ]] || { echo "README: example or output block not found" >&2; exit 1; }
case "$(readlink -f "$app")/" in
  "$(readlink -f "$root")"/*) echo "the app must be outside the repository" >&2; exit 1 ;;
esac

(cd "$root" && bash -euo pipefail -c "$recipe")
[[ -x "$HOME/bin/myapp" ]] || { echo "the recipe did not build ~/bin/myapp" >&2; exit 1; }

step "myapp against kvd"
"$with_kvd" "$HOME/bin/myapp" >"$tmp/got.txt"
if ! diff -u "$tmp/want.txt" "$tmp/got.txt"; then
  echo "myapp's output differs from the README's (- README, + actual)" >&2
  exit 1
fi

step "myapp without kvd"
# A short path: a unix socket path over 107 bytes fails for another reason.
short="$(mktemp -d /tmp/kvd-go-consumer.XXXXXX)"
trap 'rm -rf "$short"' EXIT
nowhere="unix:$short/nobody-listens.sock"
rc=0
KVD_ADDR="$nowhere" "$HOME/bin/myapp" >/dev/null 2>"$tmp/err.txt" || rc=$?
cat "$tmp/err.txt"
if [[ $rc -eq 0 ]] || ! grep -qF "cannot reach kvd at $nowhere" "$tmp/err.txt"; then
  echo "myapp with no kvd: exit $rc, and stderr does not name $nowhere" >&2
  exit 1
fi
echo "consumer: ok"
