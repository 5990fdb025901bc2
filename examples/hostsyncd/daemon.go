package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
)

// Exit codes.
const (
	exitOK     = 0 // every sync succeeded, or the daemon was stopped
	exitFailed = 1 // the sync failed (--once), or was abandoned on a second signal
	exitUsage  = 2 // invalid command line or configuration; nothing was changed
)

// daemon runs host syncs: one (--once) or one now and then one every
// interval, give or take the jitter, until it is stopped. Everything it
// touches outside itself is a field, so that tests run it on the fake
// account and the fake host, with a fake timer and no real sleep.
type daemon struct {
	interval time.Duration
	jitter   float64 // fraction of interval, 0 <= jitter < 1
	once     bool
	dryRun   bool
	log      *slog.Logger

	// loadConfig reads the configuration file. It is called at start and
	// on every SIGHUP.
	loadConfig func(ctx context.Context) (hostsync.Config, error)
	// resolve returns the configuration with the group lists read from the
	// EC2 tags it names (IAM_AUTHORIZED_GROUPS_TAG, SUDOERS_GROUPS_TAG). It
	// is called at start, on SIGHUP and before every sync, so that a tag
	// changed on the instance applies at the next sync, as with aws-ec2-ssh.
	resolve func(ctx context.Context, cfg hostsync.Config) (hostsync.Config, error)
	// newIAM builds the IAM client for a configuration (under ASSUMEROLE,
	// with the role's credentials, cached inside the client across syncs).
	// It is called at start and on every SIGHUP.
	newIAM func(ctx context.Context, cfg hostsync.Config) (iamsource.IAMAPI, error)
	// newSource builds the source of truth for one sync.
	newSource func(api iamsource.IAMAPI, cfg hostsync.Config) hostsync.Source
	// newSystem returns the host for a configuration.
	newSystem func(cfg hostsync.Config) hostsync.System
	// lock takes the sync lock, so that no two syncs (this daemon, a cron
	// job, an admin's 'iamkit hostsync apply') run at once.
	lock func() (release func() error, err error)
	// clock is the time of the logs and of the key cache's heartbeat,
	// which hostsync.Sync records after every complete, successful sync.
	clock iamkit.Clock
	after func(d time.Duration) <-chan time.Time // time.After
	rand  func() float64                         // in [0, 1)

	hup  <-chan os.Signal // reload the configuration and sync now
	stop <-chan os.Signal // finish the current sync, then exit

	// poller, when set (snapshot mode with --poll-interval), drives the
	// syncs instead of the interval: see runPolling (poll.go).
	poller       poller
	pollInterval time.Duration
	// keepSessions is --end-sessions=false: IAMKIT_END_SESSIONS_ON_LOCK
	// off, whatever the configuration says (on by default).
	keepSessions bool
}

// setup is the configuration file as read, and the IAM client built for
// it.
type setup struct {
	cfg hostsync.Config // before resolve
	api iamsource.IAMAPI
}

// load reads the configuration file and builds the IAM client for it. The
// EC2 tags are read before each sync: a tag missing or unreadable at start
// fails the syncs (which change nothing) until it is fixed on the instance,
// without a restart.
func (d *daemon) load(ctx context.Context) (setup, error) {
	cfg, err := d.loadConfig(ctx)
	if err != nil {
		return setup{}, err
	}
	for _, w := range cfg.Warnings {
		d.log.LogAttrs(ctx, slog.LevelWarn, "hostsyncd: configuration: unknown key ignored (--strict refuses it)",
			slog.String("key", w.Key), slog.Int("line", w.Line), slog.String("warning", w.Error()))
	}
	api, err := d.newIAM(ctx, cfg)
	if err != nil {
		return setup{}, err
	}
	return setup{cfg: cfg, api: api}, nil
}

// run runs the daemon until it is stopped (or, with once, for one sync) and
// returns the exit code.
func (d *daemon) run(ctx context.Context) int {
	s, err := d.load(ctx)
	if err != nil {
		d.log.LogAttrs(ctx, slog.LevelError, "hostsyncd: configuration error; nothing was changed", slog.String("error", err.Error()))
		return exitUsage
	}
	if d.poller != nil && !d.once {
		return d.runPolling(ctx, s)
	}
	if d.once {
		d.log.LogAttrs(ctx, slog.LevelInfo, "hostsyncd: one sync", slog.Bool("dry_run", d.dryRun))
	} else {
		d.log.LogAttrs(ctx, slog.LevelInfo, "hostsyncd: started",
			slog.Duration("interval", d.interval), slog.Float64("jitter", d.jitter), slog.Bool("dry_run", d.dryRun))
	}
	for {
		stopped, abandoned, err := d.guardedStep(ctx, s)
		if d.once {
			switch {
			case errors.Is(err, hostsync.ErrTagMissing), errors.Is(err, hostsync.ErrInvalidConfig):
				return exitUsage // the configuration (or the instance's tags) must change
			case err != nil:
				return exitFailed
			}
			return exitOK
		}
		if stopped {
			d.log.LogAttrs(ctx, slog.LevelInfo, "hostsyncd: stopped")
			if abandoned {
				return exitFailed
			}
			return exitOK
		}

		delay := d.delay()
		d.log.LogAttrs(ctx, slog.LevelDebug, "hostsyncd: next sync", slog.Duration("in", delay),
			slog.Time("at", d.clock.Now().Add(delay)))
		// A stop that arrived during the sync wins over a timer or a
		// SIGHUP that are ready too.
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
			// Sync now, with the new configuration or the old one.
		case <-d.after(delay):
		}
	}
}

