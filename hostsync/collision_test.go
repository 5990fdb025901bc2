package hostsync_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
)

// While two IAM user IDs claim one Linux name, neither is created and the
// managed account of that name is left exactly as it is — not locked, keys
// and sudo kept, never deleted, its missing count untouched — however many
// syncs it lasts; once one ID remains, the account is its owner's again.
func TestPlanCollisionKeepsOwner(t *testing.T) {
	tests := []struct {
		name string
		// rival is the second ID's entry; the source lists it next to
		// the owner's.
		rival hostsync.DesiredUser
		// priorMiss makes bob miss one sync (locked by hostsync) before
		// the collision.
		priorMiss bool
	}{
		{name: "same IAM name under a second ID", rival: user("AIDA9", "bob")},
		{name: "IAM name differing in letter case", rival: user("AIDA9", "Bob")},
		{name: "owner missing once before the collision", rival: user("AIDA9", "bob"), priorMiss: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fakes.NewHost()
			cfg := hostsync.Config{SudoersGroups: []string{"admins"}}
			alice, bob := user("AIDA1", "alice"), user("AIDA2", "bob", "admins")
			mustRun(t, h, complete(alice, bob), cfg)
			if tt.priorMiss {
				mustRun(t, h, complete(alice), cfg)
			}
			before := snapshot(h)
			h.ResetLog()

			collide := complete(alice, bob, tt.rival)
			for range 2 * hostsync.DefaultMissingSyncsBeforeDelete {
				p := mustRun(t, h, collide, cfg)
				assert.Empty(t, actionsFor(p, "bob"), "plan:\n%s", p)
				assert.Empty(t, actionsFor(p, "Bob"))
				assert.Contains(t, skipReason(p, "bob"), "left exactly as it is (not locked, not deleted)")
				assert.Contains(t, skipReason(p, tt.rival.IAMName), "user IDs")
			}
			assert.Zero(t, h.Writes(), "nothing written while the collision lasts")
			assert.Equal(t, before, snapshot(h))
			_, created := h.User("Bob")
			assert.False(t, created)

			// The rival goes: bob is bob's again.
			p := mustRun(t, h, complete(alice, bob), cfg)
			if tt.priorMiss {
				assert.Equal(t, []hostsync.ActionKind{hostsync.ActUnlock, hostsync.ActWriteKeys, hostsync.ActGrantSudo}, actionsFor(p, "bob"))
			} else {
				assert.Empty(t, actionsFor(p, "bob"))
			}
			u, ok := h.User("bob")
			require.True(t, ok)
			assert.False(t, u.Locked)
			assert.True(t, u.Sudo)
			assert.Len(t, u.Keys, 1)
		})
	}
}

// Two IDs claiming a name no account has yet: neither is created.
func TestPlanCollisionCreatesNeither(t *testing.T) {
	h := fakes.NewHost()
	p := mustRun(t, h, complete(user("AIDA1", "carol"), user("AIDA2", "Carol"), user("AIDA3", "dave")), hostsync.Config{})
	assert.Equal(t, []string{"dave"}, managedNames(h))
	assert.Contains(t, skipReason(p, "carol"), "under 2 user IDs")
	assert.Contains(t, skipReason(p, "Carol"), "under 2 user IDs")
}

