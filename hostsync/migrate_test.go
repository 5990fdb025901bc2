package hostsync_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
)

// awsEC2SSHHost returns a host that aws-ec2-ssh managed: alice and
// bob.smith exist in the marker group, each with aws-ec2-ssh's sudoers
// file, and with their keys already cached.
func awsEC2SSHHost(t *testing.T) *fakes.Host {
	t.Helper()
	h := fakes.NewHost()
	for i, name := range []string{"alice", "bob.smith"} {
		require.NoError(t, h.AddUser(name, 2001+i, marker))
		require.NoError(t, h.WriteKeys(context.Background(), name, []hostsync.Key{canonical(t, activeKey(name))}))
		h.SetLegacySudo(name, true)
	}
	h.ResetLog()
	return h
}

func TestLegacySudoersFileName(t *testing.T) {
	for _, tc := range []struct{ user, file string }{
		{"alice", "alice"},
		{"bob.smith", "bob smith"},
		{"bob.at.corp.com", "bob at corp com"},
	} {
		assert.Equal(t, tc.file, hostsync.LegacySudoersFileName(tc.user))
	}
	for _, tc := range []struct {
		content string
		want    bool
	}{
		{"alice ALL=(ALL) NOPASSWD:ALL\n", true},
		{"alice ALL=(ALL) NOPASSWD:ALL", true},
		{"  alice ALL=(ALL) NOPASSWD:ALL \n\n", true},
		{"alice ALL=(root) /usr/bin/systemctl\n", false},
		{"bob ALL=(ALL) NOPASSWD:ALL\n", false},
		{"alice ALL=(ALL) NOPASSWD:ALL\nbob ALL=(ALL) NOPASSWD:ALL\n", false},
		{"", false},
	} {
		assert.Equal(t, tc.want, hostsync.IsLegacySudoers("alice", []byte(tc.content)), "%q", tc.content)
	}
}

// TestPlanAdoptsLegacySudoers: a managed user who keeps sudo gets an
// explicit adopt-sudo action, shown in the plan, that leaves iamkit's
// drop-in and no aws-ec2-ssh file; one who lost sudo loses both.
func TestPlanAdoptsLegacySudoers(t *testing.T) {
	h := awsEC2SSHHost(t)
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}
	d := complete(
		user("AIDA1", "alice", "ssh", "admins"),
		user("AIDA2", "bob.smith", "ssh"), // dropped from the sudoers group
	)
	p := planFor(t, h, d, cfg)
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActAdoptSudo}, actionsFor(p, "alice"), "plan:\n%s", p)
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActRevokeSudo}, actionsFor(p, "bob.smith"), "plan:\n%s", p)
	assert.Contains(t, p.String(), `adopt-sudo alice: member of a sudoers group (admins); replaces the aws-ec2-ssh sudoers file "alice"`)
	assert.Contains(t, p.String(), `revoke-sudo bob.smith: no longer in a sudoers group; removes the aws-ec2-ssh sudoers file "bob smith"`)

	r := hostsync.Apply(context.Background(), h, p)
	require.NoError(t, r.Err(), "%s", r)
	alice, _ := h.User("alice")
	assert.True(t, alice.Sudo)
	assert.False(t, alice.LegacySudo)
	bob, _ := h.User("bob.smith")
	assert.False(t, bob.Sudo)
	assert.False(t, bob.LegacySudo, "a user dropped from the sudoers groups keeps no NOPASSWD sudo")
	assert.Equal(t, []string{"SaveState", "RevokeSudo bob.smith (aws-ec2-ssh file)", "GrantSudo alice", "AdoptSudo alice (aws-ec2-ssh file removed)"}, h.Log(),
		"the revocation first; iamkit's drop-in before the old file goes")

	// Converged: the next sync plans nothing.
	p = planFor(t, h, d, cfg)
	assert.True(t, p.Empty(), "plan:\n%s", p)
}

// TestPlanAdoptKeepsExistingDropIn: with both files present, adoption only
// removes the old one.
func TestPlanAdoptKeepsExistingDropIn(t *testing.T) {
	h := awsEC2SSHHost(t)
	require.NoError(t, h.GrantSudo(context.Background(), "alice"))
	h.ResetLog()
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}
	d := complete(user("AIDA1", "alice", "ssh", "admins"), user("AIDA2", "bob.smith", "ssh", "admins"))
	p := mustRun(t, h, d, cfg)
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActAdoptSudo}, actionsFor(p, "alice"))
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActAdoptSudo}, actionsFor(p, "bob.smith"))
	assert.Equal(t, []string{"SaveState", "AdoptSudo alice (aws-ec2-ssh file removed)", "GrantSudo bob.smith", "AdoptSudo bob.smith (aws-ec2-ssh file removed)"}, h.Log())
}

// TestPlanMissingUserLosesLegacySudo: a managed user missing from the
// source is locked and loses the aws-ec2-ssh file at once.
func TestPlanMissingUserLosesLegacySudo(t *testing.T) {
	h := awsEC2SSHHost(t)
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}
	p := mustRun(t, h, complete(user("AIDA1", "alice", "ssh", "admins")), cfg)
	assert.Equal(t, []hostsync.ActionKind{hostsync.ActRevokeSudo, hostsync.ActWriteKeys, hostsync.ActLock}, actionsFor(p, "bob.smith"), "plan:\n%s", p)
	bob, _ := h.User("bob.smith")
	assert.False(t, bob.LegacySudo)
	assert.True(t, bob.Locked)
}

