package hostsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// ErrRefused is wrapped by the error of an action Apply refuses to run
// because its target fails the plan's Guard (not in the marker group, a
// system UID, a reserved or invalid name) or is malformed.
var ErrRefused = errors.New("hostsync: refused")

// ErrEarlierFailure is the error of an action Apply did not run because an
// earlier action for the same user failed.
var ErrEarlierFailure = errors.New("hostsync: not run: an earlier action for this user failed")

// Status is the outcome of one action.
type Status string

// The outcomes.
const (
	// StatusDone: the action changed the host as planned.
	StatusDone Status = "done"
	// StatusAlreadyDone: the host was already as the action wants it (a
	// resumed run, or someone else did it).
	StatusAlreadyDone Status = "already done"
	// StatusFailed: the action failed or was refused; Err says why.
	StatusFailed Status = "failed"
	// StatusSkipped: not attempted because an earlier action for the same
	// user failed.
	StatusSkipped Status = "skipped"
	// StatusNotRun: not attempted because the context ended.
	StatusNotRun Status = "not run"
	// StatusDeferred: a rename the host refused for now because the account
	// has running processes (ErrUserBusy); nothing changed, Err says why,
	// and the next sync tries again. It is not a failure: the account's
	// later actions run under its old name.
	StatusDeferred Status = "deferred"
)

// Result is the outcome of one action.
type Result struct {
	// Action is the action.
	Action Action
	// Status is its outcome.
	Status Status
	// Err is set for StatusFailed, StatusSkipped and StatusNotRun.
	Err error
}

// Report is what Apply did, action by action.
type Report struct {
	// Halted is the plan's Halted: the run changed nothing on purpose.
	Halted error
	// Results has one entry per action, in the order they were considered.
	Results []Result
}

// Count returns how many results have status s.
func (r Report) Count(s Status) int {
	n := 0
	for _, res := range r.Results {
		if res.Status == s {
			n++
		}
	}
	return n
}

