package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

const (
	proxySecret = "a-secret-only-the-proxy-knows"
	devProvider = "broker.example.com"
)

// world is the broker wired to a fake account: an identity pool whose
// developer provider is the broker, two roles trusting it, a sign-in
// endpoint, and the broker served by an httptest server.
type world struct {
	t        *testing.T
	acct     *fakes.Account
	pool     string
	readonly string
	admin    string
	signin   *fakes.SignIn
	broker   *Broker
	srv      *httptest.Server
	logs     *syncBuffer
	env      map[string]string
}

func newWorld(t *testing.T, env map[string]string) *world {
	t.Helper()
	ctx := t.Context()
	acct := fakes.NewAccount()
	w := &world{t: t, acct: acct, logs: &syncBuffer{}}
	pool, err := acct.Cognito().CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("console broker"), AllowClassicFlow: aws.Bool(true), DeveloperProviderName: aws.String(devProvider)})
	require.NoError(t, err)
	w.pool = *pool.IdentityPoolId
	trust := fakes.CognitoTrustPolicy(w.pool, fakes.CognitoAuthenticated)
	// The admin role also trusts the account, for the assume-role source.
	var doc struct {
		Version   string
		Statement []any
	}
	require.NoError(t, json.Unmarshal([]byte(trust), &doc))
	doc.Statement = append(doc.Statement, map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"})
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	adminTrust := string(raw)
	for name, doc := range map[string]string{"ReadOnly": trust, "Admin": adminTrust} {
		r, err := acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(doc), MaxSessionDuration: aws.Int32(43200)})
		require.NoError(t, err)
		if name == "Admin" {
			w.admin = *r.Role.Arn
		} else {
			w.readonly = *r.Role.Arn
		}
	}
	w.signin = fakes.StartSignIn(acct)
	t.Cleanup(w.signin.Close)

	dir := t.TempDir()
	rolesFile := filepath.Join(dir, "roles")
	require.NoError(t, os.WriteFile(rolesFile, []byte("# who  name  role\nalice@example.com admin "+w.admin+"\n* readonly "+w.readonly+"\n"), 0o644))
	w.env = map[string]string{
		"BROKER_ROLES_FILE": rolesFile, "BROKER_PROXY_SECRET": proxySecret,
		"BROKER_POOL_ID": w.pool, "BROKER_DEVELOPER_PROVIDER": devProvider,
		"BROKER_REGION": "eu-west-1", "BROKER_ISSUER": "https://broker.example.com/",
		"BROKER_SIGNIN_ENDPOINT": w.signin.URL(), "BROKER_SESSION_DURATION": "8h", "BROKER_ROLE_DURATION": "1h",
	}
	for k, v := range env {
		w.env[k] = v
	}
	c, err := LoadConfig(func(k string) string { return w.env[k] })
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w.broker, err = NewBroker(c, Clients{Cognito: acct.Cognito(), STS: acct.STS(), HTTPClient: w.signin.Client()}, log)
	require.NoError(t, err)
	w.broker.SignIn.Clock = acct.Clock() // expirations on the fake account's time
	w.srv = httptest.NewServer(w.broker)
	t.Cleanup(w.srv.Close)
	acct.ResetCalls()
	return w
}

// get sends path to the broker as person (through the proxy, with its
// secret) and returns the response, redirects not followed.
func (w *world) get(path, person string, hdr ...string) *http.Response {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.srv.URL+path, nil)
	require.NoError(w.t, err)
	if person != "" {
		req.Header.Set("X-Forwarded-Email", person)
		req.Header.Set("X-Broker-Secret", proxySecret)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := w.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	require.NoError(w.t, err)
	w.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	return string(b)
}

// signIn follows a broker redirect through the fake sign-in endpoint and
// returns where the console session lands.
func (w *world) signIn(loc string) string {
	w.t.Helper()
	require.True(w.t, strings.HasPrefix(loc, w.signin.URL()+"?"), "a login URL of the sign-in endpoint: %s", loc)
	resp, err := w.signin.Client().Get(loc)
	require.NoError(w.t, err)
	resp.Body.Close()
	require.Equal(w.t, http.StatusFound, resp.StatusCode)
	return resp.Header.Get("Location")
}

