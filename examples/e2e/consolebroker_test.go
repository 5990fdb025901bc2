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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation/broker"
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

// consolebroker, as a server, with token-file authentication and the
// assume-role source: a valid token gets a 302 to the server's sign-in
// endpoint with a sign-in token the endpoint then accepts; anything else
// is refused without a call to AWS. SIGTERM stops it cleanly.
func TestConsoleBroker(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	acct := w.srv.Account()
	roleARN := w.createRole("Admin", map[string]any{"AWS": "arn:aws:iam::" + acct.ID() + ":root"})
	roles := filepath.Join(w.home, "roles")
	require.NoError(t, os.WriteFile(roles, []byte("alice@example.com admin "+roleARN+"\n"), 0o644))
	tokens := filepath.Join(w.home, "tokens")
	require.NoError(t, os.WriteFile(tokens, []byte("alice@example.com "+broker.HashToken("alice-token")+"\n"), 0o600))
	addr := freeAddr(t)

	acct.ResetCalls()
	cb := w.start(consolebrokerBin, map[string]string{
		"BROKER_ROLES_FILE":      roles,
		"BROKER_AUTH":            "token-file",
		"BROKER_TOKEN_FILE":      tokens,
		"BROKER_SOURCE":          "assume-role",
		"BROKER_SIGNIN_ENDPOINT": w.srv.URL() + "/federation",
		"BROKER_ISSUER":          "http://" + addr + "/",
		"BROKER_ADDR":            addr,
	})
	cb.waitListening(addr)
	assert.Empty(t, acct.CallCounts(), "starting calls nothing")

	noRedirect := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	get := func(rawURL, token string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := noRedirect.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	base := "http://" + addr

	for _, tc := range []struct {
		name, path, token string
		status            int
	}{
		{"no token", "/console?role=admin", "", http.StatusUnauthorized},
		{"invalid token", "/console?role=admin", "mallory-token", http.StatusUnauthorized},
		{"not her role", "/console?role=root", "alice-token", http.StatusForbidden},
		{"index", "/", "alice-token", http.StatusOK},
	} {
		resp := get(base+tc.path, tc.token)
		assert.Equal(t, tc.status, resp.StatusCode, tc.name)
	}
	assert.Empty(t, acct.CallCounts(), "refusals and the index call nothing")

	resp := get(base+"/console?role=admin", "alice-token")
	require.Equal(t, http.StatusFound, resp.StatusCode)
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
	assert.Equal(t, map[string]int{"sts:AssumeRole": 1, "signin:getSigninToken": 1}, acct.CallCounts())

	// The sign-in endpoint accepts the token and sends the browser on to
	// the console.
	resp = get(login.String(), "")
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, q.Get("Destination"), resp.Header.Get("Location"))
	assert.Equal(t, 1, acct.Calls("signin:login"))
	t.Logf("consolebroker, one sign-in: %s", acct.CallSummary())

	code, logs := cb.stop(syscall.SIGTERM)
	assert.Equal(t, 0, code, logs)
	assert.Contains(t, logs, roleARN, "the sign-in is logged with the role")
	assert.NotContains(t, logs, q.Get("SigninToken"), "the sign-in token is never logged")
	assert.NotContains(t, logs, "alice-token", "the bearer token is never logged")
}
