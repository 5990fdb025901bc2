package fakes_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// stsFederationAPI lists the STS methods of sts_federation.go.
type stsFederationAPI interface {
	AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error)
	GetFederationToken(ctx context.Context, in *sts.GetFederationTokenInput, optFns ...func(*sts.Options)) (*sts.GetFederationTokenOutput, error)
}

var (
	_ stsFederationAPI                            = (*sts.Client)(nil)
	_ stsFederationAPI                            = (*fakes.STS)(nil)
	_ stscreds.AssumeRoleWithWebIdentityAPIClient = (*fakes.STS)(nil)
)

// openIDToken runs the basic flow's first two steps for a new
// unauthenticated identity of p.
func openIDToken(t *testing.T, p pool) (identity, token string) {
	t.Helper()
	c := p.acct.Cognito()
	id, err := c.GetId(t.Context(), &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(p.id)})
	require.NoError(t, err)
	tok, err := c.GetOpenIdToken(t.Context(), &cognitoidentity.GetOpenIdTokenInput{IdentityId: id.IdentityId})
	require.NoError(t, err)
	return *id.IdentityId, *tok.Token
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	acct := fakes.NewAccount()
	p := newPool(t, acct, poolOpts{classic: true, unauth: true})
	identity, tok := openIDToken(t, p)
	s := acct.STS()
	ctx := t.Context()
	in := func(role, token string, d int32) *sts.AssumeRoleWithWebIdentityInput {
		out := &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(role), RoleSessionName: aws.String("carol@example.com"), WebIdentityToken: aws.String(token)}
		if d != 0 {
			out.DurationSeconds = aws.Int32(d)
		}
		return out
	}

	out, err := s.AssumeRoleWithWebIdentity(ctx, in(p.unauthRole, tok, 0))
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/"+roleName(p.unauthRole)+"/carol@example.com", aws.ToString(out.AssumedRoleUser.Arn))
	assert.Equal(t, identity, aws.ToString(out.SubjectFromWebIdentityToken))
	assert.Equal(t, p.id, aws.ToString(out.Audience))
	assert.Equal(t, "cognito-identity.amazonaws.com", aws.ToString(out.Provider))
	iss, ok := acct.Issued(aws.ToString(out.Credentials.AccessKeyId))
	require.True(t, ok)
	assert.Equal(t, fakes.KindWebIdentity, iss.Kind)
	assert.Equal(t, acct.Clock().Now().Add(time.Hour), iss.Expiration)

	// The unauthenticated identity may not take the authenticated role,
	// nor a role that trusts another pool.
	_, err = s.AssumeRoleWithWebIdentity(ctx, in(p.authRole, tok, 0))
	assert.Equal(t, "AccessDenied", stsCode(t, err))
	other := newPool(t, acct, poolOpts{classic: true, unauth: true})
	_, err = s.AssumeRoleWithWebIdentity(ctx, in(other.unauthRole, tok, 0))
	assert.Equal(t, "AccessDenied", stsCode(t, err), "a role not in the pool")
	_, err = s.AssumeRoleWithWebIdentity(ctx, in("arn:aws:iam::123456789012:role/missing", tok, 0))
	assert.Equal(t, "AccessDenied", stsCode(t, err))

	for _, d := range []int32{899, 3601} {
		_, err = s.AssumeRoleWithWebIdentity(ctx, in(p.unauthRole, tok, d))
		assert.Equal(t, "ValidationError", stsCode(t, err), d)
	}
	var bad *ststypes.InvalidIdentityTokenException
	_, err = s.AssumeRoleWithWebIdentity(ctx, in(p.unauthRole, tok[:len(tok)-2]+"xx", 0))
	assert.ErrorAs(t, err, &bad, "an altered token")
	_, err = s.AssumeRoleWithWebIdentity(ctx, in(p.unauthRole, acct.CognitoLoginToken("accounts.google.com", "x"), 0))
	assert.ErrorAs(t, err, &bad, "not a Cognito token")

	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`
	withPolicy := in(p.unauthRole, tok, 0)
	withPolicy.Policy = aws.String(pol)
	_, err = s.AssumeRoleWithWebIdentity(ctx, withPolicy)
	require.NoError(t, err)
	withPolicy.Policy = aws.String("{not json")
	_, err = s.AssumeRoleWithWebIdentity(ctx, withPolicy)
	var malformed *ststypes.MalformedPolicyDocumentException
	assert.ErrorAs(t, err, &malformed)
	withPolicy.Policy = aws.String(`{"Statement":[],"Pad":"` + strings.Repeat("x", 2048) + `"}`)
	_, err = s.AssumeRoleWithWebIdentity(ctx, withPolicy)
	var large *ststypes.PackedPolicyTooLargeException
	assert.ErrorAs(t, err, &large)

	// OpenID tokens of GetOpenIdToken last ten minutes.
	acct.Clock().Advance(10 * time.Minute)
	_, err = s.AssumeRoleWithWebIdentity(ctx, in(p.unauthRole, tok, 0))
	var expired *ststypes.ExpiredTokenException
	assert.ErrorAs(t, err, &expired)
}

func TestAssumeRoleWithWebIdentityTrustPolicies(t *testing.T) {
	acct := fakes.NewAccount()
	p := newPool(t, acct, poolOpts{classic: true, unauth: true})
	_, tok := openIDToken(t, p)
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":` + s + `}` }
	const fed = `"Principal":{"Federated":"cognito-identity.amazonaws.com"}`
	cases := []struct {
		name, trust string
		ok          bool
	}{
		{"CognitoTrustPolicy", fakes.CognitoTrustPolicy(p.id, "unauthenticated"), true},
		{"no conditions", stmt(`{"Effect":"Allow",` + fed + `,"Action":"sts:AssumeRoleWithWebIdentity"}`), true},
		{"action list and wildcard", stmt(`[{"Effect":"Allow",` + fed + `,"Action":["sts:TagSession","sts:AssumeRole*"]}]`), true},
		{"principal *", stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:*"}`), true},
		{"StringLike aud", stmt(`{"Effect":"Allow",` + fed + `,"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"cognito-identity.amazonaws.com:aud":"us-east-1:*"}}}`), true},
		{"other principal", stmt(`{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity"}`), false},
		{"AWS principal", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}`), false},
		{"other action", stmt(`{"Effect":"Allow",` + fed + `,"Action":"sts:AssumeRole"}`), false},
		{"other aud", stmt(`{"Effect":"Allow",` + fed + `,"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:other"}}}`), false},
		{"authenticated only", fakes.CognitoTrustPolicy(p.id, "authenticated"), false},
		{"unknown condition key", stmt(`{"Effect":"Allow",` + fed + `,"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"aws:SourceIp":"10.0.0.1"}}}`), false},
		{"deny wins", stmt(`[{"Effect":"Allow",` + fed + `,"Action":"sts:AssumeRoleWithWebIdentity"},{"Effect":"Deny","Principal":"*","Action":"*"}]`), false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			role := mustRole(t, acct, "trust-"+string(rune('a'+i)), c.trust, 0)
			_, err := acct.STS().AssumeRoleWithWebIdentity(t.Context(), &sts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String(role), RoleSessionName: aws.String("carol"), WebIdentityToken: aws.String(tok)})
			if c.ok {
				assert.NoError(t, err)
			} else {
				assert.Equal(t, "AccessDenied", stsCode(t, err))
			}
		})
	}
}

