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

const marker = hostsync.DefaultMarkerGroup

func TestPlanFirstSync(t *testing.T) {
	h := fakes.NewHost()
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}, LocalGroups: []string{"docker"}}
	d := complete(
		user("AIDA1", "alice", "ssh", "admins"),
		user("AIDA2", "bob@corp.com", "ssh"),
		user("AIDA3", "carol", "billing"), // not authorized
	)
	p := mustRun(t, h, d, cfg)
	assert.Equal(t, []string{
		"save-state",
		"create-user alice", "create-user bob.at.corp.com",
		"write-keys alice", "write-keys bob.at.corp.com",
		"grant-sudo alice",
	}, kinds(p))
	assert.Contains(t, skipReason(p, "carol"), "not a member of any authorized IAM group")

	alice, ok := h.User("alice")
	require.True(t, ok)
	assert.Equal(t, hostsync.HashUID("AIDA1", hostsync.DefaultUIDMin, hostsync.DefaultUIDMax), alice.UID)
	assert.Equal(t, []string{"alice", marker, "docker"}, alice.Groups)
	assert.True(t, alice.Sudo)
	require.Len(t, alice.Keys, 1)
	assert.Equal(t, "APKAALICE", alice.Keys[0].ID)
	assert.True(t, strings.HasPrefix(alice.Keys[0].Fingerprint, "SHA256:"))
	assert.Len(t, strings.Fields(alice.Keys[0].Body), 2, "canonical body, no comment")

	bob, ok := h.User("bob.at.corp.com")
	require.True(t, ok)
	assert.False(t, bob.Sudo)
	_, ok = h.User("carol")
	assert.False(t, ok)

	// The allocation is persisted.
	st, err := hostsync.ParseState(h.State())
	require.NoError(t, err)
	e, ok := st.UIDs.Get("AIDA1")
	require.True(t, ok)
	assert.Equal(t, alice.UID, e.UID)
}

func TestPlanNoOpSyncWritesNothing(t *testing.T) {
	h := fakes.NewHost()
	cfg := hostsync.Config{SudoAll: true}
	d := complete(user("AIDA1", "alice"), user("AIDA2", "bob"))
	mustRun(t, h, d, cfg)
	h.ResetLog()
	lookups := h.Calls("LookupUser")
	p := mustRun(t, h, d, cfg)
	assert.True(t, p.Empty(), "second sync: %s", p)
	assert.Zero(t, h.Writes())
	assert.Equal(t, lookups, h.Calls("LookupUser"), "an empty plan does not even look users up")
}

// An unknown source — a throttled or failed call, a partial page — changes
// nothing at all: no deletion, no lock, no key change, no creation, and the
// missing counts neither grow nor reset.
func TestPlanUnknownSourceChangesNothing(t *testing.T) {
	throttled := errors.New("iam:GetGroup: Throttling: Rate exceeded")
	tests := []struct {
		name string
		d    hostsync.Desired
	}{
		{name: "throttled GetGroup", d: hostsync.Desired{Complete: false, Err: throttled}},
		{name: "partial ListSSHPublicKeys, users present", d: hostsync.Desired{Complete: false, Users: []hostsync.DesiredUser{user("AIDA9", "newbie")}, Err: throttled}},
		{name: "complete flag with an error", d: hostsync.Desired{Complete: true, Err: throttled}},
		{name: "incomplete without an error", d: hostsync.Desired{Complete: false}},
		{name: "incomplete and empty", d: hostsync.Desired{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fakes.NewHost()
			cfg := hostsync.Config{}
			mustRun(t, h, complete(user("AIDA1", "alice"), user("AIDA2", "bob")), cfg)
			mustRun(t, h, complete(user("AIDA1", "alice")), cfg) // bob missing once: locked
			before := snapshot(h)
			h.ResetLog()
			for range 5 {
				p, r := run(t, h, tt.d, cfg)
				assert.ErrorIs(t, p.Halted, hostsync.ErrSourceUnknown)
				assert.Empty(t, p.Actions)
				assert.ErrorIs(t, r.Err(), hostsync.ErrSourceUnknown)
				assert.Contains(t, p.String(), "no changes")
			}
			assert.Zero(t, h.Writes())
			assert.Equal(t, before, snapshot(h))
			// The next complete sync counts bob's second miss, not a seventh.
			p := mustRun(t, h, complete(user("AIDA1", "alice")), cfg)
			assert.Contains(t, actionsFor(p, "bob"), hostsync.ActDelete)
		})
	}
}

