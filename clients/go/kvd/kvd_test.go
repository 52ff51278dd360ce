package kvd_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
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

// fakeKV is an in-process kv.v1.KeyValue server: it records the
// authorization header of each call and fails Get with NO_SUCH_KEY the way
// kvd does (status plus "kv-error-code" trailer), or with a bare status.
//
// Exists and Close record the deadline each call arrived with (the client
// sends it as grpc-timeout), so tests see which deadline a call got without
// waiting for any. Set of the key "block" signals blocked and waits until the
// client cancels it.
type fakeKV struct {
	kvv1.UnimplementedKeyValueServer
	mu        sync.Mutex
	auth      []string
	deadlines []time.Duration // time left at arrival; -1: no deadline
	blocked   chan struct{}
}

func (f *fakeKV) recordDeadline(ctx context.Context) {
	left := time.Duration(-1)
	if d, ok := ctx.Deadline(); ok {
		left = time.Until(d)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deadlines = append(f.deadlines, left)
}

// lastDeadline returns the time left that the last Exists or Close arrived
// with, -1 if it had no deadline.
func (f *fakeKV) lastDeadline(t *testing.T) time.Duration {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.deadlines) == 0 {
		t.Fatal("the fake server saw no call")
	}
	return f.deadlines[len(f.deadlines)-1]
}

func (f *fakeKV) Exists(ctx context.Context, req *kvv1.ExistsRequest) (*kvv1.ExistsResponse, error) {
	f.recordDeadline(ctx)
	return &kvv1.ExistsResponse{}, nil
}

