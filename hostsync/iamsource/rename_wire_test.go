package iamsource_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/iamkittest"
)

// TestRenameThroughIAMOverTheWire: alice is renamed with iam:UpdateUser
// through the wire server; hostsync, reading IAM through the SDK's client
// (iamsource), renames her account in place: same UID, keys, sudo.
func TestRenameThroughIAMOverTheWire(t *testing.T) {
	ctx := context.Background()
	srv := iamkittest.NewServer(t)
	api := iam.NewFromConfig(srv.Config())
	created, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	for _, g := range []string{"ssh", "admins"} {
		_, err = api.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(g)})
		require.NoError(t, err)
		_, err = api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(g), UserName: aws.String("alice")})
		require.NoError(t, err)
	}
	key, err := api.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("alice"), SSHPublicKeyBody: aws.String(pubKey("a1"))})
	require.NoError(t, err)

	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}
	host := iamkittest.NewHost()
	sync := func() hostsync.SyncPlan {
		t.Helper()
		p, r, err := hostsync.Sync(ctx, iamsource.NewIAMSource(api, cfg), host, cfg)
		require.NoError(t, err, "plan:\n%s\nreport:\n%s", p, r)
		return p
	}
	sync()
	before, ok := host.User("alice")
	require.True(t, ok)
	require.True(t, before.Sudo)

	_, err = api.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("alice"), NewUserName: aws.String("alice.smith")})
	require.NoError(t, err)
	got, err := api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice.smith")})
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(created.User.UserId), aws.ToString(got.User.UserId), "IAM keeps the user ID")

	p := sync()
	assert.Contains(t, p.String(), "rename alice → alice.smith")
	_, ok = host.User("alice")
	assert.False(t, ok)
	after, ok := host.User("alice.smith")
	require.True(t, ok)
	assert.Equal(t, before.UID, after.UID, "the UID is kept")
	assert.True(t, after.Sudo)
	assert.False(t, after.Locked)
	require.Len(t, after.Keys, 1)
	assert.Equal(t, aws.ToString(key.SSHPublicKey.SSHPublicKeyId), after.Keys[0].ID)
	for _, l := range host.Log() {
		assert.False(t, strings.HasPrefix(l, "Lock ") || strings.HasPrefix(l, "Delete ") || strings.HasPrefix(l, "CreateUser alice.smith"), "never locked, deleted or re-created: %s", l)
	}
	assert.True(t, sync().Empty(), "converged")
}