// Err returns nil when every action succeeded (done or already done) and
// the plan was not halted; otherwise the halt reason and every failure,
// joined.
func (r Report) Err() error {
	var errs []error
	if r.Halted != nil {
		errs = append(errs, r.Halted)
	}
	for _, res := range r.Results {
		if res.Err != nil && res.Status != StatusDeferred {
			errs = append(errs, fmt.Errorf("%s: %w", res.Action.String(), res.Err))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errorf("%w", errors.Join(errs...))
}

// String renders the report, one line per action.
func (r Report) String() string {
	var b strings.Builder
	if r.Halted != nil {
		fmt.Fprintf(&b, "hostsync apply: no changes: %v\n", r.Halted)
	}
	fmt.Fprintf(&b, "hostsync apply: %d done, %d already done, %d failed, %d skipped, %d not run\n",
		r.Count(StatusDone), r.Count(StatusAlreadyDone), r.Count(StatusFailed), r.Count(StatusSkipped), r.Count(StatusNotRun))
	if n := r.Count(StatusDeferred); n > 0 {
		fmt.Fprintf(&b, "hostsync apply: %d deferred (retried next sync)\n", n)
	}
	for _, res := range r.Results {
		a := res.Action
		a.Reason = ""
		if res.Err != nil {
			fmt.Fprintf(&b, "  %-12s %s: %v\n", res.Status, a, res.Err)
		} else {
			fmt.Fprintf(&b, "  %-12s %s\n", res.Status, a)
		}
	}
	return b.String()
}

// Apply runs a plan's actions on the host, in the safe order (UID
// allocations and lock records saved first, then revocations, deletions,
// creations and grants, and the missing counts committed last; Apply sorts by
// phase itself, so a hand-made plan runs in that order too), and reports each
// one.
//
// Before touching a user, Apply looks it up and checks the plan's Guard
// again: it only ever changes members of the marker group with a UID of at
// least 1000 and a name that is not reserved, whatever the plan says.
//
// Apply carries on past failures where that is safe: after an action for a
// user fails, the user's later actions that take access away still run, but
// none that gives access or deletes. A failure to save the state does not
// stop the run: counts not saved only postpone deletions. The commit of the
// missing counts runs even after failures, but not once ctx has ended: a run
// cut short does not count as a sync.
//
// Apply is resumable: actions are checked against the host first and
// reported StatusAlreadyDone when there is nothing left to do, so running the
// same plan again after an interruption finishes the job and never fails on
// work already done. (Planning again from a fresh LoadHostState converges as
// well.) When ctx ends, the remaining actions are reported StatusNotRun.
func Apply(ctx context.Context, sys System, p SyncPlan) Report {
	r := Report{Halted: p.Halted}
	if p.Halted != nil {
		return r
	}
	actions := slices.Clone(p.Actions)
	sort.SliceStable(actions, func(i, j int) bool { return actions[i].phase() < actions[j].phase() })
	failed := map[string]bool{}
	deferred := map[string]string{} // new name → old name of a deferred rename
	unfinished := map[int]string{}  // UID → old name of a failed or deferred rename
	for _, a := range actions {
		if old, ok := deferred[a.User]; ok {
			a.User = old
		}
		if a.Kind == ActCommitState {
			a = keepUnfinished(a, unfinished)
		}
		if err := ctx.Err(); err != nil {
			r.Results = append(r.Results, Result{Action: a, Status: StatusNotRun, Err: err})
			continue
		}
		if a.User != "" && failed[a.User] && !a.revokes() {
			r.Results = append(r.Results, Result{Action: a, Status: StatusSkipped, Err: ErrEarlierFailure})
			continue
		}
		status, err := applyOne(ctx, sys, p.Guard, a)
		if status == StatusDeferred {
			deferred[a.User] = a.From
			unfinished[a.UID] = a.From
		} else if err != nil {
			status = StatusFailed
			if a.User != "" {
				failed[a.User] = true
			}
			if a.Kind == ActRename {
				unfinished[a.UID] = a.From
			}
		}
		r.Results = append(r.Results, Result{Action: a, Status: status, Err: err})
	}
	return r
}

func errRefused(format string, args ...any) error {
	return errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

// applyOne runs one action after checking it against the guard and the
// host.
func applyOne(ctx context.Context, sys System, g Guard, a Action) (Status, error) {
	if a.Kind == ActSaveState || a.Kind == ActCommitState {
		if _, err := ParseState(a.State); err != nil {
			return StatusFailed, errRefused("state to save does not parse: %v", err)
		}
		cur, err := sys.LoadState(ctx)
		if err == nil && bytes.Equal(cur, a.State) {
			return StatusAlreadyDone, nil
		}
		if err := sys.SaveState(ctx, a.State); err != nil {
			return StatusFailed, err
		}
		return StatusDone, nil
	}
	if err := ValidLinuxName(a.User); err != nil {
		return StatusFailed, errRefused("%v", err)
	}
	if IsReserved(a.User, g.Reserved...) {
		return StatusFailed, errRefused("%q is a reserved name", a.User)
	}
	if g.MarkerGroup == "" {
		return StatusFailed, errRefused("the plan has no marker group")
	}
	switch a.Kind {
	case ActCreateUser:
		return createUser(ctx, sys, g, a)
	case ActRename:
		return renameUser(ctx, sys, g, a)
	}
	u, err := sys.LookupUser(ctx, a.User)
	if errors.Is(err, ErrNoSuchUser) {
		switch {
		case a.Kind == ActDelete || a.revokes():
			// Gone already: nothing left to take away.
			return StatusAlreadyDone, nil
		default:
			return StatusFailed, err
		}
	}
	if err != nil {
		return StatusFailed, err
	}
	if !u.MemberOf(g.MarkerGroup) {
		return StatusFailed, errRefused("local user %q is not in the marker group %q", a.User, g.MarkerGroup)
	}
	if u.UID < MinManagedUID {
		return StatusFailed, errRefused("local user %q has UID %d, below %d", a.User, u.UID, MinManagedUID)
	}
	switch a.Kind {
	case ActAddGroups:
		var missing []string
		for _, grp := range a.Groups {
			if !u.MemberOf(grp) {
				missing = append(missing, grp)
			}
		}
		if len(missing) == 0 {
			return StatusAlreadyDone, nil
		}
		for _, grp := range missing {
			if err := checkLinuxGroup(grp); err != nil {
				return StatusFailed, errRefused("%v", err)
			}
		}
		return done(sys.AddGroups(ctx, a.User, missing))
	case ActLock:
		if u.Locked {
			return StatusAlreadyDone, nil
		}
		return done(sys.Lock(ctx, a.User))
	case ActUnlock:
		if !u.Locked {
			return StatusAlreadyDone, nil
		}
		return done(sys.Unlock(ctx, a.User))
	case ActGrantSudo:
		if u.Sudo {
			return StatusAlreadyDone, nil
		}
		return done(sys.GrantSudo(ctx, a.User))
	case ActRevokeSudo:
		if !u.Sudo && !u.LegacySudo {
			return StatusAlreadyDone, nil
		}
		return done(sys.RevokeSudo(ctx, a.User))
	case ActAdoptSudo:
		if u.Sudo && !u.LegacySudo {
			return StatusAlreadyDone, nil
		}
		return done(sys.AdoptSudo(ctx, a.User))
	case ActWriteKeys:
		for _, k := range a.Keys {
			pk, err := ParseKey(k.Body)
			if err != nil || k.Status != KeyActive || pk.Body != k.Body {
				return StatusFailed, errRefused("key %q is not a canonical Active key", k.ID)
			}
		}
		cur, err := sys.ReadKeys(ctx, a.User)
		if err != nil {
			return StatusFailed, err
		}
		if sameKeys(cur, a.Keys) {
			return StatusAlreadyDone, nil
		}
		return done(sys.WriteKeys(ctx, a.User, a.Keys))
	case ActEndSessions:
		return done(sys.EndSessions(ctx, a.User))
	case ActDelete:
		if !u.Locked {
			return StatusFailed, errRefused("local user %q is not locked; it is locked before it is deleted", a.User)
		}
		err := sys.Delete(ctx, a.User)
		if errors.Is(err, ErrNoSuchUser) {
			return StatusAlreadyDone, nil
		}
		return done(err)
	}
	return StatusFailed, errRefused("unknown action kind %q", a.Kind)
}

func done(err error) (Status, error) {
	if err != nil {
		return StatusFailed, err
	}
	return StatusDone, nil
}

func createUser(ctx context.Context, sys System, g Guard, a Action) (Status, error) {
	switch {
	case a.UID < MinManagedUID || a.UID > maxUID:
		return StatusFailed, errRefused("UID %d is outside %d–%d", a.UID, MinManagedUID, maxUID)
	case len(a.Groups) == 0 || a.Groups[0] != g.MarkerGroup:
		return StatusFailed, errRefused("a new user's first group must be the marker group %q", g.MarkerGroup)
	}
	for _, grp := range a.Groups {
		if err := checkLinuxGroup(grp); err != nil {
			return StatusFailed, errRefused("%v", err)
		}
	}
	err := sys.CreateUser(ctx, a.User, a.UID, a.Groups)
	if err == nil {
		return StatusDone, nil
	}
	if !errors.Is(err, ErrUserExists) {
		return StatusFailed, err
	}
	u, lerr := sys.LookupUser(ctx, a.User)
	if lerr != nil {
		return StatusFailed, errors.Join(err, lerr)
	}
	if !u.MemberOf(g.MarkerGroup) || u.UID != a.UID {
		return StatusFailed, errorf("%w: local user %q already exists (UID %d) and is not the one this plan creates", err, a.User, u.UID)
	}
	return StatusAlreadyDone, nil
}