func TestGetFederationToken(t *testing.T) {
	acct := fakes.NewAccount()
	key, _, _ := mfaUser(t, acct, "broker")
	s := acct.STSAs(key)
	ctx := t.Context()
	pol := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}`)

	out, err := s.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("carol"), Policy: pol})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::123456789012:federated-user/carol", aws.ToString(out.FederatedUser.Arn))
	assert.Equal(t, "123456789012:carol", aws.ToString(out.FederatedUser.FederatedUserId))
	iss, ok := acct.Issued(aws.ToString(out.Credentials.AccessKeyId))
	require.True(t, ok)
	assert.Equal(t, fakes.KindFederationToken, iss.Kind)
	assert.Equal(t, acct.Clock().Now().Add(12*time.Hour), iss.Expiration, "12 hours by default")

	_, err = s.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("carol"), DurationSeconds: aws.Int32(129600),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}})
	require.NoError(t, err)
	_, err = s.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("nobody")})
	require.NoError(t, err, "STS does not refuse a federation token without session policy; it is merely useless")

	root, err := acct.STS().GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("carol"), Policy: pol, DurationSeconds: aws.Int32(7200)})
	require.NoError(t, err)
	assert.Equal(t, acct.Clock().Now().Add(time.Hour), root.Credentials.Expiration.UTC(), "the root's sessions are cut to one hour")

	for name, in := range map[string]*sts.GetFederationTokenInput{
		"short name":    {Name: aws.String("c"), Policy: pol},
		"long name":     {Name: aws.String(strings.Repeat("c", 33)), Policy: pol},
		"bad name":      {Name: aws.String("carol smith"), Policy: pol},
		"too short":     {Name: aws.String("carol"), Policy: pol, DurationSeconds: aws.Int32(899)},
		"too long":      {Name: aws.String("carol"), Policy: pol, DurationSeconds: aws.Int32(129601)},
		"bad arn":       {Name: aws.String("carol"), PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("ReadOnlyAccess")}}},
		"many arns":     {Name: aws.String("carol"), PolicyArns: make([]ststypes.PolicyDescriptorType, 11)},
		"policy is bad": {Name: aws.String("carol"), Policy: aws.String("[]")},
	} {
		_, err := s.GetFederationToken(ctx, in)
		assert.Error(t, err, name)
	}
}
