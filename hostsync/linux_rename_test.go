package hostsync_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
)

func TestLinuxRename(t *testing.T) {
	f := newLinuxFixture(t, hostsync.Config{})
	ctx := context.Background()
	const uid = 1_900_000_000
	require.NoError(t, f.sys.CreateUser(ctx, "alice", uid, []string{"iam-synced-users"}))
	require.NoError(t, f.sys.WriteKeys(ctx, "alice", []hostsync.Key{activeKey("alice")}))
	require.NoError(t, f.sys.GrantSudo(ctx, "alice"))
	f.tools.reset()

	// Running processes: usermod exits 8, nothing changes.
	f.tools.processes["alice"] = true
	before := f.tree(t)
	err := f.sys.Rename(ctx, "alice", "alice.smith")
	require.ErrorIs(t, err, hostsync.ErrUserBusy)
	assert.Equal(t, before, f.tree(t), "a refused rename writes nothing")
	delete(f.tools.processes, "alice")

	assert.ErrorIs(t, f.sys.Rename(ctx, "alice", "ec2-user"), hostsync.ErrUserExists)
	assert.ErrorIs(t, f.sys.Rename(ctx, "nobody-here", "x"), hostsync.ErrNoSuchUser)
	assert.Error(t, f.sys.Rename(ctx, "alice", "bad name"))
	f.tools.reset()

	require.NoError(t, f.sys.Rename(ctx, "alice", "alice.smith"))
	assert.Equal(t, []string{
		"usermod -l alice.smith -d /home/alice.smith -m alice",
		"groupmod -n alice.smith alice",
		"/usr/sbin/visudo -cf " + f.root + "/etc/sudoers.d/." + hostsync.SudoersFileName("alice.smith") + ".tmp",
	}, f.tools.commands())
	u := f.user(t, "alice.smith")
	assert.Equal(t, uid, u.UID)
	assert.True(t, u.Sudo)
	assert.Equal(t, "alice.smith", u.Groups[0], "the user's own group is renamed")
	assert.Contains(t, u.Groups, "iam-synced-users")
	keys, err := f.sys.ReadKeys(ctx, "alice.smith")
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Equal(t, activeKey("alice").ID, keys[0].ID)
	keys, err = f.sys.ReadKeys(ctx, "alice")
	require.NoError(t, err)
	assert.Empty(t, keys, "no key cache entry is left under the old name")
	_, err = f.sys.LookupUser(ctx, "alice")
	assert.ErrorIs(t, err, hostsync.ErrNoSuchUser)
	tree := f.tree(t)
	assert.NotContains(t, tree, "/etc/sudoers.d/"+hostsync.SudoersFileName("alice"), "no drop-in is left under the old name")
	assert.Contains(t, tree, "/etc/sudoers.d/"+hostsync.SudoersFileName("alice.smith"))
}
