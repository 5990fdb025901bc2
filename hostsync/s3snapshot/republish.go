package s3snapshot

import (
	"context"
	"log/slog"
	"sync"

	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/internal/hserr"
)

// Republisher publishes the fleet snapshot on demand: read the source (an
// iamsource.IAMSource), make the snapshot (hostsync.SnapshotFromDesired)
// and Publish it. It is the hook through which a change made with iamkit
// — offboarding, a key deactivated or deleted, a user removed from a
// group, 'iamkit hostsync revoke' — reaches the fleet at once instead of
// at the publisher's next scheduled run; hosts polling with a Poller see
// it within one poll interval.
//
// Calls coalesce: while a publish runs, every Republish that arrives waits
// for the one publish that starts after the running one ends, and shares
// its result. So a burst of changes (a thousand events in ten seconds)
// costs at most two publishes in flight at any time and one IAM read per
// publish, and every caller's change is in the snapshot it gets back: the
// publish it waited for read IAM after the call began. A Republisher is
// safe for concurrent use.
type Republisher struct {
	src     hostsync.Source
	cfg     hostsync.Config
	account string
	api     SnapshotPublishAPI
	bucket  string
	key     string
	opts    []hostsync.Option
	clock   iamkit.Clock
	log     *slog.Logger

	mu        sync.Mutex
	cond      *sync.Cond
	requested uint64 // calls so far
	covered   uint64 // calls the last finished publish covers
	running   bool
	res       PublishResult
	err       error
	publishes int
}

// NewRepublisher returns a Republisher that reads src — configured with
// cfg, whose groups the snapshot covers — for account, and publishes to
// s3://bucket/key through api. It reads the options Publish reads
// (WithKMSKey, WithRefreshAfter, WithExpectedBucketOwner,
// WithAbsenceConfirmer: by default src itself when it is a
// hostsync.AbsenceConfirmer, as an IAMSource is), WithClock (the
// snapshot's generated_at) and WithLogger.
func NewRepublisher(src hostsync.Source, cfg hostsync.Config, account string, api SnapshotPublishAPI, bucket, key string, opts ...hostsync.Option) *Republisher {
	o := hostsync.ResolveOptions(opts...)
	r := &Republisher{src: src, cfg: cfg, account: account, api: api, bucket: bucket, key: key, opts: opts,
		clock: o.Clock, log: o.Log()}
	if r.clock == nil {
		r.clock = iamkit.SystemClock{}
	}
	if c, ok := src.(hostsync.AbsenceConfirmer); ok && o.Confirmer == nil {
		r.opts = append([]hostsync.Option{hostsync.WithAbsenceConfirmer(c)}, opts...)
	}
	r.cond = sync.NewCond(&r.mu)
	return r
}

// Republish reads the source and publishes the snapshot (only written when
// it changed; see Publish), coalescing with concurrent calls (see
// Republisher). A read that fails publishes nothing and returns its error.
// A call whose ctx ends while it waits returns ctx's error; a publish cut
// short by the ctx of the call running it answers that call only: the
// calls waiting on it publish again.
func (r *Republisher) Republish(ctx context.Context) (PublishResult, error) {
	stop := context.AfterFunc(ctx, func() {
		r.mu.Lock()
		r.cond.Broadcast()
		r.mu.Unlock()
	})
	defer stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requested++
	mine := r.requested
	for r.covered < mine {
		if err := ctx.Err(); err != nil {
			return PublishResult{}, err
		}
		if r.running {
			r.cond.Wait()
			continue
		}
		r.running = true
		covers := r.requested
		r.mu.Unlock()
		res, err := r.publish(ctx)
		r.mu.Lock()
		r.running = false
		r.publishes++
		if err != nil && ctx.Err() != nil {
			r.cond.Broadcast() // the others do not take this caller's end for theirs
			return res, err
		}
		r.covered, r.res, r.err = covers, res, err
		r.cond.Broadcast()
	}
	return r.res, r.err
}

// Calls returns how many times Republish was called.
func (r *Republisher) Calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return int(r.requested)
}

// Publishes returns how many publishes Republish ran (coalesced calls
// share one).
func (r *Republisher) Publishes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.publishes
}

func (r *Republisher) publish(ctx context.Context) (PublishResult, error) {
	// The snapshot is dated when the read begins (as BuildSnapshot's
	// callers date it): Publish keeps an object generated later, and a
	// read that began before a change another publisher has already
	// published must not pass for newer than it because it ended later.
	readAt := r.clock.Now()
	d := r.src.Desired(ctx)
	snap, err := hostsync.SnapshotFromDesired(d, r.cfg, r.account, readAt)
	if err != nil {
		return PublishResult{}, hserr.Errorf("republish: %w", err)
	}
	res, err := Publish(ctx, r.api, r.bucket, r.key, snap, r.opts...)
	if err != nil {
		r.log.LogAttrs(ctx, slog.LevelError, "hostsync: republishing the snapshot failed",
			slog.String("snapshot", "s3://"+r.bucket+"/"+r.key), slog.String("error", err.Error()))
		return res, err
	}
	r.log.LogAttrs(ctx, slog.LevelInfo, "hostsync: snapshot republished",
		slog.String("snapshot", "s3://"+r.bucket+"/"+r.key), slog.Bool("written", res.Written),
		slog.String("reason", res.Reason), slog.Uint64("generation", res.Generation))
	return res, nil
}
