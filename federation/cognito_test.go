package federation_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

func TestCognitoBasicFlowUnauthenticated(t *testing.T) {
	e := newEnv(t)
	req := e.guestRequest()
	req.Duration = 15 * time.Minute
	s, err := federation.CognitoBasicFlow(t.Context(), e.acct.Cognito(), e.acct.STS(), req, federation.WithLogger(e.log))
	require.NoError(t, err)

	assert.Equal(t, mfa.KindWebIdentity, s.Credentials.Kind)
	assert.Equal(t, e.guestRole, s.Credentials.RoleARN)
	assert.Equal(t, "carol@example.com", s.Credentials.RoleSessionName)
	assert.Equal(t, e.acct.Clock().Now().Add(15*time.Minute), s.Credentials.Expires)
	assert.Equal(t, s.Credentials.Expires, s.Credentials.Provenance.Expiration)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/guest/carol@example.com", s.SessionARN)
	assert.Equal(t, "basic", s.Flow)
	assert.False(t, s.Authenticated)
	assert.True(t, s.Created)
	assert.False(t, s.Deleted)
	assert.Equal(t, []string{s.IdentityID}, e.identities(), "the identity stays unless Ephemeral")

	iss, ok := e.acct.Issued(s.Credentials.AccessKeyID)
	require.True(t, ok)
	assert.Equal(t, fakes.KindWebIdentity, iss.Kind)
	assert.Equal(t, iss.SecretAccessKey, s.Credentials.SecretAccessKey)

	for _, op := range []string{"cognito-identity:GetId", "cognito-identity:GetOpenIdToken", "sts:AssumeRoleWithWebIdentity"} {
		assert.Equal(t, 1, e.acct.Calls(op), op)
	}
	assert.Zero(t, e.acct.Calls("cognito-identity:DeleteIdentities"))
	assert.NotContains(t, e.logs.String(), s.Credentials.SecretAccessKey)
	assert.NotContains(t, e.logs.String(), s.Credentials.SessionToken)
}

func TestCognitoBasicFlowEphemeral(t *testing.T) {
	e := newEnv(t)
	req := e.guestRequest()
	req.Ephemeral = true
	s, err := federation.CognitoBasicFlow(t.Context(), e.acct.Cognito(), e.acct.STS(), req)
	require.NoError(t, err)
	assert.True(t, s.Deleted)
	assert.Empty(t, e.identities(), "no identity piles up in the pool")
	// The credentials outlive the identity.
	_, err = e.signIn().ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: s.Credentials})
	require.NoError(t, err)

	// Failing to delete it only costs a warning.
	e2 := newEnv(t)
	req = e2.guestRequest()
	req.Ephemeral = true
	s, err = federation.CognitoBasicFlow(t.Context(), cognitoHook{Cognito: e2.acct.Cognito(), deleteErr: errors.New("AccessDenied")}, e2.acct.STS(), req, federation.WithLogger(e2.log))
	require.NoError(t, err)
	assert.False(t, s.Deleted)
	assert.Contains(t, e2.logs.String(), "could not delete the ephemeral cognito identity")
}

func TestCognitoBasicFlowAuthenticated(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	login := map[string]string{"accounts.google.com": e.acct.CognitoLoginToken("accounts.google.com", "dave")}
	req := federation.CognitoRequest{IdentityPoolID: e.pool, Logins: login, RoleARN: e.memberRole, RoleSessionName: "dave", Duration: 12 * time.Hour, Ephemeral: true}
	s, err := federation.CognitoBasicFlow(ctx, e.acct.Cognito(), e.acct.STS(), req)
	require.NoError(t, err)
	assert.True(t, s.Authenticated)
	assert.False(t, s.Created, "GetId with logins returns the person's identity")
	assert.False(t, s.Deleted, "Ephemeral never deletes a person's identity")
	assert.Equal(t, e.acct.Clock().Now().Add(12*time.Hour), s.Credentials.Expires)

	again, err := federation.CognitoBasicFlow(ctx, e.acct.Cognito(), e.acct.STS(), req)
	require.NoError(t, err)
	assert.Equal(t, s.IdentityID, again.IdentityID)

	// The identity can be named instead of asked for.
	req.IdentityID = s.IdentityID
	e.acct.ResetCalls()
	_, err = federation.CognitoBasicFlow(ctx, e.acct.Cognito(), e.acct.STS(), req)
	require.NoError(t, err)
	assert.Zero(t, e.acct.Calls("cognito-identity:GetId"))
	assert.Equal(t, []string{s.IdentityID}, e.identities())
}