func TestPlanRemovedUserLockedThenDeletedAfterGrace(t *testing.T) {
	for _, grace := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("grace %d", grace), func(t *testing.T) {
			h := fakes.NewHost()
			cfg := hostsync.Config{MissingSyncsBeforeDelete: grace, SudoersGroups: []string{"admins"}}
			mustRun(t, h, complete(user("AIDA1", "alice"), user("AIDA2", "bob", "admins")), cfg)
			h.StartSession("bob")
			onlyAlice := complete(user("AIDA1", "alice"))

			for sync := 1; sync <= grace; sync++ {
				p := mustRun(t, h, onlyAlice, cfg)
				bob, exists := h.User("bob")
				if sync < grace {
					require.True(t, exists, "sync %d", sync)
					assert.True(t, bob.Locked)
					assert.Empty(t, bob.Keys, "keys leave the cache at once")
					assert.False(t, bob.Sudo, "sudo goes at once")
					assert.Equal(t, "/sbin/nologin", h.Shell("bob"))
					assert.NotContains(t, actionsFor(p, "bob"), hostsync.ActDelete)
					assert.Equal(t, 1, h.Sessions("bob"), "sessions survive a lock by default")
				} else {
					assert.False(t, exists, "deleted at sync %d", sync)
					assert.Contains(t, actionsFor(p, "bob"), hostsync.ActEndSessions)
				}
				if sync == 1 {
					assert.Equal(t, []hostsync.ActionKind{hostsync.ActRevokeSudo, hostsync.ActWriteKeys, hostsync.ActLock},
						actionsFor(p, "bob")[:3], "revocations first, in order:\n%s", p)
				}
			}
			_, ok := h.User("alice")
			assert.True(t, ok)
			// The next sync only forgets bob's count (kept until the deletion
			// is seen done, so a failed deletion is retried), then all is quiet.
			assert.Equal(t, []string{"save-state"}, kinds(mustRun(t, h, onlyAlice, cfg)))
			assert.Empty(t, mustRun(t, h, onlyAlice, cfg).Actions, "nothing left to do")
			st, err := hostsync.ParseState(h.State())
			require.NoError(t, err)
			assert.Empty(t, st.Missing, "counts of deleted users are forgotten")
			assert.Empty(t, st.Locked)
			_, kept := st.UIDs.Get("AIDA2")
			assert.True(t, kept, "the UID stays allocated to bob's user ID")
		})
	}
}

func TestPlanEndSessionsOnLock(t *testing.T) {
	h := fakes.NewHost()
	cfg := hostsync.Config{EndSessionsOnLock: true}
	mustRun(t, h, complete(user("AIDA1", "alice"), user("AIDA2", "bob")), cfg)
	h.StartSession("bob")
	p := mustRun(t, h, complete(user("AIDA1", "alice")), cfg)
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActWriteKeys, hostsync.ActLock, hostsync.ActEndSessions}, actionsFor(p, "bob"))
	assert.Zero(t, h.Sessions("bob"))
}