func TestBrokerSignsInThroughCognito(t *testing.T) {
	w := newWorld(t, nil)
	resp := w.get("/console?role=admin&service=ec2/home%23Instances:&region=us-west-2", "alice@example.com")
	require.Equal(t, http.StatusFound, resp.StatusCode, body(t, resp))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	assert.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
	landed := w.signIn(resp.Header.Get("Location"))
	assert.Equal(t, "https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2#Instances:", landed)

	logins := w.signin.Logins()
	require.Len(t, logins, 1)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com", logins[0].Principal, "the session names the person")
	assert.Equal(t, fakes.KindWebIdentity, logins[0].Kind)
	assert.Equal(t, 8*time.Hour, logins[0].SessionDuration)
	assert.Equal(t, "https://broker.example.com/", logins[0].Issuer)

	// Bob has only the role everyone has: no need to name it. Each person
	// has one identity in the pool, reused.
	resp = w.get("/console", "bob@example.com")
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1", w.signIn(resp.Header.Get("Location")))
	resp = w.get("/console?role=readonly", "alice@example.com")
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Len(t, w.acct.CognitoIdentities(w.pool), 2)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/ReadOnly/bob@example.com", w.signin.Logins()[1].Principal)

	// The login URL is never logged.
	for _, l := range w.signin.Logins() {
		assert.NotContains(t, w.logs.String(), l.AccessKeyID)
	}
	assert.NotContains(t, w.logs.String(), "SigninToken")
	assert.Contains(t, w.logs.String(), "console sign-in")
}

func TestBrokerIndex(t *testing.T) {
	w := newWorld(t, nil)
	resp := w.get("/", "alice@example.com")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	page := body(t, resp)
	assert.Contains(t, page, `href="/console?role=admin"`)
	assert.Contains(t, page, `href="/console?role=readonly"`)
	resp = w.get("/", "<script>@example.com")
	assert.NotContains(t, body(t, resp), "<script>", "escaped")
	resp = w.get("/console", "alice@example.com")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "two roles: which one?")
	assert.Contains(t, body(t, resp), "pick one with ?role=NAME")
	assert.Zero(t, w.acct.CallsWithPrefix("sts:"))
}

