package broker_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/federation/broker"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

// issuedFor returns what STS issued for the principal ARN (the last one).
func issuedFor(acct *fakes.Account, principal string) (fakes.Issued, bool) {
	var out fakes.Issued
	var ok bool
	for _, id := range acct.IssuedKeys() {
		if iss, _ := acct.Issued(id); iss.ARN == principal {
			out, ok = iss, true
		}
	}
	return out, ok
}

// A role's session policy from the role file goes to AssumeRole.
func TestBrokerPassesSessionPolicies(t *testing.T) {
	w := newWorld(t, setup{assumeRole: true})
	roles, err := broker.ParseRoleMap(strings.NewReader("* admin " + w.admin + " policy-arn=arn:aws:iam::aws:policy/ReadOnlyAccess\n"))
	require.NoError(t, err)
	roles2 := roles
	auth, _ := broker.NewHeaderAuth("X-Forwarded-Email", "X-Broker-Secret", proxySecret)
	src, _ := broker.NewAssumeRoleSource(w.acct.STS())
	h, err := broker.New(auth, roles2, src, broker.WithSignInEndpoint(w.signin.URL()), broker.WithHTTPClient(w.signin.Client()), broker.WithClock(w.acct.Clock()))
	require.NoError(t, err)
	w.srv.Config.Handler = h
	require.Equal(t, http.StatusFound, w.get("/console", "bob@example.com").StatusCode)
	iss, ok := issuedFor(w.acct, "arn:aws:sts::123456789012:assumed-role/Admin/bob@example.com")
	require.True(t, ok)
	assert.Equal(t, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, iss.SessionPolicyARNs)

	// Through Cognito: the inline policy goes to AssumeRoleWithWebIdentity;
	// a managed one cannot, and is refused at start-up.
	cog, _ := broker.NewCognitoSource(w.acct.Cognito(), w.acct.STS(), w.pool, devProvider)
	_, err = broker.New(auth, roles, cog)
	assert.ErrorIs(t, err, broker.ErrInvalidConfig)
	assert.ErrorContains(t, err, "inline session policy (policy=FILE) only")
}

// Federation tokens: only with an IAM user's long-term keys, refused at
// start-up otherwise; the person becomes a federated user with the
// entry's session policies; no SessionDuration is sent.
func TestBrokerFederationTokens(t *testing.T) {
	ctx := t.Context()
	acct := fakes.NewAccount()
	_, err := acct.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("broker")})
	require.NoError(t, err)
	k, err := acct.IAM().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("broker")})
	require.NoError(t, err)
	st := acct.STSAs(*k.AccessKey.AccessKeyId)
	si := fakes.StartSignIn(acct)
	t.Cleanup(si.Close)

	// Who the broker is, as it learns at start-up.
	lambda := &mfa.Provenance{Kind: mfa.KindAssumedRole, RoleARN: "arn:aws:iam::123456789012:role/broker-fn", RoleSessionName: "broker-fn"}
	for name, caller := range map[string]*mfa.Provenance{"a Lambda role": lambda, "unknown": nil, "a session token": {Kind: mfa.KindSessionToken}} {
		_, err := broker.NewFederationTokenSource(st, caller)
		assert.ErrorIs(t, err, broker.ErrInvalidConfig, name)
		assert.ErrorContains(t, err, "long-term", name)
	}
	id, err := federation.Identify(ctx, st, aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: "s"}, "")
	require.NoError(t, err)
	src, err := broker.NewFederationTokenSource(st, &id.Credentials.Provenance)
	require.NoError(t, err)

	roles, err := broker.ParseRoleMap(strings.NewReader("* s3 federated policy-arn=arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\n"))
	require.NoError(t, err)
	auth, _ := broker.NewHeaderAuth("X-Forwarded-Email", "X-Broker-Secret", proxySecret)
	_, err = broker.New(auth, roles, src, broker.WithSessionDuration(fakes.MinConsoleSession))
	assert.ErrorContains(t, err, "lasts as long as the token")
	h, err := broker.New(auth, roles, src, broker.WithPartition(id.Partition), broker.WithSignInEndpoint(si.URL()),
		broker.WithHTTPClient(si.Client()), broker.WithClock(acct.Clock()))
	require.NoError(t, err)
	assert.Equal(t, "aws", h.Partition())
	req := httptest.NewRequest(http.MethodGet, "/console", nil)
	req.Header.Set("X-Forwarded-Email", "a.very.long.name.of.someone@example.com")
	req.Header.Set("X-Broker-Secret", proxySecret)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req.WithContext(context.Background()))
	require.Equal(t, http.StatusFound, rec.Code, rec.Body.String())
	iss, ok := issuedFor(acct, "arn:aws:sts::123456789012:federated-user/"+broker.FederatedName("a.very.long.name.of.someone@example.com"))
	require.True(t, ok)
	assert.Equal(t, []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}, iss.SessionPolicyARNs)
	assert.LessOrEqual(t, len(broker.FederatedName("a.very.long.name.of.someone@example.com")), 32)

	// Federated entries and roles do not mix with a source.
	mixed, err := broker.ParseRoleMap(strings.NewReader("* s3 federated policy-arn=arn:aws:iam::aws:policy/X\n* ro arn:aws:iam::123456789012:role/RO\n"))
	require.NoError(t, err)
	_, err = broker.New(auth, mixed, src)
	assert.ErrorContains(t, err, "serves federated entries only")
	ar, _ := broker.NewAssumeRoleSource(acct.STS())
	_, err = broker.New(auth, mixed, ar)
	assert.ErrorContains(t, err, "needs the federation-token source")
}