func (f *fakeKV) Set(ctx context.Context, req *kvv1.SetRequest) (*kvv1.SetResponse, error) {
	if req.Key == "block" {
		f.blocked <- struct{}{}
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	return &kvv1.SetResponse{}, nil
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
	f.recordDeadline(ctx)
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
	fake := &fakeKV{blocked: make(chan struct{}, 1)}
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

// TestDeadlineOverridesDefault: against a real kvd, a context whose deadline
// has passed fails the call at once even though the store's default
// (WithTimeout) is an hour.
func TestDeadlineOverridesDefault(t *testing.T) {
	kvdAddr(t)
	ctx := context.Background()
	store, err := kvd.OpenDefault(ctx, kvd.WithTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	expired, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	_, err = store.Exists(expired, prefix+"deadline")
	if !errors.Is(err, context.DeadlineExceeded) || kvd.CodeOf(err) != kvd.CodeUnspecified ||
		status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("Exists past its deadline: %v", err)
	}
}

// TestPerCallDeadline checks which deadline each call carries to the server
// (the fake records what it received): the context's when it has one,
// sooner or later than the store's default; else the default; else none
// (Close: 10 s). The margins are minutes, so no scheduling delay matters.
func TestPerCallDeadline(t *testing.T) {
	fake, addr := startFake(t)
	ctx := context.Background()
	within := func(what string, left, lo, hi time.Duration) {
		t.Helper()
		if left < lo || left > hi {
			t.Fatalf("%s: the call arrived with %v left, want between %v and %v", what, left, lo, hi)
		}
	}
	ctxWithin := func(d time.Duration) context.Context {
		c, cancel := context.WithTimeout(ctx, d)
		t.Cleanup(cancel)
		return c
	}

	def, err := kvd.Open(ctx, "default", kvd.WithAddress(addr), kvd.WithTimeout(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := def.Exists(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	within("no context deadline, default 10m", fake.lastDeadline(t), 9*time.Minute, 10*time.Minute)
	if _, err := def.Exists(ctxWithin(time.Hour), "k"); err != nil {
		t.Fatal(err)
	}
	within("context 1h over default 10m", fake.lastDeadline(t), 59*time.Minute, time.Hour)
	if _, err := def.Exists(ctxWithin(time.Minute), "k"); err != nil {
		t.Fatal(err)
	}
	within("context 1m under default 10m", fake.lastDeadline(t), 50*time.Second, time.Minute)
	if err := def.CloseContext(ctxWithin(time.Hour)); err != nil {
		t.Fatal(err)
	}
	within("CloseContext 1h over default 10m", fake.lastDeadline(t), 59*time.Minute, time.Hour)

	none, err := kvd.Open(ctx, "default", kvd.WithAddress(addr))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := none.Exists(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if left := fake.lastDeadline(t); left != -1 {
		t.Fatalf("no deadline and no default: the call arrived with a deadline (%v left)", left)
	}
	if err := none.Close(); err != nil {
		t.Fatal(err)
	}
	within("Close without a default", fake.lastDeadline(t), 5*time.Second, 10*time.Second)
}

// TestCancel: cancelling the context of a call in flight ends it with
// context.Canceled.
func TestCancel(t *testing.T) {
	fake, addr := startFake(t)
	ctx := context.Background()
	store, err := kvd.Open(ctx, "default", kvd.WithAddress(addr), kvd.WithTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	callCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- store.Set(callCtx, "block", []byte("v")) }()
	<-fake.blocked // the call is at the server
	cancel()
	err = <-done
	if !errors.Is(err, context.Canceled) || kvd.CodeOf(err) != kvd.CodeUnspecified || status.Code(err) != codes.Canceled {
		t.Fatalf("Set cancelled in flight: %v", err)
	}
}

// TestServerUnreachable: with nothing listening, the first call fails as
// IsServerUnavailable, and the message names the address tried.
func TestServerUnreachable(t *testing.T) {
	ctx := context.Background()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := lis.Addr().String()
	lis.Close()
	for _, addr := range []string{
		"unix:" + filepath.Join(t.TempDir(), "nobody-listens.sock"),
		closedPort,
	} {
		_, err := kvd.OpenDefault(ctx, kvd.WithAddress(addr), kvd.WithTimeout(30*time.Second))
		if !kvd.IsServerUnavailable(err) || kvd.IsBackendUnavailable(err) {
			t.Fatalf("OpenDefault(%s) with no server: %v", addr, err)
		}
		if want := "cannot reach kvd at " + addr; !strings.Contains(err.Error(), want) {
			t.Fatalf("OpenDefault(%s): %q does not contain %q", addr, err, want)
		}
	}
}

// TestErrorCodeNames: an ErrorCode prints as kvd's messages name it, and
// converts to and from the proto enum.
func TestErrorCodeNames(t *testing.T) {
	for code, want := range map[kvd.ErrorCode]string{
		kvd.CodeUnspecified:     "UNSPECIFIED",
		kvd.CodeStoreTableFull:  "STORE_TABLE_FULL",
		kvd.CodeNoSuchStore:     "NO_SUCH_STORE",
		kvd.CodeAccessDenied:    "ACCESS_DENIED",
		kvd.CodeInvalidStore:    "INVALID_STORE",
		kvd.CodeNoSuchKey:       "NO_SUCH_KEY",
		kvd.CodeIO:              "IO",
		kvd.CodeConditionFailed: "CONDITION_FAILED",
		kvd.CodeNotAnInteger:    "NOT_AN_INTEGER",
		kvd.CodeOutOfRange:      "OUT_OF_RANGE",
		kvd.ErrorCode(42):       "ErrorCode(42)",
	} {
		if got := fmt.Sprint(code); got != want {
			t.Errorf("fmt.Sprint(ErrorCode(%d)) = %q, want %q", int32(code), got, want)
		}
	}
	e := &kvd.Error{Code: kvd.CodeNoSuchKey, GRPCCode: codes.NotFound}
	if got := fmt.Sprintf("%v %v", e.Code, e.GRPCCode); got != "NO_SUCH_KEY NotFound" {
		t.Errorf("Code, GRPCCode print as %q", got)
	}
	if kvv1.ErrorCode(kvd.CodeIO) != kvv1.ErrorCode_ERROR_CODE_IO ||
		kvd.ErrorCode(kvv1.ErrorCode_ERROR_CODE_NO_SUCH_KEY) != kvd.CodeNoSuchKey {
		t.Error("ErrorCode does not convert to and from kvv1.ErrorCode")
	}
}

// TestHelpers: every helper agrees with its sentinel and matches exactly the
// errors it documents, over every ErrorCode crossed with the gRPC codes kvd
// uses.
func TestHelpers(t *testing.T) {
	type helper struct {
		name     string
		is       func(error) bool
		sentinel error
		matches  func(kvd.ErrorCode, codes.Code) bool
	}
	code := func(c kvd.ErrorCode) func(kvd.ErrorCode, codes.Code) bool {
		return func(got kvd.ErrorCode, _ codes.Code) bool { return got == c }
	}
	both := func(c kvd.ErrorCode, g codes.Code) func(kvd.ErrorCode, codes.Code) bool {
		return func(gotC kvd.ErrorCode, gotG codes.Code) bool { return gotC == c && gotG == g }
	}
	helpers := []helper{
		{"IsNoSuchKey", kvd.IsNoSuchKey, kvd.ErrNoSuchKey, code(kvd.CodeNoSuchKey)},
		{"IsNoSuchStore", kvd.IsNoSuchStore, kvd.ErrNoSuchStore, code(kvd.CodeNoSuchStore)},
		{"IsAccessDenied", kvd.IsAccessDenied, kvd.ErrAccessDenied, code(kvd.CodeAccessDenied)},
		{"IsInvalidStore", kvd.IsInvalidStore, kvd.ErrInvalidStore, code(kvd.CodeInvalidStore)},
		{"IsStoreTableFull", kvd.IsStoreTableFull, kvd.ErrStoreTableFull, code(kvd.CodeStoreTableFull)},
		{"IsIO", kvd.IsIO, kvd.ErrIO, code(kvd.CodeIO)},
		{"IsInvalidArgument", kvd.IsInvalidArgument, kvd.ErrInvalidArgument, both(kvd.CodeIO, codes.InvalidArgument)},
		{"IsBackendUnavailable", kvd.IsBackendUnavailable, kvd.ErrBackendUnavailable, both(kvd.CodeIO, codes.Unavailable)},
		{"IsServerUnavailable", kvd.IsServerUnavailable, kvd.ErrServerUnavailable, both(kvd.CodeUnspecified, codes.Unavailable)},
		{"IsConditionFailed", kvd.IsConditionFailed, kvd.ErrConditionFailed, code(kvd.CodeConditionFailed)},
		{"IsNotAnInteger", kvd.IsNotAnInteger, kvd.ErrNotAnInteger, code(kvd.CodeNotAnInteger)},
		{"IsOutOfRange", kvd.IsOutOfRange, kvd.ErrOutOfRange, code(kvd.CodeOutOfRange)},
	}
	grpcCodes := []codes.Code{codes.NotFound, codes.PermissionDenied, codes.ResourceExhausted,
		codes.FailedPrecondition, codes.Unavailable, codes.Internal, codes.InvalidArgument,
		codes.DeadlineExceeded, codes.Canceled, codes.Unauthenticated, codes.Aborted, codes.OutOfRange}
	for c := kvd.CodeUnspecified; c <= kvd.CodeOutOfRange; c++ {
		for _, g := range grpcCodes {
			err := fmt.Errorf("wrapped: %w", &kvd.Error{Code: c, GRPCCode: g, Message: "m"})
			for _, h := range helpers {
				want := h.matches(c, g)
				if got := h.is(err); got != want || errors.Is(err, h.sentinel) != want {
					t.Errorf("%s(%v/%v) = %v, errors.Is = %v; want %v", h.name, c, g, got, errors.Is(err, h.sentinel), want)
				}
			}
		}
	}
	for _, h := range helpers {
		if h.is(nil) || h.is(errors.New(h.name)) {
			t.Errorf("%s matches nil or a foreign error", h.name)
		}
	}
}
