package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cogtypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

// wirePool seeds, in process, an identity pool with a role per kind of
// identity that trusts it.
func wirePool(t *testing.T, acct *fakes.Account, in *cognitoidentity.CreateIdentityPoolInput) (id, unauthRole, authRole string) {
	t.Helper()
	ctx := t.Context()
	out, err := acct.Cognito().CreateIdentityPool(ctx, in)
	require.NoError(t, err)
	id = aws.ToString(out.IdentityPoolId)
	role := func(name, amr string) string {
		r, err := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(fakes.CognitoTrustPolicy(id, amr))})
		require.NoError(t, err)
		return aws.ToString(r.Role.Arn)
	}
	unauthRole, authRole = role("guest", fakes.CognitoUnauthenticated), role("member", fakes.CognitoAuthenticated)
	_, err = acct.Cognito().SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{
		IdentityPoolId: aws.String(id),
		Roles:          map[string]string{fakes.CognitoUnauthenticated: unauthRole, fakes.CognitoAuthenticated: authRole},
	})
	require.NoError(t, err)
	return id, unauthRole, authRole
}

func TestCognitoWireFlows(t *testing.T) {
	w := newWire(t)
	ctx := t.Context()
	pool, unauthRole, authRole := wirePool(t, w.acct, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("people"), AllowClassicFlow: aws.Bool(true), AllowUnauthenticatedIdentities: true,
		SupportedLoginProviders: map[string]string{"accounts.google.com": "client-1"},
	})
	// The public operations go unsigned, as the SDK sends them.
	anon := cognitoidentity.NewFromConfig(w.config(), func(o *cognitoidentity.Options) { o.Credentials = aws.AnonymousCredentials{} })

	t.Run("basic flow: GetId, GetOpenIdToken, AssumeRoleWithWebIdentity", func(t *testing.T) {
		id, err := anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(pool), AccountId: aws.String(w.acct.ID())})
		require.NoError(t, err)
		assert.Contains(t, w.acct.CognitoIdentities(pool), aws.ToString(id.IdentityId))
		tok, err := anon.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: id.IdentityId})
		require.NoError(t, err)
		assert.Equal(t, aws.ToString(id.IdentityId), aws.ToString(tok.IdentityId))
		// The token works with the account's STS, in process.
		creds, err := w.acct.STS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(unauthRole), RoleSessionName: aws.String("web"), WebIdentityToken: tok.Token,
		})
		require.NoError(t, err)
		assert.NotEmpty(t, aws.ToString(creds.Credentials.AccessKeyId))
	})

	t.Run("enhanced flow: GetCredentialsForIdentity with a login", func(t *testing.T) {
		logins := map[string]string{"accounts.google.com": w.acct.CognitoLoginToken("accounts.google.com", "alice")}
		id, err := anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(pool), Logins: logins})
		require.NoError(t, err)
		out, err := anon.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
		require.NoError(t, err)
		c := out.Credentials
		require.NotNil(t, c)
		assert.NotEmpty(t, aws.ToString(c.AccessKeyId))
		assert.NotEmpty(t, aws.ToString(c.SecretKey))
		assert.NotEmpty(t, aws.ToString(c.SessionToken))
		// The timestamp crossed the wire as epoch seconds, to the second.
		iss, ok := w.acct.Issued(aws.ToString(c.AccessKeyId))
		require.True(t, ok, "credentials the account issued")
		assert.WithinDuration(t, iss.Expiration, aws.ToTime(c.Expiration), time.Second)
		assert.Contains(t, iss.ARN, strings.TrimPrefix(authRole, "arn:aws:iam::"+w.acct.ID()+":role/"))
	})

	t.Run("signed operations with maps, booleans and timestamps", func(t *testing.T) {
		signed := w.cognito()
		d, err := signed.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(pool)})
		require.NoError(t, err)
		assert.True(t, d.AllowUnauthenticatedIdentities)
		assert.True(t, aws.ToBool(d.AllowClassicFlow))
		assert.Equal(t, map[string]string{"accounts.google.com": "client-1"}, d.SupportedLoginProviders)
		r, err := signed.GetIdentityPoolRoles(ctx, &cognitoidentity.GetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool)})
		require.NoError(t, err)
		assert.Equal(t, authRole, r.Roles[fakes.CognitoAuthenticated])
		id := w.acct.CognitoIdentities(pool)[0]
		di, err := signed.DescribeIdentity(ctx, &cognitoidentity.DescribeIdentityInput{IdentityId: aws.String(id)})
		require.NoError(t, err)
		inProc, err := w.acct.Cognito().DescribeIdentity(ctx, &cognitoidentity.DescribeIdentityInput{IdentityId: aws.String(id)})
		require.NoError(t, err)
		assert.True(t, aws.ToTime(inProc.CreationDate).Equal(aws.ToTime(di.CreationDate)), "%v vs %v", inProc.CreationDate, di.CreationDate)
		assert.Equal(t, inProc.Logins, di.Logins)
	})
}

