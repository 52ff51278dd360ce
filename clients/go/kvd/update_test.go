package kvd_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"reflect"
	"strconv"
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

// casKV is an in-process kv.v1.KeyValue server with kvd's revision semantics
// for one store: Get returns the revision, Set honours if_revision and fails
// a mismatch the way kvd does (ABORTED, "kv-error-code" and
// "kv-current-revision" trailers). Scripted interference makes Update's
// retries happen on demand:
//   - conflicts: the next that many conditional Sets find that "another
//     writer" changed the key first (its revision moves), and fail;
//   - setErr: every Set fails with it instead.
type casKV struct {
	kvv1.UnimplementedKeyValueServer
	mu        sync.Mutex
	values    map[string][]byte
	revs      map[string]uint64
	revision  uint64
	conflicts int
	setErr    error
	sets      []*uint64 // each Set's if_revision, as received
}

func (f *casKV) Open(ctx context.Context, req *kvv1.OpenRequest) (*kvv1.OpenResponse, error) {
	return &kvv1.OpenResponse{Store: 1}, nil
}

func (f *casKV) Close(ctx context.Context, req *kvv1.CloseRequest) (*kvv1.CloseResponse, error) {
	return &kvv1.CloseResponse{}, nil
}

func (f *casKV) Get(ctx context.Context, req *kvv1.GetRequest) (*kvv1.GetResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.values[req.Key]
	if !ok {
		grpc.SetTrailer(ctx, metadata.Pairs("kv-error-code", "ERROR_CODE_NO_SUCH_KEY"))
		return nil, status.Errorf(codes.NotFound, "NO_SUCH_KEY: key %q does not exist in store \"default\"", req.Key)
	}
	return &kvv1.GetResponse{Value: v, Revision: f.revs[req.Key]}, nil
}

func (f *casKV) Set(ctx context.Context, req *kvv1.SetRequest) (*kvv1.SetResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sets = append(f.sets, req.IfRevision)
	if f.setErr != nil {
		return nil, f.setErr
	}
	if req.IfRevision != nil && f.conflicts > 0 {
		f.conflicts--
		f.write(req.Key, []byte("another writer's"))
	}
	if req.IfRevision != nil && *req.IfRevision != f.revs[req.Key] {
		current := f.revs[req.Key]
		grpc.SetTrailer(ctx, metadata.Pairs("kv-error-code", "ERROR_CODE_CONDITION_FAILED",
			"kv-current-revision", strconv.FormatUint(current, 10)))
		return nil, status.Errorf(codes.Aborted,
			"CONDITION_FAILED: key %q in store \"default\" has revision %d, not %d", req.Key, current, *req.IfRevision)
	}
	return &kvv1.SetResponse{Revision: f.write(req.Key, req.Value)}, nil
}

// write stores value under key with the next revision; f.mu is held.
func (f *casKV) write(key string, value []byte) uint64 {
	f.revision++
	f.values[key] = value
	f.revs[key] = f.revision
	return f.revision
}

// SetMany fails as kvd does when entry 2's condition fails.
func (f *casKV) SetMany(ctx context.Context, req *kvv1.SetManyRequest) (*kvv1.SetManyResponse, error) {
	grpc.SetTrailer(ctx, metadata.Pairs("kv-error-code", "ERROR_CODE_CONDITION_FAILED",
		"kv-current-revision", "18446744073709551615", "kv-failed-index", "2"))
	return nil, status.Error(codes.Aborted, "CONDITION_FAILED: entry 2, key \"m2\" ...")
}

// DeleteMany fails with trailers that do not parse.
func (f *casKV) DeleteMany(ctx context.Context, req *kvv1.DeleteManyRequest) (*kvv1.DeleteManyResponse, error) {
	grpc.SetTrailer(ctx, metadata.Pairs("kv-error-code", "ERROR_CODE_CONDITION_FAILED",
		"kv-current-revision", "-3", "kv-failed-index", "x"))
	return nil, status.Error(codes.Aborted, "CONDITION_FAILED: ...")
}

