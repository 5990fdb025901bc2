package iamuser

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/iamkit/iamkit"
)

// settings are what the options set; Manager and Offboarder share them.
type settings struct {
	clock  iamkit.Clock
	rand   io.Reader
	log    *slog.Logger
	issuer string

	consistencyAttempts int
	consistencyDelay    time.Duration

	// afterOffboard is WithAfterOffboard's hook (hook.go).
	afterOffboard func(ctx context.Context, userName string) error

	// OnboardBulk's (see bulk.go).
	concurrency int
	progress    func(done, total int, r BulkResult)
}

func newSettings(opts []Option) settings {
	s := settings{
		clock:               iamkit.SystemClock{},
		rand:                rand.Reader,
		log:                 slog.New(slog.DiscardHandler),
		consistencyAttempts: 8,
		consistencyDelay:    250 * time.Millisecond,
	}
	for _, o := range opts {
		o(&s)
	}
	if s.clock == nil {
		s.clock = iamkit.SystemClock{}
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.consistencyAttempts < 1 {
		s.consistencyAttempts = 1
	}
	return s
}

// Option configures a Manager or an Offboarder, or one OnboardBulk call. An
// option that does not concern offboarding (WithClock, WithRand, WithIssuer,
// WithConsistencyRetries, WithConcurrency, WithProgress) is accepted and
// ignored by NewOffboarder; OnboardBulk reads only WithConcurrency and
// WithProgress.
type Option func(*settings)

// WithClock sets the clock used for TOTP codes and for waiting out IAM's
// eventual consistency (default iamkit.SystemClock).
func WithClock(c iamkit.Clock) Option { return func(s *settings) { s.clock = c } }

// WithRand sets the source of randomness for passwords (default crypto/rand).
func WithRand(r io.Reader) Option { return func(s *settings) { s.rand = r } }

// WithLogger sets the logger for progress messages (nil discards). Secrets
// are never logged.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.log = l } }

// WithIssuer sets the issuer shown by authenticator apps (default
// "Amazon Web Services").
func WithIssuer(issuer string) Option { return func(s *settings) { s.issuer = issuer } }

// WithConsistencyRetries sets how often a call that fails with NoSuchEntity or
// EntityTemporarilyUnmodifiable right after the user was created is retried,
// and the first delay (doubled each time, capped at 4 s). Defaults: 8 attempts
// from 250 ms, about 16 s in all.
func WithConsistencyRetries(attempts int, firstDelay time.Duration) Option {
	return func(s *settings) { s.consistencyAttempts, s.consistencyDelay = attempts, firstDelay }
}

// Manager onboards IAM users, one ([Manager.Onboard]) or from a CSV file
// ([Manager.OnboardBulk]). Build one with New; it is safe for concurrent use.
// Offboarding is the [Offboarder]'s.
type Manager struct {
	api OnboardAPI
	settings
}

// New returns a Manager calling api — only the methods of OnboardAPI —,
// usually an *iam.Client built from config.LoadDefaultConfig (whose retryer
// handles throttling).
func New(api OnboardAPI, opts ...Option) *Manager {
	return &Manager{api: api, settings: newSettings(opts)}
}

// Offboarder removes IAM users ([Offboarder.PlanOffboard],
// [Offboarder.ApplyOffboard], [Offboarder.Offboard]). Build one with
// NewOffboarder; it is safe for concurrent use.
type Offboarder struct {
	api OffboardAPI
	settings
}

// NewOffboarder returns an Offboarder calling api — only the methods of
// OffboardAPI —, usually an *iam.Client. Of the options, only WithLogger
// concerns offboarding.
func NewOffboarder(api OffboardAPI, opts ...Option) *Offboarder {
	return &Offboarder{api: api, settings: newSettings(opts)}
}

// retryConsistency runs fn, retrying while IAM has not yet propagated a user
// created moments ago (NoSuchEntity, EntityTemporarilyUnmodifiable). It waits
// on the clock, so tests never sleep.
func (m *settings) retryConsistency(ctx context.Context, fresh bool, fn func() error) error {
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
