package e2e

import (
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation/broker"
	"github.com/iamkit/iamkit/iamkittest"
)

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// brokerCase is one way of configuring consolebroker: an authentication
// scheme and a credentials source.
type brokerCase struct {
	name string
	// setup seeds the account, creates alice's role with role(trust
	// policy), and returns the broker's environment for the case, the
	// request headers that authenticate alice, and those of a forged
	// request.
	setup func(w *world, roleARN func(trust string) string) (env map[string]string, alice, forged http.Header)
	// calls are the AWS calls one sign-in makes.
	calls map[string]int
	// secrets must never appear in the logs.
	secrets []string
}

// consolebroker, as a server, in both its configurations: a valid request
// gets a 302 to the server's sign-in endpoint with a sign-in token the
// endpoint then accepts; anything else is refused without a call to AWS.
// SIGTERM stops it cleanly.
func TestConsoleBroker(t *testing.T) {
	t.Parallel()
	const proxySecret = "a-secret-only-the-proxy-knows"
	for _, tc := range []brokerCase{{
		name: "token file, AssumeRole",
		setup: func(w *world, role func(string) string) (map[string]string, http.Header, http.Header) {
			roleARN := role(trustDoc(w.t, map[string]any{"AWS": "arn:aws:iam::" + w.srv.Account().ID() + ":root"}))
			tokens := filepath.Join(w.home, "tokens")
			require.NoError(w.t, os.WriteFile(tokens, []byte("alice@example.com "+broker.HashToken("alice-token")+"\n"), 0o600))
			env := map[string]string{"BROKER_AUTH": "token-file", "BROKER_TOKEN_FILE": tokens, "BROKER_SOURCE": "assume-role", "BROKER_ROLES_FILE": w.rolesFile(roleARN)}
			return env, http.Header{"Authorization": {"Bearer alice-token"}}, http.Header{"Authorization": {"Bearer mallory-token"}}
		},
		calls:   map[string]int{"sts:AssumeRole": 1, "signin:getSigninToken": 1},
		secrets: []string{"alice-token"},
	}, {
		name: "trusted proxy header, Cognito developer identities",
		setup: func(w *world, role func(string) string) (map[string]string, http.Header, http.Header) {
			pool, err := cognitoidentity.NewFromConfig(w.cfg).CreateIdentityPool(w.t.Context(), &cognitoidentity.CreateIdentityPoolInput{
				IdentityPoolName: aws.String("console"), AllowUnauthenticatedIdentities: false, AllowClassicFlow: aws.Bool(true),
				DeveloperProviderName: aws.String("broker.example.com"),
			})
			require.NoError(w.t, err)
			poolID := aws.ToString(pool.IdentityPoolId)
			roleARN := role(iamkittest.CognitoTrustPolicy(poolID, iamkittest.CognitoAuthenticated))
			env := map[string]string{"BROKER_AUTH": "header", "BROKER_PROXY_SECRET": proxySecret, "BROKER_SOURCE": "cognito",
				"BROKER_POOL_ID": poolID, "BROKER_DEVELOPER_PROVIDER": "broker.example.com", "BROKER_ROLES_FILE": w.rolesFile(roleARN)}
			return env, http.Header{"X-Forwarded-Email": {"alice@example.com"}, "X-Broker-Secret": {proxySecret}},
				http.Header{"X-Forwarded-Email": {"alice@example.com"}, "X-Broker-Secret": {"a-guess-at-the-proxy-secret"}}
		},
		calls:   map[string]int{"cognito-identity:GetOpenIdTokenForDeveloperIdentity": 1, "sts:AssumeRoleWithWebIdentity": 1, "signin:getSigninToken": 1},
		secrets: []string{proxySecret},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testBroker(t, tc)
		})
	}
}

// rolesFile writes a role map giving alice the role "admin".
func (w *world) rolesFile(roleARN string) string {
	w.t.Helper()
	p := filepath.Join(w.home, "roles")
	require.NoError(w.t, os.WriteFile(p, []byte("alice@example.com admin "+roleARN+"\n"), 0o644))
	return p
}

func testBroker(t *testing.T, tc brokerCase) {
	w := newWorld(t)
	acct := w.srv.Account()
	var roleARN string
	env, alice, forged := tc.setup(w, func(trust string) string {
		out, err := iam.NewFromConfig(w.cfg).CreateRole(t.Context(), &iam.CreateRoleInput{RoleName: aws.String("Admin"), AssumeRolePolicyDocument: aws.String(trust)})
		require.NoError(t, err)
		roleARN = aws.ToString(out.Role.Arn)
		return roleARN
	})
	addr := freeAddr(t)
	env["BROKER_SIGNIN_ENDPOINT"] = w.srv.URL() + "/federation"
	env["BROKER_ISSUER"] = "http://" + addr + "/"
	env["BROKER_ADDR"] = addr

	acct.ResetCalls()
	cb := w.start(consolebrokerBin, env)
	cb.waitListening(addr)
	assert.Empty(t, acct.CallCounts(), "starting calls nothing")

	noRedirect := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	get := func(rawURL string, h http.Header) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
		require.NoError(t, err)
		req.Header = h.Clone()
		if req.Header == nil {
			req.Header = http.Header{}
		}
		resp, err := noRedirect.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	base := "http://" + addr

	for _, rc := range []struct {
		name, path string
		header     http.Header
		status     int
	}{
		{"unauthenticated", "/console?role=admin", nil, http.StatusUnauthorized},
		{"forged", "/console?role=admin", forged, http.StatusUnauthorized},
		{"not her role", "/console?role=root", alice, http.StatusForbidden},
		{"index", "/", alice, http.StatusOK},
	} {
		resp := get(base+rc.path, rc.header)
		assert.Equal(t, rc.status, resp.StatusCode, rc.name)
	}
	assert.Empty(t, acct.CallCounts(), "refusals and the index call nothing")

	resp := get(base+"/console?role=admin", alice)
	require.Equal(t, http.StatusFound, resp.StatusCode, cb.logs())
	login, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, w.srv.URL()+"/federation", login.Scheme+"://"+login.Host+login.Path, "the login URL is the server's sign-in endpoint")
	q := login.Query()
	assert.Equal(t, "login", q.Get("Action"))
	assert.NotEmpty(t, q.Get("SigninToken"))
	dest, err := url.Parse(q.Get("Destination"))
	require.NoError(t, err)
	assert.Equal(t, "https", dest.Scheme)
	assert.True(t, strings.HasSuffix(dest.Host, "console.aws.amazon.com"), dest.Host)
	assert.Equal(t, acct.Region(), dest.Query().Get("region"))
	assert.Equal(t, tc.calls, acct.CallCounts())

	// The sign-in endpoint accepts the token and sends the browser on to
	// the console.
	resp = get(login.String(), nil)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, q.Get("Destination"), resp.Header.Get("Location"))
	assert.Equal(t, 1, acct.Calls("signin:login"))
	t.Logf("consolebroker, one sign-in: %s", acct.CallSummary())

	code, logs := cb.stop(syscall.SIGTERM)
	assert.Equal(t, 0, code, logs)
	assert.Contains(t, logs, roleARN, "the sign-in is logged with the role")
	for _, secret := range append(tc.secrets, q.Get("SigninToken")) {
		assert.NotContains(t, logs, secret, "secrets are never logged")
	}
}