// startCAS serves a casKV holding initial (revisions 1, 2, ...) on a unix
// socket, and returns it and a Store opened on it.
func startCAS(t *testing.T, initial map[string]string) (*casKV, *kvd.Store) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "kv.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	fake := &casKV{values: map[string][]byte{}, revs: map[string]uint64{}}
	for k, v := range initial {
		fake.write(k, []byte(v))
	}
	kvv1.RegisterKeyValueServer(srv, fake)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	store, err := kvd.OpenDefault(context.Background(), kvd.WithAddress("unix:"+sock), kvd.WithTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return fake, store
}

// sleeps records the waits Update asks for, without waiting.
type sleeps struct {
	mu  sync.Mutex
	got []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, d)
	return nil
}

// half is a random source that always returns 0.5.
func half() float64 { return 0.5 }

// appendBang is the update function of the scenario: absent -> "start",
// v -> v + "!". It counts its calls.
func appendBang(calls *int) kvd.UpdateFunc {
	return func(v []byte, found bool) ([]byte, error) {
		*calls++
		if !found {
			return []byte("start"), nil
		}
		return append(append([]byte{}, v...), '!'), nil
	}
}

func TestBackoff(t *testing.T) {
	almostOne := func() float64 { return 1 - 1e-12 }
	ms := time.Millisecond
	// The cap doubles from 10 ms and stops at 1 s.
	for n, want := range map[int]time.Duration{
		1: 10 * ms, 2: 20 * ms, 3: 40 * ms, 4: 80 * ms, 5: 160 * ms, 6: 320 * ms, 7: 640 * ms,
		8: time.Second, 9: time.Second, 1000: time.Second,
	} {
		got := kvd.Backoff(n, almostOne)
		if got > want || got < want-time.Microsecond {
			t.Errorf("Backoff(%d, ~1) = %v, want just under %v", n, got, want)
		}
	}
	// Full jitter: the wait is random() times the cap, from 0 up.
	if got := kvd.Backoff(3, func() float64 { return 0 }); got != 0 {
		t.Errorf("Backoff(3, 0) = %v, want 0", got)
	}
	if got := kvd.Backoff(2, half); got != 10*ms {
		t.Errorf("Backoff(2, 0.5) = %v, want 10ms", got)
	}
	if got := kvd.Backoff(12, func() float64 { return 0.25 }); got != 250*ms {
		t.Errorf("Backoff(12, 0.25) = %v, want 250ms", got)
	}
}

// TestUpdateRetriesAfterConflicts: three conflicting writers, then success;
// each retry waits the jittered backoff, reads again and writes with the
// revision it read.
func TestUpdateRetriesAfterConflicts(t *testing.T) {
	fake, store := startCAS(t, map[string]string{"k": "v"}) // revision 1
	fake.conflicts = 3
	var s sleeps
	calls := 0
	rev, err := store.Update(context.Background(), "k", appendBang(&calls), kvd.WithSleep(s.sleep), kvd.WithRandom(half))
	if err != nil {
		t.Fatal(err)
	}
	// Revisions: 1 initial; each conflict writes one (2, 3, 4); ours is 5.
	if rev != 5 || calls != 4 {
		t.Fatalf("Update returned revision %d after %d calls of fn, want 5 after 4", rev, calls)
	}
	if want := []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}; !reflect.DeepEqual(s.got, want) {
		t.Fatalf("waits %v, want %v", s.got, want)
	}
	var conds []uint64
	for _, c := range fake.sets {
		if c == nil {
			t.Fatal("Update wrote without a condition")
		}
		conds = append(conds, *c)
	}
	// Each attempt's condition is the revision it read: 1, then the
	// conflicting writers' 2, 3 and 4.
	if want := []uint64{1, 2, 3, 4}; !reflect.DeepEqual(conds, want) {
		t.Fatalf("if_revisions %v, want %v", conds, want)
	}
	if got := string(fake.values["k"]); got != "another writer's!" {
		t.Fatalf("value %q, want fn's result on the last value read", got)
	}
}