func TestBrokerRefusals(t *testing.T) {
	w := newWorld(t, nil)
	cases := []struct {
		name   string
		resp   func() *http.Response
		status int
	}{
		{"no proxy headers", func() *http.Response { return w.get("/console", "") }, http.StatusUnauthorized},
		{"wrong proxy secret", func() *http.Response {
			return w.get("/console", "", "X-Forwarded-Email", "alice@example.com", "X-Broker-Secret", "guess")
		}, http.StatusUnauthorized},
		{"no user", func() *http.Response { return w.get("/console", "", "X-Broker-Secret", proxySecret) }, http.StatusUnauthorized},
		{"not her role", func() *http.Response { return w.get("/console?role=admin", "bob@example.com") }, http.StatusForbidden},
		{"unknown role", func() *http.Response { return w.get("/console?role=root", "alice@example.com") }, http.StatusForbidden},
		{"open redirect", func() *http.Response {
			return w.get("/console?role=readonly&destination="+url.QueryEscape("https://evil.example.com/"), "bob@example.com")
		}, http.StatusBadRequest},
		{"bad service", func() *http.Response {
			return w.get("/console?role=readonly&service=//evil.example.com", "bob@example.com")
		}, http.StatusBadRequest},
		{"both", func() *http.Response {
			return w.get("/console?role=readonly&service=ec2&destination=https://console.aws.amazon.com/", "bob@example.com")
		}, http.StatusBadRequest},
		{"not found", func() *http.Response { return w.get("/admin", "bob@example.com") }, http.StatusNotFound},
	}
	for _, c := range cases {
		resp := c.resp()
		assert.Equal(t, c.status, resp.StatusCode, c.name)
		assert.Empty(t, resp.Header.Get("Location"), c.name)
	}
	resp, err := w.srv.Client().Post(w.srv.URL+"/console", "text/plain", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Zero(t, w.acct.CallsWithPrefix("sts:"), "nothing reached AWS")
	assert.Zero(t, w.acct.CallsWithPrefix("cognito-identity:"))
	assert.Contains(t, w.logs.String(), "request refused")
}

func TestBrokerAWSFailures(t *testing.T) {
	w := newWorld(t, nil)
	w.acct.Throttle("sts:AssumeRoleWithWebIdentity", 1)
	resp := w.get("/console?role=readonly", "bob@example.com")
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.NotContains(t, body(t, resp), "Throttling", "details stay in the log")
	assert.Contains(t, w.logs.String(), "Throttling")

	w.acct.Inject("signin:getSigninToken", fakes.Fault{Times: 1, Err: &fakes.HTTPError{Status: 503, Body: "busy"}})
	resp = w.get("/console?role=readonly", "bob@example.com")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	w.acct.Inject("signin:getSigninToken", fakes.Fault{Times: 1, Err: &fakes.HTTPError{Status: 400, Body: "nope"}})
	resp = w.get("/console?role=readonly", "bob@example.com")
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Empty(t, w.signin.Logins())

	resp = w.get("/console?role=readonly", "bob@example.com")
	assert.Equal(t, http.StatusFound, resp.StatusCode, "and then it works")
}

func TestBrokerTokenFileAndAssumeRole(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	require.NoError(t, os.WriteFile(tokens, []byte("alice@example.com "+HashToken("alice-token")+"\n"), 0o600))
	w := newWorld(t, map[string]string{"BROKER_AUTH": "token-file", "BROKER_TOKEN_FILE": tokens, "BROKER_SOURCE": "assume-role", "BROKER_LOGOUT_FIRST": "true"})

	resp := w.get("/console?role=admin", "", "Authorization", "Bearer alice-token")
	require.Equal(t, http.StatusFound, resp.StatusCode, body(t, resp))
	logout, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "/oauth", logout.Path, "log out first")
	assert.Equal(t, "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1", w.signIn(logout.Query().Get("redirect_uri")))
	assert.Equal(t, fakes.KindAssumedRole, w.signin.Logins()[0].Kind)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com", w.signin.Logins()[0].Principal)
	assert.Zero(t, w.acct.CallsWithPrefix("cognito-identity:"))

	for _, auth := range []string{"", "Bearer", "Bearer wrong", "Basic alice-token"} {
		resp := w.get("/console?role=admin", "", "Authorization", auth)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, auth)
	}
}

// The same broker as a Lambda function behind a function URL
// (RESPONSE_STREAM), through aws-lambda-go's lambdaurl.
func TestBrokerAsLambda(t *testing.T) {
	w := newWorld(t, nil)
	handler := lambdaurl.Wrap(w.broker)
	invoke := func(path, query string, headers map[string]string) *events.LambdaFunctionURLStreamingResponse {
		t.Helper()
		resp, err := handler(context.Background(), &events.LambdaFunctionURLRequest{
			Version: "2.0", RawPath: path, RawQueryString: query, Headers: headers,
			RequestContext: events.LambdaFunctionURLRequestContext{
				DomainName: "abc123.lambda-url.eu-west-1.on.aws",
				HTTP:       events.LambdaFunctionURLRequestContextHTTPDescription{Method: "GET", Path: path, SourceIP: "198.51.100.7"},
			},
		})
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body) // let the handler finish
		return resp
	}
	resp := invoke("/console", "role=readonly", map[string]string{"x-forwarded-email": "bob@example.com", "x-broker-secret": proxySecret})
	require.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "no-store", resp.Headers["Cache-Control"])
	assert.Equal(t, "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1", w.signIn(resp.Headers["Location"]))

	resp = invoke("/console", "role=readonly", map[string]string{"x-forwarded-email": "bob@example.com"})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a function URL is public: the proxy's secret is required")
	assert.Contains(t, w.logs.String(), "198.51.100.7")
}