func TestApplyAdoptSudo(t *testing.T) {
	ctx := context.Background()
	h := awsEC2SSHHost(t)
	g := hostsync.Guard{MarkerGroup: marker}
	adopt := hostsync.SyncPlan{Guard: g, Actions: []hostsync.Action{{Kind: hostsync.ActAdoptSudo, User: "alice"}}}
	r := hostsync.Apply(ctx, h, adopt)
	require.NoError(t, r.Err())
	assert.Equal(t, hostsync.StatusDone, r.Results[0].Status)
	r = hostsync.Apply(ctx, h, adopt)
	assert.Equal(t, hostsync.StatusAlreadyDone, r.Results[0].Status, "resumed")

	// A revocation with only the aws-ec2-ssh file left is not "already done".
	revoke := hostsync.SyncPlan{Guard: g, Actions: []hostsync.Action{{Kind: hostsync.ActRevokeSudo, User: "bob.smith"}}}
	r = hostsync.Apply(ctx, h, revoke)
	require.NoError(t, r.Err())
	assert.Equal(t, hostsync.StatusDone, r.Results[0].Status)
	bob, _ := h.User("bob.smith")
	assert.False(t, bob.LegacySudo)
	r = hostsync.Apply(ctx, h, revoke)
	assert.Equal(t, hostsync.StatusAlreadyDone, r.Results[0].Status)
}

// TestLinuxLegacySudoers: Linux sees aws-ec2-ssh's file (by its name and
// content), AdoptSudo replaces it with the drop-in (visudo-checked) and
// RevokeSudo and Delete remove it; an admin's file of that name is left
// alone.
func TestLinuxLegacySudoers(t *testing.T) {
	f := newLinuxFixture(t, hostsync.Config{})
	ctx := context.Background()
	dir := filepath.Join(f.root, "etc", "sudoers.d")
	for _, name := range []string{"bob.smith", "carol"} {
		require.NoError(t, f.sys.CreateUser(ctx, name, 1_900_000_001+len(name), []string{"iam-synced-users"}))
	}
	legacy := func(name, content string) string {
		p := filepath.Join(dir, hostsync.LegacySudoersFileName(name))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644)) // as aws-ec2-ssh's echo > file leaves it
		return p
	}
	bobFile := legacy("bob.smith", "bob.smith ALL=(ALL) NOPASSWD:ALL\n")
	ec2File := legacy("ec2-user", "ec2-user ALL=(root) /usr/bin/systemctl\n") // the admin's
	carolFile := legacy("carol", "carol ALL=(ALL) NOPASSWD:ALL\n")
	f.tools.reset()

	bob := f.user(t, "bob.smith")
	assert.True(t, bob.LegacySudo)
	assert.False(t, bob.Sudo)
	assert.False(t, f.user(t, "ec2-user").LegacySudo, "other content: not aws-ec2-ssh's")
	got, err := f.sys.LookupUser(ctx, "carol")
	require.NoError(t, err)
	assert.True(t, got.LegacySudo)

	// Adopt: drop-in checked with visudo, then the old file removed.
	require.NoError(t, f.sys.AdoptSudo(ctx, "bob.smith"))
	require.Len(t, f.tools.commands(), 1)
	assert.Contains(t, f.tools.commands()[0], "visudo -cf")
	assert.NoFileExists(t, bobFile)
	bob = f.user(t, "bob.smith")
	assert.True(t, bob.Sudo)
	assert.False(t, bob.LegacySudo)
	f.tools.reset()
	require.NoError(t, f.sys.AdoptSudo(ctx, "bob.smith"))
	assert.Empty(t, f.tools.commands(), "idempotent")

	// visudo refuses the drop-in: the old file stays, sudo never lapses.
	f.tools.exit["visudo"] = 1
	require.Error(t, f.sys.AdoptSudo(ctx, "carol"))
	assert.FileExists(t, carolFile)
	delete(f.tools.exit, "visudo")

	// Revoke removes it; the admin's file of the same shape stays.
	require.NoError(t, f.sys.RevokeSudo(ctx, "carol"))
	assert.NoFileExists(t, carolFile)
	assert.False(t, f.user(t, "carol").LegacySudo)
	require.NoError(t, f.sys.RevokeSudo(ctx, "ec2-user"))
	assert.FileExists(t, ec2File)

	// Delete removes it too.
	carolFile = legacy("carol", "carol ALL=(ALL) NOPASSWD:ALL")
	require.NoError(t, f.sys.Lock(ctx, "carol"))
	require.NoError(t, f.sys.Delete(ctx, "carol"))
	assert.NoFileExists(t, carolFile)

	// A file others may write is not aws-ec2-ssh's to sudo either: not
	// counted, not removed.
	bobFile = legacy("bob.smith", "bob.smith ALL=(ALL) NOPASSWD:ALL\n")
	require.NoError(t, os.Chmod(bobFile, 0o666))
	assert.False(t, f.user(t, "bob.smith").LegacySudo)
}
