package fakes_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
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

// cognitoAPI lists every Cognito Identity method the fake implements, with
// the SDK's exact signatures.
type cognitoAPI interface {
	CreateIdentityPool(ctx context.Context, in *cognitoidentity.CreateIdentityPoolInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.CreateIdentityPoolOutput, error)
	DescribeIdentityPool(ctx context.Context, in *cognitoidentity.DescribeIdentityPoolInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.DescribeIdentityPoolOutput, error)
	DeleteIdentityPool(ctx context.Context, in *cognitoidentity.DeleteIdentityPoolInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.DeleteIdentityPoolOutput, error)
	SetIdentityPoolRoles(ctx context.Context, in *cognitoidentity.SetIdentityPoolRolesInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.SetIdentityPoolRolesOutput, error)
	GetIdentityPoolRoles(ctx context.Context, in *cognitoidentity.GetIdentityPoolRolesInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetIdentityPoolRolesOutput, error)
	GetId(ctx context.Context, in *cognitoidentity.GetIdInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetIdOutput, error)
	GetOpenIdToken(ctx context.Context, in *cognitoidentity.GetOpenIdTokenInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetOpenIdTokenOutput, error)
	GetOpenIdTokenForDeveloperIdentity(ctx context.Context, in *cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetOpenIdTokenForDeveloperIdentityOutput, error)
	GetCredentialsForIdentity(ctx context.Context, in *cognitoidentity.GetCredentialsForIdentityInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetCredentialsForIdentityOutput, error)
	DeleteIdentities(ctx context.Context, in *cognitoidentity.DeleteIdentitiesInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.DeleteIdentitiesOutput, error)
	DescribeIdentity(ctx context.Context, in *cognitoidentity.DescribeIdentityInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.DescribeIdentityOutput, error)
}

var (
	_ cognitoAPI = (*cognitoidentity.Client)(nil)
	_ cognitoAPI = (*fakes.Cognito)(nil)
)

// Every method of the fake is declared in cognitoAPI, and so checked
// against *cognitoidentity.Client at compile time.
func TestCognitoAPIListsEveryFakeMethod(t *testing.T) {
	declared := map[string]bool{}
	it := reflect.TypeFor[cognitoAPI]()
	for i := range it.NumMethod() {
		declared[it.Method(i).Name] = true
	}
	var missing []string
	ft := reflect.TypeFor[*fakes.Cognito]()
	for i := range ft.NumMethod() {
		if name := ft.Method(i).Name; !declared[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "add these *fakes.Cognito methods to cognitoAPI")
}

// pool is an identity pool of a fake account with two roles that trust it.
type pool struct {
	acct                 *fakes.Account
	id                   string
	unauthRole, authRole string
}

type poolOpts struct {
	classic, unauth bool
	developer       string
	providers       map[string]string
}

func newPool(t *testing.T, acct *fakes.Account, o poolOpts) pool {
	t.Helper()
	ctx := t.Context()
	out, err := acct.Cognito().CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("console people"), AllowClassicFlow: aws.Bool(o.classic),
		AllowUnauthenticatedIdentities: o.unauth, SupportedLoginProviders: o.providers,
		DeveloperProviderName: optStr(o.developer),
	})
	require.NoError(t, err)
	p := pool{acct: acct, id: aws.ToString(out.IdentityPoolId)}
	p.unauthRole = mustRole(t, acct, "guest-"+p.suffix(), fakes.CognitoTrustPolicy(p.id, fakes.CognitoUnauthenticated), 0)
	p.authRole = mustRole(t, acct, "member-"+p.suffix(), fakes.CognitoTrustPolicy(p.id, fakes.CognitoAuthenticated), 43200)
	_, err = acct.Cognito().SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{
		IdentityPoolId: aws.String(p.id),
		Roles:          map[string]string{fakes.CognitoUnauthenticated: p.unauthRole, fakes.CognitoAuthenticated: p.authRole},
	})
	require.NoError(t, err)
	return p
}