func TestPlanUserComesBack(t *testing.T) {
	h := fakes.NewHost()
	cfg := hostsync.Config{SudoAll: true}
	both := complete(user("AIDA1", "alice"), user("AIDA2", "bob"))
	mustRun(t, h, both, cfg)
	mustRun(t, h, complete(user("AIDA1", "alice")), cfg)
	bob, _ := h.User("bob")
	require.True(t, bob.Locked)

	p := mustRun(t, h, both, cfg)
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActUnlock, hostsync.ActWriteKeys, hostsync.ActGrantSudo}, actionsFor(p, "bob"))
	bob, _ = h.User("bob")
	assert.False(t, bob.Locked)
	assert.Len(t, bob.Keys, 1)
	assert.True(t, bob.Sudo)

	// The count starts again from zero: one more miss only locks.
	mustRun(t, h, both, cfg)
	p = mustRun(t, h, complete(user("AIDA1", "alice")), cfg)
	assert.NotContains(t, actionsFor(p, "bob"), hostsync.ActDelete)
}

func TestPlanLeavesAdminLockAlone(t *testing.T) {
	h := fakes.NewHost()
	cfg := hostsync.Config{}
	d := complete(user("AIDA1", "alice"))
	mustRun(t, h, d, cfg)
	require.NoError(t, h.Lock(context.Background(), "alice")) // an admin locks alice
	p := mustRun(t, h, d, cfg)
	assert.NotContains(t, actionsFor(p, "alice"), hostsync.ActUnlock)
	assert.Contains(t, skipReason(p, "alice"), "locked outside hostsync")
	alice, _ := h.User("alice")
	assert.True(t, alice.Locked)
}

func TestPlanDeletionCap(t *testing.T) {
	tests := []struct {
		name       string
		users      int
		removed    int
		max        int
		wantDelete bool
		wantNote   string
	}{
		{name: "small host, 5 removed: default cap 5", users: 12, removed: 5, wantDelete: true},
		{name: "small host, 6 removed: over the cap", users: 12, removed: 6, wantNote: "6 accounts are due for deletion but at most 5"},
		{name: "60 users, 6 removed: 10% cap", users: 60, removed: 6, wantDelete: true},
		{name: "60 users, 7 removed", users: 60, removed: 7, wantNote: "at most 6 may be deleted"},
		{name: "explicit cap", users: 12, removed: 3, max: 2, wantNote: "IAMKIT_MAX_DELETIONS=2"},
		{name: "explicit cap met", users: 12, removed: 2, max: 2, wantDelete: true},
		{name: "deletion disabled", users: 12, removed: 1, max: -1, wantNote: "deletion is disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fakes.NewHost()
			cfg := hostsync.Config{MaxDeletions: tt.max}
			var all []hostsync.DesiredUser
			for i := range tt.users {
				all = append(all, user(fmt.Sprintf("AIDA%03d", i), fmt.Sprintf("user%03d", i)))
			}
			mustRun(t, h, complete(all...), cfg)
			remaining := complete(all[tt.removed:]...)
			mustRun(t, h, remaining, cfg) // first miss: locked
			p := mustRun(t, h, remaining, cfg)
			deletions := 0
			for _, a := range p.Actions {
				if a.Kind == hostsync.ActDelete {
					deletions++
				}
			}
			if tt.wantDelete {
				assert.Equal(t, tt.removed, deletions)
				assert.Len(t, managedNames(h), tt.users-tt.removed)
				return
			}
			assert.Zero(t, deletions, "beyond the cap nothing at all is deleted")
			require.Len(t, p.Notes, 1)
			assert.Contains(t, p.Notes[0], tt.wantNote)
			assert.Contains(t, p.String(), tt.wantNote)
			assert.Len(t, managedNames(h), tt.users, "all accounts remain")
			for i := range tt.removed {
				u, _ := h.User(fmt.Sprintf("user%03d", i))
				assert.True(t, u.Locked, "but the missing ones stay locked")
				assert.Empty(t, u.Keys)
			}
		})
	}
}