func TestCognitoWireErrors(t *testing.T) {
	w := newWire(t)
	ctx := t.Context()
	pool, _, _ := wirePool(t, w.acct, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("members only")})
	c := w.cognito()

	t.Run("typed errors", func(t *testing.T) {
		_, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(pool)})
		var na *cogtypes.NotAuthorizedException
		require.ErrorAs(t, err, &na, "the pool allows no unauthenticated identities")
		assert.NotEmpty(t, na.ErrorMessage())
		_, err = c.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String("us-east-1:00000000-0000-0000-0000-000000000000")})
		var nf *cogtypes.ResourceNotFoundException
		require.ErrorAs(t, err, &nf)
		assert.Equal(t, http.StatusNotFound, httpStatus(err))
		_, err = c.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("bad/name")})
		var ip *cogtypes.InvalidParameterException
		require.ErrorAs(t, err, &ip)
		assert.Equal(t, http.StatusBadRequest, httpStatus(err))
	})

	t.Run("a throttle is retried by the SDK", func(t *testing.T) {
		w.acct.ResetCalls()
		w.acct.Throttle("cognito-identity:DescribeIdentityPool", 1)
		_, err := c.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(pool)})
		require.NoError(t, err)
		assert.Equal(t, 2, w.acct.Calls("cognito-identity:DescribeIdentityPool"))
	})

	t.Run("a lasting throttle surfaces as TooManyRequestsException", func(t *testing.T) {
		w.acct.Throttle("cognito-identity:GetIdentityPoolRoles", 0)
		defer w.acct.ClearFaults()
		_, err := c.GetIdentityPoolRoles(ctx, &cognitoidentity.GetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool)})
		var tm *cogtypes.TooManyRequestsException
		require.ErrorAs(t, err, &tm)
		assert.Equal(t, http.StatusTooManyRequests, httpStatus(err))
	})

	t.Run("signed operations need a signature", func(t *testing.T) {
		anon := cognitoidentity.NewFromConfig(w.config(), func(o *cognitoidentity.Options) { o.Credentials = aws.AnonymousCredentials{} })
		_, err := anon.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(pool)})
		assert.Equal(t, "MissingAuthenticationTokenException", apiCode(t, err))
		assert.Equal(t, http.StatusForbidden, httpStatus(err))
	})
}

// The raw protocol: unknown targets, malformed bodies, wrong member types.
func TestCognitoWireRaw(t *testing.T) {
	w := newWire(t)
	post := func(target, body string, signed bool) (int, map[string]any) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, w.http.URL+"/", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		if signed {
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 dummy")
		}
		resp, err := w.http.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m), "%s", raw)
		return resp.StatusCode, m
	}
	for _, tc := range []struct {
		name, target, body string
		status             int
		code, message      string
	}{
		{"unknown operation", "AWSCognitoIdentityService.MakeCoffee", "{}", 400, "UnknownOperationException", "MakeCoffee"},
		{"unexported method", "AWSCognitoIdentityService.describe", "{}", 400, "UnknownOperationException", "describe"},
		{"malformed JSON", "AWSCognitoIdentityService.DescribeIdentityPool", `{"IdentityPoolId":`, 400, "SerializationException", "malformed"},
		{"not an object", "AWSCognitoIdentityService.DescribeIdentityPool", `[1]`, 400, "SerializationException", "JSON object"},
		{"wrong member type", "AWSCognitoIdentityService.DescribeIdentityPool", `{"IdentityPoolId":12}`, 400, "SerializationException", "IdentityPoolId"},
		{"wrong map value", "AWSCognitoIdentityService.CreateIdentityPool", `{"IdentityPoolName":"x","SupportedLoginProviders":{"a":1}}`, 400, "SerializationException", "SupportedLoginProviders.a"},
		{"trailing data", "AWSCognitoIdentityService.DescribeIdentityPool", `{} {}`, 400, "SerializationException", "after"},
		{"empty body is an empty input", "AWSCognitoIdentityService.DescribeIdentityPool", ``, 404, "ResourceNotFoundException", "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, m := post(tc.target, tc.body, true)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.code, m["__type"])
			assert.Contains(t, m["message"], tc.message)
		})
	}
}

func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	return ae.ErrorCode()
}

func httpStatus(err error) int {
	var hs interface{ HTTPStatusCode() int }
	for e := err; e != nil; {
		if h, ok := e.(interface{ HTTPStatusCode() int }); ok {
			hs = h
			break
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			break
		}
		e = u.Unwrap()
	}
	if hs == nil {
		return 0
	}
	return hs.HTTPStatusCode()
}

// wirePoolRoles gives an existing pool the two roles of wirePool.
func wirePoolRoles(t testing.TB, w *wire, pool string) {
	t.Helper()
	ctx := context.Background()
	roles := map[string]string{}
	for _, amr := range []string{fakes.CognitoUnauthenticated, fakes.CognitoAuthenticated} {
		r, err := w.acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bench-" + amr), AssumeRolePolicyDocument: aws.String(fakes.CognitoTrustPolicy(pool, amr))})
		require.NoError(t, err)
		roles[amr] = aws.ToString(r.Role.Arn)
	}
	_, err := w.acct.Cognito().SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool), Roles: roles})
	require.NoError(t, err)
}
