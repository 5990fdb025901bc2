package hostsync_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
)

// interruptCfg, interruptSetup and interruptDesired set up a host where the
// next sync has every kind of work: alice gets a new key and sudo, bob
// (missing once already) is deleted, carol is created, dave (locked by
// hostsync) comes back, erin goes missing and is locked, and everyone joins a
// new local group.
func interruptCfg() hostsync.Config { return hostsync.Config{SudoersGroups: []string{"admins"}} }

func interruptSetup(t *testing.T) *fakes.Host {
	t.Helper()
	h := fakes.NewHost()
	all := complete(user("AIDA1", "alice"), user("AIDA2", "bob", "admins"), user("AIDA4", "dave"), user("AIDA5", "erin", "admins"))
	mustRun(t, h, all, interruptCfg())
	mustRun(t, h, complete(user("AIDA1", "alice"), user("AIDA5", "erin", "admins")), interruptCfg()) // bob and dave locked
	h.StartSession("bob")
	h.ResetLog()
	return h
}

func interruptDesired() (hostsync.Desired, hostsync.Config) {
	alice := user("AIDA1", "alice", "admins")
	alice.Keys = append(alice.Keys, activeKey("alice-new"))
	cfg := interruptCfg()
	cfg.LocalGroups = []string{"docker"}
	return complete(alice, user("AIDA3", "carol@corp.com", "admins"), user("AIDA4", "dave")), cfg
}

// liveSnapshot renders the accounts and the state, leaving out the records
// Plan forgets one sync after it sees them obsolete: missing counts of users
// no longer on the host, lock records of users no longer locked.
func liveSnapshot(t *testing.T, h *fakes.Host) string {
	t.Helper()
	st, err := hostsync.ParseState(h.State())
	require.NoError(t, err)
	for n := range st.Missing {
		if _, ok := h.User(n); !ok {
			delete(st.Missing, n)
		}
	}
	for n := range st.Locked {
		if u, ok := h.User(n); !ok || !u.Locked {
			delete(st.Locked, n)
		}
	}
	data, err := st.Marshal()
	require.NoError(t, err)
	s := snapshot(h)
	return s[:strings.LastIndex(s, "state=")] + string(data)
}

// A sync killed after any number of changes leaves the host consistent, and
// both running the same plan again and planning afresh finish the job
// without failing on what was already done.
func TestApplyInterruptedThenResumed(t *testing.T) {
	d, cfg := interruptDesired()

	ref := interruptSetup(t)
	refPlan := mustRun(t, ref, d, cfg)
	require.Contains(t, kinds(refPlan), "delete bob")
	require.Contains(t, kinds(refPlan), "create-user carol.at.corp.com")
	require.Contains(t, kinds(refPlan), "unlock dave")
	require.Contains(t, kinds(refPlan), "lock erin")
	want := snapshot(ref)

	for k := 0; ; k++ {
		h := interruptSetup(t)
		p := planFor(t, h, d, cfg)
		require.Equal(t, refPlan.String(), p.String(), "same host, same plan")
		h.InterruptAfter(k)
		first := hostsync.Apply(context.Background(), h, p)
		h.ClearFaults()
		if first.Err() == nil {
			assert.Equal(t, want, snapshot(h))
			if k < 3 {
				t.Fatalf("the plan needs more than %d changes", k)
			}
			break
		}
		t.Run(fmt.Sprintf("killed after %d changes", k), func(t *testing.T) {
			assert.ErrorIs(t, first.Err(), fakes.ErrHostInterrupted)
			for _, res := range first.Results {
				if res.Status == hostsync.StatusFailed {
					assert.ErrorIs(t, res.Err, fakes.ErrHostInterrupted, "%s", res.Action)
				}
			}
			// Nobody half-made: every account that exists is in the marker
			// group or was never ours.
			for _, u := range h.Users() {
				if u.UID >= hostsync.DefaultUIDMin {
					assert.True(t, u.MemberOf(marker), u.Name)
				}
			}

			// Resume: the same plan again.
			again := hostsync.Apply(context.Background(), h, p)
			require.NoError(t, again.Err(), "%s", again)
			assert.Zero(t, again.Count(hostsync.StatusFailed))
			assert.Equal(t, want, snapshot(h))

			// Re-plan instead: the same end state, missing counts included
			// (the killed run did not count as a sync). Obsolete records may
			// be forgotten one sync earlier.
			h2 := interruptSetup(t)
			h2.InterruptAfter(k)
			hostsync.Apply(context.Background(), h2, planFor(t, h2, d, cfg))
			h2.ClearFaults()
			mustRun(t, h2, d, cfg)
			assert.Equal(t, liveSnapshot(t, ref), liveSnapshot(t, h2))
		})
	}
}

