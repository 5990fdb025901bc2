package federation_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

const readOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","s3:List*"],"Resource":"*"}]}`

func TestAssumeRole(t *testing.T) {
	e := newEnv(t)
	src := &mfa.Provenance{Kind: mfa.KindLongTerm, Profile: "broker"}
	c, err := federation.AssumeRole(t.Context(), e.acct.STS(), federation.AssumeRoleRequest{
		RoleARN: e.adminRole, RoleSessionName: "frank", Duration: 8 * time.Hour, Policy: readOnly, Source: src,
	})
	require.NoError(t, err)
	assert.Equal(t, mfa.KindAssumedRole, c.Kind)
	assert.Equal(t, e.adminRole, c.RoleARN)
	assert.Equal(t, "frank", c.RoleSessionName)
	assert.Equal(t, "broker", c.SourceProfile)
	require.NotNil(t, c.Parent)
	assert.Equal(t, mfa.KindLongTerm, c.Parent.Kind)
	assert.False(t, c.MFA())
	assert.Equal(t, e.acct.Clock().Now().Add(8*time.Hour), c.Expires)
}

func TestAssumeRoleWithMFA(t *testing.T) {
	e := newEnv(t)
	var asked mfa.TokenRequest
	token := mfa.TokenFunc(func(_ context.Context, r mfa.TokenRequest) (string, error) {
		asked = r
		return fakes.TOTP(e.mfaSeed, r.Time), nil
	})
	c, err := federation.AssumeRole(t.Context(), e.acct.STSAs(e.key), federation.AssumeRoleRequest{
		RoleARN: e.adminRole, RoleSessionName: "broker", MFASerial: e.mfaSerial, Token: token,
	}, federation.WithClock(e.acct.Clock()))
	require.NoError(t, err)
	assert.Equal(t, e.mfaSerial, c.MFASerial)
	assert.True(t, c.MFA())
	assert.Equal(t, e.mfaSerial, asked.Device)
	assert.Equal(t, e.acct.Clock().Now(), asked.Time)
	iss, _ := e.acct.Issued(c.AccessKeyID)
	assert.True(t, iss.MFA)

	// A wrong code is STS's refusal; a malformed one never leaves.
	_, err = federation.AssumeRole(t.Context(), e.acct.STSAs(e.key), federation.AssumeRoleRequest{
		RoleARN: e.adminRole, RoleSessionName: "broker", MFASerial: e.mfaSerial, Token: mfa.StaticToken("000000"),
	})
	assert.ErrorContains(t, err, "AccessDenied")
	e.acct.ResetCalls()
	_, err = federation.AssumeRole(t.Context(), e.acct.STSAs(e.key), federation.AssumeRoleRequest{
		RoleARN: e.adminRole, RoleSessionName: "broker", MFASerial: e.mfaSerial, Token: mfa.StaticToken("12345"),
	})
	assert.ErrorIs(t, err, mfa.ErrInvalidToken)
	_, err = federation.AssumeRole(t.Context(), e.acct.STSAs(e.key), federation.AssumeRoleRequest{
		RoleARN: e.adminRole, RoleSessionName: "broker", MFASerial: e.mfaSerial,
	})
	assert.ErrorIs(t, err, federation.ErrInvalidRequest, "a serial without a token source")
	assert.Zero(t, e.acct.Calls("sts:AssumeRole"))
}

func TestAssumeRoleChained(t *testing.T) {
	e := newEnv(t)
	src := &mfa.Provenance{Kind: mfa.KindAssumedRole, RoleARN: e.adminRole, Profile: "ops"}
	c, err := federation.AssumeRole(t.Context(), e.acct.STS(), federation.AssumeRoleRequest{RoleARN: e.adminRole, RoleSessionName: "hop", Source: src})
	require.NoError(t, err)
	assert.Equal(t, mfa.KindChainedRole, c.Kind)
	assert.Equal(t, "ops", c.SourceProfile)

	e.acct.ResetCalls()
	_, err = federation.AssumeRole(t.Context(), e.acct.STS(), federation.AssumeRoleRequest{RoleARN: e.adminRole, RoleSessionName: "hop", Duration: 2 * time.Hour, Source: src})
	assert.ErrorIs(t, err, federation.ErrChainedDuration)
	assert.Zero(t, e.acct.Calls("sts:AssumeRole"))
}