func TestLoadConfig(t *testing.T) {
	env := map[string]string{"BROKER_ROLES_FILE": "roles", "BROKER_PROXY_SECRET": proxySecret, "BROKER_POOL_ID": "us-east-1:x", "BROKER_DEVELOPER_PROVIDER": "p", "AWS_REGION": "eu-north-1"}
	c, err := LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "header", c.Auth)
	assert.Equal(t, "cognito", c.Source)
	assert.Equal(t, "eu-north-1", c.Region)
	assert.Equal(t, ":8080", c.Addr)
	assert.Equal(t, "X-Forwarded-Email", c.UserHeader)

	for name, bad := range map[string]map[string]string{
		"nothing":          {},
		"auth":             {"BROKER_AUTH": "ldap"},
		"token file":       {"BROKER_AUTH": "token-file"},
		"source":           {"BROKER_SOURCE": "magic"},
		"duration":         {"BROKER_ROLE_DURATION": "forever"},
		"session too long": {"BROKER_SESSION_DURATION": "13h"},
		"flag":             {"BROKER_LOGOUT_FIRST": "perhaps"},
		"no pool":          {"BROKER_POOL_ID": ""},
	} {
		merged := map[string]string{}
		for k, v := range env {
			merged[k] = v
		}
		for k, v := range bad {
			merged[k] = v
		}
		if name == "nothing" {
			merged = bad
		}
		_, err := LoadConfig(func(k string) string { return merged[k] })
		assert.Error(t, err, name)
	}
}

func TestRoleMapAndTokens(t *testing.T) {
	m, err := ParseRoleMap(strings.NewReader("alice a arn:aws:iam::123456789012:role/A\n* b arn:aws:iam::123456789012:role/B\n* a arn:aws:iam::123456789012:role/X\n"))
	require.NoError(t, err)
	assert.Equal(t, []Role{{"a", "arn:aws:iam::123456789012:role/A"}, {"b", "arn:aws:iam::123456789012:role/B"}}, m.For("alice"), "her own role shadows everyone's of the same name")
	assert.Equal(t, "aws", m.Partition())
	for name, text := range map[string]string{
		"empty":            "# nothing\n",
		"fields":           "alice a\n",
		"not a role":       "alice a arn:aws:iam::123456789012:user/A\n",
		"not an arn":       "alice a role/A\n",
		"name":             "alice a/b arn:aws:iam::123456789012:role/A\n",
		"duplicate":        "alice a arn:aws:iam::123456789012:role/A\nalice a arn:aws:iam::123456789012:role/B\n",
		"mixed partitions": "alice a arn:aws:iam::123456789012:role/A\nbob b arn:aws-cn:iam::123456789012:role/B\n",
	} {
		_, err := ParseRoleMap(strings.NewReader(text))
		assert.Error(t, err, name)
	}

	tok, err := ParseTokens(strings.NewReader("# tokens\nalice " + HashToken("t1") + "\n"))
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "bearer t1")
	who, err := tok.Authenticate(req)
	require.NoError(t, err)
	assert.Equal(t, "alice", who)
	for name, text := range map[string]string{
		"empty": "", "fields": "alice\n", "hash": "alice abc\n",
		"same token": "alice " + HashToken("t") + "\nbob " + HashToken("t") + "\n",
	} {
		_, err := ParseTokens(strings.NewReader(text))
		assert.Error(t, err, name)
	}
	_, err = NewHeaderAuth("X-User", "X-Secret", "short")
	assert.Error(t, err)
}

func TestSessionName(t *testing.T) {
	for in, want := range map[string]string{
		"alice@example.com":     "alice@example.com",
		"Dr. Who":               "Dr.-Who",
		"é":                     "--",
		"a":                     "a-",
		strings.Repeat("x", 80): strings.Repeat("x", 64),
		"CN=Bob,O=Example":      "CN=Bob,O=Example",
	} {
		assert.Equal(t, want, SessionName(in), in)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent log writes.
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
