package broker_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/federation/broker"
	"github.com/iamkit/iamkit/internal/fakes"
)

func TestParseRoleMap(t *testing.T) {
	m, err := broker.ParseRoleMap(strings.NewReader("alice a arn:aws:iam::123456789012:role/A\n* b arn:aws:iam::123456789012:role/B\n* a arn:aws:iam::123456789012:role/X\n"))
	require.NoError(t, err)
	assert.Equal(t, []broker.Role{{Name: "a", ARN: "arn:aws:iam::123456789012:role/A"}, {Name: "b", ARN: "arn:aws:iam::123456789012:role/B"}}, m.For("alice"), "her own role shadows everyone's of the same name")
	assert.Equal(t, []broker.Role{{Name: "b", ARN: "arn:aws:iam::123456789012:role/B"}, {Name: "a", ARN: "arn:aws:iam::123456789012:role/X"}}, m.For("bob"))
	assert.Equal(t, "aws", m.Partition())

	cn, err := broker.ParseRoleMap(strings.NewReader("  # China\n\n  bob ro arn:aws-cn:iam::123456789012:role/path/RO  \n"))
	require.NoError(t, err)
	assert.Equal(t, "aws-cn", cn.Partition())
	assert.Empty(t, cn.For("alice"), "no role for her, none for everyone")

	for _, c := range []struct{ name, text, want string }{
		{"empty", "# nothing\n", "no roles"},
		{"fields", "alice a\n", "line 1: want"},
		{"an unknown option", "alice a arn:aws:iam::123456789012:role/A x\n", `line 1: "x": want policy=FILE`},
		{"a missing policy file", "alice a arn:aws:iam::123456789012:role/A policy=/nonexistent/p.json\n", "line 1: policy=/nonexistent/p.json"},
		{"not a policy ARN", "alice a arn:aws:iam::123456789012:role/A policy-arn=ReadOnly\n", "not a managed policy ARN"},
		{"policy of another partition", "alice a arn:aws:iam::123456789012:role/A policy-arn=arn:aws-cn:iam::aws:policy/X\n", "policy in partition aws-cn"},
		{"federated without a policy", "alice s3 federated\n", "a federated entry needs policy=FILE or policy-arn=ARN"},
		{"a user", "alice a arn:aws:iam::123456789012:user/A\n", "not a role ARN"},
		{"not iam", "alice a arn:aws:sts::123456789012:role/A\n", "not a role ARN"},
		{"no role name", "alice a arn:aws:iam::123456789012:role/\n", "not a role ARN"},
		{"not an arn", "alice a role/A\n", "not a role ARN"},
		{"no partition", "alice a arn::iam::123456789012:role/A\n", "not a role ARN"},
		{"a region", "alice a arn:aws:iam:us-east-1:123456789012:role/A\n", "not a role ARN"},
		{"no account", "alice a arn:aws:iam:::role/A\n", "not a role ARN"},
		{"path only", "alice a arn:aws:iam::123456789012:role/path/\n", "not a role ARN"},
		{"name", "alice a/b arn:aws:iam::123456789012:role/A\n", "role name"},
		{"long name", "alice " + strings.Repeat("n", 65) + " arn:aws:iam::123456789012:role/A\n", "role name"},
		{"duplicate", "alice a arn:aws:iam::123456789012:role/A\n\nalice a arn:aws:iam::123456789012:role/B\n", "line 3: alice has a role named a already"},
		{"mixed partitions", "alice a arn:aws:iam::123456789012:role/A\nbob b arn:aws-cn:iam::123456789012:role/B\n", "line 2: role in partition aws-cn, others in aws"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := broker.ParseRoleMap(strings.NewReader(c.text))
			require.ErrorIs(t, err, broker.ErrInvalidConfig)
			assert.ErrorContains(t, err, c.want)
		})
	}
}

