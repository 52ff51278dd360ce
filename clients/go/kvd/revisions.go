package kvd

import (
	"context"
	"fmt"
	"time"

	kvv1 "github.com/kvd-project/kvd/clients/go/kv/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

// Revisions: every write kvd makes gets a revision, a uint64 that grows with
// every write to the store and is never reused, and every key carries the
// revision of the write that last changed it. Get, Set and Delete keep their
// signatures; the methods here are their forms that return revisions or take
// a Condition.

// Entry is a key as kvd holds it: its value, the revision of the write that
// last changed it, and when it expires.
type Entry struct {
	// Key is the key that was read.
	Key string
	// Found says whether the key has a value. GetEntry only returns found
	// entries (a missing key is ErrNoSuchKey); GetMany returns missing keys
	// as entries with Found false, a nil Value and Revision 0.
	Found bool
	// Value is the stored bytes; an empty value is []byte{}, never nil.
	Value []byte
	// Revision is the revision of the write that last changed the key.
	Revision uint64
	// ExpireTime is when the key expires (SetWithTTL, a Write's TTL); the
	// zero time.Time (IsZero) if it does not, or was not found. It is in
	// UTC, to the millisecond.
	ExpireTime time.Time
}

// A Condition makes a write conditional on the key's current revision. The
// zero Condition is no condition: the write applies unconditionally.
type Condition struct {
	set      bool
	revision uint64
}

// IfRevision is the condition that the key's current revision is rev
// (compare-and-swap): the revision a GetEntry, GetMany or earlier write
// returned. IfRevision(0) is IfAbsent().
func IfRevision(rev uint64) Condition { return Condition{set: true, revision: rev} }

// IfAbsent is the condition that the key does not exist (create-only):
// if_revision 0 on the wire.
func IfAbsent() Condition { return IfRevision(0) }

// Revision returns the revision the condition requires (0: absent) and
// whether there is a condition at all.
func (c Condition) Revision() (uint64, bool) { return c.revision, c.set }

// String describes the condition: "none", "if absent" or "if revision N".
func (c Condition) String() string {
	switch {
	case !c.set:
		return "none"
	case c.revision == 0:
		return "if absent"
	}
	return fmt.Sprintf("if revision %d", c.revision)
}

// wire returns the condition as the proto's optional if_revision.
func (c Condition) wire() *uint64 {
	if !c.set {
		return nil
	}
	rev := c.revision
	return &rev
}

// oneCondition returns the single optional Condition of a variadic parameter.
func oneCondition(method string, conds []Condition) (Condition, error) {
	switch len(conds) {
	case 0:
		return Condition{}, nil
	case 1:
		return conds[0], nil
	}
	return Condition{}, &Error{
		Code:        CodeIO,
		GRPCCode:    codes.InvalidArgument,
		Message:     fmt.Sprintf("IO: %s takes at most one Condition, got %d", method, len(conds)),
		FailedIndex: -1,
	}
}

// Counter is the result of Increment: the counter's new value and the
// revision that write gave the key.
type Counter struct {
	Value    int64
	Revision uint64
}

// GetEntry returns key's value with its revision and expire time. Errors: ErrNoSuchKey if it
// is absent.
func (s *Store) GetEntry(ctx context.Context, key string) (Entry, error) {
	var resp *kvv1.GetResponse
	err := s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
		resp, err = s.client.kv.Get(ctx, &kvv1.GetRequest{Store: s.handle, Key: key}, opts...)
		return err
	})
	if err != nil {
		return Entry{}, err
	}
	return Entry{Key: key, Found: true, Value: nonNil(resp.GetValue()), Revision: resp.GetRevision(),
		ExpireTime: expireTime(resp.GetExpireTime())}, nil
}

// SetEntry stores value under key like Set (the key does not expire:
// SetWithTTL gives it a time to live), and returns the revision the write
// gave the key. With a Condition (IfRevision, IfAbsent) it writes only
// if the key's current revision matches; otherwise it fails with
// ErrConditionFailed (IsConditionFailed), whose CurrentRevision is the key's
// revision now, and changes nothing.
func (s *Store) SetEntry(ctx context.Context, key string, value []byte, cond ...Condition) (uint64, error) {
	c, err := oneCondition("SetEntry", cond)
	if err != nil {
		return 0, err
	}
	req := &kvv1.SetRequest{Store: s.handle, Key: key, Value: value, IfRevision: c.wire()}
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

// DeleteEntry removes key like Delete, and returns the revision of the delete,
// or 0 if the key did not exist (nothing was written). With a Condition it
// deletes only if the key's current revision matches, as for SetEntry.
func (s *Store) DeleteEntry(ctx context.Context, key string, cond ...Condition) (uint64, error) {
	c, err := oneCondition("DeleteEntry", cond)
	if err != nil {
		return 0, err
	}
	req := &kvv1.DeleteRequest{Store: s.handle, Key: key, IfRevision: c.wire()}
	var resp *kvv1.DeleteResponse
	err = s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
		resp, err = s.client.kv.Delete(ctx, req, opts...)
		return err
	})
	if err != nil {
		return 0, err
	}
	return resp.GetRevision(), nil
}

// Increment adds delta (negative subtracts; 0 reads and still writes) to the
// decimal integer stored under key, atomically, and returns the new value
// with the revision of the write. A missing key counts as 0. kvd stores the
// result as its decimal text ("-12"), so Get reads it as such. Errors:
// ErrNotAnInteger if the value is not a decimal int64, ErrOutOfRange if the
// result would not fit in one; either way the value is unchanged.
func (s *Store) Increment(ctx context.Context, key string, delta int64) (Counter, error) {
	req := &kvv1.IncrementRequest{Store: s.handle, Key: key, Delta: delta}
	var resp *kvv1.IncrementResponse
	err := s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
		resp, err = s.client.kv.Increment(ctx, req, opts...)
		return err
	})
	if err != nil {
		return Counter{}, err
	}
	return Counter{Value: resp.GetValue(), Revision: resp.GetRevision()}, nil
}

// nonNil returns b, or []byte{} for nil: an empty value is a value.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