func TestPlanRefusesDangerousNames(t *testing.T) {
	tests := []struct {
		iam        string
		linux      string // the Linux name it must never create or touch
		wantReason string
	}{
		{iam: "root", linux: "root", wantReason: "reserved name"},
		{iam: "ubuntu", linux: "ubuntu", wantReason: "reserved name"},
		{iam: "ec2-user", linux: "ec2-user", wantReason: "reserved name"},
		{iam: "Admin", linux: "Admin", wantReason: "reserved name"},
		{iam: "postgres", linux: "postgres", wantReason: "reserved name"},
		{iam: "systemd-timesync", linux: "systemd-timesync", wantReason: "reserved name"},
		{iam: "iam-synced-users", linux: "iam-synced-users", wantReason: "reserved name"},
		{iam: "docker", linux: "docker", wantReason: "reserved name"},
		{iam: "breakglass", linux: "breakglass", wantReason: "reserved name"},
		{iam: "..", linux: "..", wantReason: `"." and ".."`},
		{iam: "-rf", linux: "-rf", wantReason: "must not start with '-'"},
		{iam: "bob.at.corp.com", linux: "bob.at.corp.com", wantReason: `would read back as IAM user "bob@corp.com"`},
		{iam: strings.Repeat("n", 40), linux: strings.Repeat("n", 40), wantReason: "40 characters long, more than 32"},
		{iam: "firstname.lastname@example.com", linux: "firstname.lastname.at.example.com", wantReason: "more than 32"},
		{iam: "12345", linux: "12345", wantReason: "all-digit"},
	}
	for _, tt := range tests {
		t.Run(tt.iam, func(t *testing.T) {
			h := fakes.NewHost()
			before := snapshot(h)
			cfg := hostsync.Config{SudoAll: true, Reserved: []string{"breakglass"}}
			p := mustRun(t, h, complete(user("AIDA1", tt.iam), user("AIDA2", "other@corp.com")), cfg)
			assert.Contains(t, skipReason(p, tt.iam), tt.wantReason, "plan:\n%s", p)
			assert.Empty(t, actionsFor(p, tt.linux), "no action on %q", tt.linux)
			assert.Contains(t, p.String(), tt.wantReason, "the dry run says why")
			if u, ok := h.User(tt.linux); ok {
				assert.Contains(t, before, fmt.Sprintf("%s uid=%d", u.Name, u.UID), "pre-existing account untouched")
				assert.False(t, u.Sudo)
			}
			_, ok := h.User("other.at.corp.com")
			assert.True(t, ok, "the other user is synced")
		})
	}
}

// IAM users "bob@corp.com" and "bob.at.corp.com" would both become Linux
// "bob.at.corp.com": the account goes to bob@corp.com, whatever the order,
// and the literal one is refused with the reason.
func TestPlanAmbiguousPair(t *testing.T) {
	for _, order := range [][2]int{{0, 1}, {1, 0}} {
		pair := []hostsync.DesiredUser{user("AIDA1", "bob.at.corp.com"), user("AIDA2", "bob@corp.com")}
		h := fakes.NewHost()
		p := mustRun(t, h, complete(pair[order[0]], pair[order[1]]), hostsync.Config{})
		assert.Contains(t, skipReason(p, "bob.at.corp.com"), `would read back as IAM user "bob@corp.com"`)
		assert.Equal(t, []string{"bob.at.corp.com"}, managedNames(h))
		keys := h.Keys("bob.at.corp.com")
		require.Len(t, keys, 1)
		assert.Equal(t, "APKABOB@CORP.COM", keys[0].ID, "bob@corp.com's keys, never the other's")
	}
}