func TestParseTokens(t *testing.T) {
	tok, err := broker.ParseTokens(strings.NewReader("# tokens\nalice " + broker.HashToken("t1") + "\n\n  bob   " + strings.ToUpper(broker.HashToken("t2")) + "\n"))
	require.NoError(t, err)
	assert.Equal(t, 2, tok.Len())
	for _, c := range []struct{ header, who string }{
		{"bearer t1", "alice"}, {"Bearer t2", "bob"}, {"BEARER t1", "alice"},
		{"Bearer t3", ""}, {"Basic t1", ""}, {"t1", ""}, {"Bearer ", ""}, {"", ""},
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", c.header)
		who, err := tok.Authenticate(req)
		if c.who == "" {
			assert.ErrorIs(t, err, broker.ErrUnauthenticated, c.header)
			continue
		}
		require.NoError(t, err, c.header)
		assert.Equal(t, c.who, who)
	}
	assert.Equal(t, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", broker.HashToken("test"))

	for _, c := range []struct{ name, text, want string }{
		{"empty", "", "no tokens"},
		{"fields", "alice\n", "line 1: want"},
		{"hash", "alice abc\n", "line 1: \"abc\" is not a hex SHA-256"},
		{"same token", "alice " + broker.HashToken("t") + "\nbob " + broker.HashToken("t") + "\n", "line 2: the same token as alice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := broker.ParseTokens(strings.NewReader(c.text))
			require.ErrorIs(t, err, broker.ErrInvalidConfig)
			assert.ErrorContains(t, err, c.want)
		})
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	roles, tokens, bad := filepath.Join(dir, "roles"), filepath.Join(dir, "tokens"), filepath.Join(dir, "bad")
	require.NoError(t, os.WriteFile(roles, []byte("* ro arn:aws:iam::123456789012:role/RO\n"), 0o644))
	require.NoError(t, os.WriteFile(tokens, []byte("alice "+broker.HashToken("x")+"\n"), 0o600))
	require.NoError(t, os.WriteFile(bad, []byte("nonsense\n"), 0o600))

	m, err := broker.LoadRoleMap(roles)
	require.NoError(t, err)
	assert.Len(t, m.For("anyone"), 1)
	tok, err := broker.LoadTokenFile(tokens)
	require.NoError(t, err)
	assert.Equal(t, 1, tok.Len())

	_, err = broker.LoadRoleMap(bad)
	assert.ErrorContains(t, err, "(in "+bad+")")
	assert.ErrorIs(t, err, broker.ErrInvalidConfig)
	_, err = broker.LoadTokenFile(bad)
	assert.ErrorContains(t, err, "(in "+bad+")")
	_, err = broker.LoadRoleMap(filepath.Join(dir, "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	for _, e := range []error{err, broker.ErrInvalidConfig, broker.ErrUnauthenticated} {
		assert.True(t, strings.HasPrefix(e.Error(), "broker: "), "%v", e)
		assert.Equal(t, 1, strings.Count(e.Error(), "broker: "), "%v", e)
	}
}

func TestHeaderAuth(t *testing.T) {
	for _, c := range []struct{ name, user, secretHeader, secret string }{
		{"short secret", "X-User", "X-Secret", "short"},
		{"no user header", "", "X-Secret", proxySecret},
		{"no secret header", "X-User", "", proxySecret},
	} {
		_, err := broker.NewHeaderAuth(c.user, c.secretHeader, c.secret)
		assert.ErrorIs(t, err, broker.ErrInvalidConfig, c.name)
	}
	a, err := broker.NewHeaderAuth("x-user", "x-secret", proxySecret)
	require.NoError(t, err)
	for _, c := range []struct {
		name    string
		headers [][2]string
		who     string
	}{
		{"ok", [][2]string{{"X-User", " alice "}, {"X-Secret", proxySecret}}, "alice"},
		{"no secret", [][2]string{{"X-User", "alice"}}, ""},
		{"two secrets", [][2]string{{"X-User", "alice"}, {"X-Secret", proxySecret}, {"X-Secret", proxySecret}}, ""},
		{"secret prefix", [][2]string{{"X-User", "alice"}, {"X-Secret", proxySecret[:16]}}, ""},
		{"blank user", [][2]string{{"X-User", "  "}, {"X-Secret", proxySecret}}, ""},
		{"two users", [][2]string{{"X-User", "alice"}, {"X-User", "bob"}, {"X-Secret", proxySecret}}, ""},
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, h := range c.headers {
			req.Header.Add(h[0], h[1])
		}
		who, err := a.Authenticate(req)
		if c.who == "" {
			assert.ErrorIs(t, err, broker.ErrUnauthenticated, c.name)
			assert.NotContains(t, err.Error(), proxySecret[:16], "the secret stays out of errors")
			continue
		}
		require.NoError(t, err, c.name)
		assert.Equal(t, c.who, who, c.name)
	}
}

func TestNewRefuses(t *testing.T) {
	acct := fakes.NewAccount()
	auth, err := broker.NewHeaderAuth("X-User", "X-Secret", proxySecret)
	require.NoError(t, err)
	roles, err := broker.ParseRoleMap(strings.NewReader("* ro arn:aws:iam::123456789012:role/RO\n"))
	require.NoError(t, err)
	iso, err := broker.ParseRoleMap(strings.NewReader("* ro arn:aws-iso:iam::123456789012:role/RO\n"))
	require.NoError(t, err)
	src, err := broker.NewAssumeRoleSource(acct.STS())
	require.NoError(t, err)

	h, err := broker.New(auth, roles, src)
	require.NoError(t, err, "every option has a default")
	assert.Equal(t, "aws", h.Partition())

	for _, c := range []struct {
		name string
		new  func() (*broker.Handler, error)
		is   error
	}{
		{"no auth", func() (*broker.Handler, error) { return broker.New(nil, roles, src) }, broker.ErrInvalidConfig},
		{"no roles", func() (*broker.Handler, error) { return broker.New(auth, nil, src) }, broker.ErrInvalidConfig},
		{"no source", func() (*broker.Handler, error) { return broker.New(auth, roles, nil) }, broker.ErrInvalidConfig},
		{"partition without sign-in", func() (*broker.Handler, error) { return broker.New(auth, iso, src) }, federation.ErrUnsupportedPartition},
		{"region of another partition", func() (*broker.Handler, error) {
			return broker.New(auth, roles, src, broker.WithRegion("cn-north-1"))
		}, federation.ErrInvalidRequest},
		{"session too long", func() (*broker.Handler, error) {
			return broker.New(auth, roles, src, broker.WithSessionDuration(13*time.Hour))
		}, federation.ErrSessionDuration},
		{"session too short", func() (*broker.Handler, error) {
			return broker.New(auth, roles, src, broker.WithSessionDuration(time.Minute))
		}, federation.ErrSessionDuration},
		{"endpoint", func() (*broker.Handler, error) {
			return broker.New(auth, roles, src, broker.WithSignInEndpoint("ftp://x/federation"))
		}, broker.ErrInvalidConfig},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, err := c.new()
			assert.Nil(t, h)
			assert.ErrorIs(t, err, c.is)
		})
	}
}

