package fakes_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpdateUserRenames(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	mustCreateUser(t, f, "alice")
	mustCreateUser(t, f, "bob")
	before, err := f.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	_, err = f.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	_, err = f.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")})
	require.NoError(t, err)
	_, body := newEd25519Authorized(t)
	_, err = f.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("alice"), SSHPublicKeyBody: aws.String(body)})
	require.NoError(t, err)
	ak, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	require.NoError(t, err)

	_, err = f.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("alice"), NewUserName: aws.String("Bob")})
	requireAPIError(t, err, "UpdateUser", "EntityAlreadyExists")
	_, err = f.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("nobody"), NewUserName: aws.String("x")})
	requireAPIError(t, err, "UpdateUser", "NoSuchEntity")
	_, err = f.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("alice"), NewUserName: aws.String("bad name")})
	require.Error(t, err)

	_, err = f.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("alice"), NewUserName: aws.String("alice.smith"), NewPath: aws.String("/eng/")})
	require.NoError(t, err)
	_, err = f.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	requireAPIError(t, err, "GetUser", "NoSuchEntity")
	after, err := f.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice.smith")})
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(before.User.UserId), aws.ToString(after.User.UserId), "the user ID is kept")
	assert.Equal(t, "arn:aws:iam::123456789012:user/eng/alice.smith", aws.ToString(after.User.Arn))
	assert.Equal(t, "/eng/", aws.ToString(after.User.Path))

	g, err := f.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	require.Len(t, g.Users, 1)
	assert.Equal(t, "alice.smith", aws.ToString(g.Users[0].UserName))
	keys, err := f.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String("alice.smith")})
	require.NoError(t, err)
	require.Len(t, keys.SSHPublicKeys, 1)
	assert.Equal(t, "alice.smith", aws.ToString(keys.SSHPublicKeys[0].UserName))
	aks, err := f.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice.smith")})
	require.NoError(t, err)
	require.Len(t, aks.AccessKeyMetadata, 1)
	assert.Equal(t, aws.ToString(ak.AccessKey.AccessKeyId), aws.ToString(aks.AccessKeyMetadata[0].AccessKeyId))
	assert.Equal(t, "alice.smith", aws.ToString(aks.AccessKeyMetadata[0].UserName))
}
