package fakes_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

func TestRootAccessKey(t *testing.T) {
	a := fakes.NewAccount()
	id, secret := a.RootAccessKey()
	id2, secret2 := a.RootAccessKey()
	assert.Equal(t, id, id2, "created once")
	assert.Equal(t, secret, secret2)
	assert.Regexp(t, `^AKIA[A-Z2-7]{16}$`, id)
	assert.Len(t, secret, 40)

	k, ok := a.LookupKey(id)
	require.True(t, ok)
	assert.True(t, k.Root)
	assert.True(t, k.Active)
	assert.Equal(t, secret, k.SecretAccessKey)

	// Taking the root key does not shift the IDs the account hands out.
	b := fakes.NewAccount()
	ctx := context.Background()
	ua, err := a.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")})
	require.NoError(t, err)
	ub, err := b.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")})
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(ub.User.UserId), aws.ToString(ua.User.UserId))

	other, _ := fakes.NewAccount(fakes.WithAccountID("210987654321")).RootAccessKey()
	assert.NotEqual(t, id, other)
}

func TestLookupKey(t *testing.T) {
	a, f := newIAM(t)
	ctx := context.Background()
	mustCreateUser(t, f, "Alice")
	out, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("Alice")})
	require.NoError(t, err)
	id := aws.ToString(out.AccessKey.AccessKeyId)

	k, ok := a.LookupKey(id)
	require.True(t, ok)
	assert.Equal(t, "Alice", k.UserName)
	assert.True(t, k.Active)
	assert.False(t, k.Temporary)
	assert.Equal(t, aws.ToString(out.AccessKey.SecretAccessKey), k.SecretAccessKey)

	sess, err := a.STSAs(id).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	require.NoError(t, err)

	_, err = f.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("Alice"), AccessKeyId: aws.String(id), Status: types.StatusTypeInactive})
	require.NoError(t, err)
	k, ok = a.LookupKey(id)
	require.True(t, ok)
	assert.False(t, k.Active)
	calls := a.Calls("sts:GetSessionToken")
	_, err = a.STSAs(id).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "InvalidClientTokenId", ae.ErrorCode(), "an inactive key is refused")
	assert.Equal(t, calls, a.Calls("sts:GetSessionToken"), "before the call is counted")

	k, ok = a.LookupKey(aws.ToString(sess.Credentials.AccessKeyId))
	require.True(t, ok)
	require.True(t, k.Temporary)
	assert.Equal(t, aws.ToString(sess.Credentials.SessionToken), k.Session.SessionToken)

	_, err = f.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("Alice"), AccessKeyId: aws.String(id)})
	require.NoError(t, err)
	_, ok = a.LookupKey(id)
	assert.False(t, ok, "deleted")
	_, ok = a.LookupKey("")
	assert.False(t, ok)
	_, ok = a.LookupKey("AKIANOTISSUED0000000")
	assert.False(t, ok)
}

func TestSTSAsSession(t *testing.T) {
	a, f := newIAM(t)
	ctx := context.Background()
	mustCreateUser(t, f, "bob")
	user, err := f.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	require.NoError(t, err)
	key, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	require.NoError(t, err)
	asBob := a.STSAs(aws.ToString(key.AccessKey.AccessKeyId))
	_, err = f.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ops"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + aws.ToString(user.User.Arn) + `"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)

	st, err := asBob.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	require.NoError(t, err)
	role, err := asBob.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + a.ID() + ":role/ops"), RoleSessionName: aws.String("s1")})
	require.NoError(t, err)
	fed, err := asBob.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("carol")})
	require.NoError(t, err)
	rootSess, err := a.STS().GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	require.NoError(t, err)

	tests := []struct {
		name      string
		key       *string
		arn, user string
	}{
		{"user session", st.Credentials.AccessKeyId, aws.ToString(user.User.Arn), aws.ToString(user.User.UserId)},
		{"assumed role", role.Credentials.AccessKeyId, aws.ToString(role.AssumedRoleUser.Arn), aws.ToString(role.AssumedRoleUser.AssumedRoleId)},
		{"federated user", fed.Credentials.AccessKeyId, aws.ToString(fed.FederatedUser.Arn), aws.ToString(fed.FederatedUser.FederatedUserId)},
		{"root session", rootSess.Credentials.AccessKeyId, "arn:aws:iam::" + a.ID() + ":root", a.ID()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := a.STSAsSession(aws.ToString(tt.key))
			id, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			require.NoError(t, err)
			assert.Equal(t, tt.arn, aws.ToString(id.Arn))
			assert.Equal(t, tt.user, aws.ToString(id.UserId))
			assert.Equal(t, a.ID(), aws.ToString(id.Account))

			_, err = s.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			requireAPIErrorSTS(t, err, "AccessDenied")
			_, err = s.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("x1")})
			requireAPIErrorSTS(t, err, "AccessDenied")
		})
	}
	assert.Panics(t, func() { a.STSAsSession("ASIANEVERISSUED00000") })

	// Once the session expires (12 h by default), STS refuses it, uncounted.
	a.Clock().Advance(12 * time.Hour)
	calls := a.Calls("sts:GetCallerIdentity")
	_, err = a.STSAsSession(aws.ToString(st.Credentials.AccessKeyId)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	requireAPIErrorSTS(t, err, "ExpiredToken")
	assert.Equal(t, calls, a.Calls("sts:GetCallerIdentity"))
}

// requireAPIErrorSTS asserts that err carries the API error code.
func requireAPIErrorSTS(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, code, ae.ErrorCode())
}
