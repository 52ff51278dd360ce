package kvd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kvd-project/kvd/clients/go/kvd"
	"google.golang.org/grpc/codes"
)

// The key prefix of clients/SCENARIO.md for this client.
const prefix = "scenario-go/"

// kvdAddr returns $KVD_ADDR (set by clients/testing/with_kvd.sh), or skips
// the test when it is unset. With KVD_TEST_REQUIRE_KVD=1 (scenario_test.sh
// sets it) a missing KVD_ADDR fails the test instead, so that a CI run never
// counts a skipped scenario as passed.
func kvdAddr(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("KVD_ADDR")
	if addr == "" && os.Getenv("KVD_TEST_REQUIRE_KVD") == "1" {
		t.Fatal("KVD_ADDR is not set, and KVD_TEST_REQUIRE_KVD=1 requires a kvd")
	}
	if addr == "" {
		t.Skip("KVD_ADDR is not set; run under clients/testing/with_kvd.sh")
	}
	return addr
}

// wantErr fails the test unless err is a *kvd.Error with the given codes.
func wantErr(t *testing.T, row int, err error, code kvd.ErrorCode, grpcCode codes.Code) *kvd.Error {
	t.Helper()
	var e *kvd.Error
	if !errors.As(err, &e) {
		t.Fatalf("row %d: want a *kvd.Error %v/%v, got %T %v", row, code, grpcCode, err, err)
	}
	if e.Code != code || e.GRPCCode != grpcCode {
		t.Fatalf("row %d: want %v/%v, got %v/%v: %v", row, code, grpcCode, e.Code, e.GRPCCode, err)
	}
	return e
}

// TestScenario implements every row of clients/SCENARIO.md, in order.
func TestScenario(t *testing.T) {
	addr := kvdAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client, err := kvd.Dial(ctx, kvd.WithAddress(addr), kvd.WithTimeout(30*time.Second))
	if err != nil {
		t.Fatalf("Dial(%q): %v", addr, err)
	}
	defer client.Close()

	must := func(row int, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("row %d: %v", row, err)
		}
	}

	// 1: open("default") gives a store whose handle is not 0.
	store, err := client.Open(ctx, "default")
	must(1, err)
	if store.Handle() == 0 {
		t.Fatalf("row 1: handle is 0")
	}

	mem := dataRows(ctx, t, client, store, prefix)

	// 14: an undefined store.
	_, err = client.Open(ctx, "no-such-store")
	wantErr(t, 14, err, kvd.CodeNoSuchStore, codes.NotFound)
	if !kvd.IsNoSuchStore(err) || kvd.IsNoSuchKey(err) {
		t.Fatalf("row 14: helpers disagree on %v", err)
	}

	// 15: a store whose backend never opens.
	_, err = client.Open(ctx, "broken")
	e := wantErr(t, 15, err, kvd.CodeIO, codes.Unavailable)
	if !strings.Contains(e.Message, "broken") {
		t.Fatalf("row 15: message %q does not name the store", e.Message)
	}
	if !kvd.IsBackendUnavailable(err) || !kvd.IsIO(err) || kvd.IsServerUnavailable(err) || kvd.IsNoSuchStore(err) {
		t.Fatalf("row 15: helpers disagree on %v", err)
	}

	// 16: a key over 256 bytes.
	err = store.Set(ctx, prefix+strings.Repeat("k", 257), []byte("v"))
	wantErr(t, 16, err, kvd.CodeIO, codes.InvalidArgument)
	if !kvd.IsInvalidArgument(err) {
		t.Fatalf("row 16: IsInvalidArgument(%v) is false", err)
	}

	// 17: a value over 1 MiB.
	err = store.Set(ctx, prefix+"too-big", make([]byte, 1<<20+1))
	wantErr(t, 17, err, kvd.CodeIO, codes.InvalidArgument)
	if !errors.Is(err, kvd.ErrInvalidArgument) || !kvd.IsInvalidArgument(err) || kvd.IsBackendUnavailable(err) {
		t.Fatalf("row 17: helpers disagree on %v", err)
	}

	// 18: a closed store.
	must(18, store.Close())
	_, err = store.Get(ctx, prefix+"big")
	wantErr(t, 18, err, kvd.CodeInvalidStore, codes.FailedPrecondition)
	if !kvd.IsInvalidStore(err) {
		t.Fatalf("row 18: IsInvalidStore(%v) is false", err)
	}

	// 19: closing it again.
	must(19, store.Close())

	// 20: the handle table holds 256 stores.
	must(20, mem.Close())
	var open []*kvd.Store
	for i := 1; i <= 300; i++ {
		s, err := client.OpenDefault(ctx)
		if i <= 256 {
			if err != nil {
				t.Fatalf("row 20: open %d: %v", i, err)
			}
			open = append(open, s)
			continue
		}
		wantErr(t, 20, err, kvd.CodeStoreTableFull, codes.ResourceExhausted)
		if !kvd.IsStoreTableFull(err) {
			t.Fatalf("row 20: IsStoreTableFull(%v) is false", err)
		}
	}

	// 21: closing them frees the table.
	for _, s := range open {
		must(21, s.Close())
	}
	s, err := client.OpenDefault(ctx)
	must(21, err)
	must(21, s.Close())
}

