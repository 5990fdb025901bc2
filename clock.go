package iamkit

import (
	"context"
	"time"
)

// Clock is the one time source every iamkit package accepts (through its
// WithClock option). SystemClock is the real one; tests hand in the manual
// clock of an iamkittest account, so they never wait.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d, or returns ctx's error as soon as ctx is done. A d
	// of zero or less returns at once (with ctx's error if ctx is done).
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock: time.Now, and a Sleep on a timer that
// honours its context.
type SystemClock struct{}

var _ Clock = SystemClock{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d on a timer, or returns ctx.Err() as soon as ctx is done.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