func (p pool) suffix() string { return p.id[len(p.id)-6:] }

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func mustRole(t *testing.T, acct *fakes.Account, name, trust string, maxSession int32) string {
	t.Helper()
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
	if maxSession > 0 {
		in.MaxSessionDuration = aws.Int32(maxSession)
	}
	out, err := acct.IAM().CreateRole(t.Context(), in)
	require.NoError(t, err)
	return aws.ToString(out.Role.Arn)
}

func cogCode(t *testing.T, err error) string {
	t.Helper()
	require.Error(t, err)
	var oe *smithy.OperationError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, cognitoidentity.ServiceID, oe.Service(), "wrapped as the SDK wraps Cognito Identity errors")
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	return ae.ErrorCode()
}

// claims decodes the claims of an OpenID token.
func claims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3, "a JWT")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

func TestCognitoPools(t *testing.T) {
	acct := fakes.NewAccount(fakes.WithRegion("eu-west-1"))
	c := acct.Cognito()
	ctx := t.Context()
	p := newPool(t, acct, poolOpts{classic: true, unauth: true, developer: "login.example.com"})
	assert.Regexp(t, `^eu-west-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, p.id)

	d, err := c.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(p.id)})
	require.NoError(t, err)
	assert.True(t, aws.ToBool(d.AllowClassicFlow))
	assert.True(t, d.AllowUnauthenticatedIdentities)
	assert.Equal(t, "login.example.com", aws.ToString(d.DeveloperProviderName))

	r, err := c.GetIdentityPoolRoles(ctx, &cognitoidentity.GetIdentityPoolRolesInput{IdentityPoolId: aws.String(p.id)})
	require.NoError(t, err)
	assert.Equal(t, p.unauthRole, r.Roles[fakes.CognitoUnauthenticated])

	_, err = c.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(p.id), Roles: map[string]string{"admin": p.authRole}})
	assert.Equal(t, "InvalidParameterException", cogCode(t, err))
	_, err = c.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("bad/name")})
	assert.Equal(t, "InvalidParameterException", cogCode(t, err))
	_, err = c.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String("eu-west-1:00000000-0000-0000-0000-000000000000")})
	var nf *cogtypes.ResourceNotFoundException
	assert.ErrorAs(t, err, &nf)

	// A new pool has the classic flow off, as in AWS.
	off, err := c.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("defaults")})
	require.NoError(t, err)
	assert.False(t, aws.ToBool(off.AllowClassicFlow))

	_, err = c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(p.id)})
	require.NoError(t, err)
	_, err = c.DeleteIdentityPool(ctx, &cognitoidentity.DeleteIdentityPoolInput{IdentityPoolId: aws.String(p.id)})
	require.NoError(t, err)
	assert.Empty(t, acct.CognitoIdentities(p.id), "the pool's identities went with it")
}

func TestCognitoUnauthenticatedBasicFlow(t *testing.T) {
	acct := fakes.NewAccount()
	c := acct.Cognito()
	ctx := t.Context()
	p := newPool(t, acct, poolOpts{classic: true, unauth: true})

	id1, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(p.id), AccountId: aws.String(acct.ID())})
	require.NoError(t, err)
	id2, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(p.id)})
	require.NoError(t, err)
	assert.NotEqual(t, *id1.IdentityId, *id2.IdentityId, "every unauthenticated GetId makes a new identity")
	assert.Len(t, acct.CognitoIdentities(p.id), 2)

	tok, err := c.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: id1.IdentityId})
	require.NoError(t, err)
	cl := claims(t, aws.ToString(tok.Token))
	assert.Equal(t, p.id, cl["aud"])
	assert.Equal(t, *id1.IdentityId, cl["sub"])
	assert.Equal(t, "https://cognito-identity.amazonaws.com", cl["iss"])
	assert.Equal(t, []any{"unauthenticated"}, cl["amr"])
	assert.EqualValues(t, acct.Clock().Now().Add(10*time.Minute).Unix(), cl["exp"])

	_, err = c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(p.id), AccountId: aws.String("999999999999")})
	assert.Equal(t, "NotAuthorizedException", cogCode(t, err))

	_, err = c.DeleteIdentities(ctx, &cognitoidentity.DeleteIdentitiesInput{IdentityIdsToDelete: []string{*id1.IdentityId, *id2.IdentityId, "us-east-1:00000000-0000-0000-0000-000000000000"}})
	require.NoError(t, err, "unknown identities are skipped")
	assert.Empty(t, acct.CognitoIdentities(p.id))
	_, err = c.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: id1.IdentityId})
	assert.Equal(t, "ResourceNotFoundException", cogCode(t, err))
	_, err = c.DeleteIdentities(ctx, &cognitoidentity.DeleteIdentitiesInput{})
	assert.Equal(t, "InvalidParameterException", cogCode(t, err))
}

func TestCognitoPoolRules(t *testing.T) {
	acct := fakes.NewAccount()
	c := acct.Cognito()
	ctx := t.Context()
	noGuests := newPool(t, acct, poolOpts{classic: true})
	_, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(noGuests.id)})
	assert.Equal(t, "NotAuthorizedException", cogCode(t, err), "unauthenticated identities need the pool's consent")

	enhancedOnly := newPool(t, acct, poolOpts{unauth: true})
	id, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(enhancedOnly.id)})
	require.NoError(t, err)
	_, err = c.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: id.IdentityId})
	var ip *cogtypes.InvalidParameterException
	require.ErrorAs(t, err, &ip)
	assert.Contains(t, aws.ToString(ip.Message), "Basic (classic) flow is not enabled")
}

func TestCognitoPublicLogins(t *testing.T) {
	acct := fakes.NewAccount()
	c := acct.Cognito()
	ctx := t.Context()
	p := newPool(t, acct, poolOpts{classic: true, providers: map[string]string{"accounts.google.com": "client-1"}})
	alice := acct.CognitoLoginToken("accounts.google.com", "alice")

	id, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(p.id), Logins: map[string]string{"accounts.google.com": alice}})
	require.NoError(t, err)
	again, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(p.id), Logins: map[string]string{"accounts.google.com": acct.CognitoLoginToken("accounts.google.com", "alice")}})
	require.NoError(t, err)
	assert.Equal(t, *id.IdentityId, *again.IdentityId, "the same person gets the same identity")

	_, err = c.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: id.IdentityId})
	assert.Equal(t, "NotAuthorizedException", cogCode(t, err), "an authenticated identity needs its login")
	bob := acct.CognitoLoginToken("accounts.google.com", "bob")
	_, err = c.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: id.IdentityId, Logins: map[string]string{"accounts.google.com": bob}})
	assert.Error(t, err, "someone else's login does not open alice's identity")

	tok, err := c.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: id.IdentityId, Logins: map[string]string{"accounts.google.com": alice}})
	require.NoError(t, err)
	assert.Equal(t, []any{"authenticated", "accounts.google.com", "accounts.google.com:alice"}, claims(t, *tok.Token)["amr"])

	desc, err := c.DescribeIdentity(ctx, &cognitoidentity.DescribeIdentityInput{IdentityId: id.IdentityId})
	require.NoError(t, err)
	assert.Equal(t, []string{"accounts.google.com"}, desc.Logins)

	for name, logins := range map[string]map[string]string{
		"forged token":         {"accounts.google.com": "idp.forged"},
		"provider not in pool": {"graph.facebook.com": acct.CognitoLoginToken("graph.facebook.com", "alice")},
		"token of another idp": {"accounts.google.com": acct.CognitoLoginToken("www.amazon.com", "alice")},
	} {
		_, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(p.id), Logins: logins})
		assert.Equal(t, "NotAuthorizedException", cogCode(t, err), name)
	}
}

func TestCognitoDeveloperIdentities(t *testing.T) {
	acct := fakes.NewAccount()
	c := acct.Cognito()
	ctx := t.Context()
	p := newPool(t, acct, poolOpts{developer: "login.example.com"})
	dev := func(user string, d *int64) (*cognitoidentity.GetOpenIdTokenForDeveloperIdentityOutput, error) {
		return c.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
			IdentityPoolId: aws.String(p.id), Logins: map[string]string{"login.example.com": user}, TokenDuration: d,
		})
	}
	a1, err := dev("alice", nil)
	require.NoError(t, err)
	a2, err := dev("alice", aws.Int64(60))
	require.NoError(t, err)
	b, err := dev("bob", nil)
	require.NoError(t, err)
	assert.Equal(t, *a1.IdentityId, *a2.IdentityId)
	assert.NotEqual(t, *a1.IdentityId, *b.IdentityId)
	cl := claims(t, *a1.Token)
	assert.Equal(t, []any{"authenticated", "login.example.com", "login.example.com:alice"}, cl["amr"])
	assert.EqualValues(t, acct.Clock().Now().Add(15*time.Minute).Unix(), cl["exp"], "15 minutes by default")
	assert.EqualValues(t, acct.Clock().Now().Add(time.Minute).Unix(), claims(t, *a2.Token)["exp"])

	for _, d := range []int64{0, 86401} {
		_, err := dev("alice", aws.Int64(d))
		assert.Equal(t, "InvalidParameterException", cogCode(t, err), d)
	}
	_, err = c.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(p.id), Logins: map[string]string{"other.example.com": "alice"}})
	assert.Equal(t, "InvalidParameterException", cogCode(t, err))
	_, err = c.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(p.id), IdentityId: b.IdentityId, Logins: map[string]string{"login.example.com": "alice"}})
	var dup *cogtypes.DeveloperUserAlreadyRegisteredException
	assert.ErrorAs(t, err, &dup)

	// GetId with the developer's token names the same identity.
	same, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(p.id), Logins: map[string]string{fakes.CognitoIssuer: *a1.Token}})
	require.NoError(t, err)
	assert.Equal(t, *a1.IdentityId, *same.IdentityId)

	// The developer's token opens the enhanced flow too.
	out, err := c.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{
		IdentityId: a1.IdentityId, Logins: map[string]string{fakes.CognitoIssuer: *a1.Token}})
	require.NoError(t, err)
	iss, ok := acct.Issued(aws.ToString(out.Credentials.AccessKeyId))
	require.True(t, ok)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/"+roleName(p.authRole)+"/CognitoIdentityCredentials", iss.ARN)
	_, err = c.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{
		IdentityId: b.IdentityId, Logins: map[string]string{fakes.CognitoIssuer: *a1.Token}})
	assert.Equal(t, "NotAuthorizedException", cogCode(t, err), "alice's token is not bob's")
}

func roleName(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func TestCognitoEnhancedFlow(t *testing.T) {
	acct := fakes.NewAccount()
	c := acct.Cognito()
	ctx := t.Context()
	p := newPool(t, acct, poolOpts{unauth: true})
	id, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(p.id)})
	require.NoError(t, err)

	out, err := c.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
	require.NoError(t, err, "the enhanced flow does not need the classic flow")
	iss, ok := acct.Issued(aws.ToString(out.Credentials.AccessKeyId))
	require.True(t, ok)
	assert.Equal(t, fakes.KindWebIdentity, iss.Kind)
	assert.Equal(t, acct.Clock().Now().Add(time.Hour), iss.Expiration, "one hour, always")
	assert.Equal(t, aws.ToString(out.Credentials.SecretKey), iss.SecretAccessKey)

	_, err = c.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, CustomRoleArn: aws.String(p.unauthRole)})
	require.NoError(t, err, "a role of the pool may be picked... ")
	_, err = c.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, CustomRoleArn: aws.String(p.authRole)})
	assert.Equal(t, "InvalidIdentityPoolConfigurationException", cogCode(t, err), "...if it trusts the identity's kind...")
	other := mustRole(t, acct, "elsewhere", fakes.CognitoTrustPolicy(p.id, fakes.CognitoUnauthenticated), 0)
	_, err = c.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, CustomRoleArn: aws.String(other)})
	assert.Equal(t, "NotAuthorizedException", cogCode(t, err), "...no other")

	// A pool role that does not trust the pool is a configuration error.
	untrusting := mustRole(t, acct, "untrusting", fakes.CognitoTrustPolicy("us-east-1:00000000-0000-0000-0000-000000000000", fakes.CognitoUnauthenticated), 0)
	_, err = c.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(p.id), Roles: map[string]string{fakes.CognitoUnauthenticated: untrusting}})
	require.NoError(t, err)
	_, err = c.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
	assert.Equal(t, "InvalidIdentityPoolConfigurationException", cogCode(t, err))
	_, err = c.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(p.id)})
	require.NoError(t, err)
	_, err = c.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
	assert.Equal(t, "InvalidIdentityPoolConfigurationException", cogCode(t, err), "no role at all")
}

func TestCognitoFaults(t *testing.T) {
	acct := fakes.NewAccount()
	p := newPool(t, acct, poolOpts{classic: true, unauth: true})
	acct.Throttle("cognito-identity:GetId", 1)
	_, err := acct.Cognito().GetId(t.Context(), &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(p.id)})
	assert.Equal(t, "Throttling", cogCode(t, err))
	boom := errors.New("boom")
	acct.Inject("cognito-identity:GetOpenIdToken", fakes.Fault{Err: boom, Times: 1})
	id, err := acct.Cognito().GetId(t.Context(), &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(p.id)})
	require.NoError(t, err)
	_, err = acct.Cognito().GetOpenIdToken(t.Context(), &cognitoidentity.GetOpenIdTokenInput{IdentityId: id.IdentityId})
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, 2, acct.Calls("cognito-identity:GetId"))
	assert.Equal(t, 1, acct.Calls("cognito-identity:GetOpenIdToken"))
}

// Accounts are independent, and the state of one that is gone does not
// linger.
func TestCognitoStatePerAccount(t *testing.T) {
	a, b := fakes.NewAccount(), fakes.NewAccount()
	p := newPool(t, a, poolOpts{classic: true, unauth: true})
	_, err := b.Cognito().GetId(t.Context(), &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(p.id)})
	assert.Equal(t, "ResourceNotFoundException", cogCode(t, err))
}

// The account's Cognito Identity runs the basic flow with its STS: a pool
// that allows it, a role that trusts the pool, then GetId → GetOpenIdToken →
// AssumeRoleWithWebIdentity.
func ExampleAccount_Cognito() {
	ctx := context.Background()
	acct := fakes.NewAccount()
	pool, _ := acct.Cognito().CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("console"), AllowClassicFlow: aws.Bool(true), AllowUnauthenticatedIdentities: true,
	})
	role, _ := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("Guest"),
		AssumeRolePolicyDocument: aws.String(fakes.CognitoTrustPolicy(*pool.IdentityPoolId, fakes.CognitoUnauthenticated)),
	})

	id, _ := acct.Cognito().GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: pool.IdentityPoolId})
	tok, _ := acct.Cognito().GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: id.IdentityId})
	out, err := acct.STS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: role.Role.Arn, RoleSessionName: aws.String("carol"), WebIdentityToken: tok.Token,
	})
	if err != nil {
		panic(err)
	}
	iss, _ := acct.Issued(*out.Credentials.AccessKeyId)
	fmt.Println(iss.Kind, iss.ARN)
	fmt.Println(len(acct.CognitoIdentities(*pool.IdentityPoolId)), "identity in the pool")
	// Output:
	// web-identity arn:aws:sts::123456789012:assumed-role/Guest/carol
	// 1 identity in the pool
}
