package federation_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/internal/fakes"
)

// env is a fake account with an identity pool (basic flow, guests, a
// developer provider and Google), its two roles, an IAM user "broker" with
// an access key and an MFA device, and a running sign-in endpoint.
type env struct {
	t          testing.TB
	acct       *fakes.Account
	pool       string
	guestRole  string // trusts the pool's unauthenticated identities, 1 h
	memberRole string // trusts its authenticated identities, 12 h
	adminRole  string // trusts the account (AssumeRole), 12 h
	key        string // broker's access key ID
	mfaSerial  string
	mfaSeed    string
	si         *fakes.SignIn
	logs       *syncBuffer
	log        *slog.Logger
}

const developerProvider = "login.example.com"

func newEnv(t testing.TB, opts ...fakes.Option) *env {
	t.Helper()
	ctx := t.Context()
	acct := fakes.NewAccount(opts...)
	e := &env{t: t, acct: acct, logs: &syncBuffer{}}
	e.log = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.pool = e.newPool(true)
	e.guestRole = e.role("guest", fakes.CognitoTrustPolicy(e.pool, fakes.CognitoUnauthenticated), 0)
	e.memberRole = e.role("member", fakes.CognitoTrustPolicy(e.pool, fakes.CognitoAuthenticated), 43200)
	e.adminRole = e.role("admin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:`+acct.Partition()+`:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`, 43200)
	_, err := acct.Cognito().SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(e.pool),
		Roles: map[string]string{fakes.CognitoUnauthenticated: e.guestRole, fakes.CognitoAuthenticated: e.memberRole}})
	require.NoError(t, err)

	f := acct.IAM()
	_, err = f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("broker")})
	require.NoError(t, err)
	k, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("broker")})
	require.NoError(t, err)
	e.key = *k.AccessKey.AccessKeyId
	d, err := f.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("broker")})
	require.NoError(t, err)
	e.mfaSerial, e.mfaSeed = *d.VirtualMFADevice.SerialNumber, string(d.VirtualMFADevice.Base32StringSeed)
	now := acct.Clock().Now()
	_, err = f.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("broker"), SerialNumber: d.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String(fakes.TOTP(e.mfaSeed, now.Add(-30*time.Second))), AuthenticationCode2: aws.String(fakes.TOTP(e.mfaSeed, now))})
	require.NoError(t, err)
	acct.Clock().Advance(time.Minute) // past the steps used to enable the device

	e.si = fakes.StartSignIn(acct)
	t.Cleanup(e.si.Close)
	acct.ResetCalls()
	return e
}

// newPool creates a pool with guests, a developer provider and Google.
func (e *env) newPool(classic bool) string {
	e.t.Helper()
	out, err := e.acct.Cognito().CreateIdentityPool(e.t.Context(), &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("console"), AllowClassicFlow: aws.Bool(classic), AllowUnauthenticatedIdentities: true,
		DeveloperProviderName: aws.String(developerProvider), SupportedLoginProviders: map[string]string{"accounts.google.com": "client"},
	})
	require.NoError(e.t, err)
	return *out.IdentityPoolId
}

func (e *env) role(name, trust string, maxSession int32) string {
	e.t.Helper()
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
	if maxSession > 0 {
		in.MaxSessionDuration = aws.Int32(maxSession)
	}
	out, err := e.acct.IAM().CreateRole(e.t.Context(), in)
	require.NoError(e.t, err)
	return *out.Role.Arn
}

// signIn returns a SignIn on the fake endpoint, following the account's
// clock and logging to the env's buffer.
func (e *env) signIn() *federation.SignIn {
	return &federation.SignIn{
		Partition: e.acct.Partition(), Region: e.acct.Region(), Endpoint: e.si.URL(), HTTPClient: e.si.Client(),
		Issuer: "https://broker.example.com/", Clock: e.acct.Clock(), Logger: e.log,
	}
}

// guestRequest is a basic-flow request for an unauthenticated identity.
func (e *env) guestRequest() federation.CognitoRequest {
	return federation.CognitoRequest{IdentityPoolID: e.pool, RoleARN: e.guestRole, RoleSessionName: "carol@example.com"}
}

func (e *env) identities() []string { return e.acct.CognitoIdentities(e.pool) }

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// stsFunc adapts functions to the STS interfaces, to put a step between a
// flow and the fake.
type webIdentityFunc func(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error)

func (f webIdentityFunc) AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return f(ctx, in, optFns...)
}

type callerFunc func(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)

func (f callerFunc) GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return f(ctx, in, optFns...)
}

// cognitoHook wraps the fake Cognito, running hooks before some calls.
type cognitoHook struct {
	*fakes.Cognito
	beforeOpenIDToken func(ctx context.Context) error
	deleteErr         error
}

func (c cognitoHook) GetOpenIdToken(ctx context.Context, in *cognitoidentity.GetOpenIdTokenInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetOpenIdTokenOutput, error) {
	if c.beforeOpenIDToken != nil {
		if err := c.beforeOpenIDToken(ctx); err != nil {
			return nil, err
		}
	}
	return c.Cognito.GetOpenIdToken(ctx, in, optFns...)
}

func (c cognitoHook) DeleteIdentities(ctx context.Context, in *cognitoidentity.DeleteIdentitiesInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.DeleteIdentitiesOutput, error) {
	if c.deleteErr != nil {
		return nil, c.deleteErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.Cognito.DeleteIdentities(ctx, in, optFns...)
}

func rolesInput(pool, unauthRole string) *cognitoidentity.SetIdentityPoolRolesInput {
	return &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool), Roles: map[string]string{fakes.CognitoUnauthenticated: unauthRole}}
}