// An IAM user named like a standard system group, or like a local group
// hostsync does not manage, is never created: skipped with the reason on
// every sync, without an error.
func TestPlanGroupNamesNotCreated(t *testing.T) {
	tests := []struct {
		name   string
		iam    string
		setup  func(t *testing.T, h *fakes.Host)
		reason string
	}{
		{name: "disk", iam: "disk", reason: "the name of a standard system group: never created"},
		{name: "shadow", iam: "shadow", reason: "standard system group"},
		{name: "kmem", iam: "kmem", reason: "standard system group"},
		{name: "video", iam: "video", reason: "standard system group"},
		{name: "staff", iam: "staff", reason: "standard system group"},
		{name: "users", iam: "users", reason: "standard system group"},
		{name: "letter case", iam: "Video", reason: "standard system group"},
		{name: "local group without members", iam: "builders", setup: func(t *testing.T, h *fakes.Host) {
			require.NoError(t, h.AddUser("admin1", 1002, "builders"))
			h.RemoveFromGroup("admin1", "builders")
		}, reason: `a local group "builders" exists that hostsync does not manage: not created`},
		{name: "local group with members", iam: "builders", setup: func(t *testing.T, h *fakes.Host) {
			require.NoError(t, h.AddUser("admin1", 1002, "builders"))
		}, reason: `a local group "builders" exists`},
		{name: "local group differing in case", iam: "Builders", setup: func(t *testing.T, h *fakes.Host) {
			require.NoError(t, h.AddUser("admin1", 1002, "builders"))
			h.RemoveFromGroup("admin1", "builders")
		}, reason: `a local group "builders" exists`},
		{name: "private group of an unmanaged user's former name", iam: "olduser", setup: func(t *testing.T, h *fakes.Host) {
			require.NoError(t, h.AddUser("admin1", 1002, "olduser"))
			h.RemoveFromGroup("admin1", "olduser")
		}, reason: `a local group "olduser" exists`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := fakes.NewHost()
			if tt.setup != nil {
				tt.setup(t, h)
			}
			d := complete(user("AIDA1", "alice"), user("AIDA2", tt.iam))
			for range 3 {
				p := mustRun(t, h, d, hostsync.Config{})
				assert.Empty(t, actionsFor(p, tt.iam), "plan:\n%s", p)
				assert.Contains(t, skipReason(p, tt.iam), tt.reason)
			}
			assert.Equal(t, []string{"alice"}, managedNames(h))
		})
	}
}

// An account hostsync created before its name became a reserved group name
// keeps being managed: updated while listed, locked once gone.
func TestPlanGroupNameExistingAccountStillManaged(t *testing.T) {
	h := fakes.NewHost()
	require.NoError(t, h.AddUser("fax", 1900000005, hostsync.DefaultMarkerGroup))
	p := mustRun(t, h, complete(user("AIDA1", "fax")), hostsync.Config{})
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActWriteKeys}, actionsFor(p, "fax"))
	p = mustRun(t, h, complete(), hostsync.Config{})
	assert.Contains(t, actionsFor(p, "fax"), hostsync.ActLock)
}

// LoadHostState fills in HostState.Groups from a GroupLister.
func TestLoadHostStateGroups(t *testing.T) {
	h := fakes.NewHost()
	require.NoError(t, h.AddUser("admin1", 1002, "builders"))
	h.RemoveFromGroup("admin1", "builders")
	hs, err := hostsync.LoadHostState(context.Background(), h, hostsync.Config{})
	require.NoError(t, err)
	assert.Contains(t, hs.Groups, "builders")
	assert.Contains(t, hs.Groups, "admin1")

	h.Inject("ListGroups", fakes.Fault{})
	_, err = hostsync.LoadHostState(context.Background(), h, hostsync.Config{})
	assert.ErrorIs(t, err, fakes.ErrHostFault)
}

func TestIsSystemGroup(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"disk", true}, {"shadow", true}, {"kmem", true}, {"video", true}, {"staff", true},
		{"users", true}, {"adm", true}, {"sudo", true}, {"wheel", true}, {"docker", true},
		{"www-data", true}, {"nogroup", true}, {"DISK", true}, {"systemd-journal", true},
		{"_ssh", true}, {"alice", false}, {"disks", false}, {"bob.at.corp.com", false}, {"", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, hostsync.IsSystemGroup(tt.name), tt.name)
	}
	l := hostsync.DefaultSystemGroups()
	require.NotEmpty(t, l)
	l[0] = "changed"
	assert.NotEqual(t, "changed", hostsync.DefaultSystemGroups()[0], "a fresh copy")
}
