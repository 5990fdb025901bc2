package fakes_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// AssumeRole with a role's session credentials is role chaining: one hour
// at most, and the console session of the chained role too; session
// policies are validated and recorded.
func TestAssumeRoleChainingAndSessionPolicies(t *testing.T) {
	ctx := t.Context()
	acct := fakes.NewAccount()
	r, err := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Admin"), MaxSessionDuration: aws.Int32(43200),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`
	first, err := acct.STS().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("s-a"), DurationSeconds: aws.Int32(43200),
		Policy: aws.String(pol), PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}})
	require.NoError(t, err)
	iss, ok := acct.Issued(*first.Credentials.AccessKeyId)
	require.True(t, ok)
	assert.False(t, iss.Chained)
	assert.Equal(t, pol, iss.SessionPolicy)
	assert.Equal(t, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, iss.SessionPolicyARNs)

	chain := acct.STSAsSession(*first.Credentials.AccessKeyId)
	_, err = chain.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("s-b"), DurationSeconds: aws.Int32(3601)})
	var api smithy.APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, "ValidationError", api.ErrorCode())
	assert.Contains(t, api.ErrorMessage(), "role chaining")
	second, err := chain.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("s-b"), DurationSeconds: aws.Int32(3600)})
	require.NoError(t, err)
	iss, _ = acct.Issued(*second.Credentials.AccessKeyId)
	assert.True(t, iss.Chained)

	_, err = acct.STS().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("s-c"), Policy: aws.String("{not json")})
	var malformed *ststypes.MalformedPolicyDocumentException
	assert.ErrorAs(t, err, &malformed)

	// The sign-in endpoint caps the chained role's console session.
	si := fakes.StartSignIn(acct)
	defer si.Close()
	get := func(c *ststypes.Credentials, d string) int {
		sess := `{"sessionId":"` + *c.AccessKeyId + `","sessionKey":"` + *c.SecretAccessKey + `","sessionToken":"` + *c.SessionToken + `"}`
		resp, err := si.Client().Get(si.URL() + "?" + url.Values{"Action": {"getSigninToken"}, "Session": {sess}, "SessionDuration": {d}}.Encode())
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusBadRequest, get(second.Credentials, "7200"))
	assert.Equal(t, http.StatusOK, get(second.Credentials, "3600"))
	assert.Equal(t, http.StatusOK, get(first.Credentials, "43200"))
	assert.True(t, strings.HasPrefix(si.URL(), "http://127.0.0.1:"))
}