func TestPlanNeverTouchesUnmanagedOrSystemAccounts(t *testing.T) {
	h := fakes.NewHost()
	require.NoError(t, h.AddUser("alice", 1002, "wheel"))      // an admin's own alice, not in the marker group
	require.NoError(t, h.AddUser("svc", 500, marker))          // a system account someone put in the marker group
	require.NoError(t, h.AddUser("legacy", 1003, marker, "x")) // a user aws-ec2-ssh made, gone from IAM
	before, _ := h.User("alice")
	cfg := hostsync.Config{SudoAll: true, MissingSyncsBeforeDelete: 1}

	p := mustRun(t, h, complete(user("AIDA1", "alice"), user("AIDA2", "svc"), user("AIDA3", "dave")), cfg)
	assert.Contains(t, skipReason(p, "alice"), "exists outside the marker group")
	assert.Contains(t, skipReason(p, "svc"), "UID 500")
	assert.Empty(t, actionsFor(p, "alice"))
	assert.Empty(t, actionsFor(p, "svc"))
	after, _ := h.User("alice")
	assert.Equal(t, before, after)
	_, ok := h.User("svc")
	assert.True(t, ok)
	// legacy is managed and missing: with a grace of 1 it goes.
	_, ok = h.User("legacy")
	assert.False(t, ok)

	// Even when IAM lists none of them, the unmanaged and system accounts stay.
	for range 3 {
		mustRun(t, h, complete(), cfg)
	}
	for _, name := range []string{"root", "ec2-user", "ubuntu", "alice", "svc", "nobody"} {
		_, ok := h.User(name)
		assert.True(t, ok, name)
	}
}

func TestPlanCaseVariantOfLocalUser(t *testing.T) {
	h := fakes.NewHost()
	require.NoError(t, h.AddUser("Dave", 1500))
	p := mustRun(t, h, complete(user("AIDA1", "dave")), hostsync.Config{})
	assert.Contains(t, skipReason(p, "dave"), `differs only in letter case from local user "Dave"`)
	_, ok := h.User("dave")
	assert.False(t, ok)
}

func TestPlanSudoGroupWithDot(t *testing.T) {
	h := fakes.NewHost()
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh.users"}, SudoersGroups: []string{"ops.admins"}}
	d := complete(
		user("AIDA1", "bob.smith", "ssh.users", "ops.admins"),
		user("AIDA2", "bobxsmith", "ssh.users", "opsXadmins"), // aws-ec2-ssh's grep would match both
		user("AIDA3", "carol", "sshXusers"),                   // not authorized: a '.' is no wildcard
	)
	mustRun(t, h, d, cfg)
	dot, _ := h.User("bob.smith")
	x, _ := h.User("bobxsmith")
	assert.True(t, dot.Sudo)
	assert.False(t, x.Sudo)
	_, ok := h.User("carol")
	assert.False(t, ok)
	assert.Equal(t, "iamkit-bob%smith", hostsync.SudoersFileName("bob.smith"))

	// Leaving the sudoers group revokes sudo on the next sync.
	d.Users[0].Groups = []string{"ssh.users"}
	p := mustRun(t, h, d, cfg)
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActRevokeSudo}, actionsFor(p, "bob.smith"))
	dot, _ = h.User("bob.smith")
	assert.False(t, dot.Sudo)
}

func TestPlanKeys(t *testing.T) {
	h := fakes.NewHost()
	cfg := hostsync.Config{}
	inactive := activeKey("old")
	inactive.Status = hostsync.KeyInactive
	noStatus := activeKey("nostatus")
	noStatus.Status = ""
	garbage := hostsync.Key{ID: "APKAGARBAGE", Body: "ssh-rsa AAAA garbage", Status: hostsync.KeyActive}
	smuggled := hostsync.Key{ID: "APKASMUGGLE", Body: pubKey("a") + "\n" + pubKey("b"), Status: hostsync.KeyActive}
	dupBody := activeKey("alice")
	dupBody.ID = "APKAZZZ"
	u := hostsync.DesiredUser{IAMUserID: "AIDA1", IAMName: "alice", Keys: []hostsync.Key{activeKey("alice"), inactive, noStatus, garbage, smuggled, dupBody, activeKey("alice2")}}
	p := mustRun(t, h, complete(u), cfg)
	reasons := skipReason(p, "alice")
	assert.Contains(t, reasons, `key APKAOLD dropped: status "Inactive" is not "Active"`)
	assert.Contains(t, reasons, `key APKANOSTATUS dropped: status ""`)
	assert.Contains(t, reasons, "key APKAGARBAGE dropped")
	assert.Contains(t, reasons, "key APKASMUGGLE dropped")
	assert.Contains(t, reasons, "key APKAZZZ dropped: same key as APKAALICE")
	keys := h.Keys("alice")
	require.Len(t, keys, 2)
	assert.Equal(t, "APKAALICE", keys[0].ID)
	assert.Equal(t, "APKAALICE2", keys[1].ID)

	// Deactivating a key removes it on the next sync.
	u.Keys = []hostsync.Key{activeKey("alice"), inactive}
	u.Keys[0].Status = hostsync.KeyInactive
	p = mustRun(t, h, complete(u), cfg)
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActWriteKeys}, actionsFor(p, "alice"))
	assert.Contains(t, p.Actions[len(p.Actions)-1].Reason, "remove APKAALICE,APKAALICE2")
	assert.Empty(t, h.Keys("alice"), "an inactive key is never kept")
}