func TestCognitoBasicFlowDeveloper(t *testing.T) {
	e := newEnv(t)
	req := federation.CognitoRequest{
		IdentityPoolID: e.pool, RoleARN: e.memberRole, RoleSessionName: "erin@example.com",
		Developer: &federation.DeveloperLogin{Provider: developerProvider, UserID: "erin", TokenDuration: time.Minute},
	}
	s, err := federation.CognitoBasicFlow(t.Context(), e.acct.Cognito(), e.acct.STS(), req)
	require.NoError(t, err)
	assert.True(t, s.Authenticated)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/member/erin@example.com", s.SessionARN)
	assert.Equal(t, 1, e.acct.Calls("cognito-identity:GetOpenIdTokenForDeveloperIdentity"))
	assert.Zero(t, e.acct.Calls("cognito-identity:GetId"))
	assert.Zero(t, e.acct.Calls("cognito-identity:GetOpenIdToken"))

	// A developer identity may not take the guests' role.
	req.RoleARN = e.guestRole
	_, err = federation.CognitoBasicFlow(t.Context(), e.acct.Cognito(), e.acct.STS(), req)
	assert.ErrorIs(t, err, federation.ErrRoleNotAssumable)
	assert.Len(t, e.identities(), 1, "the person's identity is kept")
}

func TestCognitoBasicFlowFailures(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(e *env, req *federation.CognitoRequest) (federation.CognitoBasicAPI, federation.WebIdentityAPI)
		step     string
		sentinel error
	}{
		{
			name: "pool without classic flow",
			setup: func(e *env, req *federation.CognitoRequest) (federation.CognitoBasicAPI, federation.WebIdentityAPI) {
				req.IdentityPoolID = e.newPool(false)
				return e.acct.Cognito(), e.acct.STS()
			},
			step: "GetOpenIdToken", sentinel: federation.ErrClassicFlowDisabled,
		},
		{
			name: "role not in the pool",
			setup: func(e *env, req *federation.CognitoRequest) (federation.CognitoBasicAPI, federation.WebIdentityAPI) {
				other := e.newPool(true)
				req.RoleARN = e.role("elsewhere", fakes.CognitoTrustPolicy(other, fakes.CognitoUnauthenticated), 0)
				return e.acct.Cognito(), e.acct.STS()
			},
			step: "AssumeRoleWithWebIdentity", sentinel: federation.ErrRoleNotAssumable,
		},
		{
			name: "token expired",
			setup: func(e *env, req *federation.CognitoRequest) (federation.CognitoBasicAPI, federation.WebIdentityAPI) {
				slow := webIdentityFunc(func(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
					e.acct.Clock().Advance(fakes.CognitoOpenIDTokenLifetime)
					return e.acct.STS().AssumeRoleWithWebIdentity(ctx, in, optFns...)
				})
				return e.acct.Cognito(), slow
			},
			step: "AssumeRoleWithWebIdentity", sentinel: federation.ErrTokenExpired,
		},
		{
			name: "duration beyond the role's maximum",
			setup: func(e *env, req *federation.CognitoRequest) (federation.CognitoBasicAPI, federation.WebIdentityAPI) {
				req.Duration = 2 * time.Hour
				return e.acct.Cognito(), e.acct.STS()
			},
			step: "AssumeRoleWithWebIdentity",
		},
		{
			name: "STS throttled",
			setup: func(e *env, req *federation.CognitoRequest) (federation.CognitoBasicAPI, federation.WebIdentityAPI) {
				e.acct.Throttle("sts:AssumeRoleWithWebIdentity", 1)
				return e.acct.Cognito(), e.acct.STS()
			},
			step: "AssumeRoleWithWebIdentity",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			req := e.guestRequest()
			cog, st := c.setup(e, &req)
			_, err := federation.CognitoBasicFlow(t.Context(), cog, st, req, federation.WithLogger(e.log))
			require.Error(t, err)
			var fe *federation.FlowError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, c.step, fe.Step)
			assert.NotEmpty(t, fe.IdentityID)
			assert.True(t, fe.Deleted, "the identity the flow created is deleted: %v", err)
			assert.NoError(t, fe.CleanupErr)
			assert.Contains(t, err.Error(), "the identity it created was deleted")
			if c.sentinel != nil {
				assert.ErrorIs(t, err, c.sentinel)
			}
			assert.Empty(t, e.acct.CognitoIdentities(req.IdentityPoolID), "nothing left in the pool")
			assert.Empty(t, e.identities())
			assert.Equal(t, 1, e.acct.Calls("cognito-identity:DeleteIdentities"))
		})
	}
}

