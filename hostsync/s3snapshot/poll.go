package s3snapshot

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/internal/hserr"
)

// DefaultPollInterval is how often a host following a snapshot asks
// whether it changed (NewPoller): every 15 seconds plus up to
// DefaultPollJitter of it, so at most 240 conditional GETs per host and
// hour — each a 304 with no body while nothing changed.
const DefaultPollInterval = 15 * time.Second

// DefaultPollJitter is the fraction of the poll interval added at random
// to each poll's delay (0.1: 15 s to 16.5 s), so that a fleet started at
// once does not poll in step. The delay is never shorter than the
// interval, so the interval bounds the request rate.
const DefaultPollJitter = 0.1

// DefaultFullSyncInterval is how often a Poller asks for a full sync even
// when the snapshot did not change (the local accounts may have: an admin
// edited one, a sync failed half-way), give or take DefaultFullSyncJitter.
const DefaultFullSyncInterval = 10 * time.Minute

// DefaultFullSyncJitter is the fraction of the full-sync interval a
// Poller spreads it by, either way.
const DefaultFullSyncJitter = 0.1

// changeMark identifies what the last fetch read: the object's ETag (or
// the file's digest). Callers hold s.mu.
func (s *SnapshotSource) changeMark() string {
	if s.api != nil {
		return s.curETag
	}
	return string(s.fileSum[:])
}

// Poll makes the one cheap request a host makes between syncs: the
// conditional GetObject Desired makes (a 304 with no body while the
// object's ETag is the one last seen), or for a file source a read of the
// file (parsed again only when its content changed). It reports changed
// when the object is not the one the previous Poll or Desired read — a new
// snapshot, or a new object that was refused — and the request's error,
// if it failed (then changed is false). A Source from Held then answers
// from what Poll read, with no further request.
func (s *SnapshotSource) Poll(ctx context.Context) (changed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := !s.fetched
	before := s.changeMark()
	_, err = s.fetch(ctx)
	if err != nil && s.changeMark() == before {
		return false, err // the request failed, or the same object is still refused
	}
	return first || s.changeMark() != before, err
}

// Held returns a Source answering from the snapshot the source last read
// (by Poll or Desired), checked as Desired checks it — age against the
// clock, cfg's groups — without a request; when the source has read
// nothing yet, its first Desired reads. A daemon that polls (Poller) syncs
// from Held, so that a poll and the sync it triggers cost one request.
func (s *SnapshotSource) Held(cfg hostsync.Config) hostsync.Source {
	return heldView{s: s, cfg: cfg}
}

type heldView struct {
	s   *SnapshotSource
	cfg hostsync.Config
}