func TestPlanUIDs(t *testing.T) {
	lo, hi := hostsync.DefaultUIDMin, hostsync.DefaultUIDMax
	t.Run("deleted and restored with the same user ID", func(t *testing.T) {
		h := fakes.NewHost()
		cfg := hostsync.Config{MissingSyncsBeforeDelete: 1}
		mustRun(t, h, complete(user("AIDA1", "alice")), cfg)
		first, _ := h.User("alice")
		mustRun(t, h, complete(), cfg)
		_, ok := h.User("alice")
		require.False(t, ok)
		mustRun(t, h, complete(user("AIDA1", "alice")), cfg)
		again, _ := h.User("alice")
		assert.Equal(t, first.UID, again.UID)
	})
	t.Run("re-created under the same name with a new user ID", func(t *testing.T) {
		h := fakes.NewHost()
		cfg := hostsync.Config{MissingSyncsBeforeDelete: 1}
		mustRun(t, h, complete(user("AIDA-OLD", "alice")), cfg)
		first, _ := h.User("alice")
		mustRun(t, h, complete(), cfg)
		p := mustRun(t, h, complete(user("AIDA-NEW", "alice")), cfg)
		again, _ := h.User("alice")
		assert.Equal(t, first.UID, again.UID)
		assert.Contains(t, p.Actions[1].Reason, "earlier IAM user AIDA-OLD of the same name")
	})
	t.Run("re-created within the grace period: the account follows the name", func(t *testing.T) {
		h := fakes.NewHost()
		cfg := hostsync.Config{}
		mustRun(t, h, complete(user("AIDA-OLD", "alice")), cfg)
		first, _ := h.User("alice")
		p := mustRun(t, h, complete(user("AIDA-NEW", "alice")), cfg)
		assert.Empty(t, actionsFor(p, "alice"))
		require.Len(t, p.Notes, 1)
		assert.Contains(t, p.Notes[0], "now belongs to IAM user ID AIDA-NEW, formerly AIDA-OLD")
		st, err := hostsync.ParseState(h.State())
		require.NoError(t, err)
		e, ok := st.UIDs.Get("AIDA-NEW")
		require.True(t, ok)
		assert.Equal(t, first.UID, e.UID)
		_, ok = st.UIDs.Get("AIDA-OLD")
		assert.False(t, ok)
	})
	t.Run("hash taken by a local account: next UID", func(t *testing.T) {
		h := fakes.NewHost()
		want := hostsync.HashUID("AIDA1", lo, hi)
		require.NoError(t, h.AddUser("squatter", want))
		mustRun(t, h, complete(user("AIDA1", "alice")), hostsync.Config{})
		alice, _ := h.User("alice")
		assert.Equal(t, want+1, alice.UID)
	})
	t.Run("a deleted user's UID is never handed to someone else", func(t *testing.T) {
		h := fakes.NewHost()
		cfg := hostsync.Config{UIDMin: 5000, UIDMax: 5001, MissingSyncsBeforeDelete: 1}
		mustRun(t, h, complete(user("AIDA1", "alice"), user("AIDA2", "bob")), cfg)
		mustRun(t, h, complete(), cfg)
		p := mustRun(t, h, complete(user("AIDA3", "carol")), cfg)
		assert.Contains(t, skipReason(p, "carol"), "UID range 5000–5001 is full")
	})
	t.Run("migrated aws-ec2-ssh user keeps its UID", func(t *testing.T) {
		h := fakes.NewHost()
		require.NoError(t, h.AddUser("bob.at.corp.com", 1004, marker))
		p := mustRun(t, h, complete(user("AIDA2", "bob@corp.com")), hostsync.Config{})
		assert.NotContains(t, actionsFor(p, "bob.at.corp.com"), hostsync.ActCreateUser)
		st, err := hostsync.ParseState(h.State())
		require.NoError(t, err)
		e, ok := st.UIDs.Get("AIDA2")
		require.True(t, ok)
		assert.Equal(t, 1004, e.UID)
	})
}