// TestUpdateGivesUp: with every attempt conflicting, Update tries
// WithMaxAttempts times in all, waits between attempts only, and returns
// the last CONDITION_FAILED with the key's current revision.
func TestUpdateGivesUp(t *testing.T) {
	for _, max := range []int{1, 2, 4} {
		fake, store := startCAS(t, map[string]string{"k": "v"})
		fake.conflicts = 1000
		var s sleeps
		calls := 0
		_, err := store.Update(context.Background(), "k", appendBang(&calls),
			kvd.WithMaxAttempts(max), kvd.WithSleep(s.sleep), kvd.WithRandom(half))
		if !kvd.IsConditionFailed(err) || status.Code(err) != codes.Aborted {
			t.Fatalf("max %d: %v, want CONDITION_FAILED", max, err)
		}
		current, ok := kvd.ConditionFailedRevision(err)
		if !ok || current != uint64(1+max) {
			t.Fatalf("max %d: current revision %d (%v), want %d", max, current, ok, 1+max)
		}
		if calls != max || len(fake.sets) != max || len(s.got) != max-1 {
			t.Fatalf("max %d: fn called %d times, %d writes, %d waits; want %d, %d, %d",
				max, calls, len(fake.sets), len(s.got), max, max, max-1)
		}
	}
}

// TestUpdateDefaultAttempts: without WithMaxAttempts, 10 attempts and 9
// waits, whose caps double up to 1 s.
func TestUpdateDefaultAttempts(t *testing.T) {
	fake, store := startCAS(t, nil)
	fake.conflicts = 1000
	var s sleeps
	calls := 0
	_, err := store.Update(context.Background(), "k", appendBang(&calls), kvd.WithSleep(s.sleep),
		kvd.WithRandom(func() float64 { return 1 - 1e-12 }))
	if !kvd.IsConditionFailed(err) || calls != kvd.DefaultMaxAttempts || len(s.got) != 9 {
		t.Fatalf("%v after %d calls and %d waits, want CONDITION_FAILED after 10 and 9", err, calls, len(s.got))
	}
	for i, want := range []time.Duration{10, 20, 40, 80, 160, 320, 640, 1000, 1000} {
		if d := s.got[i]; d > want*time.Millisecond || d < want*time.Millisecond-time.Microsecond {
			t.Fatalf("wait %d: %v, want just under %v", i+1, d, want*time.Millisecond)
		}
	}
}

// TestUpdateAbsentKey: fn sees found false, and the write is create-only
// (if_revision 0 present on the wire).
func TestUpdateAbsentKey(t *testing.T) {
	fake, store := startCAS(t, nil)
	var sawFound, sawNil bool
	rev, err := store.Update(context.Background(), "new", func(v []byte, found bool) ([]byte, error) {
		sawFound, sawNil = found, v == nil
		return []byte("first"), nil
	})
	if err != nil || rev != 1 {
		t.Fatalf("Update of an absent key: revision %d, %v", rev, err)
	}
	if sawFound || !sawNil {
		t.Fatalf("fn saw found %v, nil value %v; want false, true", sawFound, sawNil)
	}
	if len(fake.sets) != 1 || fake.sets[0] == nil || *fake.sets[0] != 0 {
		t.Fatalf("the write's if_revision was %v, want present and 0", fake.sets)
	}
}

// TestUpdateStopsAtOnce: an error from fn, or any error but
// CONDITION_FAILED, ends Update without a retry or a wait.
func TestUpdateStopsAtOnce(t *testing.T) {
	boom := errors.New("boom")
	fake, store := startCAS(t, map[string]string{"k": "v"})
	var s sleeps
	_, err := store.Update(context.Background(), "k", func([]byte, bool) ([]byte, error) { return nil, boom },
		kvd.WithSleep(s.sleep))
	if err != boom || len(fake.sets) != 0 || len(s.got) != 0 {
		t.Fatalf("fn's error: got %v after %d writes and %d waits, want boom, 0, 0", err, len(fake.sets), len(s.got))
	}

	fake.setErr = status.Error(codes.Unavailable, "IO: backend down")
	calls := 0
	_, err = store.Update(context.Background(), "k", appendBang(&calls), kvd.WithSleep(s.sleep))
	if status.Code(err) != codes.Unavailable || kvd.IsConditionFailed(err) || calls != 1 || len(s.got) != 0 {
		t.Fatalf("a write error: got %v after %d calls and %d waits, want UNAVAILABLE, 1, 0", err, calls, len(s.got))
	}

	_, err = store.Update(context.Background(), "k", appendBang(&calls), kvd.WithMaxAttempts(0))
	if !kvd.IsInvalidArgument(err) {
		t.Fatalf("WithMaxAttempts(0): %v, want an invalid argument", err)
	}
}

