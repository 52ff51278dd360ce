#!/usr/bin/env bash
# //clients/go:scenario_test. In a GOPATH of its own under $TEST_TMPDIR (Go
# 1.19 and grpc-go 1.33 from Debian, GOPATH mode, offline):
#   1. gofmt and go vet are clean;
#   2. builds kvdrt (the cross-language round trip's Go leg) into
#      $TEST_TMPDIR/bin/kvdrt and checks it against a private kvd;
#   3. runs the package tests, clients/SCENARIO.md included (in order, and
#      rows 2-13 from 8 goroutines at once), against a private kvd over TCP,
#      then over a unix socket (clients/testing/with_kvd.sh);
#   4. runs the example of clients/go/README.md exactly as written, and
#      compares its output with the README's; then compiles the README's
#      function examples (every later ```go block declaring a function)
#      into a program that calls them against a private kvd.
#   scenario_test.sh WITH_KVD_SH
set -euo pipefail
with_kvd="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
src="${TEST_SRCDIR:?run under bazel test}/${TEST_WORKSPACE:-kvd}/clients/go"
tmp="${TEST_TMPDIR:?}"

# The module path is github.com/kvd-project/kvd/clients/go (go.mod, and the
# proto's go_package): put the sources at that path in a GOPATH of our own.
gopath="$tmp/gopath"
pkg=github.com/kvd-project/kvd/clients/go
mkdir -p "$gopath/src/$(dirname "$pkg")"
ln -sfn "$src" "$gopath/src/$pkg"
export GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOCACHE="$tmp/gocache"
export HOME="$tmp" GOFLAGS= GOPROXY=off CGO_ENABLED=0
# The tests that need a kvd fail, rather than skip, without KVD_ADDR.
export KVD_TEST_REQUIRE_KVD=1
step() { echo "=== $*"; }
# Every package of the module. (The go tool's "..." does not follow the
# symlink, so list them; find -L does.)
mapfile -t pkgs < <(cd "$src" && find -L . -name '*.go' -printf '%h\n' | sort -u |
  sed -e "s|^\.\$|$pkg|" -e "s|^\./|$pkg/|")
echo "packages: ${pkgs[*]}"

step "gofmt -l"
unformatted="$(cd "$src" && find -L . -name '*.go' -print0 | xargs -0 gofmt -l)"
if [[ -n "$unformatted" ]]; then
  echo "not gofmt-clean (fix: gofmt -w clients/go):" >&2
  echo "$unformatted" >&2
  exit 1
fi

step "go vet"
go vet "${pkgs[@]}"

step "go build kvdrt"
mkdir -p "$tmp/bin"
go build -o "$tmp/bin/kvdrt" "$pkg/cmd/kvdrt"
step "kvdrt against kvd"
"$with_kvd" bash -c '
  set -euo pipefail
  rt="$1"
  [[ "$("$rt" set roundtrip/key 00ff10)" == ok ]]
  [[ "$("$rt" get roundtrip/key)" == 00ff10 ]]
  [[ "$("$rt" exists roundtrip/key)" == true ]]
  [[ "$("$rt" delete roundtrip/key)" == ok ]]
  rc=0; out="$("$rt" exists roundtrip/key)" || rc=$?
  [[ "$out" == false && $rc -eq 1 ]]
  rc=0; "$rt" get roundtrip/key 2>/dev/null || rc=$?
  [[ $rc -eq 1 ]]
  rc=0; "$rt" frobnicate x 2>/dev/null || rc=$?
  [[ $rc -eq 2 ]]
  [[ "$("$rt" incr roundtrip/counter)" == 1 ]]
  [[ "$("$rt" incr roundtrip/counter 41)" == 42 ]]
  [[ "$("$rt" incr roundtrip/counter -50)" == -8 ]]
  rc=0; "$rt" incr roundtrip/counter x 2>/dev/null || rc=$?
  [[ $rc -eq 2 ]]
  "$rt" set roundtrip/text 61 >/dev/null
  rc=0; "$rt" incr roundtrip/text 2>/dev/null || rc=$?
  [[ $rc -eq 1 ]]
  echo "kvdrt: ok"
' kvdrt "$tmp/bin/kvdrt"

step "go test over TCP"
"$with_kvd" go test -count=1 -parallel=8 -v "${pkgs[@]}"
step "go test over a unix socket"
"$with_kvd" --unix go test -count=1 -parallel=8 -v "${pkgs[@]}"

step "README example"
# The README's first ```go block is the program; the ```text block right
# after "It prints:" is its output.
example="$gopath/src/kvdexample"
mkdir -p "$example"
awk '/^```go$/ && !done {on=1; next} on && /^```$/ {on=0; done=1} on' "$src/README.md" >"$example/main.go"
awk '/^It prints:$/ {seen=1} seen && /^```text$/ {on=1; next} on && /^```$/ {exit} on' \
  "$src/README.md" >"$tmp/want.txt"