func TestPlanLocalGroupsNeverStripped(t *testing.T) {
	h := fakes.NewHost()
	mustRun(t, h, complete(user("AIDA1", "alice")), hostsync.Config{})
	require.NoError(t, h.AddGroups(context.Background(), "alice", []string{"wheel"})) // an admin's choice
	p := mustRun(t, h, complete(user("AIDA1", "alice")), hostsync.Config{LocalGroups: []string{"docker", "adm"}})
	require.Len(t, p.Actions, 1)
	assert.Equal(t, hostsync.ActAddGroups, p.Actions[0].Kind)
	assert.Equal(t, []string{"docker", "adm"}, p.Actions[0].Groups)
	alice, _ := h.User("alice")
	assert.Equal(t, []string{"alice", marker, "wheel", "docker", "adm"}, alice.Groups)
	// Dropping a local group from the config removes nobody from it.
	assert.True(t, mustRun(t, h, complete(user("AIDA1", "alice")), hostsync.Config{}).Empty())
}

func TestPlanInconsistentSource(t *testing.T) {
	h := fakes.NewHost()
	d := complete(
		user("AIDA1", "alice"), user("AIDA1", "alicia"), // one ID, two names
		user("AIDA2", "bob"), user("AIDA3", "BOB"), // one name (ignoring case), two IDs
		hostsync.DesiredUser{IAMName: "noid"},
		user("AIDA4", "carol", "g1"), user("AIDA4", "carol", "g2"), // listed twice, e.g. via two groups: merged
		hostsync.DesiredUser{IAMUserID: "AIDA5", IAMName: "dave@x", LinuxName: "dave"},
	)
	p := mustRun(t, h, d, hostsync.Config{AuthorizedGroups: []string{"g2"}})
	assert.Contains(t, skipReason(p, "alice"), "two names")
	assert.Contains(t, skipReason(p, "bob"), "under 2 user IDs")
	assert.Contains(t, skipReason(p, "BOB"), "under 2 user IDs")
	assert.Contains(t, skipReason(p, "noid"), "no IAM user ID")
	assert.Contains(t, skipReason(p, "dave@x"), "not a member")
	assert.Equal(t, []string{"carol"}, managedNames(h))
	p = mustRun(t, h, complete(hostsync.DesiredUser{IAMUserID: "AIDA5", IAMName: "dave@x", LinuxName: "dave"}), hostsync.Config{})
	assert.Contains(t, skipReason(p, "dave@x"), `maps to "dave.at.x"`)
}

