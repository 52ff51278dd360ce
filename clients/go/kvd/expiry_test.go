package kvd_test

import (
	"context"
	"sync"
	"testing"
	"time"

	kvv1 "github.com/kvd-project/kvd/clients/go/kv/v1"
	"github.com/kvd-project/kvd/clients/go/kvd"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ttlKV is an in-process kv.v1.KeyValue server that records the Set and
// SetMany requests it gets, and answers reads and Describe with an expire
// time and limits of the test's choosing.
type ttlKV struct {
	kvv1.UnimplementedKeyValueServer
	expire *timestamppb.Timestamp // every found key's expire_time
	mu     sync.Mutex
	sets   []*kvv1.SetRequest
	many   []*kvv1.SetManyRequest
}

func (f *ttlKV) Open(ctx context.Context, req *kvv1.OpenRequest) (*kvv1.OpenResponse, error) {
	return &kvv1.OpenResponse{Store: 1}, nil
}

func (f *ttlKV) Close(ctx context.Context, req *kvv1.CloseRequest) (*kvv1.CloseResponse, error) {
	return &kvv1.CloseResponse{}, nil
}

func (f *ttlKV) Set(ctx context.Context, req *kvv1.SetRequest) (*kvv1.SetResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sets = append(f.sets, req)
	return &kvv1.SetResponse{Revision: uint64(len(f.sets))}, nil
}

func (f *ttlKV) SetMany(ctx context.Context, req *kvv1.SetManyRequest) (*kvv1.SetManyResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.many = append(f.many, req)
	return &kvv1.SetManyResponse{Revisions: make([]uint64, len(req.Entries))}, nil
}

func (f *ttlKV) Get(ctx context.Context, req *kvv1.GetRequest) (*kvv1.GetResponse, error) {
	return &kvv1.GetResponse{Value: []byte("v"), Revision: 3, ExpireTime: f.expire}, nil
}

func (f *ttlKV) GetMany(ctx context.Context, req *kvv1.GetManyRequest) (*kvv1.GetManyResponse, error) {
	return &kvv1.GetManyResponse{Entries: []*kvv1.Entry{
		{Key: "a", Found: true, Value: []byte("1"), Revision: 4, ExpireTime: f.expire},
		{Key: "b", Found: true, Value: []byte("2"), Revision: 5},
		{Key: "c"},
	}}, nil
}

func (f *ttlKV) Describe(ctx context.Context, req *kvv1.DescribeRequest) (*kvv1.DescribeResponse, error) {
	return &kvv1.DescribeResponse{
		Name: "default",
		Limits: &kvv1.StoreLimits{MaxKeyBytes: 256, MaxTtl: durationpb.New(3650 * 24 * time.Hour),
			MaxPageSize: 10000},
		Capabilities: []kvv1.Capability{kvv1.Capability_CAPABILITY_TTL, kvv1.Capability_CAPABILITY_LIST_PAGES},
	}, nil
}

// TestSetWithTTLSends: SetWithTTL sends its ttl whatever it is (kvd judges
// it: 0 and negatives are refused there) with its condition; Set and
// SetEntry send none.
func TestSetWithTTLSends(t *testing.T) {
	fake := &ttlKV{}
	store := serveFake(t, fake)
	ctx := context.Background()
	if err := store.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SetEntry(ctx, "k", []byte("v"), kvd.IfAbsent()); err != nil {
		t.Fatal(err)
	}
	ttls := []time.Duration{time.Hour, 1500 * time.Millisecond, 0, -time.Second, 500 * time.Microsecond}
	for _, ttl := range ttls {
		if _, err := store.SetWithTTL(ctx, "k", []byte("v"), ttl); err != nil {
			t.Fatal(err)
		}
	}
	rev, err := store.SetWithTTL(ctx, "k", []byte("v"), time.Minute, kvd.IfRevision(9))
	if err != nil || rev != 8 {
		t.Fatalf("SetWithTTL with a condition: %d, %v", rev, err)
	}
	if _, err := store.SetWithTTL(ctx, "k", nil, time.Minute, kvd.IfAbsent(), kvd.IfAbsent()); !kvd.IsInvalidArgument(err) {
		t.Fatalf("two Conditions: %v", err)
	}
	if len(fake.sets) != 8 {
		t.Fatalf("%d Sets sent, want 8", len(fake.sets))
	}
	for i, r := range fake.sets[:2] {
		if r.Ttl != nil {
			t.Fatalf("Set/SetEntry %d sent ttl %v", i, r.Ttl)
		}
	}
	for i, ttl := range ttls {
		if got := fake.sets[2+i].Ttl; got == nil || got.AsDuration() != ttl || got.CheckValid() != nil {
			t.Fatalf("SetWithTTL(%v) sent ttl %v", ttl, got)
		}
	}
	last := fake.sets[7]
	if last.Ttl.AsDuration() != time.Minute || last.IfRevision == nil || *last.IfRevision != 9 {
		t.Fatalf("SetWithTTL with IfRevision(9) sent %v", last)
	}
}

// TestWriteTTL: a Write's TTL is sent per entry; 0 sends none.
func TestWriteTTL(t *testing.T) {
	fake := &ttlKV{}
	store := serveFake(t, fake)
	_, err := store.SetMany(context.Background(), []kvd.Write{
		{Key: "a", Value: []byte("1"), TTL: time.Hour},
		{Key: "b", Value: []byte("2")},
		{Key: "c", Value: []byte("3"), TTL: -time.Millisecond, If: kvd.IfAbsent()},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := fake.many[0].Entries
	if e[0].Ttl.AsDuration() != time.Hour || e[1].Ttl != nil || e[2].Ttl.AsDuration() != -time.Millisecond ||
		e[2].IfRevision == nil {
		t.Fatalf("entries sent %v", e)
	}
}

// TestExpireTime: reads turn expire_time into Entry.ExpireTime (UTC, to the
// nanosecond sent), the zero time when unset; Describe reads the new limits
// and capabilities.
func TestExpireTime(t *testing.T) {
	at := time.Date(2031, 5, 6, 7, 8, 9, 123000000, time.UTC)
	fake := &ttlKV{expire: timestamppb.New(at)}
	store := serveFake(t, fake)
	ctx := context.Background()
	e, err := store.GetEntry(ctx, "k")
	if err != nil || !e.ExpireTime.Equal(at) || e.ExpireTime.Location() != time.UTC {
		t.Fatalf("GetEntry: %+v, %v; want ExpireTime %v", e, err, at)
	}
	entries, err := store.GetMany(ctx, []string{"a", "b", "c"})
	if err != nil || !entries[0].ExpireTime.Equal(at) || !entries[1].ExpireTime.IsZero() || !entries[2].ExpireTime.IsZero() {
		t.Fatalf("GetMany: %+v, %v", entries, err)
	}
	fake.expire = nil
	if e, err := store.GetEntry(ctx, "k"); err != nil || !e.ExpireTime.IsZero() {
		t.Fatalf("GetEntry of a key that does not expire: %+v, %v", e, err)
	}
	d, err := store.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Limits.MaxTTL != 3650*24*time.Hour || d.Limits.MaxPageSize != 10000 ||
		!d.Has(kvd.CapabilityTTL) || !d.Has(kvd.CapabilityListPages) || d.Has(kvd.CapabilityIncrement) {
		t.Fatalf("Describe: %+v", d)
	}
	if kvd.CapabilityTTL.String() != "TTL" || kvd.CapabilityListPages.String() != "LIST_PAGES" {
		t.Fatalf("capability names %v %v", kvd.CapabilityTTL, kvd.CapabilityListPages)
	}
}
