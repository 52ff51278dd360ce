package kvd

import (
	"context"
	"math"

	kvv1 "github.com/kvd-project/kvd/clients/go/kv/v1"
	"google.golang.org/grpc"
)

// Listing: ListKeys pages through a store's keys, by prefix, in byte order
// (kvd's ListKeys RPC, AIP-158 pagination). Across the pages of one
// listing, every key that exists from the first page to the last is
// returned exactly once, in ascending byte order; an expired key never is;
// keys set or deleted meanwhile may or may not appear. Page tokens hold no
// server state: one stays valid across kvd restarts.

// A ListOption configures ListKeys and ListKeysPage.
type ListOption func(*listConfig)

type listConfig struct {
	prefix   string
	pageSize int
}

// WithPrefix lists only the keys that start with prefix, compared byte for
// byte (no character is special). The default, "", lists every key.
func WithPrefix(prefix string) ListOption {
	return func(c *listConfig) { c.prefix = prefix }
}

// WithPageSize asks for at most n keys per page. 0, the default, is kvd's
// default (1,000); above the store's Limits.MaxPageSize (10,000 unless kvd
// says otherwise) is that maximum; a negative n is sent as it is, and kvd
// refuses it (ErrInvalidArgument naming page_size). A page may hold fewer
// keys and still not be the last.
func WithPageSize(n int) ListOption {
	return func(c *listConfig) { c.pageSize = n }
}

func newListConfig(opts []ListOption) listConfig {
	var c listConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// wirePageSize is n as the proto's int32, saturated (kvd lowers any page
// size above its maximum, and refuses any negative one).
func wirePageSize(n int) int32 {
	switch {
	case n > math.MaxInt32:
		return math.MaxInt32
	case n < math.MinInt32:
		return math.MinInt32
	}
	return int32(n)
}

// KeyPage is one page of a listing.
type KeyPage struct {
	// Keys are the page's keys, in ascending byte order, each after every
	// key of the earlier pages. Never nil.
	Keys []string
	// NextPageToken is the token of the next page (pass it to ListKeysPage);
	// "" on the last page.
	NextPageToken string
}

// ListKeysPage returns one page of the store's keys: the first for
// pageToken "", else the page after the one that returned pageToken as its
// NextPageToken, which must be asked with the same prefix (WithPrefix) on the
// same store. It is for callers who page themselves (e.g. across requests of
// their own); ListKeys iterates for the others. Errors: ErrInvalidArgument
// for a pageToken that is not kvd's or was issued for another store or
// prefix, or a negative page size (the message names page_token or
// page_size).
func (s *Store) ListKeysPage(ctx context.Context, pageToken string, opts ...ListOption) (KeyPage, error) {
	c := newListConfig(opts)
	req := &kvv1.ListKeysRequest{Store: s.handle, Prefix: c.prefix, PageSize: wirePageSize(c.pageSize), PageToken: pageToken}
	var resp *kvv1.ListKeysResponse
	err := s.call(ctx, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
		resp, err = s.client.kv.ListKeys(ctx, req, opts...)
		return err
	})
	if err != nil {
		return KeyPage{}, err
	}
	keys := resp.GetKeys()
	if keys == nil {
		keys = []string{}
	}
	return KeyPage{Keys: keys, NextPageToken: resp.GetNextPageToken()}, nil
}

// KeyIterator iterates over the keys of a listing, fetching each page only
// when the caller reaches it: ListKeys itself sends nothing, the first Next
// fetches the first page, and the Next after a page's last key fetches the
// next page. It is not safe for concurrent use.
//
//	it := store.ListKeys(ctx, kvd.WithPrefix("user/"))
//	for it.Next() {
//		fmt.Println(it.Key())
//	}
//	if err := it.Err(); err != nil { ... }
type KeyIterator struct {
	ctx   context.Context
	fetch func(ctx context.Context, pageToken string) (KeyPage, error)
	keys  []string // the current page's keys not yet returned by Next
	key   string
	token string // the next page's token
	done  bool   // the last page was fetched, or a fetch failed
	err   error
}

// ListKeys iterates over the store's keys (those starting with WithPrefix's
// prefix, in pages of WithPageSize's size), in ascending byte order. Each
// page is one ListKeysPage call under ctx (whose deadline, else the store's
// default, bounds each page, not the whole listing); no more than one page
// is held at a time. Check Err after Next returns false.
func (s *Store) ListKeys(ctx context.Context, opts ...ListOption) *KeyIterator {
	return newKeyIterator(ctx, func(ctx context.Context, token string) (KeyPage, error) {
		return s.ListKeysPage(ctx, token, opts...)
	})
}

func newKeyIterator(ctx context.Context, fetch func(context.Context, string) (KeyPage, error)) *KeyIterator {
	return &KeyIterator{ctx: ctx, fetch: fetch}
}

// Next advances to the next key, fetching the next page if the current one
// is used up, and reports whether there is one. It returns false at the end
// of the listing, or when a fetch failed (Err).
func (it *KeyIterator) Next() bool {
	for len(it.keys) == 0 {
		if it.done {
			it.key = ""
			return false
		}
		// A page may be short, or even empty, and still not be the last:
		// only an empty token ends the listing.
		page, err := it.fetch(it.ctx, it.token)
		if err != nil {
			it.err, it.done, it.key = err, true, ""
			return false
		}
		it.keys, it.token, it.done = page.Keys, page.NextPageToken, page.NextPageToken == ""
	}
	it.key, it.keys = it.keys[0], it.keys[1:]
	return true
}

// Key returns the key Next advanced to; "" before the first Next and after
// the last.
func (it *KeyIterator) Key() string { return it.key }

// Err returns the error that ended the iteration (an *Error, as from
// ListKeysPage), or nil if it ended with the last page or has not ended.
func (it *KeyIterator) Err() error { return it.err }
