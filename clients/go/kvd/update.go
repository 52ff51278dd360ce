package kvd

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DefaultMaxAttempts is how many times Update tries in all unless
// WithMaxAttempts says otherwise.
const DefaultMaxAttempts = 10

// The backoff between Update's attempts: full jitter (a uniformly random
// wait between 0 and the cap), the cap doubling from firstBackoff up to
// maxBackoff, as clients/SCENARIO.md specifies for every client.
const (
	firstBackoff = 10 * time.Millisecond
	maxBackoff   = time.Second
)

// UpdateFunc computes a key's new value from its current one: the value and
// found true if the key exists, nil and false if it does not. It may be
// called more than once (once per attempt), so it should not have effects
// beyond computing the value. An error from it ends Update, which returns
// that error as it is.
type UpdateFunc func(value []byte, found bool) ([]byte, error)

// An UpdateOption configures Update.
type UpdateOption func(*updateConfig)

type updateConfig struct {
	maxAttempts int
	// sleep waits d or until ctx is done (then it returns ctx.Err()).
	sleep func(ctx context.Context, d time.Duration) error
	// random returns a number in [0, 1).
	random func() float64
}

// WithMaxAttempts sets how many times Update tries in all (reads, calls fn
// and writes), at least 1. The default is DefaultMaxAttempts (10).
func WithMaxAttempts(n int) UpdateOption {
	return func(c *updateConfig) { c.maxAttempts = n }
}

// Update is a read-modify-write of key that loses no concurrent write: it
// reads the key with its revision, calls fn with the value (or found false),
// and writes fn's result with the condition that the revision is still the
// one read (IfRevision; IfAbsent when the key was absent). If another
// writer got there first (ErrConditionFailed) it waits a jittered,
// exponentially growing time (full jitter, from 10 ms doubling to at most
// 1 s) and tries again, at most WithMaxAttempts times in all (default 10);
// then it returns the last ErrConditionFailed. Any other error, or an error
// from fn, ends it at once. It returns the revision it wrote.
//
// The context bounds the whole update, waits included; each RPC's deadline
// is the context's, else the store's default (WithTimeout). A context done
// while waiting ends Update with an *Error that matches context.Canceled or
// context.DeadlineExceeded.
func (s *Store) Update(ctx context.Context, key string, fn UpdateFunc, opts ...UpdateOption) (uint64, error) {
	cfg := updateConfig{maxAttempts: DefaultMaxAttempts, sleep: sleepContext, random: jitterRandom}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.maxAttempts < 1 {
		return 0, &Error{
			Code:        CodeIO,
			GRPCCode:    codes.InvalidArgument,
			Message:     fmt.Sprintf("IO: Update of key %q: WithMaxAttempts(%d) must be at least 1", key, cfg.maxAttempts),
			FailedIndex: -1,
		}
	}
	for attempt := 1; ; attempt++ {
		rev, err := s.tryUpdate(ctx, key, fn)
		if err == nil {
			return rev, nil
		}
		if !IsConditionFailed(err) || attempt >= cfg.maxAttempts {
			return 0, err
		}
		if err := cfg.sleep(ctx, backoff(attempt, cfg.random)); err != nil {
			return 0, &Error{
				GRPCCode: status.FromContextError(err).Code(),
				Message: fmt.Sprintf("Update of key %q in store %q: %v while waiting to retry after attempt %d",
					key, s.name, err, attempt),
				FailedIndex: -1,
			}
		}
	}
}

// tryUpdate is one attempt of Update: read, fn, conditional write.
func (s *Store) tryUpdate(ctx context.Context, key string, fn UpdateFunc) (uint64, error) {
	var value []byte
	var rev uint64
	found := true
	entry, err := s.GetEntry(ctx, key)
	switch {
	case IsNoSuchKey(err):
		found = false
	case err != nil:
		return 0, err
	default:
		value, rev = entry.Value, entry.Revision
	}
	next, err := fn(value, found)
	if err != nil {
		return 0, err
	}
	// rev is 0 when the key was absent: IfRevision(0) is create-only.
	return s.SetEntry(ctx, key, next, IfRevision(rev))
}

// backoff returns the wait before retry number n (1 for the wait after the
// first attempt): random() times the cap, which is firstBackoff doubled n-1
// times, at most maxBackoff.
func backoff(n int, random func() float64) time.Duration {
	limit := firstBackoff
	for i := 1; i < n && limit < maxBackoff; i++ {
		limit *= 2
	}
	if limit > maxBackoff {
		limit = maxBackoff
	}
	return time.Duration(random() * float64(limit))
}

// sleepContext waits d, or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// jitter is the random source of the backoff. It is seeded from the clock:
// in Go 1.19 math/rand's global source always starts from the same seed, so
// processes started together would retry in step.
var jitter = struct {
	sync.Mutex
	r *rand.Rand
}{r: rand.New(rand.NewSource(time.Now().UnixNano()))}

func jitterRandom() float64 {
	jitter.Lock()
	defer jitter.Unlock()
	return jitter.r.Float64()
}