func TestApplyContinuesPastFailures(t *testing.T) {
	h := fakes.NewHost()
	cfg := hostsync.Config{SudoAll: true, MissingSyncsBeforeDelete: 3}
	mustRun(t, h, complete(user("AIDA1", "alice"), user("AIDA2", "bob")), cfg)
	h.Inject("WriteKeys", fakes.Fault{Match: func(name any) bool { return name == "carol" }})
	h.Inject("Lock", fakes.Fault{Match: func(name any) bool { return name == "bob" }})

	p, r := run(t, h, complete(user("AIDA1", "alice"), user("AIDA3", "carol"), user("AIDA4", "dave")), cfg)
	require.Error(t, r.Err())
	status := map[string]hostsync.Status{}
	for _, res := range r.Results {
		status[string(res.Action.Kind)+" "+res.Action.User] = res.Status
	}
	assert.Equal(t, hostsync.StatusDone, status["create-user carol"])
	assert.Equal(t, hostsync.StatusFailed, status["write-keys carol"])
	assert.Equal(t, hostsync.StatusSkipped, status["grant-sudo carol"], "no grant after a failure for the same user")
	assert.Equal(t, hostsync.StatusDone, status["write-keys bob"], "revocations still run")
	assert.Equal(t, hostsync.StatusDone, status["revoke-sudo bob"])
	assert.Equal(t, hostsync.StatusFailed, status["lock bob"])
	assert.Equal(t, hostsync.StatusDone, status["create-user dave"], "other users carry on")
	assert.Equal(t, hostsync.StatusDone, status["grant-sudo dave"])
	assert.Equal(t, 2, r.Count(hostsync.StatusFailed))
	assert.Contains(t, r.String(), "failed")
	assert.ErrorIs(t, r.Err(), fakes.ErrHostFault)
	_ = p

	// Next run: the failures are retried and succeed.
	h.ClearFaults()
	mustRun(t, h, complete(user("AIDA1", "alice"), user("AIDA3", "carol"), user("AIDA4", "dave")), cfg)
	carol, _ := h.User("carol")
	assert.True(t, carol.Sudo)
	assert.Len(t, carol.Keys, 1)
	bob, _ := h.User("bob")
	assert.True(t, bob.Locked)
}

func TestApplyDeleteNeedsLock(t *testing.T) {
	h := fakes.NewHost()
	cfg := hostsync.Config{MissingSyncsBeforeDelete: 1}
	mustRun(t, h, complete(user("AIDA1", "alice"), user("AIDA2", "bob")), cfg)
	h.Inject("Lock", fakes.Fault{})
	_, r := run(t, h, complete(user("AIDA1", "alice")), cfg)
	var del hostsync.Result
	for _, res := range r.Results {
		if res.Action.Kind == hostsync.ActDelete {
			del = res
		}
	}
	assert.Equal(t, hostsync.StatusSkipped, del.Status, "never deleted without the lock first")
	assert.ErrorIs(t, del.Err, hostsync.ErrEarlierFailure)
	_, ok := h.User("bob")
	assert.True(t, ok)
}

func TestApplySaveStateFailureDoesNotStopTheRun(t *testing.T) {
	h := fakes.NewHost()
	h.Inject("SaveState", fakes.Fault{})
	_, r := run(t, h, complete(user("AIDA1", "alice")), hostsync.Config{})
	assert.Equal(t, 1, r.Count(hostsync.StatusFailed))
	_, ok := h.User("alice")
	assert.True(t, ok)
	h.ClearFaults()
	mustRun(t, h, complete(user("AIDA1", "alice")), hostsync.Config{})
	st, err := hostsync.ParseState(h.State())
	require.NoError(t, err)
	e, _ := st.UIDs.Get("AIDA1")
	alice, _ := h.User("alice")
	assert.Equal(t, alice.UID, e.UID, "the next run records the UID the host has")
}

