package hostsync_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
)

// srcIAMFixture builds IAM users, groups and keys in a fake account.
type srcIAMFixture struct {
	t    testing.TB
	acct *fakes.Account
	iam  *fakes.IAM
	ids  map[string]string   // user name → user ID
	keys map[string][]string // user name → key IDs, in upload order
}

func newSrcIAMFixture(t testing.TB, opts ...fakes.Option) *srcIAMFixture {
	acct := fakes.NewAccount(opts...)
	return &srcIAMFixture{t: t, acct: acct, iam: acct.IAM(), ids: map[string]string{}, keys: map[string][]string{}}
}

// add creates an IAM user in groups (created as needed) with one key per
// seed, and returns its user ID.
func (f *srcIAMFixture) add(name string, groups []string, keySeeds ...string) string {
	f.t.Helper()
	ctx := context.Background()
	out, err := f.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	require.NoError(f.t, err)
	f.ids[name] = aws.ToString(out.User.UserId)
	for _, g := range groups {
		f.group(g)
		_, err := f.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(name), GroupName: aws.String(g)})
		require.NoError(f.t, err)
	}
	for _, s := range keySeeds {
		f.addKey(name, s)
	}
	return f.ids[name]
}

// group creates an IAM group unless it exists.
func (f *srcIAMFixture) group(name string) {
	f.t.Helper()
	_, err := f.iam.CreateGroup(context.Background(), &iam.CreateGroupInput{GroupName: aws.String(name)})
	var exists *types.EntityAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		require.NoError(f.t, err)
	}
}

// addKey uploads a key and returns its ID.
func (f *srcIAMFixture) addKey(user, seed string) string {
	f.t.Helper()
	out, err := f.iam.UploadSSHPublicKey(context.Background(), &iam.UploadSSHPublicKeyInput{UserName: aws.String(user), SSHPublicKeyBody: aws.String(pubKey(seed))})
	require.NoError(f.t, err)
	id := aws.ToString(out.SSHPublicKey.SSHPublicKeyId)
	f.keys[user] = append(f.keys[user], id)
	return id
}

// setKey makes a key Active or Inactive.
func (f *srcIAMFixture) setKey(user, keyID string, active bool) {
	f.t.Helper()
	st := types.StatusTypeInactive
	if active {
		st = types.StatusTypeActive
	}
	_, err := f.iam.UpdateSSHPublicKey(context.Background(), &iam.UpdateSSHPublicKeyInput{UserName: aws.String(user), SSHPublicKeyId: aws.String(keyID), Status: st})
	require.NoError(f.t, err)
}

// remove deletes an IAM user completely: keys, group memberships, user.
func (f *srcIAMFixture) remove(user string) {
	f.t.Helper()
	ctx := context.Background()
	for _, id := range f.keys[user] {
		_, err := f.iam.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: aws.String(user), SSHPublicKeyId: aws.String(id)})
		require.NoError(f.t, err)
	}
	groups, err := f.iam.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String(user)})
	require.NoError(f.t, err)
	for _, g := range groups.Groups {
		_, err := f.iam.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String(user), GroupName: g.GroupName})
		require.NoError(f.t, err)
	}
	_, err = f.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(user)})
	require.NoError(f.t, err)
	delete(f.keys, user)
}

// srcCanonicalBody returns the authorized_keys body IAM stores for a seed.
func srcCanonicalBody(seed string) string {
	pk, err := hostsync.ParseKey(pubKey(seed))
	if err != nil {
		panic(err)
	}
	return pk.Body
}
