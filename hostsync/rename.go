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
	return p.keepOld(plans, desiredLinux, old, u, cfg, fmt.Sprintf(
		"IAM user renamed to a name that cannot be used: local user %q (UID %d) keeps its name (never locked for it), its keys and sudo kept current", old.Name, old.UID))
}

// keepOld plans old, the account of u under its old name, kept and synced
// under that name, with a skip saying why.
func (p *SyncPlan) keepOld(plans []*planned, desiredLinux map[string]bool, old *HostUser, u DesiredUser, cfg Config, why string) []*planned {
	p.Skipped = append(p.Skipped, Skip{IAMName: u.IAMName, User: old.Name, Reason: why})
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
		// Renamed by an earlier run that may have been cut short: the
		// System finishes what is left under the old name (nothing, when
		// the earlier run finished).
		if err := sys.Rename(ctx, a.From, a.User); err != nil {
			return StatusFailed, err
		}
		return StatusAlreadyDone, nil
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

// heldByOther returns u's own managed account (under another name) when
// the account holding u's new Linux name, holder, is a managed account of
// another IAM user: its UID is not the one the allocation records for u.
// nil when u has no account of its own (then holder counts as u's, as for
// an IAM user re-created under the same name) or holder is u's.
func (r *renameIndex) heldByOther(u DesiredUser, linux string, holder *HostUser) *HostUser {
	e, ok := r.host.State.UIDs.Get(u.IAMUserID)
	if !ok || e.UID == holder.UID || !holder.MemberOf(r.cfg.MarkerGroup) || holder.UID < MinManagedUID {
		return nil
	}
	return r.source(u, linux)
}

// keepHeld plans the rename of u to the name of holder, a managed account
// of another IAM user: nothing moves. u's account, own, keeps its old name
// and is synced under it (never locked for the rename); holder is not given
// to u, and is never deleted while a renamed user wants its name
// (spareHeld). Should holder's own IAM user be gone, it is locked as any
// missing account is: that takes a departed user's access away, and is
// undone if the user comes back. Both are reported on every sync until the
// name is free.
func (p *SyncPlan) keepHeld(plans []*planned, desiredLinux, held map[string]bool, own, holder *HostUser, u DesiredUser, cfg Config) []*planned {
	p.Skipped = append(p.Skipped, Skip{IAMName: u.IAMName, User: holder.Name, Reason: fmt.Sprintf(
		"IAM user %s was renamed to %q, but local user %q (UID %d) is the account of another IAM user: not renamed over, given to it or deleted for this rename; retried every sync", u.IAMUserID, u.IAMName, holder.Name, holder.UID)})
	held[holder.Name] = true
	return p.keepOld(plans, desiredLinux, own, u, cfg, fmt.Sprintf(
		"IAM user renamed to %q, the name of another IAM user's account: local user %q (UID %d) keeps its name (never locked for it), its keys and sudo kept current", holder.Name, own.Name, own.UID))
}

// spareHeld drops the deletion (and the session ending before it) of every
// account a renamed user is kept from (keepHeld), with a note: deleting it
// would free the name for the rename, and hand the new name's home to
// whoever comes next.
func (p *SyncPlan) spareHeld(actions []Action, held map[string]bool) []Action {
	if len(held) == 0 {
		return actions
	}
	var spared []string
	actions = slices.DeleteFunc(actions, func(a Action) bool {
		if !held[a.User] {
			return false
		}
		switch {
		case a.Kind == ActDelete:
			spared = append(spared, a.User)
			return true
		case a.Kind == ActEndSessions && a.Reason == "before deletion":
			return true
		}
		return false
	})
	for _, name := range spared {
		p.Notes = append(p.Notes, fmt.Sprintf("local user %q is due for deletion but a renamed IAM user wants its name: not deleted (locked) until an admin resolves it", name))
	}
	return actions
}

// unfinishedRename returns the old name of hu, u's account, when a rename
// to hu's name may not have finished: the allocation still records u under
// an IAM name whose Linux name is another one that no account holds. The
// allocation records a renamed user's new name only once a sync has run its
// rename without failing (keepRenamedFrom, Apply), so a rename cut short
// after usermod renamed the login is seen here and finished (finishRename).
func unfinishedRename(host HostState, hostBy map[string]*HostUser, u DesiredUser, hu *HostUser) string {
	e, ok := host.State.UIDs.Get(u.IAMUserID)
	if !ok || e.UID != hu.UID || e.Name == u.IAMName {
		return ""
	}
	old, err := LinuxName(e.Name)
	if err != nil || old == hu.Name {
		return ""
	}
	if _, taken := hostBy[old]; taken {
		return ""
	}
	return old
}

// finishRename plans the end of a rename to pl.linux from pl.finishFrom
// that may have been cut short: System.Rename, with the old account gone,
// renames the primary group still named after it and removes the sudoers
// drop-in and key cache entry left under the old name; the keys and sudo
// of the new name are the sync's (update).
func finishRename(pl *planned) Action {
	return Action{Kind: ActRename, User: pl.linux, From: pl.finishFrom, IAMName: pl.u.IAMName, UID: pl.host.UID,
		Reason: fmt.Sprintf("finishing the rename of %q (IAM user %s): what is left under the old name follows or goes", pl.finishFrom, pl.u.IAMUserID)}
}

// keepRenamedFrom makes the state saved before a sync (intent) record each
// renamed user under its previous IAM name: should the rename be cut short,
// the next sync still knows the old name (unfinishedRename).
func keepRenamedFrom(intent *State, prev State, plans []*planned) {
	for _, pl := range plans {
		if pl.renameFrom == "" && pl.finishFrom == "" {
			continue
		}
		if e, ok := prev.UIDs.Get(pl.u.IAMUserID); ok {
			_ = intent.UIDs.Set(e)
		}
	}
}

// keepUnfinished rewrites the state an ActCommitState saves so that the
// users whose ActRename failed or was deferred stay recorded under their previous IAM name
// (the old Linux name's, IAMName of From), for the next sync to finish the
// rename. unfinished maps UIDs to the old Linux names.
func keepUnfinished(a Action, unfinished map[int]string) Action {
	if len(unfinished) == 0 {
		return a
	}
	st, err := ParseState(a.State)
	if err != nil {
		return a
	}
	for uid, old := range unfinished {
		iam, err := IAMName(old)
		if err != nil {
			continue
		}
		if e, ok := st.UIDs.ByUID(uid); ok && e.Name != iam {
			e.Name = iam
			_ = st.UIDs.Set(e)
		}
	}
	if data, err := st.Marshal(); err == nil {
		a.State = data
	}
	return a
}
