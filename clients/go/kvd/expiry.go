package kvd

import (
	"context"
	"time"

	kvv1 "github.com/kvd-project/kvd/clients/go/kv/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Expiry: a write may give its key a time to live. From write time + ttl,
// to the millisecond and by one clock per backend (the Redis or PostgreSQL
// server's; kvd's machine's for SQLite and memory), every read treats the key
// as absent, and so do Increment and conditions. A Set without a ttl makes
// the key permanent again; Increment keeps its expiry.

// SetWithTTL stores value under key like SetEntry, and makes the key expire
// ttl after the write (counted in whole milliseconds; a finer part is
// dropped). It returns the revision the write gave the key. The ttl is always
// sent: it must be at least 1 ms and at most the store's Limits.MaxTTL (10
// years unless kvd says otherwise), else the call fails with
// ErrInvalidArgument (IsInvalidArgument) naming the ttl, and writes nothing.
// With a Condition (IfRevision, IfAbsent) it writes only if the key's
// current revision matches, as SetEntry does.
func (s *Store) SetWithTTL(ctx context.Context, key string, value []byte, ttl time.Duration, cond ...Condition) (uint64, error) {
	c, err := oneCondition("SetWithTTL", cond)
	if err != nil {
		return 0, err
	}
	req := &kvv1.SetRequest{Store: s.handle, Key: key, Value: value, IfRevision: c.wire(), Ttl: durationpb.New(ttl)}
	var resp *kvv1.SetResponse
	err = s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
		resp, err = s.client.kv.Set(ctx, req, opts...)
		return err
	})
	if err != nil {
		return 0, err
	}
	return resp.GetRevision(), nil
}

// batchTTL is a Write's TTL on the wire: none for 0 (the field's zero
// value: no expiry), else as given, so that kvd refuses a negative one.
func batchTTL(ttl time.Duration) *durationpb.Duration {
	if ttl == 0 {
		return nil
	}
	return durationpb.New(ttl)
}

// expireTime is a read's expire_time: the zero time.Time when unset (the key
// does not expire).
func expireTime(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

// duration is a limit's Duration: 0 when unset.
func duration(d *durationpb.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.AsDuration()
}
