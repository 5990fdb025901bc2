package hostsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// renameIndex finds the managed account of an IAM user that was renamed:
// the account holding the UID the allocation records for the user's ID,
// under another name. It indexes the host's accounts by UID on first use
// only, so a sync without renames pays nothing for it.
type renameIndex struct {
	host     HostState
	cfg      Config
	reserved []string
	byUID    map[int][]*HostUser
}

// source returns the account to rename to linux for u, or nil: there must
// be exactly one local account with u's recorded UID, in the marker group,
// with a UID of at least MinManagedUID, a valid name other than linux that
// is not reserved.
func (r *renameIndex) source(u DesiredUser, linux string) *HostUser {
	e, ok := r.host.State.UIDs.Get(u.IAMUserID)
	if !ok {
		return nil
	}
	if r.byUID == nil {
		r.byUID = make(map[int][]*HostUser, len(r.host.Users))
		for i := range r.host.Users {
			hu := &r.host.Users[i]
			r.byUID[hu.UID] = append(r.byUID[hu.UID], hu)
		}
	}
	hs := r.byUID[e.UID]
	if len(hs) != 1 {
		return nil
	}
	hu := hs[0]
	switch {
	case hu.Name == linux, !hu.MemberOf(r.cfg.MarkerGroup), hu.UID < MinManagedUID,
		ValidLinuxName(hu.Name) != nil, IsReserved(hu.Name, r.reserved...):
		return nil
	}
	return hu
}

// keepRenamed plans, for an IAM user renamed to a name that cannot be used
// (refused, reserved, or clashing in letter case), the account it has under
// its old name (old, when not nil): kept and synced under that name, never
// locked for the rename.
func (p *SyncPlan) keepRenamed(plans []*planned, desiredLinux map[string]bool, old *HostUser, u DesiredUser, cfg Config) []*planned {
	if old == nil {
		return plans
	}
	p.Skipped = append(p.Skipped, Skip{IAMName: u.IAMName, User: old.Name, Reason: fmt.Sprintf(
		"IAM user renamed to a name that cannot be used: local user %q (UID %d) keeps its name (never locked for it), its keys and sudo kept current", old.Name, old.UID)})
	pl := &planned{u: u, linux: old.Name, host: old, exists: true, keptOld: true, sudo: cfg.GrantsSudo(u.Groups)}
	keys, dropped := canonicalKeys(u.Keys)
	for _, d := range dropped {
		p.Skipped = append(p.Skipped, Skip{IAMName: u.IAMName, User: old.Name, Reason: d})
	}
	pl.keys = keys
	desiredLinux[old.Name] = true
	return append(plans, pl)
}

// renameConflicts drops, with a skip, the plans of users whose Linux name
// is that of an account being renamed away from it, or kept under it for a
// renamed IAM user whose new name is taken: the account belongs to the
// renamed IAM user, and the other user is created under that name on a
// later sync, once the rename is done.
func (p *SyncPlan) renameConflicts(plans []*planned) []*planned {
	from := map[string]*planned{}
	for _, pl := range plans {
		switch {
		case pl.renameFrom != "":
			from[pl.renameFrom] = pl
		case pl.keptOld:
			from[pl.linux] = pl
		}
	}
	if len(from) == 0 {
		return plans
	}
	return slices.DeleteFunc(plans, func(pl *planned) bool {
		r, ok := from[pl.linux]
		if !ok || pl == r {
			return false
		}
		p.Skipped = append(p.Skipped, Skip{IAMName: pl.u.IAMName, User: pl.linux, Reason: fmt.Sprintf(
			"local user %q belongs to IAM user %s, renamed to %q, and is renamed first: not changed or created in this sync", pl.linux, r.u.IAMUserID, r.u.IAMName)})
		return true
	})
}

// rename plans the rename of pl.renameFrom to pl.linux and the changes to
// the account under its new name. Changes that take access away run before
// the rename, so they go to the old name. Should the rename be deferred
// (the account has running processes), Apply runs the later actions under
// the old name, so that the account stays current.
func (p *SyncPlan) rename(pl *planned, cfg Config) []Action {
	old, name := pl.renameFrom, pl.linux
	out := []Action{{Kind: ActRename, User: name, From: old, IAMName: pl.u.IAMName, UID: pl.host.UID,
		Reason: fmt.Sprintf("IAM user %s was renamed: the account follows its user ID (UID %d kept)", pl.u.IAMUserID, pl.host.UID)}}
	locked := p.Next.Locked[name]
	if p.Next.Locked[old] {
		p.Next.Locked[name] = true
	}
	rename := out[0].phase()
	for _, a := range p.update(pl, cfg) {
		if a.phase() < rename {
			a.User = old
		}
		out = append(out, a)
	}
	if !locked {
		delete(p.Next.Locked, name)
	}
	delete(p.Next.Missing, old)
	return out
}

// renameUser runs an ActRename after checking both names against the guard
// and the host. A rename the System refuses with ErrUserBusy is
// StatusDeferred.
func renameUser(ctx context.Context, sys System, g Guard, a Action) (Status, error) {
	if err := ValidLinuxName(a.From); err != nil {
		return StatusFailed, errRefused("%v", err)
	}
	if IsReserved(a.From, g.Reserved...) {
		return StatusFailed, errRefused("%q is a reserved name", a.From)
	}
	managed := func(u HostUser) bool {
		return u.MemberOf(g.MarkerGroup) && u.UID >= MinManagedUID && u.UID == a.UID
	}
	nu, nerr := sys.LookupUser(ctx, a.User)
	if nerr != nil && !errors.Is(nerr, ErrNoSuchUser) {
		return StatusFailed, nerr
	}
	ou, oerr := sys.LookupUser(ctx, a.From)
	if oerr != nil && !errors.Is(oerr, ErrNoSuchUser) {
		return StatusFailed, oerr
	}
	switch {
	case nerr == nil && oerr != nil && managed(nu):
		return StatusAlreadyDone, nil // renamed by an earlier, interrupted run
	case nerr == nil:
		return StatusFailed, errorf("%w: local user %q (UID %d) exists: %q is not renamed to it", ErrUserExists, a.User, nu.UID, a.From)
	case oerr != nil:
		return StatusFailed, oerr
	case !managed(ou):
		return StatusFailed, errRefused("local user %q (UID %d) is not the marker group's account of UID %d", a.From, ou.UID, a.UID)
	}
	err := sys.Rename(ctx, a.From, a.User)
	switch {
	case errors.Is(err, ErrUserBusy):
		return StatusDeferred, err
	case err != nil:
		return StatusFailed, err
	}
	return StatusDone, nil
}
