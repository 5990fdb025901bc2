package mfa

import (
	"log/slog"
	"time"

	"github.com/iamkit/iamkit"
)

// Option configures Session, PlanSession and Audit: their dependencies
// (clock, logger, environment, STS client factory, prompt) and tuning. What
// a call is about — the profile, the device, the duration, the code, the
// files — is its request (SessionRequest), not an option. Each function
// documents the options it reads and ignores the others.
type Option func(*settings)

// settings is what the options set; zero values mean the defaults.
type settings struct {
	clock  iamkit.Clock
	logger *slog.Logger

	// Session.
	getenv        func(string) string
	newSTS        STSFactory
	prompt        TokenSource
	useStoredSeed bool
	refreshMargin time.Duration
	currentUser   func() string // the passwd name; nil: os/user (tests replace it)

	// Audit.
	source       AuditSource
	pollInterval time.Duration
	maxWait      time.Duration
	concurrency  int
}

func newSettings(opts []Option) settings {
	var s settings
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	return s
}

// WithClock sets the clock; nil (the default) means iamkit.SystemClock.
// Session and PlanSession compare expirations with it and count TOTP steps
// on it; Audit waits on it between GenerateCredentialReport polls.
func WithClock(c iamkit.Clock) Option { return func(s *settings) { s.clock = c } }

// WithLogger sets the logger that receives progress (never a secret) and,
// for Audit, the reason for a fallback; nil (the default) discards. Read by
// Session and Audit.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.logger = l } }

// WithGetenv sets how Session and PlanSession look up environment variables
// (AWS_PROFILE, MFA_DEVICE, MFA_ASSUME_ROLE, MFA_STS_DURATION, the files'
// locations, the login name); nil (the default) means os.Getenv.
func WithGetenv(getenv func(string) string) Option { return func(s *settings) { s.getenv = getenv } }

// WithSTS sets the factory Session builds the STS client with, from the
// long-term keys. Required unless the short-term section is still valid.
// Read by Session only.
func WithSTS(f STSFactory) Option { return func(s *settings) { s.newSTS = f } }

// WithPrompt sets Session's fallback code source, typically
// NewPrompt(os.Stdin, os.Stderr): used when the request gives no Token, no
// stored seed may answer (WithStoredSeed) and no mfa_process command is
// configured. Default: none (ErrNoTokenSource). Read by Session only.
func WithPrompt(p TokenSource) Option { return func(s *settings) { s.prompt = p } }

// WithStoredSeed allows a TOTP seed stored as aws_mfa_seed in the long-term
// section to answer for the device. It is weaker than a device (see
// SeedToken) and off by default. Read by Session and PlanSession.
func WithStoredSeed(allow bool) Option { return func(s *settings) { s.useStoredSeed = allow } }

// WithRefreshMargin sets how close to its expiration a short-term section
// is refreshed anyway. Zero (the default) means DefaultRefreshMargin;
// negative means refresh only once expired. Read by Session and
// PlanSession.
func WithRefreshMargin(d time.Duration) Option { return func(s *settings) { s.refreshMargin = d } }

// WithAuditSource sets where Audit reads: "" (the default) tries the
// credential report and falls back to listing when the report cannot be had
// (access denied, throttled, generation limit, not ready in time,
// unreadable); SourceCredentialReport never falls back; SourceListing does
// not try the report. Read by Audit only.
func WithAuditSource(src AuditSource) Option { return func(s *settings) { s.source = src } }

// WithPollInterval sets the wait between GenerateCredentialReport calls;
// zero or negative means 2 s. Read by Audit only.
func WithPollInterval(d time.Duration) Option { return func(s *settings) { s.pollInterval = d } }

// WithMaxWait sets how long Audit waits for the credential report to be
// generated before falling back; zero or negative means 2 min. Read by
// Audit only.
func WithMaxWait(d time.Duration) Option { return func(s *settings) { s.maxWait = d } }

// WithConcurrency sets how many per-user listing calls Audit makes at once;
// zero or negative means 4. Read by Audit only.
func WithConcurrency(n int) Option { return func(s *settings) { s.concurrency = n } }
