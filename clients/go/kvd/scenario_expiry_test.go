package kvd_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kvd-project/kvd/clients/go/kvd"
	"google.golang.org/grpc/codes"
)

// expiryRows runs rows 40-45 of clients/SCENARIO.md (TTL and expire times)
// on store with the key prefix p.
func expiryRows(ctx context.Context, t *testing.T, store *kvd.Store, p string) {
	t.Helper()
	must := func(row int, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("row %d: %v", row, err)
		}
	}
	getEntry := func(row int, key, want string) kvd.Entry {
		t.Helper()
		e, err := store.GetEntry(ctx, key)
		must(row, err)
		if string(e.Value) != want {
			t.Fatalf("row %d: get %q = %q, want %q", row, key, e.Value, want)
		}
		return e
	}

	// 40: a set with a ttl of 1 hour; its expire time is an hour from now
	// by this machine's clock (kvd runs on it), within 5 s.
	before := time.Now()
	rev, err := store.SetWithTTL(ctx, p+"ttl", []byte("v"), time.Hour)
	must(40, err)
	e := getEntry(40, p+"ttl", "v")
	after := time.Now()
	lo, hi := before.Add(time.Hour-5*time.Second), after.Add(time.Hour+5*time.Second)
	if rev == 0 || e.Revision != rev || e.ExpireTime.Before(lo) || e.ExpireTime.After(hi) {
		t.Fatalf("row 40: revision %d, entry %+v; want the expire time in [%v, %v]", rev, e, lo, hi)
	}

	// 41: a plain set clears the expiry.
	must(41, store.Set(ctx, p+"ttl", []byte("v2")))
	if e := getEntry(41, p+"ttl", "v2"); !e.ExpireTime.IsZero() {
		t.Fatalf("row 41: expire time %v after a set without a ttl", e.ExpireTime)
	}

	// 42: Increment keeps the expiry.
	_, err = store.SetWithTTL(ctx, p+"ttl-n", []byte("5"), time.Hour)
	must(42, err)
	set := getEntry(42, p+"ttl-n", "5")
	c, err := store.Increment(ctx, p+"ttl-n", 1)
	must(42, err)
	incremented := getEntry(42, p+"ttl-n", "6")
	if c.Value != 6 || set.ExpireTime.IsZero() || !incremented.ExpireTime.Equal(set.ExpireTime) {
		t.Fatalf("row 42: increment %d; expire time %v after the set, %v after the increment",
			c.Value, set.ExpireTime, incremented.ExpireTime)
	}

	// 43: a key with a ttl of 200 ms is gone within 10 s (a bound, not a
	// speed), to every read and to create-only.
	_, err = store.SetWithTTL(ctx, p+"short", []byte("v"), 200*time.Millisecond)
	must(43, err)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ok, err := store.Exists(ctx, p+"short")
		must(43, err)
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("row 43: %q still exists 10 s after a 200 ms ttl", p+"short")
		}
	}
	_, err = store.Get(ctx, p+"short")
	wantErr(t, 43, err, kvd.CodeNoSuchKey, codes.NotFound)
	entries, err := store.GetMany(ctx, []string{p + "short"})
	must(43, err)
	if len(entries) != 1 || entries[0].Found {
		t.Fatalf("row 43: get_many of the expired key = %+v", entries)
	}
	_, err = store.SetEntry(ctx, p+"short", []byte("w"), kvd.IfAbsent())
	must(43, err)

	// 44: ttls kvd refuses.
	for _, ttl := range []time.Duration{0, -time.Second, 500 * time.Microsecond, 3651 * 24 * time.Hour} {
		_, err := store.SetWithTTL(ctx, p+"bad-ttl", []byte("v"), ttl)
		e := wantErr(t, 44, err, kvd.CodeIO, codes.InvalidArgument)
		if !kvd.IsInvalidArgument(err) || !strings.Contains(e.Message, "ttl") {
			t.Fatalf("row 44: ttl %v: message %q does not name the ttl", ttl, e.Message)
		}
	}
	if ok, err := store.Exists(ctx, p+"bad-ttl"); err != nil || ok {
		t.Fatalf("row 44: exists(bad-ttl) = %v, %v; want false", ok, err)
	}

	// 45: a TTL per SetMany entry.
	_, err = store.SetMany(ctx, []kvd.Write{
		{Key: p + "b1", Value: []byte("1"), TTL: time.Hour},
		{Key: p + "b2", Value: []byte("2")},
	})
	must(45, err)
	entries, err = store.GetMany(ctx, []string{p + "b1", p + "b2"})
	must(45, err)
	if len(entries) != 2 || !entries[0].Found || entries[0].ExpireTime.IsZero() || !entries[1].Found ||
		!entries[1].ExpireTime.IsZero() {
		t.Fatalf("row 45: get_many = %+v; want b1 with an expire time, b2 without", entries)
	}
}

