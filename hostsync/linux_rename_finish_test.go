package hostsync_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
)

// TestLinuxRenameFinishesACutShortRename: usermod renamed alice, then
// groupmod failed (as a crash there would leave it): her group, drop-in and
// key cache entry are still under "alice". Rename again finishes it.
func TestLinuxRenameFinishesACutShortRename(t *testing.T) {
	f := newLinuxFixture(t, hostsync.Config{})
	ctx := context.Background()
	const uid = 1_900_000_000
	require.NoError(t, f.sys.CreateUser(ctx, "alice", uid, []string{"iam-synced-users"}))
	require.NoError(t, f.sys.WriteKeys(ctx, "alice", []hostsync.Key{activeKey("alice")}))
	require.NoError(t, f.sys.GrantSudo(ctx, "alice"))

	f.tools.exit["groupmod"] = 1
	require.Error(t, f.sys.Rename(ctx, "alice", "alice.smith"))
	delete(f.tools.exit, "groupmod")
	u := f.user(t, "alice.smith")
	require.Equal(t, "alice", u.Groups[0], "cut short: the group is still alice's")
	require.Contains(t, f.tree(t), "/etc/sudoers.d/"+hostsync.SudoersFileName("alice"))

	f.tools.reset()
	require.NoError(t, f.sys.Rename(ctx, "alice", "alice.smith"))
	assert.Equal(t, []string{"groupmod -n alice.smith alice"}, f.tools.commands())
	u = f.user(t, "alice.smith")
	assert.Equal(t, uid, u.UID)
	assert.Equal(t, "alice.smith", u.Groups[0])
	tree := f.tree(t)
	assert.NotContains(t, tree, "/etc/sudoers.d/"+hostsync.SudoersFileName("alice"), "the old drop-in is gone")
	keys, err := f.sys.ReadKeys(ctx, "alice")
	require.NoError(t, err)
	assert.Empty(t, keys, "the old key cache entry is gone")

	f.tools.reset()
	require.NoError(t, f.sys.Rename(ctx, "alice", "alice.smith"), "nothing left: no error")
	assert.Empty(t, f.tools.commands())
	assert.ErrorIs(t, f.sys.Rename(ctx, "nobody-here", "nobody-either"), hostsync.ErrNoSuchUser)
}
