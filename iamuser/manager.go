package iamuser

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/iamkit/iamkit/mfa"
)

// Manager onboards and offboards IAM users. Build one with New; it is safe
// for concurrent use.
type Manager struct {
	api    API
	clock  mfa.Clock
	rand   io.Reader
	log    *slog.Logger
	issuer string

	consistencyAttempts int
	consistencyDelay    time.Duration
}

// Option configures a Manager.
type Option func(*Manager)

// WithClock sets the clock used for TOTP codes and for waiting out IAM's
// eventual consistency (default: the system clock).
func WithClock(c mfa.Clock) Option { return func(m *Manager) { m.clock = c } }

// WithRand sets the source of randomness for passwords (default crypto/rand).
func WithRand(r io.Reader) Option { return func(m *Manager) { m.rand = r } }

// WithLogger sets the logger for progress messages. Secrets are never logged.
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// WithIssuer sets the issuer shown by authenticator apps (default
// "Amazon Web Services").
func WithIssuer(issuer string) Option { return func(m *Manager) { m.issuer = issuer } }

// WithConsistencyRetries sets how often a call that fails with NoSuchEntity or
// EntityTemporarilyUnmodifiable right after the user was created is retried,
// and the first delay (doubled each time, capped at 4 s). Defaults: 8 attempts
// from 250 ms, about 16 s in all.
func WithConsistencyRetries(attempts int, firstDelay time.Duration) Option {
	return func(m *Manager) { m.consistencyAttempts, m.consistencyDelay = attempts, firstDelay }
}

// New returns a Manager calling api, usually an *iam.Client built from
// config.LoadDefaultConfig (whose retryer handles throttling).
func New(api API, opts ...Option) *Manager {
	m := &Manager{
		api:                 api,
		clock:               mfa.SystemClock{},
		rand:                rand.Reader,
		log:                 slog.New(slog.DiscardHandler),
		consistencyAttempts: 8,
		consistencyDelay:    250 * time.Millisecond,
	}
	for _, o := range opts {
		o(m)
	}
	if m.consistencyAttempts < 1 {
		m.consistencyAttempts = 1
	}
	return m
}

// retryConsistency runs fn, retrying while IAM has not yet propagated a user
// created moments ago (NoSuchEntity, EntityTemporarilyUnmodifiable). It waits
// on the Manager's clock, so tests never sleep.
func (m *Manager) retryConsistency(ctx context.Context, fresh bool, fn func() error) error {
	delay := m.consistencyDelay
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !fresh || attempt >= m.consistencyAttempts || !isPropagationError(err) {
			return err
		}
		m.log.DebugContext(ctx, "waiting for IAM to propagate the new user", "attempt", attempt, "delay", delay)
		if serr := m.clock.Sleep(ctx, delay); serr != nil {
			return errors.Join(err, serr)
		}
		delay = min(delay*2, 4*time.Second)
	}
}

func isPropagationError(err error) bool {
	var nse *types.NoSuchEntityException
	var etu *types.EntityTemporarilyUnmodifiableException
	return errors.As(err, &nse) || errors.As(err, &etu)
}

func isNoSuchEntity(err error) bool {
	var nse *types.NoSuchEntityException
	return errors.As(err, &nse)
}

func isAlreadyExists(err error) bool {
	var e *types.EntityAlreadyExistsException
	return errors.As(err, &e)
}
