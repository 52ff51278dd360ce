package kvd_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
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

// fakeKV is an in-process kv.v1.KeyValue server: it records the
// authorization header of each call and fails Get with NO_SUCH_KEY the way
// kvd does (status plus "kv-error-code" trailer), or with a bare status.
type fakeKV struct {
	kvv1.UnimplementedKeyValueServer
	mu   sync.Mutex
	auth []string
}

func (f *fakeKV) record(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auth = append(f.auth, md.Get("authorization")...)
}

func (f *fakeKV) Open(ctx context.Context, req *kvv1.OpenRequest) (*kvv1.OpenResponse, error) {
	f.record(ctx)
	return &kvv1.OpenResponse{Store: 7}, nil
}

func (f *fakeKV) Get(ctx context.Context, req *kvv1.GetRequest) (*kvv1.GetResponse, error) {
	f.record(ctx)
	switch req.Key {
	case "bare":
		return nil, status.Error(codes.Unavailable, "no trailer here")
	case "future":
		grpc.SetTrailer(ctx, metadata.Pairs("kv-error-code", "ERROR_CODE_FROM_THE_FUTURE"))
		return nil, status.Error(codes.Internal, "FROM_THE_FUTURE: ...")
	}
	grpc.SetTrailer(ctx, metadata.Pairs("kv-error-code", "ERROR_CODE_NO_SUCH_KEY"))
	return nil, status.Errorf(codes.NotFound, "NO_SUCH_KEY: key %q does not exist in store \"default\"", req.Key)
}

func (f *fakeKV) Close(ctx context.Context, req *kvv1.CloseRequest) (*kvv1.CloseResponse, error) {
	f.record(ctx)
	return &kvv1.CloseResponse{}, nil
}

// startFake serves a fakeKV on a unix socket and returns its "unix:" address.
func startFake(t *testing.T) (*fakeKV, string) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "kv.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	fake := &fakeKV{}
	kvv1.RegisterKeyValueServer(srv, fake)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return fake, "unix:" + sock
}

func TestErrorFromTrailerAndBearerToken(t *testing.T) {
	fake, addr := startFake(t)
	ctx := context.Background()
	store, err := kvd.Open(ctx, "default", kvd.WithAddress(addr), kvd.WithBearerToken("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if store.Handle() != 7 || store.Name() != "default" {
		t.Fatalf("store %q handle %d, want default, 7", store.Name(), store.Handle())
	}

	_, err = store.Get(ctx, "a")
	var e *kvd.Error
	if !errors.As(err, &e) || e.Code != kvd.CodeNoSuchKey || e.GRPCCode != codes.NotFound {
		t.Fatalf("Get: %#v", err)
	}
	if got, want := err.Error(), `kvd: NO_SUCH_KEY: key "a" does not exist in store "default" (NotFound)`; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if status.Code(err) != codes.NotFound || kvd.CodeOf(err) != kvd.CodeNoSuchKey {
		t.Fatalf("status.Code / CodeOf disagree on %v", err)
	}
	if wrapped := errors.New("x"); kvd.IsNoSuchKey(wrapped) {
		t.Fatal("IsNoSuchKey of a foreign error")
	}

	// No trailer: the code is UNSPECIFIED, and UNAVAILABLE means the server.
	_, err = store.Get(ctx, "bare")
	if kvd.CodeOf(err) != kvd.CodeUnspecified || !kvd.IsServerUnavailable(err) || kvd.IsBackendUnavailable(err) {
		t.Fatalf("bare: %#v", err)
	}
	// An unknown code name (a newer server) is UNSPECIFIED too.
	_, err = store.Get(ctx, "future")
	if kvd.CodeOf(err) != kvd.CodeUnspecified || status.Code(err) != codes.Internal {
		t.Fatalf("future: %#v", err)
	}

	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.auth) == 0 {
		t.Fatal("no authorization header sent")
	}
	for _, a := range fake.auth {
		if a != "Bearer s3cret" {
			t.Fatalf("authorization %q, want %q", a, "Bearer s3cret")
		}
	}
}

func TestErrorIs(t *testing.T) {
	backend := &kvd.Error{Code: kvd.CodeIO, GRPCCode: codes.Unavailable, Message: `IO: store "broken": open failed`}
	if !errors.Is(backend, kvd.ErrIO) || !errors.Is(backend, kvd.ErrBackendUnavailable) ||
		errors.Is(backend, kvd.ErrInvalidArgument) || errors.Is(backend, kvd.ErrServerUnavailable) {
		t.Fatalf("errors.Is disagrees on %v", backend)
	}
	if got, want := backend.Error(), `kvd: IO: store "broken": open failed (Unavailable)`; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	deadline := &kvd.Error{GRPCCode: codes.DeadlineExceeded, Message: "context deadline exceeded"}
	if !errors.Is(deadline, context.DeadlineExceeded) || errors.Is(deadline, context.Canceled) {
		t.Fatalf("errors.Is disagrees on %v", deadline)
	}
}

// TestOpenDefault uses the package-level Open: a connection per store, which
// Close closes; later calls fail with INVALID_STORE.
func TestOpenDefault(t *testing.T) {
	kvdAddr(t) // OpenDefault reads KVD_ADDR itself
	ctx := context.Background()
	store, err := kvd.OpenDefault(ctx, kvd.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Set(ctx, prefix+"open-default", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := store.Delete(ctx, prefix+"open-default"); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(ctx, prefix+"open-default"); !kvd.IsInvalidStore(err) || status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("Get after Close: %v", err)
	}
	if err := store.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	_, err = kvd.Open(ctx, "no-such-store")
	if !kvd.IsNoSuchStore(err) {
		t.Fatalf("Open(no-such-store): %v", err)
	}
}

func TestDeadline(t *testing.T) {
	kvdAddr(t)
	ctx := context.Background()
	store, err := kvd.OpenDefault(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	short, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	_, err = store.Exists(short, prefix+"deadline")
	if !errors.Is(err, context.DeadlineExceeded) || kvd.CodeOf(err) != kvd.CodeUnspecified {
		t.Fatalf("Exists past its deadline: %v", err)
	}
}

func TestServerUnreachable(t *testing.T) {
	ctx := context.Background()
	sock := filepath.Join(t.TempDir(), "nobody-listens.sock")
	_, err := kvd.OpenDefault(ctx, kvd.WithAddress("unix:"+sock), kvd.WithTimeout(5*time.Second))
	if !kvd.IsServerUnavailable(err) || kvd.IsBackendUnavailable(err) {
		t.Fatalf("OpenDefault with no server: %v", err)
	}
}