// The identity is deleted even when the caller's context is done.
func TestCognitoBasicFlowCleanupSurvivesCancel(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cog := cognitoHook{Cognito: e.acct.Cognito(), beforeOpenIDToken: func(context.Context) error {
		cancel()
		return context.Canceled
	}}
	_, err := federation.CognitoBasicFlow(ctx, cog, e.acct.STS(), e.guestRequest())
	assert.ErrorIs(t, err, context.Canceled)
	var fe *federation.FlowError
	require.ErrorAs(t, err, &fe)
	assert.True(t, fe.Deleted)
	assert.Empty(t, e.identities())
}

func TestCognitoBasicFlowCleanupFails(t *testing.T) {
	e := newEnv(t)
	req := e.guestRequest()
	req.IdentityPoolID = e.newPool(false)
	denied := errors.New("AccessDenied: cognito-identity:DeleteIdentities")
	_, err := federation.CognitoBasicFlow(t.Context(), cognitoHook{Cognito: e.acct.Cognito(), deleteErr: denied}, e.acct.STS(), req)
	var fe *federation.FlowError
	require.ErrorAs(t, err, &fe)
	assert.False(t, fe.Deleted)
	assert.ErrorIs(t, err, denied)
	assert.ErrorIs(t, err, federation.ErrClassicFlowDisabled)
	assert.Contains(t, err.Error(), "deleting the identity it created failed too")
	assert.Len(t, e.acct.CognitoIdentities(req.IdentityPoolID), 1)
}

func TestCognitoBasicFlowNoIdentityNoCleanup(t *testing.T) {
	e := newEnv(t)
	e.acct.Throttle("cognito-identity:GetId", 1)
	_, err := federation.CognitoBasicFlow(t.Context(), e.acct.Cognito(), e.acct.STS(), e.guestRequest())
	var fe *federation.FlowError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "GetId", fe.Step)
	assert.Empty(t, fe.IdentityID)
	assert.Zero(t, e.acct.Calls("cognito-identity:DeleteIdentities"))

	// An authenticated identity is the person's: a failure keeps it.
	login := map[string]string{"accounts.google.com": e.acct.CognitoLoginToken("accounts.google.com", "dave")}
	req := federation.CognitoRequest{IdentityPoolID: e.pool, Logins: login, RoleARN: e.guestRole, RoleSessionName: "dave"}
	_, err = federation.CognitoBasicFlow(t.Context(), e.acct.Cognito(), e.acct.STS(), req)
	require.ErrorAs(t, err, &fe)
	assert.False(t, fe.Deleted)
	assert.ErrorIs(t, err, federation.ErrRoleNotAssumable)
	assert.Len(t, e.identities(), 1)
	assert.Zero(t, e.acct.Calls("cognito-identity:DeleteIdentities"))
}

func TestCognitoRequestChecked(t *testing.T) {
	e := newEnv(t)
	base := e.guestRequest()
	cases := map[string]func(r *federation.CognitoRequest){
		"pool ID":          func(r *federation.CognitoRequest) { r.IdentityPoolID = "console" },
		"account ID":       func(r *federation.CognitoRequest) { r.AccountID = "12345" },
		"identity ID":      func(r *federation.CognitoRequest) { r.IdentityID = "nope" },
		"no role":          func(r *federation.CognitoRequest) { r.RoleARN = "" },
		"bad role":         func(r *federation.CognitoRequest) { r.RoleARN = "arn:aws:iam::123456789012:user/guest" },
		"no session name":  func(r *federation.CognitoRequest) { r.RoleSessionName = "" },
		"bad session name": func(r *federation.CognitoRequest) { r.RoleSessionName = "carol smith" },
		"short duration":   func(r *federation.CognitoRequest) { r.Duration = time.Minute },
		"long duration":    func(r *federation.CognitoRequest) { r.Duration = 13 * time.Hour },
		"fractional":       func(r *federation.CognitoRequest) { r.Duration = 20*time.Minute + time.Millisecond },
		"policy not JSON":  func(r *federation.CognitoRequest) { r.Policy = "allow all" },
		"policy too long":  func(r *federation.CognitoRequest) { r.Policy = `{"x":"` + string(make([]byte, 2048)) + `"}` },
		"empty login":      func(r *federation.CognitoRequest) { r.Logins = map[string]string{"accounts.google.com": ""} },
		"developer no user": func(r *federation.CognitoRequest) {
			r.Developer = &federation.DeveloperLogin{Provider: developerProvider}
		},
		"developer token": func(r *federation.CognitoRequest) {
			r.Developer = &federation.DeveloperLogin{Provider: "p", UserID: "u", TokenDuration: 25 * time.Hour}
		},
		"developer twice": func(r *federation.CognitoRequest) {
			r.Developer = &federation.DeveloperLogin{Provider: "p", UserID: "u"}
			r.Logins = map[string]string{"p": "u"}
		},
	}
	for name, mutate := range cases {
		req := base
		mutate(&req)
		_, err := federation.CognitoBasicFlow(t.Context(), e.acct.Cognito(), e.acct.STS(), req)
		assert.ErrorIs(t, err, federation.ErrInvalidRequest, name)
	}
	assert.Zero(t, e.acct.CallsWithPrefix("cognito-identity:"), "nothing is called for a bad request")
	assert.Zero(t, e.acct.CallsWithPrefix("sts:"))
}