// delay returns the time until the next sync: the interval, plus or minus
// up to jitter × interval, spread evenly, so that a fleet started at once
// does not call IAM in step.
// stopPending reports (and logs) a stop signal that has already arrived,
// so that it wins over a timer or a SIGHUP that are ready too.
func (d *daemon) stopPending(ctx context.Context) bool {
	select {
	case sig := <-d.stop:
		d.log.LogAttrs(ctx, slog.LevelInfo, "hostsyncd: stopped", slog.String("signal", sig.String()))
		return true
	default:
		return false
	}
}

// reload answers SIGHUP: the configuration loaded anew, or s kept (and
// the failure logged) when it does not load.
func (d *daemon) reload(ctx context.Context, s setup) setup {
	next, err := d.load(ctx)
	if err != nil {
		d.log.LogAttrs(ctx, slog.LevelError, "hostsyncd: SIGHUP: reloading the configuration failed; keeping the previous one",
			slog.String("error", err.Error()))
		return s
	}
	d.log.LogAttrs(ctx, slog.LevelInfo, "hostsyncd: SIGHUP: configuration reloaded")
	return next
}

func (d *daemon) delay() time.Duration {
	off := (2*d.rand() - 1) * d.jitter * float64(d.interval)
	return max(d.interval+time.Duration(off), time.Second)
}

// guardedStep runs one sync while watching for stop signals: the first
// lets the sync finish (stopped), a second cancels it (abandoned), which
// leaves the host consistent (Apply reports the rest as not run, and the
// next sync finishes the job).
func (d *daemon) guardedStep(ctx context.Context, s setup) (stopped, abandoned bool, err error) {
	stepCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	var stop, abandon atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-done:
			return
		case sig := <-d.stop:
			stop.Store(true)
			d.log.LogAttrs(ctx, slog.LevelInfo, "hostsyncd: signal received: finishing the current sync, then exiting (send it again to abandon the sync)",
				slog.String("signal", sig.String()))
		}
		select {
		case <-done:
		case sig := <-d.stop:
			abandon.Store(true)
			d.log.LogAttrs(ctx, slog.LevelWarn, "hostsyncd: second signal: abandoning the current sync",
				slog.String("signal", sig.String()))
			cancel()
		}
	})
	err = d.step(stepCtx, s)
	close(done)
	wg.Wait()
	return stop.Load(), abandon.Load(), err
}

// step runs one sync under the lock and logs its outcome. DONOTSYNC is no
// failure: it is how aws-ec2-ssh's configuration says "not yet".
func (d *daemon) step(ctx context.Context, s setup) error {
	start := d.clock.Now()
	err := d.syncOnce(ctx, s)
	attrs := []slog.Attr{slog.Duration("elapsed", d.clock.Now().Sub(start))}
	switch {
	case errors.Is(err, hostsync.ErrDoNotSync):
		d.log.LogAttrs(ctx, slog.LevelWarn, "hostsyncd: DONOTSYNC is set in the configuration: nothing was synced", attrs...)
		return nil
	case err != nil:
		attrs = append(attrs, slog.String("error", err.Error()))
		d.log.LogAttrs(ctx, slog.LevelError, "hostsyncd: sync failed", attrs...)
		return err
	}
	d.log.LogAttrs(ctx, slog.LevelInfo, "hostsyncd: sync succeeded", attrs...)
	return nil
}

func (d *daemon) syncOnce(ctx context.Context, s setup) (err error) {
	release, err := d.lock()
	if err != nil {
		return fmt.Errorf("taking the sync lock: %w", err)
	}
	defer func() {
		if rerr := release(); rerr != nil && err == nil {
			err = fmt.Errorf("releasing the sync lock: %w", rerr)
		}
	}()
	cfg, err := d.resolve(ctx, s.cfg)
	if err != nil {
		return fmt.Errorf("nothing changed: EC2 tags: %w", err)
	}
	if d.keepSessions {
		cfg.EndSessionsOnLock = false
	}
	src := d.newSource(s.api, cfg)
	// Sync records the key cache's heartbeat itself.
	_, _, err = hostsync.Sync(ctx, src, d.newSystem(cfg), cfg, hostsync.WithDryRun(d.dryRun), hostsync.WithLogger(d.log), hostsync.WithClock(d.clock))
	return err
}
