package kvd_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	kvv1 "github.com/kvd-project/kvd/clients/go/kv/v1"
	"github.com/kvd-project/kvd/clients/go/kvd"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// serveFake serves srv on a unix socket in a temporary folder and returns a
// Store opened on it (srv's Open must answer).
func serveFake(t *testing.T, srv kvv1.KeyValueServer) *kvd.Store {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "kv.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	kvv1.RegisterKeyValueServer(g, srv)
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	store, err := kvd.OpenDefault(context.Background(), kvd.WithAddress("unix:"+sock), kvd.WithTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// listKV is an in-process kv.v1.KeyValue server whose ListKeys pages through
// keys (sorted) as kvd does: keys after the token's, with the prefix, at most
// page_size (default 3 here), and a token while any key follows. It records
// every ListKeysRequest, so a test sees which pages were fetched when.
// Tokens are "after:" + the page's last key; a token of "bad" fails the way
// kvd fails a token that is not its own. With emptyPages, every other page
// is empty but not the last (a page may be short and still not end it).
type listKV struct {
	kvv1.UnimplementedKeyValueServer
	keys       []string
	emptyPages bool
	mu         sync.Mutex
	requests   []*kvv1.ListKeysRequest
}

func (f *listKV) Open(ctx context.Context, req *kvv1.OpenRequest) (*kvv1.OpenResponse, error) {
	return &kvv1.OpenResponse{Store: 7}, nil
}

func (f *listKV) Close(ctx context.Context, req *kvv1.CloseRequest) (*kvv1.CloseResponse, error) {
	return &kvv1.CloseResponse{}, nil
}

func (f *listKV) ListKeys(ctx context.Context, req *kvv1.ListKeysRequest) (*kvv1.ListKeysResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	if req.PageToken == "bad" {
		grpc.SetTrailer(ctx, metadata.Pairs("kv-error-code", "ERROR_CODE_IO"))
		return nil, status.Error(codes.InvalidArgument, "IO: page_token \"bad\" is not a page token of kvd's")
	}
	after := strings.TrimPrefix(req.PageToken, "after:")
	if f.emptyPages && req.PageToken != "" && !strings.HasSuffix(req.PageToken, "/") {
		// An empty page that is not the last: the same position, marked.
		return &kvv1.ListKeysResponse{NextPageToken: req.PageToken + "/"}, nil
	}
	after = strings.TrimSuffix(after, "/")
	size := int(req.PageSize)
	if size == 0 {
		size = 3
	}
	resp := &kvv1.ListKeysResponse{}
	for _, k := range f.keys {
		if !strings.HasPrefix(k, req.Prefix) || (req.PageToken != "" && k <= after) {
			continue
		}
		if len(resp.Keys) == size {
			resp.NextPageToken = "after:" + resp.Keys[size-1]
			break
		}
		resp.Keys = append(resp.Keys, k)
	}
	return resp, nil
}

// fetched returns the page tokens of the ListKeys calls so far.
func (f *listKV) fetched() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	tokens := []string{}
	for _, r := range f.requests {
		tokens = append(tokens, r.PageToken)
	}
	return tokens
}

// TestListKeysIsLazy: ListKeys sends nothing; the first Next fetches page 1;
// page 2 is fetched only by the Next after page 1's last key, and so on;
// the listing ends with the page whose token is empty.
func TestListKeysIsLazy(t *testing.T) {
	fake := &listKV{keys: []string{"a/1", "a/2", "a/3", "a/4", "a/5", "a/6", "a/7", "b/1"}}
	store := serveFake(t, fake)
	it := store.ListKeys(context.Background(), kvd.WithPrefix("a/"))
	if got := fake.fetched(); len(got) != 0 {
		t.Fatalf("ListKeys fetched %q before the first Next", got)
	}
	if it.Key() != "" {
		t.Fatalf("Key before Next = %q", it.Key())
	}
	want := [][]string{{""}, {""}, {""}, {"", "after:a/3"}, {"", "after:a/3"}, {"", "after:a/3"}, {"", "after:a/3", "after:a/6"}}
	var keys []string
	for i := 0; it.Next(); i++ {
		keys = append(keys, it.Key())
		if i >= len(want) {
			t.Fatalf("Next returned key %d, %q; want 7 keys", i, it.Key())
		}
		if got := fake.fetched(); !reflect.DeepEqual(got, want[i]) {
			t.Fatalf("after key %d (%q) the pages fetched were %q, want %q", i, it.Key(), got, want[i])
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(keys, []string{"a/1", "a/2", "a/3", "a/4", "a/5", "a/6", "a/7"}) {
		t.Fatalf("keys %q", keys)
	}
	if it.Next() || it.Key() != "" || len(fake.fetched()) != 3 {
		t.Fatalf("Next after the end: key %q, %d fetches", it.Key(), len(fake.fetched()))
	}
	for _, r := range fake.requests {
		if r.Store != 7 || r.Prefix != "a/" || r.PageSize != 0 {
			t.Fatalf("request %v: want store 7, prefix a/, page size 0 (kvd's default)", r)
		}
	}
}

// TestListKeysOptions: WithPageSize is sent (saturated to int32), and a
// listing with no keys ends at once with no error.
func TestListKeysOptions(t *testing.T) {
	fake := &listKV{keys: []string{"k1", "k2", "k3", "k4", "k5"}}
	store := serveFake(t, fake)
	it := store.ListKeys(context.Background(), kvd.WithPageSize(2))
	n := 0
	for it.Next() {
		n++
	}
	if it.Err() != nil || n != 5 || !reflect.DeepEqual(fake.fetched(), []string{"", "after:k2", "after:k4"}) {
		t.Fatalf("page size 2: %d keys, fetches %q, err %v", n, fake.fetched(), it.Err())
	}
	if _, err := store.ListKeysPage(context.Background(), "", kvd.WithPageSize(1<<40)); err != nil {
		t.Fatal(err)
	}
	if got := fake.requests[len(fake.requests)-1].PageSize; got != 1<<31-1 {
		t.Fatalf("page size 1<<40 sent as %d, want the int32 maximum", got)
	}
	it = store.ListKeys(context.Background(), kvd.WithPrefix("none/"))
	if it.Next() || it.Err() != nil {
		t.Fatalf("empty listing: Next true or err %v", it.Err())
	}
}

// TestListKeysEmptyPages: a page with no keys but a token does not end the
// listing.
func TestListKeysEmptyPages(t *testing.T) {
	fake := &listKV{keys: []string{"a", "b", "c", "d", "e", "f", "g"}, emptyPages: true}
	store := serveFake(t, fake)
	var keys []string
	for it := store.ListKeys(context.Background()); it.Next(); {
		keys = append(keys, it.Key())
	}
	if !reflect.DeepEqual(keys, []string{"a", "b", "c", "d", "e", "f", "g"}) {
		t.Fatalf("keys %q (fetches %q)", keys, fake.fetched())
	}
	if len(fake.fetched()) != 5 {
		t.Fatalf("fetches %q, want 5 (3 full pages, 2 empty ones between)", fake.fetched())
	}
}

// TestListKeysPage: the one-page call returns the page and its token, and
// kvd's refusal of a token as an *Error.
func TestListKeysPage(t *testing.T) {
	fake := &listKV{keys: []string{"p/1", "p/2", "p/3", "p/4", "q"}}
	store := serveFake(t, fake)
	ctx := context.Background()
	page, err := store.ListKeysPage(ctx, "", kvd.WithPrefix("p/"))
	if err != nil || !reflect.DeepEqual(page, kvd.KeyPage{Keys: []string{"p/1", "p/2", "p/3"}, NextPageToken: "after:p/3"}) {
		t.Fatalf("first page %+v, %v", page, err)
	}
	page, err = store.ListKeysPage(ctx, page.NextPageToken, kvd.WithPrefix("p/"))
	if err != nil || !reflect.DeepEqual(page, kvd.KeyPage{Keys: []string{"p/4"}}) {
		t.Fatalf("last page %+v, %v", page, err)
	}
	page, err = store.ListKeysPage(ctx, "", kvd.WithPrefix("none"))
	if err != nil || page.Keys == nil || len(page.Keys) != 0 || page.NextPageToken != "" {
		t.Fatalf("an empty page: %#v, %v (want Keys []string{}, never nil)", page, err)
	}
	_, err = store.ListKeysPage(ctx, "bad")
	var e *kvd.Error
	if !errors.As(err, &e) || !kvd.IsInvalidArgument(err) || e.Code != kvd.CodeIO || !strings.Contains(e.Message, "page_token") {
		t.Fatalf("a bad token: %v", err)
	}
}

// TestKeyIteratorError: a failed fetch ends the iteration, Err returns it,
// and Next fetches nothing more.
func TestKeyIteratorError(t *testing.T) {
	fake := &listKV{keys: []string{"a", "b", "c", "d"}}
	store := serveFake(t, fake)
	ctx, cancel := context.WithCancel(context.Background())
	it := store.ListKeys(ctx)
	for i := 0; i < 3; i++ {
		if !it.Next() {
			t.Fatalf("Next %d: false, %v", i, it.Err())
		}
	}
	cancel() // page 2 is fetched under a cancelled context
	if it.Next() {
		t.Fatalf("Next after cancel returned %q", it.Key())
	}
	if !errors.Is(it.Err(), context.Canceled) || it.Key() != "" {
		t.Fatalf("Err = %v, Key = %q; want context.Canceled, \"\"", it.Err(), it.Key())
	}
	n := len(fake.fetched())
	if it.Next() || len(fake.fetched()) != n {
		t.Fatal("Next after an error fetched again")
	}
}