func TestCognitoEnhancedFlow(t *testing.T) {
	e := newEnv(t)
	pool := e.newPool(false)
	guest := e.role("enhanced-guest", fakes.CognitoTrustPolicy(pool, fakes.CognitoUnauthenticated), 0)
	_, err := e.acct.Cognito().SetIdentityPoolRoles(t.Context(), rolesInput(pool, guest))
	require.NoError(t, err)

	s, err := federation.CognitoEnhancedFlow(t.Context(), e.acct.Cognito(), federation.CognitoRequest{IdentityPoolID: pool, Ephemeral: true})
	require.NoError(t, err, "the enhanced flow works where the basic one is off")
	assert.Equal(t, "enhanced", s.Flow)
	assert.Equal(t, federation.EnhancedSessionName, s.Credentials.RoleSessionName)
	assert.Equal(t, mfa.KindWebIdentity, s.Credentials.Kind)
	assert.Equal(t, e.acct.Clock().Now().Add(time.Hour), s.Credentials.Expires, "always one hour")
	assert.True(t, s.Deleted)
	iss, _ := e.acct.Issued(s.Credentials.AccessKeyID)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/enhanced-guest/CognitoIdentityCredentials", iss.ARN)

	// Its limits are errors, before any call.
	e.acct.ResetCalls()
	for name, req := range map[string]federation.CognitoRequest{
		"session name": {IdentityPoolID: pool, RoleSessionName: "carol"},
		"duration":     {IdentityPoolID: pool, Duration: time.Hour},
		"policy":       {IdentityPoolID: pool, Policy: "{}"},
		"developer":    {IdentityPoolID: pool, Developer: &federation.DeveloperLogin{Provider: "p", UserID: "u"}},
	} {
		_, err := federation.CognitoEnhancedFlow(t.Context(), e.acct.Cognito(), req)
		assert.ErrorIs(t, err, federation.ErrInvalidRequest, name)
	}
	assert.Zero(t, e.acct.CallsWithPrefix("cognito-identity:"))

	// A pool whose role does not trust it: the identity is cleaned up.
	_, err = e.acct.Cognito().SetIdentityPoolRoles(t.Context(), rolesInput(pool, e.guestRole))
	require.NoError(t, err)
	_, err = federation.CognitoEnhancedFlow(t.Context(), e.acct.Cognito(), federation.CognitoRequest{IdentityPoolID: pool})
	var fe *federation.FlowError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "GetCredentialsForIdentity", fe.Step)
	assert.ErrorIs(t, err, federation.ErrRoleNotAssumable)
	assert.True(t, fe.Deleted)
	assert.Empty(t, e.acct.CognitoIdentities(pool))
}

// A developer identity in the enhanced flow: the backend's token from
// GetOpenIdTokenForDeveloperIdentity, as a login of Cognito's own.
func TestCognitoEnhancedFlowDeveloperToken(t *testing.T) {
	e := newEnv(t)
	out, err := e.acct.Cognito().GetOpenIdTokenForDeveloperIdentity(t.Context(), &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(e.pool), Logins: map[string]string{developerProvider: "erin"}})
	require.NoError(t, err)
	s, err := federation.CognitoEnhancedFlow(t.Context(), e.acct.Cognito(), federation.CognitoRequest{
		IdentityPoolID: e.pool, IdentityID: *out.IdentityId, Logins: map[string]string{federation.CognitoProvider: *out.Token}, Ephemeral: true})
	require.NoError(t, err)
	assert.True(t, s.Authenticated)
	assert.False(t, s.Created)
	assert.False(t, s.Deleted)
	iss, _ := e.acct.Issued(s.Credentials.AccessKeyID)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/member/CognitoIdentityCredentials", iss.ARN)
	assert.Zero(t, e.acct.Calls("cognito-identity:GetId"))
}
