package broker

import (
	"sync"
	"time"

	"github.com/iamkit/iamkit"
)

// Rate-limit defaults: each person may mint DefaultRateBurst login URLs at
// once, then one more every DefaultRateEvery.
const (
	DefaultRateBurst = 10
	DefaultRateEvery = 30 * time.Second
)

// maxTracked bounds the people the limiter remembers; past it, those whose
// allowance is whole again are forgotten (they lose nothing).
const maxTracked = 10000

// limiter is a token bucket per person: burst tokens, one back every
// every. It reads the time from clock, so tests advance it by hand.
type limiter struct {
	burst int
	every time.Duration
	clock iamkit.Clock

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was computed
}

func newLimiter(burst int, every time.Duration, clock iamkit.Clock) *limiter {
	if burst <= 0 {
		return nil
	}
	return &limiter{burst: burst, every: every, clock: clock, buckets: map[string]*bucket{}}
}

// allow takes one token of person's and reports whether there was one;
// when not, it returns how long until there is.
func (l *limiter) allow(person string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[person]
	if !ok {
		if len(l.buckets) >= maxTracked {
			l.forgetFull(now)
		}
		b = &bucket{tokens: float64(l.burst), at: now}
		l.buckets[person] = b
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) * float64(l.every))
	return false, wait
}

func (l *limiter) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = min(float64(l.burst), b.tokens+float64(elapsed)/float64(l.every))
		b.at = now
	}
}

// forgetFull drops the buckets that are full again. Callers hold l.mu.
func (l *limiter) forgetFull(now time.Time) {
	for p, b := range l.buckets {
		if l.refill(b, now); b.tokens >= float64(l.burst) {
			delete(l.buckets, p)
		}
	}
}