func (v heldView) Desired(ctx context.Context) hostsync.Desired {
	s := v.s
	s.mu.Lock()
	fetched := s.fetched
	s.mu.Unlock()
	if !fetched {
		return s.desired(ctx, v.cfg)
	}
	if (v.cfg.AuthorizedGroupsTag != "" || v.cfg.SudoersGroupsTag != "") && !v.cfg.TagsResolved {
		return hostsync.Desired{Err: hostsync.ErrTagsUnresolved}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastErr != nil {
		return hostsync.Desired{Err: hserr.Errorf("snapshot %s: %w", s.Location(), s.lastErr)}
	}
	return s.evaluate(ctx, s.last, v.cfg)
}

// Poller decides, poll by poll, when a host following a snapshot syncs:
// it polls the SnapshotSource (one conditional GET) every
// DefaultPollInterval plus jitter, and asks for a full sync when the
// snapshot changed, when the last sync failed (retried with a backoff
// from the poll interval up to the full-sync interval), and every
// DefaultFullSyncInterval ± jitter regardless. The sync itself is the
// caller's: hostsync.Sync with Source.Held, then Synced — Tick does the
// three. hostsyncd runs one per daemon; BenchmarkRevocation drives a
// thousand through the same Tick.
//
// Each poll is exactly one request, the periodic full sync included (it
// syncs from what that poll read), so a host costs at most
// 3600 s / interval requests an hour. A Poller is not safe for
// concurrent use.
type Poller struct {
	src                  *SnapshotSource
	interval, full       time.Duration
	jitter, fullJitter   float64
	rand                 func() float64
	nextFull, retryAt    time.Time
	backoff              time.Duration
	synced, pendingRetry bool
	forced               string // Force's reason, for the next Poll
}

// PollerOption configures NewPoller.
type PollerOption func(*Poller)

// WithPollInterval sets the poll interval and the fraction of it added at
// random to each delay (defaults DefaultPollInterval, DefaultPollJitter).
// Values out of range (interval ≤ 0, jitter outside [0, 1)) keep the
// defaults.
func WithPollInterval(d time.Duration, jitter float64) PollerOption {
	return func(p *Poller) {
		if d > 0 {
			p.interval = d
		}
		if jitter >= 0 && jitter < 1 {
			p.jitter = jitter
		}
	}
}

// WithFullSyncInterval sets the interval of full syncs and the fraction of
// it they are spread by either way (defaults DefaultFullSyncInterval,
// DefaultFullSyncJitter). Values out of range keep the defaults.
func WithFullSyncInterval(d time.Duration, jitter float64) PollerOption {
	return func(p *Poller) {
		if d > 0 {
			p.full = d
		}
		if jitter >= 0 && jitter < 1 {
			p.fullJitter = jitter
		}
	}
}

// WithRand sets the source of the jitter: a function returning values in
// [0, 1) (default math/rand/v2's Float64).
func WithRand(f func() float64) PollerOption {
	return func(p *Poller) {
		if f != nil {
			p.rand = f
		}
	}
}

// NewPoller returns a Poller of src.
func NewPoller(src *SnapshotSource, opts ...PollerOption) *Poller {
	p := &Poller{src: src, interval: DefaultPollInterval, jitter: DefaultPollJitter,
		full: DefaultFullSyncInterval, fullJitter: DefaultFullSyncJitter, rand: rand.Float64}
	for _, o := range opts {
		if o != nil {
			o(p)
		}
	}
	return p
}

// Next returns the delay until the next poll: the interval plus up to the
// jitter's fraction of it.
func (p *Poller) Next() time.Duration {
	return p.interval + time.Duration(p.jitter*p.rand()*float64(p.interval))
}

// PollDecision is what one poll decided.
type PollDecision struct {
	// Sync is true when the host should sync now.
	Sync bool
	// Reason says why: Force's reason, "first sync", "snapshot changed",
	// "retry after a failed sync", "periodic full sync"; empty when Sync
	// is false.
	Reason string
	// Changed is true when the poll read a new object.
	Changed bool
}

// Poll polls the source once (one request) at now and says whether the
// host should sync. A failed request is returned with the decision: a
// sync that is due anyway (first, retry, periodic) is still asked for —
// it will find the source unknown and change nothing, as a sync does
// when S3 cannot be read.
func (p *Poller) Poll(ctx context.Context, now time.Time) (PollDecision, error) {
	changed, err := p.src.Poll(ctx)
	d := PollDecision{Changed: changed}
	switch {
	case p.forced != "":
		d.Sync, d.Reason, p.forced = true, p.forced, ""
	case !p.synced:
		d.Sync, d.Reason = true, "first sync"
	case changed:
		d.Sync, d.Reason = true, "snapshot changed"
	case p.pendingRetry && !now.Before(p.retryAt):
		d.Sync, d.Reason = true, "retry after a failed sync"
	case !now.Before(p.nextFull):
		d.Sync, d.Reason = true, "periodic full sync"
	}
	return d, err
}

// Force makes the next Poll ask for a sync, with reason (hostsyncd's
// SIGHUP: reload, and sync now).
func (p *Poller) Force(reason string) { p.forced = reason }

// Tick is one turn of a host's loop, the code hostsyncd runs and
// BenchmarkRevocation drives: Poll at clock's now; when the poll asks for
// a sync, run sync (the caller's hostsync.Sync from Held, under its lock)
// with the reason, and record its outcome (Synced) at clock's now after
// it. It returns the decision, and the poll's error joined with the
// sync's. The caller then waits Next() and ticks again.
func (p *Poller) Tick(ctx context.Context, clock iamkit.Clock, sync func(ctx context.Context, reason string) error) (PollDecision, error) {
	d, pollErr := p.Poll(ctx, clock.Now())
	if !d.Sync {
		return d, pollErr
	}
	err := sync(ctx, d.Reason)
	p.Synced(clock.Now(), err)
	return d, errors.Join(pollErr, err)
}

// Synced records the outcome of the sync a poll asked for, finished at
// now: after a success the next full sync is one full-sync interval (±
// jitter) away; after a failure the sync is retried at a later poll, the
// wait doubling from the poll interval up to the full-sync interval.
func (p *Poller) Synced(now time.Time, err error) {
	p.synced = true
	off := (2*p.rand() - 1) * p.fullJitter * float64(p.full)
	p.nextFull = now.Add(p.full + time.Duration(off))
	if err == nil {
		p.pendingRetry, p.backoff = false, 0
		return
	}
	p.backoff = min(max(2*p.backoff, p.interval), p.full)
	p.pendingRetry, p.retryAt = true, now.Add(p.backoff)
}
