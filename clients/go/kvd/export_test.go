package kvd

import (
	"context"
	"time"
)

// Test hooks: Update's wait and random source, and the backoff it computes,
// for update_test.go (package kvd_test), so that no test sleeps for real.

// Backoff is backoff, exported for tests.
var Backoff = backoff

// WithSleep replaces Update's wait.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) UpdateOption {
	return func(c *updateConfig) { c.sleep = sleep }
}

// WithRandom replaces Update's random source (numbers in [0, 1)).
func WithRandom(random func() float64) UpdateOption {
	return func(c *updateConfig) { c.random = random }
}
