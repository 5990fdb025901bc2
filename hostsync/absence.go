package hostsync

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// ErrNotAbsent is wrapped by the error of AbsenceConfirmer.ConfirmAbsent
// when a direct read finds a user, missing from the source's listing,
// still authorized: the listing was inconsistent (a member removed or
// added while it was paged through, say), and the sync must not act on it.
var ErrNotAbsent = errors.New("hostsync: a user missing from the listing is still authorized")

// AbsentUser is a managed account whose IAM user the source did not list,
// and which the plan would therefore lock, strip of its keys, sudo and
// sessions, or delete — or, with SudoOnly, a listed user the plan takes
// sudo from because no sudoers group listed it.
type AbsentUser struct {
	// User is the local account name.
	User string
	// IAMName is the IAM user name recorded for the account's UID (the
	// local name when none is recorded).
	IAMName string
	// IAMUserID is the recorded IAM user ID, or empty when none is.
	IAMUserID string
	// SudoOnly marks a user the source did list, but in none of the
	// sudoers groups: the plan only revokes its sudo, and the direct read
	// must confirm that it is in no sudoers group.
	SudoOnly bool
}

// AbsenceConfirmer is implemented by a Source that can confirm, by a
// direct read, that users missing from its listing are really gone. A
// paged listing is not a snapshot: a member removed between two pages can
// make IAM skip another member who never left. Sync therefore calls
// ConfirmAbsent, between Plan and Apply, with every account the plan
// would lock, strip, end the sessions of or delete because its user was
// not listed, and every listed user it would take sudo from; no call is made when nobody disappeared, so a steady-state
// sync costs nothing more.
//
// ConfirmAbsent returns nil when every user is confirmed gone from the
// source (deleted, or out of every authorized group). Otherwise the
// sync changes nothing: an error wrapping ErrNotAbsent (a user still
// authorized) makes Sync read the source once more and plan again; any
// other error (throttling, a 5xx, a timeout) makes the source unknown for
// this sync (ErrSourceUnknown).
//
// IAMSource implements it. A snapshot source cannot (it has no IAM
// access): there, the publisher reads IAM with an IAMSource and should
// confirm the users its new snapshot drops against the previous one (see
// ConfirmDropped).
type AbsenceConfirmer interface {
	ConfirmAbsent(ctx context.Context, users []AbsentUser) error
}

// maxAbsenceRereads bounds how many times one Sync reads the source again
// after a direct read contradicted the listing.
const maxAbsenceRereads = 1

// absentUsers returns the accounts that p locks, strips or deletes because
// the source did not list them, skipping those whose recorded IAM user ID
// d does list (a name the mapping no longer accepts, say: absent from the
// plan for another reason than the listing), and the listed users it takes
// sudo from (SudoOnly).
func absentUsers(p SyncPlan, hs HostState, d Desired) []AbsentUser {
	listed := make(map[string]bool, len(d.Users))
	for _, u := range d.Users {
		listed[u.IAMUserID] = true
	}
	hostBy := make(map[string]HostUser, len(hs.Users))
	for _, hu := range hs.Users {
		hostBy[hu.Name] = hu
	}
	var out []AbsentUser
	seen := map[string]bool{}
	for _, a := range p.Actions {
		if a.User == "" || a.IAMName != "" || seen[a.User] || p.Next.Missing[a.User] == 0 {
			continue
		}
		seen[a.User] = true
		au := AbsentUser{User: a.User, IAMName: a.User}
		if hu, ok := hostBy[a.User]; ok {
			if e, ok := hs.State.UIDs.ByUID(hu.UID); ok {
				if listed[e.UserID] {
					continue
				}
				au.IAMName, au.IAMUserID = e.Name, e.UserID
			}
		}
		out = append(out, au)
	}
	for _, a := range p.Actions {
		if a.Kind != ActRevokeSudo || a.IAMName == "" || seen[a.User] {
			continue
		}
		seen[a.User] = true
		au := AbsentUser{User: a.User, IAMName: a.IAMName, SudoOnly: true}
		for _, u := range d.Users {
			if u.IAMName == a.IAMName {
				au.IAMUserID = u.IAMUserID
			}
		}
		out = append(out, au)
	}
	return out
}

// planConfirmed reads src, plans, and confirms the absences the plan acts
// on when src is an AbsenceConfirmer: see Sync.
func planConfirmed(ctx context.Context, log *slog.Logger, src Source, hs HostState, cfg Config) SyncPlan {
	for attempt := 0; ; attempt++ {
		srcStart := time.Now()
		d := src.Desired(ctx)
		attrs := []slog.Attr{slog.Bool("complete", d.Complete && d.Err == nil), slog.Int("users", len(d.Users)), slog.Duration("elapsed", time.Since(srcStart))}
		if d.Err != nil {
			attrs = append(attrs, slog.String("error", d.Err.Error()))
		}
		log.LogAttrs(ctx, slog.LevelInfo, "hostsync: source read", attrs...)
		p := Plan(d, hs, cfg)
		c, ok := src.(AbsenceConfirmer)
		if p.Halted != nil || !ok {
			return p
		}
		gone := absentUsers(p, hs, d)
		if len(gone) == 0 {
			return p
		}
		err := c.ConfirmAbsent(ctx, gone)
		if err == nil {
			log.LogAttrs(ctx, slog.LevelInfo, "hostsync: absences confirmed by direct reads", slog.Int("users", len(gone)))
			return p
		}
		log.LogAttrs(ctx, slog.LevelWarn, "hostsync: an absence is not confirmed; nothing changes on its account",
			slog.String("error", err.Error()), slog.Int("attempt", attempt+1))
		if errors.Is(err, ErrNotAbsent) && attempt < maxAbsenceRereads {
			continue
		}
		return Plan(Desired{Err: err}, hs, cfg)
	}
}

// ConfirmDropped confirms, for a snapshot publisher, that the users prev
// lists and next does not are gone from IAM: it calls c.ConfirmAbsent for
// them (no call when none was dropped). A publisher that builds next with
// an IAMSource and publishes only when this returns nil gives its hosts
// the same guarantee a live sync has.
func ConfirmDropped(ctx context.Context, c AbsenceConfirmer, prev, next Desired) error {
	in := make(map[string]bool, len(next.Users))
	for _, u := range next.Users {
		in[u.IAMUserID] = true
	}
	var gone []AbsentUser
	for _, u := range prev.Users {
		if !in[u.IAMUserID] {
			gone = append(gone, AbsentUser{User: u.IAMName, IAMName: u.IAMName, IAMUserID: u.IAMUserID})
		}
	}
	if len(gone) == 0 {
		return nil
	}
	return c.ConfirmAbsent(ctx, gone)
}
