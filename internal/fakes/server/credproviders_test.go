package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// TestCredentialProvidersOverTheWire: the SDK's own credential providers
// (stscreds, with and without MFA) obtain session credentials from the
// server and sign with them; the server checks them.
func TestCredentialProvidersOverTheWire(t *testing.T) {
	srv, acct := start(t)
	ctx := context.Background()
	c := iam.NewFromConfig(srv.Config())
	user, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("gina")})
	require.NoError(t, err)
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("gina")})
	require.NoError(t, err)
	dev, err := c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("gina")})
	require.NoError(t, err)
	serial := aws.ToString(dev.VirtualMFADevice.SerialNumber)
	seed := string(dev.VirtualMFADevice.Base32StringSeed)
	now := acct.Clock().Now()
	_, err = c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("gina"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(fakes.TOTP(seed, now.Add(-30*time.Second))), AuthenticationCode2: aws.String(fakes.TOTP(seed, now))})
	require.NoError(t, err)
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("admin"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + aws.ToString(user.User.Arn) + `"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)})
	require.NoError(t, err)
	roleARN := "arn:aws:iam::" + acct.ID() + ":role/admin"
	gina := withCreds(srv, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")

	// The next 30-second step: the codes EnableMFADevice used are spent.
	acct.Clock().Advance(30 * time.Second)
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(gina), roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "gina-admin"
		o.SerialNumber = aws.String(serial)
		o.TokenProvider = func() (string, error) { return fakes.TOTP(seed, acct.Clock().Now()), nil }
	})
	id, err := sts.NewFromConfig(srv.ConfigWith(aws.NewCredentialsCache(provider))).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::"+acct.ID()+":assumed-role/admin/gina-admin", aws.ToString(id.Arn))

	_, err = provider.Retrieve(ctx) // a fresh AssumeRole in the same step
	code, status := apiCode(t, err)
	assert.Equal(t, "AccessDenied", code, "a TOTP code is accepted once")
	assert.Equal(t, 403, status)

	// A session token with MFA, as mfa.Session asks for it.
	acct.Clock().Advance(30 * time.Second)
	sess, err := sts.NewFromConfig(gina).GetSessionToken(ctx, &sts.GetSessionTokenInput{
		SerialNumber: aws.String(serial), TokenCode: aws.String(fakes.TOTP(seed, acct.Clock().Now())),
	})
	require.NoError(t, err)
	issued, ok := acct.Issued(aws.ToString(sess.Credentials.AccessKeyId))
	require.True(t, ok)
	assert.True(t, issued.MFA)
	assert.WithinDuration(t, acct.Clock().Now().Add(12*time.Hour), aws.ToTime(sess.Credentials.Expiration), 2*time.Second)
}