func TestAssumeRoleChecked(t *testing.T) {
	e := newEnv(t)
	for name, req := range map[string]federation.AssumeRoleRequest{
		"no role":      {RoleSessionName: "x1"},
		"no session":   {RoleARN: e.adminRole},
		"duration":     {RoleARN: e.adminRole, RoleSessionName: "x1", Duration: 13 * time.Hour},
		"policy":       {RoleARN: e.adminRole, RoleSessionName: "x1", Policy: "["},
		"policy ARN":   {RoleARN: e.adminRole, RoleSessionName: "x1", PolicyARNs: []string{"ReadOnlyAccess"}},
		"many ARNs":    {RoleARN: e.adminRole, RoleSessionName: "x1", PolicyARNs: make([]string, 11)},
		"MFA serial":   {RoleARN: e.adminRole, RoleSessionName: "x1", MFASerial: "x", Token: mfa.StaticToken("123456")},
		"session name": {RoleARN: e.adminRole, RoleSessionName: "x"},
	} {
		_, err := federation.AssumeRole(t.Context(), e.acct.STS(), req)
		assert.ErrorIs(t, err, federation.ErrInvalidRequest, name)
	}
	assert.Zero(t, e.acct.CallsWithPrefix("sts:"))

	_, err := federation.AssumeRole(t.Context(), e.acct.STS(), federation.AssumeRoleRequest{RoleARN: "arn:aws:iam::123456789012:role/missing", RoleSessionName: "x1"})
	assert.ErrorContains(t, err, "AccessDenied")
}

func TestFederationToken(t *testing.T) {
	e := newEnv(t)
	src := &mfa.Provenance{Kind: mfa.KindLongTerm, Profile: "broker"}
	c, err := federation.FederationToken(t.Context(), e.acct.STSAs(e.key), federation.FederationTokenRequest{
		Name: "grace", Duration: 2 * time.Hour, Policy: readOnly, PolicyARNs: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, Source: src,
	}, federation.WithLogger(e.log))
	require.NoError(t, err)
	assert.Equal(t, mfa.KindFederationToken, c.Kind)
	assert.Equal(t, "grace", c.RoleSessionName)
	assert.Equal(t, "broker", c.SourceProfile)
	assert.Equal(t, e.acct.Clock().Now().Add(2*time.Hour), c.Expires)
	iss, _ := e.acct.Issued(c.AccessKeyID)
	assert.Equal(t, "arn:aws:sts::123456789012:federated-user/grace", iss.ARN)
}

func TestFederationTokenWithoutPolicy(t *testing.T) {
	e := newEnv(t)
	_, err := federation.FederationToken(t.Context(), e.acct.STSAs(e.key), federation.FederationTokenRequest{Name: "grace"})
	require.ErrorIs(t, err, federation.ErrNoSessionPolicy)
	assert.Contains(t, err.Error(), "no permissions")
	assert.Zero(t, e.acct.Calls("sts:GetFederationToken"), "refused before the call")

	c, err := federation.FederationToken(t.Context(), e.acct.STSAs(e.key), federation.FederationTokenRequest{Name: "grace", AllowNoAccess: true}, federation.WithLogger(e.log))
	require.NoError(t, err)
	assert.Equal(t, mfa.KindFederationToken, c.Kind)
	assert.Contains(t, e.logs.String(), "level=WARN")
	assert.Contains(t, e.logs.String(), "the console session will have no permissions")
}

func TestFederationTokenChecked(t *testing.T) {
	e := newEnv(t)
	for name, req := range map[string]federation.FederationTokenRequest{
		"name":        {Name: "g", Policy: readOnly},
		"name chars":  {Name: "grace hopper", Policy: readOnly},
		"short":       {Name: "grace", Policy: readOnly, Duration: time.Minute},
		"long":        {Name: "grace", Policy: readOnly, Duration: 37 * time.Hour},
		"policy":      {Name: "grace", Policy: "nope"},
		"policy ARN":  {Name: "grace", PolicyARNs: []string{"arn:aws:iam::aws:role/x"}},
		"temporary":   {Name: "grace", Policy: readOnly, Source: &mfa.Provenance{Kind: mfa.KindSessionToken}},
		"role source": {Name: "grace", Policy: readOnly, Source: &mfa.Provenance{Kind: mfa.KindAssumedRole}},
	} {
		_, err := federation.FederationToken(t.Context(), e.acct.STSAs(e.key), req)
		assert.ErrorIs(t, err, federation.ErrInvalidRequest, name)
	}
	assert.Zero(t, e.acct.CallsWithPrefix("sts:"))
}

