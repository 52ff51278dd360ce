// Package kvd is the Go client of kvd, a key-value service with the semantics
// of Spin's key-value API. It mirrors Spin's Go SDK (spin/sdk/go/v2/kv): open
// a named store, then Get, Set, Delete, Exists and GetKeys, and Close it.
//
//	store, err := kvd.OpenDefault(ctx)
//	if err != nil { ... }
//	defer store.Close()
//	err = store.Set(ctx, "greeting", []byte("hello"))
//	value, err := store.Get(ctx, "greeting")
//	if kvd.IsNoSuchKey(err) { ... }
//
// Beyond Spin's operations, every write gets a revision and can be made
// conditional on one: GetEntry, SetEntry and DeleteEntry with IfRevision or
// IfAbsent (compare-and-swap); Increment is an atomic counter; GetMany,
// SetMany and DeleteMany are atomic batches; Describe tells what a store is
// and can do; and Update is a read-modify-write that retries on conflict:
//
//	rev, err := store.Update(ctx, "count", func(v []byte, found bool) ([]byte, error) {
//		return next(v, found), nil
//	})
//
// Keys can expire: SetWithTTL (and a Write's TTL) gives a key a time to live,
// and reads report it as Entry.ExpireTime. ListKeys iterates over a store's
// keys by prefix, fetching one page at a time as the caller reaches it;
// ListKeysPage is one page, for callers who page themselves:
//
//	_, err = store.SetWithTTL(ctx, "session/42", data, 30*time.Minute)
//	it := store.ListKeys(ctx, kvd.WithPrefix("session/"))
//	for it.Next() {
//		use(it.Key())
//	}
//	err = it.Err()
//
// Every failed call returns an *Error carrying kvd's ErrorCode and the gRPC
// code; test it with errors.Is and the sentinels (ErrNoSuchKey, ...) or the
// helpers (IsNoSuchKey, IsBackendUnavailable, IsConditionFailed, ...).
//
// Every method that talks to kvd takes a context.Context: that is this
// package's asynchronous API, as in the standard library. Run calls in
// goroutines; cancel them or bound them through the context. A call's
// deadline is its context's; a context without one gets the store's default
// (WithTimeout), if any.
//
// Open and OpenDefault make a connection per store. A program that opens many
// stores shares one connection through Dial and Client.Open. A Store and a
// Client are safe for concurrent use.
package kvd

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	kvv1 "github.com/kvd-project/kvd/clients/go/kv/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// DefaultStore is the name of the store that always exists.
const DefaultStore = "default"

// closeTimeout bounds the Close RPC when neither its context's deadline nor
// WithTimeout does: Close takes no context (so that `defer store.Close()`
// works), and a store must not hang its caller's cleanup forever.
const closeTimeout = 10 * time.Second

// Client is a connection to kvd, shared by the stores it opens.
type Client struct {
	conn *grpc.ClientConn
	kv   kvv1.KeyValueClient
	opts *options
}

// Dial connects to kvd. The connection is made lazily: an unreachable server
// shows up as an error of the first call (IsServerUnavailable), whose message
// names the address.
func Dial(ctx context.Context, opts ...Option) (*Client, error) {
	o := newOptions(opts)
	target, dopts := o.dial()
	conn, err := grpc.DialContext(ctx, target, dopts...)
	if err != nil {
		return nil, &Error{
			GRPCCode:    status.Code(err),
			Message:     fmt.Sprintf("cannot connect to kvd at %s: %v", o.address, err),
			FailedIndex: -1,
		}
	}
	return &Client{conn: conn, kv: kvv1.NewKeyValueClient(conn), opts: o}, nil
}

// Close closes the connection. Stores opened through it stop working; their
// handles are reclaimed by kvd when they idle out.
func (c *Client) Close() error {
	return c.conn.Close()
}

// Open opens the named store: "default" or a store defined in kvd's runtime
// config. Errors: ErrNoSuchStore, ErrAccessDenied, ErrStoreTableFull,
// ErrBackendUnavailable (the store's backend cannot be opened).
func (c *Client) Open(ctx context.Context, name string) (*Store, error) {
	s := &Store{client: c, name: name}
	var resp *kvv1.OpenResponse
	err := s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
		resp, err = c.kv.Open(ctx, &kvv1.OpenRequest{Name: name}, opts...)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.handle = resp.GetStore()
	return s, nil
}

// OpenDefault opens the "default" store.
func (c *Client) OpenDefault(ctx context.Context) (*Store, error) {
	return c.Open(ctx, DefaultStore)
}

// Open connects to kvd and opens the named store, on a connection of the
// store's own, which Store.Close closes.
func Open(ctx context.Context, name string, opts ...Option) (*Store, error) {
	c, err := Dial(ctx, opts...)
	if err != nil {
		return nil, err
	}
	s, err := c.Open(ctx, name)
	if err != nil {
		c.Close()
		return nil, err
	}
	s.ownsConn = true
	return s, nil
}