// TestUpdateContextDoneWhileWaiting: a context that ends during the wait
// ends Update with an error matching the context's.
func TestUpdateContextDoneWhileWaiting(t *testing.T) {
	fake, store := startCAS(t, map[string]string{"k": "v"})
	fake.conflicts = 1000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	_, err := store.Update(ctx, "k", appendBang(&calls), kvd.WithSleep(func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}))
	if !errors.Is(err, context.Canceled) || status.Code(err) != codes.Canceled || calls != 1 {
		t.Fatalf("cancelled while waiting: %v after %d calls, want context.Canceled after 1", err, calls)
	}
	// The real wait honours the context too: one already done returns at once.
	_, err = store.Update(ctx, "k", appendBang(&calls), kvd.WithRandom(func() float64 { return 1 - 1e-12 }))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Update under a cancelled context: %v", err)
	}
}

// TestConditionFailedTrailers: the current revision (all of uint64) and the
// failed index reach the *Error; trailers that do not parse leave them unset.
func TestConditionFailedTrailers(t *testing.T) {
	_, store := startCAS(t, nil)
	_, err := store.SetMany(context.Background(), []kvd.Write{{Key: "m1"}, {Key: "m3"}, {Key: "m2"}})
	var e *kvd.Error
	if !errors.As(err, &e) || !kvd.IsConditionFailed(err) || e.GRPCCode != codes.Aborted {
		t.Fatalf("SetMany: %v", err)
	}
	if e.CurrentRevision != 1<<64-1 || e.FailedIndex != 2 {
		t.Fatalf("current revision %d, failed index %d; want %d, 2", e.CurrentRevision, e.FailedIndex, uint64(1<<64-1))
	}
	_, err = store.DeleteMany(context.Background(), []string{"a"})
	if !errors.As(err, &e) || e.CurrentRevision != 0 || e.FailedIndex != -1 {
		t.Fatalf("DeleteMany with bad trailers: %#v", err)
	}
	// A call that names no entry has FailedIndex -1.
	_, err = store.Get(context.Background(), "absent")
	if !errors.As(err, &e) || e.FailedIndex != -1 || e.CurrentRevision != 0 {
		t.Fatalf("Get: %#v", err)
	}
	if _, ok := kvd.ConditionFailedRevision(err); ok {
		t.Fatal("ConditionFailedRevision of NO_SUCH_KEY")
	}
}

// TestConditions: what each Condition sends, and more than one is refused.
func TestConditions(t *testing.T) {
	fake, store := startCAS(t, nil)
	ctx := context.Background()
	if _, err := store.SetEntry(ctx, "k", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SetEntry(ctx, "k", []byte("b"), kvd.IfRevision(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SetEntry(ctx, "k2", []byte("c"), kvd.IfAbsent()); err != nil {
		t.Fatal(err)
	}
	var sent []string
	for _, c := range fake.sets {
		if c == nil {
			sent = append(sent, "none")
		} else {
			sent = append(sent, fmt.Sprint(*c))
		}
	}
	if want := []string{"none", "1", "0"}; !reflect.DeepEqual(sent, want) {
		t.Fatalf("if_revisions sent %v, want %v", sent, want)
	}
	for c, want := range map[kvd.Condition]string{{}: "none", kvd.IfAbsent(): "if absent", kvd.IfRevision(7): "if revision 7"} {
		if got := c.String(); got != want {
			t.Errorf("Condition %#v prints %q, want %q", c, got, want)
		}
	}
	_, err := store.SetEntry(ctx, "k", []byte("x"), kvd.IfRevision(1), kvd.IfAbsent())
	if !kvd.IsInvalidArgument(err) || len(fake.sets) != 3 {
		t.Fatalf("two Conditions: %v (%d writes sent)", err, len(fake.sets))
	}
}
