package kvd

import (
	"context"
	"time"

	kvv1 "github.com/kvd-project/kvd/clients/go/kv/v1"
	"google.golang.org/grpc"
)

// Write is one entry of SetMany: a value to store under Key, with an
// optional Condition on that key's revision and an optional time to live.
type Write struct {
	Key   string
	Value []byte
	// If, when set (IfRevision, IfAbsent), makes the whole batch apply only
	// if this key's current revision matches. The zero value: no condition.
	If Condition
	// TTL, when not 0, makes the key expire that long after the batch is
	// written, as SetWithTTL does (at least 1 ms, at most Limits.MaxTTL; a
	// negative TTL is sent, and refused). 0, the zero value: the key does
	// not expire, and an earlier expiry is cleared.
	TTL time.Duration
}

// GetMany reads keys from one consistent snapshot of the store and returns
// one Entry per key, in the order of keys. A missing key is an Entry with
// Found false, not an error. Errors: ErrInvalidArgument for a key given
// twice or a batch over the store's limits (Describe's Limits).
func (s *Store) GetMany(ctx context.Context, keys []string) ([]Entry, error) {
	req := &kvv1.GetManyRequest{Store: s.handle, Keys: keys}
	var resp *kvv1.GetManyResponse
	err := s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
		resp, err = s.client.kv.GetMany(ctx, req, opts...)
		return err
	})
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, len(resp.GetEntries()))
	for i, e := range resp.GetEntries() {
		entries[i] = Entry{Key: e.GetKey(), Found: e.GetFound(), Revision: e.GetRevision(),
			ExpireTime: expireTime(e.GetExpireTime())}
		if e.GetFound() {
			entries[i].Value = nonNil(e.GetValue())
		}
	}
	return entries, nil
}

// SetMany stores every write atomically: either all apply, or none does. It
// returns the revision each write gave its key, in the order of writes
// (increasing). A failed Condition is ErrConditionFailed naming the first
// failing key, with its CurrentRevision and FailedIndex (its position in
// writes). Errors: ErrInvalidArgument for a key given twice or a batch over
// the store's limits.
func (s *Store) SetMany(ctx context.Context, writes []Write) ([]uint64, error) {
	req := &kvv1.SetManyRequest{Store: s.handle, Entries: make([]*kvv1.SetEntry, len(writes))}
	for i, w := range writes {
		req.Entries[i] = &kvv1.SetEntry{Key: w.Key, Value: w.Value, IfRevision: w.If.wire(), Ttl: batchTTL(w.TTL)}
	}
	var resp *kvv1.SetManyResponse
	err := s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
		resp, err = s.client.kv.SetMany(ctx, req, opts...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp.GetRevisions(), nil
}

// DeleteMany removes keys atomically and returns, in the order of keys, each
// delete's revision, or 0 for a key that did not exist (skipped, as by
// Delete). Errors as for SetMany.
func (s *Store) DeleteMany(ctx context.Context, keys []string) ([]uint64, error) {
	req := &kvv1.DeleteManyRequest{Store: s.handle, Keys: keys}
	var resp *kvv1.DeleteManyResponse
	err := s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
		resp, err = s.client.kv.DeleteMany(ctx, req, opts...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp.GetRevisions(), nil
}