// Apply checks each target itself, whatever a (hand-made or stale) plan
// says.
func TestApplyGuard(t *testing.T) {
	ctx := context.Background()
	guard := hostsync.Guard{MarkerGroup: marker}
	tests := []struct {
		name  string
		setup func(h *fakes.Host)
		guard hostsync.Guard
		a     hostsync.Action
		want  hostsync.Status
		isErr error
	}{
		{name: "delete ubuntu", a: hostsync.Action{Kind: hostsync.ActDelete, User: "ubuntu"}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
		{name: "lock root", a: hostsync.Action{Kind: hostsync.ActLock, User: "root"}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
		{name: "extra reserved", guard: hostsync.Guard{MarkerGroup: marker, Reserved: []string{"ops"}}, setup: func(h *fakes.Host) { _ = h.AddUser("ops", 3000, marker) },
			a: hostsync.Action{Kind: hostsync.ActLock, User: "ops"}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
		{name: "user not in marker group", setup: func(h *fakes.Host) { _ = h.AddUser("alice", 3000) },
			a: hostsync.Action{Kind: hostsync.ActLock, User: "alice"}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
		{name: "removed from the marker group since planning", setup: func(h *fakes.Host) {
			_ = h.AddUser("alice", 3000, marker)
			_ = h.Lock(ctx, "alice")
			h.RemoveFromGroup("alice", marker)
		}, a: hostsync.Action{Kind: hostsync.ActDelete, User: "alice"}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
		{name: "system UID in marker group", setup: func(h *fakes.Host) { _ = h.AddUser("svc", 300, marker) },
			a: hostsync.Action{Kind: hostsync.ActWriteKeys, User: "svc"}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
		{name: "delete unlocked", setup: func(h *fakes.Host) { _ = h.AddUser("alice", 3000, marker) },
			a: hostsync.Action{Kind: hostsync.ActDelete, User: "alice"}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
		{name: "invalid name", a: hostsync.Action{Kind: hostsync.ActLock, User: "-rf"}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
		{name: "no marker group in plan", guard: hostsync.Guard{}, setup: func(h *fakes.Host) { _ = h.AddUser("alice", 3000, marker) },
			a: hostsync.Action{Kind: hostsync.ActLock, User: "alice"}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
		{name: "create outside the marker group", a: hostsync.Action{Kind: hostsync.ActCreateUser, User: "eve", UID: 3000, Groups: []string{"wheel"}}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
		{name: "create with a system UID", a: hostsync.Action{Kind: hostsync.ActCreateUser, User: "eve", UID: 0, Groups: []string{marker}}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
		{name: "create over an unmanaged user", setup: func(h *fakes.Host) { _ = h.AddUser("eve", 3000) },
			a: hostsync.Action{Kind: hostsync.ActCreateUser, User: "eve", UID: 3000, Groups: []string{marker}}, want: hostsync.StatusFailed, isErr: hostsync.ErrUserExists},
		{name: "create already done", setup: func(h *fakes.Host) { _ = h.AddUser("eve", 3000, marker) },
			a: hostsync.Action{Kind: hostsync.ActCreateUser, User: "eve", UID: 3000, Groups: []string{marker}}, want: hostsync.StatusAlreadyDone},
		{name: "delete already gone", a: hostsync.Action{Kind: hostsync.ActDelete, User: "ghost"}, want: hostsync.StatusAlreadyDone},
		{name: "lock already gone", a: hostsync.Action{Kind: hostsync.ActLock, User: "ghost"}, want: hostsync.StatusAlreadyDone},
		{name: "grant to a missing user", a: hostsync.Action{Kind: hostsync.ActGrantSudo, User: "ghost"}, want: hostsync.StatusFailed, isErr: hostsync.ErrNoSuchUser},
		{name: "non-canonical key", setup: func(h *fakes.Host) { _ = h.AddUser("alice", 3000, marker) },
			a: hostsync.Action{Kind: hostsync.ActWriteKeys, User: "alice", Keys: []hostsync.Key{{ID: "K", Body: pubKey("x"), Status: hostsync.KeyActive}}}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
		{name: "inactive key", setup: func(h *fakes.Host) { _ = h.AddUser("alice", 3000, marker) },
			a: hostsync.Action{Kind: hostsync.ActWriteKeys, User: "alice", Keys: []hostsync.Key{{ID: "K", Body: strings.Join(strings.Fields(pubKey("x"))[:2], " "), Status: hostsync.KeyInactive}}}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
		{name: "garbage state", a: hostsync.Action{Kind: hostsync.ActSaveState, State: []byte("nope")}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
		{name: "unknown kind", setup: func(h *fakes.Host) { _ = h.AddUser("alice", 3000, marker) },
			a: hostsync.Action{Kind: "format-disk", User: "alice"}, want: hostsync.StatusFailed, isErr: hostsync.ErrRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fakes.NewHost()
			if tt.setup != nil {
				tt.setup(h)
			}
			g := guard
			if tt.guard.MarkerGroup != "" || tt.name == "no marker group in plan" {
				g = tt.guard
			}
			before := snapshot(h)
			h.ResetLog()
			r := hostsync.Apply(ctx, h, hostsync.SyncPlan{Guard: g, Actions: []hostsync.Action{tt.a}})
			require.Len(t, r.Results, 1)
			assert.Equal(t, tt.want, r.Results[0].Status, "%v", r.Results[0].Err)
			if tt.isErr != nil {
				assert.ErrorIs(t, r.Results[0].Err, tt.isErr)
			}
			if tt.want != hostsync.StatusDone {
				assert.Zero(t, h.Writes(), "nothing changed")
				assert.Equal(t, before, snapshot(h))
			}
		})
	}
}

func TestApplyOrdersHandMadePlans(t *testing.T) {
	h := fakes.NewHost()
	require.NoError(t, h.AddUser("alice", 3000, marker))
	p := hostsync.SyncPlan{Guard: hostsync.Guard{MarkerGroup: marker}, Actions: []hostsync.Action{
		{Kind: hostsync.ActDelete, User: "alice"},
		{Kind: hostsync.ActLock, User: "alice"},
	}}
	r := hostsync.Apply(context.Background(), h, p)
	require.NoError(t, r.Err())
	assert.Equal(t, hostsync.ActLock, r.Results[0].Action.Kind, "lock runs before delete")
	assert.Equal(t, []string{"Lock alice", "Delete alice"}, h.Log())
}

func TestApplyContextCancelled(t *testing.T) {
	h := fakes.NewHost()
	hs, err := hostsync.LoadHostState(context.Background(), h, hostsync.Config{})
	require.NoError(t, err)
	p := hostsync.Plan(complete(user("AIDA1", "alice"), user("AIDA2", "bob")), hs, hostsync.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := hostsync.Apply(ctx, h, p)
	assert.Equal(t, len(p.Actions), r.Count(hostsync.StatusNotRun))
	assert.True(t, errors.Is(r.Err(), context.Canceled))
	assert.Zero(t, h.Writes())
	// And a later run with a live context does it all.
	assert.NoError(t, hostsync.Apply(context.Background(), h, p).Err())
	assert.Len(t, managedNames(h), 2)
}

func TestApplyHaltedPlan(t *testing.T) {
	h := fakes.NewHost()
	r := hostsync.Apply(context.Background(), h, hostsync.SyncPlan{Halted: hostsync.ErrDoNotSync})
	assert.ErrorIs(t, r.Err(), hostsync.ErrDoNotSync)
	assert.Empty(t, r.Results)
	assert.Contains(t, r.String(), "no changes")
}

// A sync killed before its end does not count towards the deletion of a
// missing user: run again, it counts once.
func TestKilledSyncDoesNotCount(t *testing.T) {
	h := fakes.NewHost()
	cfg := hostsync.Config{} // two missing syncs before deletion
	mustRun(t, h, complete(user("AIDA1", "alice"), user("AIDA2", "bob")), cfg)
	onlyAlice := complete(user("AIDA1", "alice"))

	ctx, cancel := context.WithCancel(context.Background())
	hs, err := hostsync.LoadHostState(ctx, h, cfg)
	require.NoError(t, err)
	p := hostsync.Plan(onlyAlice, hs, cfg)
	require.Equal(t, hostsync.ActCommitState, p.Actions[len(p.Actions)-1].Kind)
	h.Inject("Lock", fakes.Fault{Err: errors.New("SIGKILL"), Match: func(any) bool { cancel(); return true }})
	r := hostsync.Apply(ctx, h, p)
	assert.Equal(t, hostsync.StatusNotRun, r.Results[len(r.Results)-1].Status)
	h.ClearFaults()

	for range 3 { // killed again and again: still no deletion
		st, err := hostsync.ParseState(h.State())
		require.NoError(t, err)
		assert.Zero(t, st.Missing["bob"])
		assert.True(t, st.Locked["bob"], "the lock record was saved before the lock")
		ctx, cancel := context.WithCancel(context.Background())
		h.Inject("*", fakes.Fault{Match: func(any) bool { cancel(); return false }})
		hostsync.Apply(ctx, h, planFor(t, h, onlyAlice, cfg))
		h.ClearFaults()
	}
	p = mustRun(t, h, onlyAlice, cfg) // completes: the first miss
	assert.NotContains(t, actionsFor(p, "bob"), hostsync.ActDelete)
	bob, _ := h.User("bob")
	assert.True(t, bob.Locked)
	p = mustRun(t, h, onlyAlice, cfg) // the second
	assert.Contains(t, actionsFor(p, "bob"), hostsync.ActDelete)
}
