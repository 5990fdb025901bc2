package hostsync

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
)

// Sync runs one sync: it reads the host (LoadHostState), reads the source
// (src.Desired), plans (Plan) and, unless WithDryRun, applies the plan
// (Apply). It returns the plan, the report (empty for a dry run) and an
// error when the host could not be read, when the plan halted — the source
// unknown (ErrSourceUnknown), DONOTSYNC (ErrDoNotSync), unresolved tags,
// an invalid configuration or an inconsistent host; nothing was changed —
// or when an action failed; the error then wraps Report.Err, so errors.Is
// finds the halt reason.
//
// A sync that is not a dry run, whose plan did not halt and whose every
// action succeeded — one that changed nothing included — is recorded with
// sys.MarkSynced at WithClock's time: the key cache's heartbeat, which
// keeps AuthorizedKeys answering (see WithMaxAge). No other sync
// records it, so a host whose syncs keep failing stops trusting its cache
// after DefaultMaxCacheAge. A heartbeat that cannot be written is an error.
//
// When src is an AbsenceConfirmer (IAMSource is), the accounts the plan
// would lock, strip or delete because the source did not list them are
// first confirmed gone by direct reads (see AbsenceConfirmer): a
// contradiction makes Sync read the source once more, and a failed or
// still contradicted confirmation halts the plan (ErrSourceUnknown).
//
// The source is not read when the plan would halt whatever it says
// (DONOTSYNC, unresolved tags, an invalid configuration), so such a run
// costs no IAM call. Run one Sync at a time per host (see the lock file).
//
// Sync reads the options WithDryRun, WithLogger (the run's structured logs:
// user names, key IDs and fingerprints, never key bodies or state bytes)
// and WithClock.
func Sync(ctx context.Context, src Source, sys System, cfg Config, opts ...Option) (SyncPlan, Report, error) {
	o := newSettings(opts)
	log := o.log()
	start := time.Now()
	hs, err := LoadHostState(ctx, sys, cfg)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelError, "hostsync: reading the host failed; nothing changed", slog.String("error", err.Error()))
		return SyncPlan{}, Report{}, err
	}

	var p SyncPlan
	if pre := Plan(Desired{}, hs, cfg); pre.Halted != nil && !errors.Is(pre.Halted, ErrSourceUnknown) {
		p = pre // halts before looking at the source
	} else {
		p = planConfirmed(ctx, log, src, hs, cfg)
	}
	syncLogPlan(ctx, log, p, o.dryRun)

	if p.Halted != nil {
		r := Report{Halted: p.Halted}
		return p, r, errorf("sync: %w", r.Err())
	}
	if o.dryRun {
		return p, Report{}, nil
	}
	r := Apply(ctx, sys, p)
	syncLogReport(ctx, log, r)
	log.LogAttrs(ctx, slog.LevelInfo, "hostsync: sync done",
		slog.Int("done", r.Count(StatusDone)), slog.Int("already_done", r.Count(StatusAlreadyDone)),
		slog.Int("failed", r.Count(StatusFailed)), slog.Int("skipped", r.Count(StatusSkipped)),
		slog.Int("not_run", r.Count(StatusNotRun)), slog.Duration("elapsed", time.Since(start)))
	if err := r.Err(); err != nil {
		return p, r, errorf("sync: %w", err)
	}
	if err := sys.MarkSynced(ctx, o.now()()); err != nil {
		log.LogAttrs(ctx, slog.LevelError, "hostsync: recording the sync in the key cache failed", slog.String("error", err.Error()))
		return p, r, errorf("sync: recording the heartbeat of the key cache: %w", err)
	}
	return p, r, nil
}

// syncActionAttrs describes an action for a log record: never key bodies or
// state bytes.
func syncActionAttrs(a Action) []slog.Attr {
	attrs := []slog.Attr{slog.String("action", string(a.Kind))}
	if a.User != "" {
		attrs = append(attrs, slog.String("user", a.User))
	}
	if a.IAMName != "" {
		attrs = append(attrs, slog.String("iam_user", a.IAMName))
	}
	switch a.Kind {
	case ActCreateUser:
		attrs = append(attrs, slog.Int("uid", a.UID), slog.String("groups", strings.Join(a.Groups, ",")))
	case ActAddGroups:
		attrs = append(attrs, slog.String("groups", strings.Join(a.Groups, ",")))
	case ActRename:
		attrs = append(attrs, slog.String("from", a.From), slog.Int("uid", a.UID))
	case ActWriteKeys:
		keys := make([]string, len(a.Keys))
		for i, k := range a.Keys {
			keys[i] = k.ID + "=" + k.Fingerprint
		}
		attrs = append(attrs, slog.String("keys", strings.Join(keys, ",")))
	}
	if a.Reason != "" {
		attrs = append(attrs, slog.String("reason", a.Reason))
	}
	return attrs
}

func syncLogPlan(ctx context.Context, log *slog.Logger, p SyncPlan, dryRun bool) {
	if p.Halted != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "hostsync: plan halted; nothing changes", slog.String("reason", p.Halted.Error()))
		return
	}
	log.LogAttrs(ctx, slog.LevelInfo, "hostsync: plan",
		slog.Int("actions", len(p.Actions)), slog.Int("skipped", len(p.Skipped)), slog.Bool("dry_run", dryRun))
	for _, s := range p.Skipped {
		attrs := []slog.Attr{slog.String("reason", s.Reason)}
		if s.IAMName != "" {
			attrs = append(attrs, slog.String("iam_user", s.IAMName))
		}
		if s.User != "" {
			attrs = append(attrs, slog.String("user", s.User))
		}
		log.LogAttrs(ctx, slog.LevelInfo, "hostsync: left alone", attrs...)
	}
	for _, n := range p.Notes {
		log.LogAttrs(ctx, slog.LevelWarn, "hostsync: note", slog.String("note", n))
	}
	if dryRun {
		for _, a := range p.Actions {
			log.LogAttrs(ctx, slog.LevelInfo, "hostsync: would run", syncActionAttrs(a)...)
		}
	}
}

func syncLogReport(ctx context.Context, log *slog.Logger, r Report) {
	for _, res := range r.Results {
		attrs := append(syncActionAttrs(res.Action), slog.String("status", string(res.Status)))
		level := slog.LevelInfo
		switch res.Status {
		case StatusAlreadyDone:
			level = slog.LevelDebug
		case StatusDeferred:
			level = slog.LevelWarn
			attrs = append(attrs, slog.String("error", res.Err.Error()))
		case StatusFailed, StatusSkipped, StatusNotRun:
			level = slog.LevelError
			if res.Err != nil {
				attrs = append(attrs, slog.String("error", res.Err.Error()))
			}
		}
		log.LogAttrs(ctx, level, "hostsync: action", attrs...)
	}
}
