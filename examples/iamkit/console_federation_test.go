package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
)

const readS3 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`

func policyFile(t *testing.T, doc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.json")
	require.NoError(t, os.WriteFile(p, []byte(doc+"\n"), 0o600))
	return p
}

// --federation-token: GetFederationToken with the profile's IAM user keys
// and the session policy given; the console session lasts as the token.
func TestConsoleFederationToken(t *testing.T) {
	ce := newConsoleEnv(t)
	pol := policyFile(t, readS3)
	code := ce.console("--profile", "broker", "--federation-token", "--policy", pol,
		"--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess", "-d", "2h", "--session-name", "carol")
	require.Equal(t, exitOK, code, ce.stderr.String())
	assert.NotContains(t, ce.stderr.String(), "--duration does not apply", "-d sets the token's duration here")
	ce.land(strings.TrimSpace(ce.stdout.String()))
	l := ce.signin.Logins()[0]
	assert.Equal(t, "arn:aws:sts::123456789012:federated-user/carol", l.Principal)
	assert.Zero(t, l.SessionDuration, "no SessionDuration with a federation token")
	assert.Equal(t, 1, ce.acct.Calls("sts:GetFederationToken"))
	var issued []string
	for _, id := range ce.acct.IssuedKeys() {
		iss, _ := ce.acct.Issued(id)
		if strings.Contains(iss.ARN, "federated-user/carol") {
			assert.Equal(t, readS3, iss.SessionPolicy)
			assert.Equal(t, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, iss.SessionPolicyARNs)
			assert.WithinDuration(t, ce.acct.Clock().Now().Add(2*time.Hour), iss.Expiration, time.Second)
			issued = append(issued, id)
		}
	}
	assert.Len(t, issued, 1)

	// Refused before any call: no policy, a role as well, a bad duration, a bad policy.
	ce.acct.ResetCalls()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--profile", "broker", "--federation-token"}, "needs --policy FILE or --policy-arn ARN"},
		{[]string{"--profile", "broker", "--federation-token", "--policy", pol, "--role-arn", ce.admin}, "no --role-arn"},
		{[]string{"--profile", "broker", "--federation-token", "--policy", pol, "-d", "40h"}, "15m to 36h"},
		{[]string{"--profile", "broker", "--federation-token", "--policy", policyFile(t, "not json")}, "not a JSON object"},
		{[]string{"--profile", "broker", "--federation-token", "--policy", filepath.Join(t.TempDir(), "missing")}, "--policy"},
		{[]string{"--profile", "broker", "--federation-token", "--policy-arn", "ReadOnlyAccess"}, "not a managed policy ARN"},
		{[]string{"--profile", "broker", "--policy", pol}, "give one of them"},
		{[]string{"--profile", "sso", "--role-arn", ce.admin, "--switch-role", "--policy", pol}, "leave out --switch-role"},
		{[]string{"--profile", "sso", "--stdout", "--open"}, "pick one"},
	} {
		assert.Equal(t, exitUsage, ce.console(c.args...), c.args)
		assert.Contains(t, ce.stderr.String(), c.want, c.args)
	}
	assert.Zero(t, ce.acct.Calls("sts:GetFederationToken"))

	// Temporary credentials cannot make a federation token: said at once.
	assert.Equal(t, exitUsage, ce.console("--profile", "sso", "--federation-token", "--policy", pol))
	assert.Contains(t, ce.stderr.String(), "needs an IAM user's long-term keys")
	assert.Zero(t, ce.acct.Calls("sts:GetFederationToken"))
}

// --policy narrows an AssumeRole session too; --stdout prints as the
// default does.
func TestConsoleAssumeRoleSessionPolicy(t *testing.T) {
	ce := newConsoleEnv(t)
	require.Equal(t, exitOK, ce.console("--profile", "broker", "--role-arn", ce.admin, "--policy", policyFile(t, readS3), "--stdout"), ce.stderr.String())
	assert.True(t, strings.HasPrefix(ce.stdout.String(), ce.signin.URL()+"?"))
	var found bool
	for _, id := range ce.acct.IssuedKeys() {
		if iss, _ := ce.acct.Issued(id); strings.Contains(iss.ARN, "assumed-role/Admin/iamkit-dana-smith") {
			assert.Equal(t, readS3, iss.SessionPolicy)
			found = true
		}
	}
	assert.True(t, found)
}

// --json: one object that describes the sign-in and never holds the URL's
// token; with --open the URL goes to the browser.
func TestConsoleJSON(t *testing.T) {
	ce := newConsoleEnv(t)
	require.Equal(t, exitOK, ce.console("--profile", "broker", "--role-arn", ce.admin, "--json", "--open", "--switch-role=false"), ce.stderr.String())
	require.Len(t, ce.opened, 1)
	token := ce.signinToken(ce.opened[0])
	var out map[string]any
	require.NoError(t, json.Unmarshal(ce.stdout.Bytes(), &out), ce.stdout.String())
	assert.NotContains(t, ce.stdout.String(), token, "the token is never in --json")
	assert.NotContains(t, ce.stderr.String(), token)
	assert.Equal(t, "assumed-role", out["kind"])
	assert.Equal(t, ce.admin, out["role_arn"])
	assert.Equal(t, "iamkit-dana-smith", out["principal"])
	assert.Equal(t, "aws", out["partition"])
	assert.Equal(t, true, out["opened"])
	assert.Equal(t, false, out["mfa"])
	assert.Contains(t, out["url_redacted"], "SigninToken=REDACTED")
	assert.Equal(t, "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1", out["destination"])
	_, err := time.Parse(time.RFC3339, out["expires"].(string))
	assert.NoError(t, err)
	keys := []string{}
	for k := range out {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"destination", "expires", "kind", "principal", "role_arn", "partition", "mfa", "opened", "url_redacted"}, keys)

	// Without --open: the description only, and a note why.
	require.Equal(t, exitOK, ce.console("--profile", "sso", "--role-arn", ce.admin, "--switch-role", "--json"), ce.stderr.String())
	require.NoError(t, json.Unmarshal(ce.stdout.Bytes(), &out))
	assert.Equal(t, false, out["opened"])
	assert.Contains(t, out["switch_role_url"], "/switchrole?account=123456789012")
	assert.Equal(t, strings.Count(ce.stdout.String(), "SigninToken="), strings.Count(ce.stdout.String(), "SigninToken=REDACTED"), "no token anywhere")
	assert.Contains(t, ce.stderr.String(), "without its URL")
	assert.Len(t, ce.opened, 1)
}

// signinToken returns the SigninToken of a login URL, or of the login URL
// inside a logout URL.
func (ce *consoleEnv) signinToken(raw string) string {
	ce.t.Helper()
	u, err := url.Parse(raw)
	require.NoError(ce.t, err)
	if r := u.Query().Get("redirect_uri"); r != "" {
		return ce.signinToken(r)
	}
	tok := u.Query().Get("SigninToken")
	require.NotEmpty(ce.t, tok)
	assert.NotContains(ce.t, federation.RedactURL(raw), tok)
	return tok
}