func TestIdentify(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	long := aws.Credentials{AccessKeyID: e.key, SecretAccessKey: "secret", Source: "SharedConfigCredentials"}
	id, err := federation.Identify(ctx, e.acct.STSAs(e.key), long, "broker")
	require.NoError(t, err)
	assert.Equal(t, mfa.KindLongTerm, id.Credentials.Kind)
	assert.Equal(t, "broker", id.Credentials.Profile)
	assert.Equal(t, "arn:aws:iam::123456789012:user/broker", id.ARN)
	assert.Equal(t, "aws", id.Partition)
	assert.Equal(t, "123456789012", id.Account)

	gst, err := e.acct.STSAs(e.key).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	require.NoError(t, err)
	session := aws.Credentials{AccessKeyID: *gst.Credentials.AccessKeyId, SecretAccessKey: *gst.Credentials.SecretAccessKey,
		SessionToken: *gst.Credentials.SessionToken, CanExpire: true, Expires: *gst.Credentials.Expiration}
	id, err = federation.Identify(ctx, e.acct.STSAs(e.key), session, "broker")
	require.NoError(t, err)
	assert.Equal(t, mfa.KindSessionToken, id.Credentials.Kind)
	assert.Equal(t, session.Expires.UTC(), id.Credentials.Provenance.Expiration)
	_, err = e.signIn().ConsoleURL(ctx, federation.ConsoleRequest{Credentials: id.Credentials})
	assert.ErrorIs(t, err, federation.ErrSessionTokenCredentials, "identified, then refused")

	// The call is signed with the credentials given, whatever the client's.
	answer := func(arn string) callerFunc {
		return func(ctx context.Context, _ *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
			var o sts.Options
			for _, f := range optFns {
				f(&o)
			}
			got, err := o.Credentials.Retrieve(ctx)
			require.NoError(t, err)
			assert.Equal(t, session.AccessKeyID, got.AccessKeyID)
			return &sts.GetCallerIdentityOutput{Arn: aws.String(arn), Account: aws.String("123456789012")}, nil
		}
	}
	id, err = federation.Identify(ctx, answer("arn:aws-us-gov:sts::123456789012:assumed-role/ops/AWSReservedSSO_admin/alice"), session, "sso")
	require.NoError(t, err, "a session name may hold a slash")
	assert.Equal(t, mfa.KindAssumedRole, id.Credentials.Kind)
	assert.Equal(t, "arn:aws-us-gov:iam::123456789012:role/ops", id.Credentials.RoleARN)
	assert.Equal(t, "AWSReservedSSO_admin/alice", id.Credentials.RoleSessionName)
	assert.Equal(t, "aws-us-gov", id.Partition)
	id, err = federation.Identify(ctx, answer("arn:aws-cn:sts::123456789012:federated-user/grace"), session, "")
	require.NoError(t, err)
	assert.Equal(t, mfa.KindFederationToken, id.Credentials.Kind)
	assert.Equal(t, "aws-cn", id.Partition)
	_, err = federation.Identify(ctx, answer("arn:aws:iam::123456789012:role/weird"), session, "")
	assert.Error(t, err)
	_, err = federation.Identify(ctx, answer("not an arn"), session, "")
	assert.Error(t, err)
	_, err = federation.Identify(ctx, callerFunc(func(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
		return nil, errors.New("InvalidClientTokenId")
	}), session, "")
	assert.ErrorContains(t, err, "InvalidClientTokenId")
	_, err = federation.Identify(ctx, e.acct.STS(), aws.Credentials{}, "")
	assert.ErrorIs(t, err, federation.ErrInvalidRequest)
}

func TestPartitionOf(t *testing.T) {
	p, err := federation.PartitionOf("arn:aws-cn:iam::123456789012:role/x")
	require.NoError(t, err)
	assert.Equal(t, "aws-cn", p)
	_, err = federation.PartitionOf("role/x")
	assert.ErrorIs(t, err, federation.ErrInvalidRequest)
}