// listRows runs rows 46-49 of clients/SCENARIO.md (paged listing, and the
// limits and capabilities of both features) on store with the key prefix p.
func listRows(ctx context.Context, t *testing.T, store *kvd.Store, p string) {
	t.Helper()
	must := func(row int, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("row %d: %v", row, err)
		}
	}

	// 46: the iterator, over 25 keys with the prefix and two without that
	// sort beside them.
	var want []string
	for i := 0; i < 25; i++ {
		want = append(want, fmt.Sprintf("%slist/%02d", p, i))
	}
	writes := []kvd.Write{{Key: p + "list0", Value: []byte("x")}, {Key: p + "lis", Value: []byte("x")}}
	for _, k := range want {
		writes = append(writes, kvd.Write{Key: k, Value: []byte("x")})
	}
	_, err := store.SetMany(ctx, writes)
	must(46, err)
	var got []string
	it := store.ListKeys(ctx, kvd.WithPrefix(p+"list/"), kvd.WithPageSize(10))
	for it.Next() {
		got = append(got, it.Key())
	}
	must(46, it.Err())
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("row 46: list_keys = %q, want %q", got, want)
	}

	// 47: the one-page call, three times.
	opts := []kvd.ListOption{kvd.WithPrefix(p + "list/"), kvd.WithPageSize(10)}
	first, err := store.ListKeysPage(ctx, "", opts...)
	must(47, err)
	second, err := store.ListKeysPage(ctx, first.NextPageToken, opts...)
	must(47, err)
	last, err := store.ListKeysPage(ctx, second.NextPageToken, opts...)
	must(47, err)
	if !reflect.DeepEqual(first.Keys, want[:10]) || first.NextPageToken == "" ||
		!reflect.DeepEqual(second.Keys, want[10:20]) || second.NextPageToken == "" ||
		!reflect.DeepEqual(last.Keys, want[20:]) || last.NextPageToken != "" {
		t.Fatalf("row 47: pages %+v, %+v, %+v", first, second, last)
	}

	// 48: a token of another prefix, a token that is not kvd's, a negative
	// page size.
	refused := func(what string, err error, names string) {
		t.Helper()
		e := wantErr(t, 48, err, kvd.CodeIO, codes.InvalidArgument)
		if !kvd.IsInvalidArgument(err) || !strings.Contains(e.Message, names) {
			t.Fatalf("row 48: %s: message %q does not name %s", what, e.Message, names)
		}
	}
	_, err = store.ListKeysPage(ctx, first.NextPageToken, kvd.WithPrefix(p+"lis"), kvd.WithPageSize(10))
	refused("another prefix's token", err, "page_token")
	_, err = store.ListKeysPage(ctx, "not-a-token", opts...)
	refused("a token that is not kvd's", err, "page_token")
	_, err = store.ListKeysPage(ctx, "", kvd.WithPrefix(p+"list/"), kvd.WithPageSize(-1))
	refused("page size -1", err, "page_size")
	it = store.ListKeys(ctx, kvd.WithPageSize(-1))
	if it.Next() {
		t.Fatalf("row 48: the iterator with page size -1 returned %q", it.Key())
	}
	refused("the iterator with page size -1", it.Err(), "page_size")

	// 49: the limits and capabilities of expiry and listing.
	d, err := store.Describe(ctx)
	must(49, err)
	if d.Limits.MaxTTL != 3650*24*time.Hour || d.Limits.MaxPageSize != 10000 ||
		!d.Has(kvd.CapabilityTTL) || !d.Has(kvd.CapabilityListPages) {
		t.Fatalf("row 49: describe = %+v", d)
	}
}