func TestPlanHalts(t *testing.T) {
	tests := []struct {
		name string
		cfg  hostsync.Config
		want error
	}{
		{name: "DONOTSYNC", cfg: hostsync.Config{DoNotSync: true}, want: hostsync.ErrDoNotSync},
		{name: "tags not resolved", cfg: hostsync.Config{AuthorizedGroupsTag: "ssh"}, want: hostsync.ErrTagsUnresolved},
		{name: "invalid config", cfg: hostsync.Config{UIDMin: 1, UIDMax: 2}, want: hostsync.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fakes.NewHost()
			mustRun(t, h, complete(user("AIDA1", "alice")), hostsync.Config{})
			h.ResetLog()
			p, r := run(t, h, complete(), tt.cfg)
			assert.ErrorIs(t, p.Halted, tt.want)
			assert.Empty(t, p.Actions)
			assert.ErrorIs(t, r.Err(), tt.want)
			assert.Zero(t, h.Writes())
		})
	}
	t.Run("host lists a name twice", func(t *testing.T) {
		hs := hostsync.HostState{Users: []hostsync.HostUser{{Name: "a", UID: 2000}, {Name: "a", UID: 2001}}}
		p := hostsync.Plan(complete(), hs, hostsync.Config{})
		assert.ErrorIs(t, p.Halted, hostsync.ErrInconsistentHost)
	})
	t.Run("resolved tags plan normally", func(t *testing.T) {
		cfg, err := hostsync.ResolveTags(hostsync.Config{AuthorizedGroupsTag: "ssh"}, map[string]string{"ssh": "devs"})
		require.NoError(t, err)
		h := fakes.NewHost()
		mustRun(t, h, complete(user("AIDA1", "alice", "devs")), cfg)
		assert.Equal(t, []string{"alice"}, managedNames(h))
	})
}

func TestLoadHostStateCorruptState(t *testing.T) {
	h := fakes.NewHost()
	h.SetState([]byte("{not json"))
	_, err := hostsync.LoadHostState(context.Background(), h, hostsync.Config{})
	assert.ErrorIs(t, err, hostsync.ErrCorruptState)

	h = fakes.NewHost()
	h.Inject("ListUsers", fakes.Fault{Times: 1})
	_, err = hostsync.LoadHostState(context.Background(), h, hostsync.Config{})
	assert.ErrorIs(t, err, fakes.ErrHostFault)
}

func TestPlanIsPure(t *testing.T) {
	h := fakes.NewHost()
	cfg := hostsync.Config{}
	mustRun(t, h, complete(user("AIDA1", "alice"), user("AIDA2", "bob")), cfg)
	hs, err := hostsync.LoadHostState(context.Background(), h, cfg)
	require.NoError(t, err)
	stateBefore, err := hs.State.Marshal()
	require.NoError(t, err)
	d := complete(user("AIDA3", "carol"))
	p1 := hostsync.Plan(d, hs, cfg)
	p2 := hostsync.Plan(d, hs, cfg)
	assert.Equal(t, p1.String(), p2.String(), "deterministic")
	assert.Equal(t, p1.Actions, p2.Actions)
	stateAfter, err := hs.State.Marshal()
	require.NoError(t, err)
	assert.Equal(t, stateBefore, stateAfter, "the input state is not modified")
	assert.NotEmpty(t, p1.Actions)
}

func TestPlanString(t *testing.T) {
	h := fakes.NewHost()
	cfg := hostsync.Config{SudoAll: true}
	mustRun(t, h, complete(user("AIDA1", "alice"), user("AIDA2", "bob")), cfg)
	p := planFor(t, h, complete(user("AIDA1", "alice"), user("AIDA3", "root")), cfg)
	out := p.String()
	for _, want := range []string{
		"hostsync plan: 5 actions, 1 skipped",
		"save-state: locked by hostsync +bob",
		"commit-state: missing counts bob 0→1",
		"revoke-sudo bob: not in the IAM source (missing from 1 of 2 complete syncs before deletion)",
		"write-keys bob (remove all keys)",
		"lock bob",
		`IAM user "root": reserved name`,
	} {
		assert.Contains(t, out, want)
	}
}