// OpenDefault connects to kvd and opens the "default" store.
func OpenDefault(ctx context.Context, opts ...Option) (*Store, error) {
	return Open(ctx, DefaultStore, opts...)
}

// Store is an open store.
type Store struct {
	client   *Client
	name     string
	handle   uint32
	ownsConn bool

	mu     sync.Mutex
	closed bool // only tracked when ownsConn
}

// Name returns the store's name.
func (s *Store) Name() string { return s.name }

// Handle returns the store's handle on kvd (never 0).
func (s *Store) Handle() uint32 { return s.handle }

// Get returns the value of key. Errors: ErrNoSuchKey if it is absent.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	var resp *kvv1.GetResponse
	err := s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
		resp, err = s.client.kv.Get(ctx, &kvv1.GetRequest{Store: s.handle, Key: key}, opts...)
		return err
	})
	if err != nil {
		return nil, err
	}
	if resp.Value == nil {
		return []byte{}, nil // an empty value is a value: never nil
	}
	return resp.Value, nil
}

// Set stores value under key, replacing any previous value. It returns once
// the write is committed.
func (s *Store) Set(ctx context.Context, key string, value []byte) error {
	return s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) error {
		_, err := s.client.kv.Set(ctx, &kvv1.SetRequest{Store: s.handle, Key: key, Value: value}, opts...)
		return err
	})
}

// Delete removes key. Deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	return s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) error {
		_, err := s.client.kv.Delete(ctx, &kvv1.DeleteRequest{Store: s.handle, Key: key}, opts...)
		return err
	})
}

// Exists reports whether key has a value.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	var resp *kvv1.ExistsResponse
	err := s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
		resp, err = s.client.kv.Exists(ctx, &kvv1.ExistsRequest{Store: s.handle, Key: key}, opts...)
		return err
	})
	if err != nil {
		return false, err
	}
	return resp.GetExists(), nil
}

// GetKeys returns every key of the store, in byte order.
func (s *Store) GetKeys(ctx context.Context) ([]string, error) {
	var resp *kvv1.GetKeysResponse
	err := s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
		resp, err = s.client.kv.GetKeys(ctx, &kvv1.GetKeysRequest{Store: s.handle}, opts...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp.GetKeys(), nil
}

// GetJSON reads key and decodes its value, which must be JSON, into v (as
// json.Unmarshal does).
func (s *Store) GetJSON(ctx context.Context, key string, v any) error {
	data, err := s.Get(ctx, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("kvd: value of key %q is not the JSON expected: %w", key, err)
	}
	return nil
}

// SetJSON stores v, encoded as JSON (as json.Marshal does), under key.
func (s *Store) SetJSON(ctx context.Context, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("kvd: cannot encode the value for key %q as JSON: %w", key, err)
	}
	return s.Set(ctx, key, data)
}

// Close releases the store's handle, and closes the connection if the store
// was opened with Open or OpenDefault. Closing a closed store does nothing.
// Afterwards, calls fail with ErrInvalidStore. The Close RPC is bounded by
// WithTimeout, or by 10 s without it; CloseContext takes a context instead.
func (s *Store) Close() error {
	return s.CloseContext(context.Background())
}

// CloseContext is Close with a context: the RPC's deadline is ctx's, else
// WithTimeout's, else 10 s.
func (s *Store) CloseContext(ctx context.Context) error {
	if s.ownsConn {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return nil
		}
	}
	ctx, cancel := s.client.deadline(ctx, closeTimeout)
	defer cancel()
	var trailer metadata.MD
	_, err := s.client.kv.Close(ctx, &kvv1.CloseRequest{Store: s.handle}, grpc.Trailer(&trailer))
	err = fromCall(err, trailer, s.client.opts.address)
	if s.ownsConn {
		s.closed = true
		if cerr := s.client.Close(); err == nil && cerr != nil {
			err = fromCall(cerr, nil, s.client.opts.address)
		}
	}
	return err
}

// deadline returns the context a call runs under: ctx itself if it has a
// deadline (the caller's per-call deadline wins, longer or shorter than the
// default), else ctx bounded by WithTimeout's default, else by fallback
// (0: unbounded).
func (c *Client) deadline(ctx context.Context, fallback time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	timeout := c.opts.timeout
	if timeout <= 0 {
		timeout = fallback
	}
	if timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, timeout)
}

// call runs one RPC under its deadline (Client.deadline) with the trailer
// capture, and converts its error.
func (s *Store) call(ctx context.Context, rpc func(context.Context, ...grpc.CallOption) error) error {
	if s.ownsConn {
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return &Error{
				Code:        CodeInvalidStore,
				GRPCCode:    codes.FailedPrecondition,
				Message:     fmt.Sprintf("INVALID_STORE: store %q (handle %d) was closed by this client", s.name, s.handle),
				FailedIndex: -1,
			}
		}
	}
	ctx, cancel := s.client.deadline(ctx, 0)
	defer cancel()
	var trailer metadata.MD
	return fromCall(rpc(ctx, grpc.Trailer(&trailer)), trailer, s.client.opts.address)
}
