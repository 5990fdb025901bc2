package fakes_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type stsAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, optFns ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error)
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

var (
	_ stsAPI                       = (*sts.Client)(nil)
	_ stsAPI                       = (*fakes.STS)(nil)
	_ stscreds.AssumeRoleAPIClient = (*fakes.STS)(nil)
)

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:PrincipalTag/x":"100%"}}}]}`

func stsCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	return ae.ErrorCode()
}

// mfaUser makes a user with an access key and an enabled virtual MFA device.
func mfaUser(t *testing.T, acct *fakes.Account, name string) (keyID, serial, seed string) {
	t.Helper()
	ctx := t.Context()
	f := acct.IAM()
	_, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	require.NoError(t, err)
	k, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	require.NoError(t, err)
	d, err := f.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)})
	require.NoError(t, err)
	seed = string(d.VirtualMFADevice.Base32StringSeed)
	now := acct.Clock().Now()
	_, err = f.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String(name), SerialNumber: d.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String(fakes.TOTP(seed, now.Add(-30*time.Second))), AuthenticationCode2: aws.String(fakes.TOTP(seed, now))})
	require.NoError(t, err)
	return *k.AccessKey.AccessKeyId, *d.VirtualMFADevice.SerialNumber, seed
}

func TestSTSCallerIdentity(t *testing.T) {
	acct := fakes.NewAccount()
	out, err := acct.STS().GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::123456789012:root", aws.ToString(out.Arn))
	key, _, _ := mfaUser(t, acct, "alice")
	out, err = acct.STSAs(key).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::123456789012:user/alice", aws.ToString(out.Arn))
}

func TestSTSGetSessionToken(t *testing.T) {
	acct := fakes.NewAccount()
	key, serial, seed := mfaUser(t, acct, "alice")
	s := acct.STSAs(key)
	ctx := t.Context()
	// Advance past the step used to enable the device.
	acct.Clock().Advance(time.Minute)
	code := fakes.TOTP(seed, acct.Clock().Now())

	out, err := s.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code)})
	require.NoError(t, err)
	assert.Equal(t, acct.Clock().Now().Add(12*time.Hour).Truncate(time.Second), out.Credentials.Expiration.UTC())
	iss, ok := acct.Issued(*out.Credentials.AccessKeyId)
	require.True(t, ok)
	assert.Equal(t, fakes.KindSessionToken, iss.Kind)
	assert.True(t, iss.MFA)

	_, err = s.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code)})
	assert.Equal(t, "AccessDenied", stsCode(t, err), "a code is not accepted twice")
	_, err = s.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String("000000")})
	assert.Equal(t, "AccessDenied", stsCode(t, err))
	for _, d := range []int32{899, 129601} {
		_, err = s.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(d)})
		assert.Equal(t, "ValidationError", stsCode(t, err), d)
	}
	_, err = acct.STS().GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(7200)})
	assert.Equal(t, "ValidationError", stsCode(t, err), "the root is limited to one hour")
}

func TestSTSAssumeRole(t *testing.T) {
	acct := fakes.NewAccount()
	ctx := t.Context()
	r, err := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"), AssumeRolePolicyDocument: aws.String(trust)})
	require.NoError(t, err)
	assert.Regexp(t, `^AROA[A-Z2-7]{17}$`, aws.ToString(r.Role.RoleId))

	got, err := acct.IAM().GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deploy")})
	require.NoError(t, err)
	doc, err := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
	require.NoError(t, err)
	assert.Equal(t, trust, doc, "GetRole returns the document URL-encoded; one decode gives it back, % included")

	out, err := acct.STS().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("alice")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/deploy/alice", aws.ToString(out.AssumedRoleUser.Arn))
	iss, _ := acct.Issued(*out.Credentials.AccessKeyId)
	assert.Equal(t, fakes.KindAssumedRole, iss.Kind)

	_, err = acct.STS().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(7200)})
	assert.Equal(t, "ValidationError", stsCode(t, err), "beyond the role's maximum session")
	_, err = acct.STS().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/missing"), RoleSessionName: aws.String("alice")})
	assert.Equal(t, "AccessDenied", stsCode(t, err))
	_, err = acct.STS().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("not-an-arn"), RoleSessionName: aws.String("alice")})
	assert.Equal(t, "ValidationError", stsCode(t, err))
}

// The SDK's own credential cache over the fake: assumed once until expiry.
func TestSTSWithSDKCredentialsCache(t *testing.T) {
	// The SDK's cache compares expirations with the real time, so this
	// account's clock starts at the real time.
	acct := fakes.NewAccount(fakes.WithClock(fakes.NewClock(time.Now())))
	ctx := t.Context()
	r, err := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("sync"), AssumeRolePolicyDocument: aws.String(trust)})
	require.NoError(t, err)
	cache := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(acct.STS(), *r.Role.Arn), func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = 0
	})
	for range 5 {
		_, err := cache.Retrieve(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, acct.Calls("sts:AssumeRole"))
}