func TestNewSources(t *testing.T) {
	acct := fakes.NewAccount()
	for _, c := range []struct {
		name string
		err  error
	}{
		{"no pool", func() error {
			_, err := broker.NewCognitoSource(acct.Cognito(), acct.STS(), "", "p")
			return err
		}()},
		{"pool without region", func() error {
			_, err := broker.NewCognitoSource(acct.Cognito(), acct.STS(), ":abc", "p")
			return err
		}()},
		{"no provider", func() error {
			_, err := broker.NewCognitoSource(acct.Cognito(), acct.STS(), "us-east-1:abc", "")
			return err
		}()},
		{"no cognito", func() error {
			_, err := broker.NewCognitoSource(nil, acct.STS(), "us-east-1:abc", "p")
			return err
		}()},
		{"no sts", func() error {
			_, err := broker.NewAssumeRoleSource(nil)
			return err
		}()},
	} {
		assert.True(t, errors.Is(c.err, broker.ErrInvalidConfig), "%s: %v", c.name, c.err)
	}
}

func TestSessionName(t *testing.T) {
	for in, want := range map[string]string{
		"alice@example.com":     "alice@example.com",
		"Dr. Who":               "Dr.-Who",
		"é":                     "broker",
		"a":                     "broker-a",
		"":                      "broker",
		"bob smith ":            "bob-smith",
		strings.Repeat("x", 80): strings.Repeat("x", 64),
		"CN=Bob,O=Example":      "CN=Bob,O=Example",
	} {
		assert.Equal(t, want, broker.SessionName(in), in)
	}
}

// Session policies per role: policy=FILE (relative to the role file with
// LoadRoleMap, compacted) and policy-arn=ARN; federated entries.
func TestRoleMapSessionPolicies(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "no-secrets.json"), []byte("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big.json"), []byte(`{"Pad":"`+strings.Repeat("x", 2100)+`"}`), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "roles"), []byte(
		"* ro arn:aws:iam::123456789012:role/RO policy=no-secrets.json policy-arn=arn:aws:iam::aws:policy/ReadOnlyAccess\n"+
			"* s3 federated policy-arn=arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\n"), 0o600))
	m, err := broker.LoadRoleMap(filepath.Join(dir, "roles"))
	require.NoError(t, err)
	assert.Equal(t, []broker.Role{
		{Name: "ro", ARN: "arn:aws:iam::123456789012:role/RO", Policy: `{"Version":"2012-10-17","Statement":[]}`, PolicyARNs: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}},
		{Name: "s3", Federated: true, PolicyARNs: []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}},
	}, m.For("bob"))
	assert.Equal(t, "aws", m.Partition())

	fed, err := broker.ParseRoleMap(strings.NewReader("* s3 federated policy-arn=arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\n"))
	require.NoError(t, err)
	assert.Empty(t, fed.Partition(), "federated only: the broker's credentials tell the partition")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "roles"), []byte("* ro arn:aws:iam::123456789012:role/RO policy=big.json\n"), 0o600))
	_, err = broker.LoadRoleMap(filepath.Join(dir, "roles"))
	assert.ErrorContains(t, err, "STS allows 2048")
	assert.ErrorContains(t, err, filepath.Join(dir, "roles"), "the error names the file")
}
