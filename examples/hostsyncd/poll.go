package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
)

// poller is what the daemon's polling loop needs of
// s3snapshot.Poller (the real one in snapshot mode; tests may hand in
// another).
type poller interface {
	// Tick polls once and, when the poll says so, runs sync with the
	// reason and records its outcome.
	Tick(ctx context.Context, clock iamkit.Clock, sync func(ctx context.Context, reason string) error) (s3snapshot.PollDecision, error)
	// Next is the delay until the next poll.
	Next() time.Duration
	// Force makes the next Tick sync, with reason.
	Force(reason string)
}

// runPolling is run's loop in snapshot mode with --poll-interval: every
// poll interval (plus jitter) one conditional GET of the snapshot, and a
// sync only when the poll says so — the snapshot's ETag changed, the last
// sync failed, or the full-sync --interval passed — so a revocation
// published to the snapshot reaches the host within one poll interval,
// while an idle host costs one 304 per poll. SIGHUP reloads and syncs at
// once; SIGTERM and SIGINT stop as in run.
func (d *daemon) runPolling(ctx context.Context, s setup) int {
	d.log.LogAttrs(ctx, slog.LevelInfo, "hostsyncd: started, polling the snapshot",
		slog.Duration("poll_interval", d.pollInterval), slog.Duration("full_sync_interval", d.interval),
		slog.Bool("dry_run", d.dryRun))
	for {
		var stopped, abandoned bool
		step := func(ctx context.Context, reason string) error {
			d.log.LogAttrs(ctx, slog.LevelInfo, "hostsyncd: syncing", slog.String("reason", reason))
			var err error
			stopped, abandoned, err = d.guardedStep(ctx, s)
			return err
		}
		if _, err := d.poller.Tick(ctx, d.clock, step); err != nil {
			d.log.LogAttrs(ctx, slog.LevelDebug, "hostsyncd: poll or sync failed", slog.String("error", err.Error()))
		}
		if stopped {
			d.log.LogAttrs(ctx, slog.LevelInfo, "hostsyncd: stopped")
			if abandoned {
				return exitFailed
			}
			return exitOK
		}
		if d.stopPending(ctx) {
			return exitOK
		}
		select {
		case sig := <-d.stop:
			d.log.LogAttrs(ctx, slog.LevelInfo, "hostsyncd: stopped", slog.String("signal", sig.String()))
			return exitOK
		case <-ctx.Done():
			d.log.LogAttrs(ctx, slog.LevelInfo, "hostsyncd: stopped", slog.String("reason", ctx.Err().Error()))
			return exitOK
		case <-d.hup:
			s = d.reload(ctx, s)
			d.poller.Force("SIGHUP") // sync now, after one poll
		case <-d.after(d.poller.Next()):
		}
	}
}