[[ -s "$example/main.go" && -s "$tmp/want.txt" ]] || { echo "README: example or output block not found" >&2; exit 1; }
"$with_kvd" bash -c 'cd "$1" && go run .' example "$example" >"$tmp/got.txt"
if ! diff -u "$tmp/want.txt" "$tmp/got.txt"; then
  echo "README example output differs from the README (- README, + actual)" >&2
  exit 1
fi
echo "README example: ok"

step "README function examples"
# Every ```go block after the first that declares a function (a line starting
# "func ") is a function example; they are compiled together with a driver
# that calls them.
frag="$gopath/src/kvdfragments"
mkdir -p "$frag"
{
  printf 'package main\n\nimport (\n\t"context"\n\t"time"\n\n\t"github.com/kvd-project/kvd/clients/go/kvd"\n)\n\n'
  printf 'var _ = time.Second\n\n'
  awk '/^```go$/ {n++; on=(n>1); buf=""; isfunc=0; next}
       on && /^```$/ {on=0; if (isfunc) print buf; next}
       on {buf=buf $0 "\n"; if ($0 ~ /^func /) isfunc=1}' "$src/README.md"
} >"$frag/examples.go"
for f in setAll readWithDeadlines countVisit claim swap appendLine countPrefix keysPage cache; do
  grep -q "^func $f(" "$frag/examples.go" || { echo "README: the $f example was not found" >&2; exit 1; }
done
cat >"$frag/main.go" <<'GO'
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kvd-project/kvd/clients/go/kvd"
)

func main() {
	ctx := context.Background()
	store, err := kvd.OpenDefault(ctx)
	if err != nil {
		fail(err)
	}
	defer store.Close()
	keys := []string{"fragments/a", "fragments/b", "fragments/c"}
	if err := setAll(ctx, store, keys, []byte("v")); err != nil {
		fail(err)
	}
	// A key over 256 bytes fails the batch with INVALID_ARGUMENT.
	bad := append(keys, "fragments/"+strings.Repeat("k", 300))
	if err := setAll(ctx, store, bad, []byte("v")); !kvd.IsInvalidArgument(err) {
		fail(fmt.Errorf("setAll with an oversize key: %v", err))
	}
	if err := store.Set(ctx, "greeting", []byte("hello, world")); err != nil {
		fail(err)
	}
	value, got, err := readWithDeadlines(ctx)
	if err != nil {
		fail(err)
	}
	n := 0
	for _, k := range got {
		if strings.HasPrefix(k, "fragments/") {
			n++
		}
	}
	fmt.Printf("%s %d\n", value, n)

	// The examples of "Revisions, conditions, counters and batches".
	v1, err := countVisit(ctx, store, "home")
	check(err)
	v2, err := countVisit(ctx, store, "home")
	check(err)
	first, err := claim(ctx, store, "fragments/lock", []byte("me"))
	check(err)
	second, err := claim(ctx, store, "fragments/lock", []byte("you"))
	check(err)
	_, err = appendLine(ctx, store, "fragments/lines", "one")
	check(err)
	_, err = appendLine(ctx, store, "fragments/lines", "two")
	check(err)
	lines, err := store.Get(ctx, "fragments/lines")
	check(err)
	check(store.Set(ctx, "fragments/x", []byte("1")))
	check(store.Set(ctx, "fragments/y", []byte("2")))
	check(swap(ctx, store, "fragments/x", "fragments/y"))
	x, err := store.Get(ctx, "fragments/x")
	check(err)
	y, err := store.Get(ctx, "fragments/y")
	check(err)
	fmt.Printf("visits %d %d, claim %v %v, lines %q, swapped %s %s\n", v1, v2, first, second, lines, x, y)
	// The examples of "Expiry and paged listing".
	before := time.Now()
	expires, err := cache(ctx, store, "fragments/session", []byte("s"), 30*time.Minute)
	check(err)
	soon := !expires.Before(before.Add(30*time.Minute-5*time.Second)) && !expires.After(time.Now().Add(30*time.Minute+5*time.Second))
	n, err = countPrefix(ctx, store, "fragments/")
	check(err)
	var paged []string
	for token := ""; ; {
		keys, next, err := keysPage(ctx, store, "fragments/", token)
		check(err)
		paged = append(paged, keys...)
		if next == "" {
			break
		}
		token = next
	}
	fmt.Printf("expires in 30 min %v, keys %d, paged %q\n", soon, n, paged)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := setAll(cancelled, store, keys, []byte("w")); !errors.Is(err, context.Canceled) {
		fail(fmt.Errorf("setAll with a cancelled context: %v", err))
	}
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "README examples:", err)
	os.Exit(1)
}
GO
got="$("$with_kvd" bash -c 'cd "$1" && go run .' fragments "$frag")"
want='hello, world 3
visits 1 2, claim true false, lines "one\ntwo\n", swapped 2 1
expires in 30 min true, keys 8, paged ["fragments/a" "fragments/b" "fragments/c" "fragments/lines" "fragments/lock" "fragments/session" "fragments/x" "fragments/y"]'
if [[ "$got" != "$want" ]]; then
  echo "README function examples printed '$got', want '$want'" >&2
  exit 1
fi
echo "README function examples: ok"