// dataRows runs rows 2-13 of clients/SCENARIO.md on store with the key
// prefix p, and returns the store of "mem" that row 13 opens.
func dataRows(ctx context.Context, t *testing.T, client *kvd.Client, store *kvd.Store, p string) *kvd.Store {
	t.Helper()
	must := func(row int, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("row %d: %v", row, err)
		}
	}
	setGet := func(row int, store *kvd.Store, key string, value []byte) {
		t.Helper()
		must(row, store.Set(ctx, key, value))
		got, err := store.Get(ctx, key)
		must(row, err)
		if got == nil || !bytes.Equal(got, value) {
			t.Fatalf("row %d: get %q: got %d bytes %.20q, want %d bytes %.20q",
				row, key, len(got), got, len(value), value)
		}
	}

	// 2-7: set then get.
	setGet(2, store, p+"plain", []byte("hello"))
	setGet(3, store, p+"plain", []byte("again"))
	setGet(4, store, p+"binary", []byte{0x00, 0x01, 0x00, 0xFF, 0x00})
	setGet(5, store, p+"empty", []byte{})
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i % 251)
	}
	setGet(6, store, p+"big", big)
	setGet(7, store, p+"ключ/キー/🔑", []byte("utf8"))

	// 8: exists.
	if ok, err := store.Exists(ctx, p+"plain"); err != nil || !ok {
		t.Fatalf("row 8: exists(plain) = %v, %v; want true", ok, err)
	}
	if ok, err := store.Exists(ctx, p+"missing"); err != nil || ok {
		t.Fatalf("row 8: exists(missing) = %v, %v; want false", ok, err)
	}

	// 9: get of a missing key.
	_, err := store.Get(ctx, p+"missing")
	e := wantErr(t, 9, err, kvd.CodeNoSuchKey, codes.NotFound)
	if !strings.Contains(e.Message, p+"missing") {
		t.Fatalf("row 9: message %q does not name the key", e.Message)
	}
	if !kvd.IsNoSuchKey(err) || !errors.Is(err, kvd.ErrNoSuchKey) || kvd.IsNoSuchStore(err) {
		t.Fatalf("row 9: helpers disagree on %v", err)
	}

	// 10: delete, exists, delete again.
	must(10, store.Delete(ctx, p+"plain"))
	if ok, err := store.Exists(ctx, p+"plain"); err != nil || ok {
		t.Fatalf("row 10: exists(plain) after delete = %v, %v; want false", ok, err)
	}
	must(10, store.Delete(ctx, p+"plain"))

	// 11: get_keys, keeping the p.
	keys, err := store.GetKeys(ctx)
	must(11, err)
	var mine []string
	for _, k := range keys {
		if strings.HasPrefix(k, p) {
			mine = append(mine, k)
		}
	}
	sort.Strings(mine)
	want := []string{p + "big", p + "binary", p + "empty", p + "ключ/キー/🔑"}
	sort.Strings(want)
	if !reflect.DeepEqual(mine, want) {
		t.Fatalf("row 11: keys %q, want %q", mine, want)
	}

	// 12: set_json then get_json.
	in := map[string]any{"a": 1, "b": []any{true, nil, "x"}}
	must(12, store.SetJSON(ctx, p+"json", in))
	var out any
	must(12, store.GetJSON(ctx, p+"json", &out))
	wantJSON := map[string]any{"a": float64(1), "b": []any{true, nil, "x"}}
	if !reflect.DeepEqual(out, wantJSON) {
		t.Fatalf("row 12: get_json = %#v, want %#v", out, wantJSON)
	}

	// 13: stores are separate.
	mem, err := client.Open(ctx, "mem")
	must(13, err)
	_, err = mem.Get(ctx, p+"big")
	wantErr(t, 13, err, kvd.CodeNoSuchKey, codes.NotFound)

	return mem
}

// TestScenarioConcurrent runs rows 2-13 of clients/SCENARIO.md in 8
// parallel subtests (goroutines; as many at once as go test's -parallel,
// which scenario_test.sh sets to 8), each with a key prefix and a context
// deadline of its own, on one shared Store and Client: Go's asynchronous use
// of this package is its methods called from goroutines.
func TestScenarioConcurrent(t *testing.T) {
	addr := kvdAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client, err := kvd.Dial(ctx, kvd.WithAddress(addr))
	if err != nil {
		t.Fatalf("Dial(%q): %v", addr, err)
	}
	defer client.Close()
	store, err := client.OpenDefault(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	t.Run("goroutines", func(t *testing.T) {
		for i := 0; i < 8; i++ {
			p := fmt.Sprintf("scenario-go-concurrent/%d/", i)
			t.Run(p, func(t *testing.T) {
				t.Parallel()
				callCtx, cancel := context.WithTimeout(ctx, time.Minute) // a deadline of its own
				defer cancel()
				if err := dataRows(callCtx, t, client, store, p).Close(); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}
