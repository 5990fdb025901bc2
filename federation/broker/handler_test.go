package broker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
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

	"github.com/iamkit/iamkit/federation/broker"
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
	t        testing.TB
	acct     *fakes.Account
	pool     string
	readonly string
	admin    string
	signin   *fakes.SignIn
	broker   *broker.Handler
	srv      *httptest.Server
	logs     *syncBuffer
}

// setup says how newWorld builds the handler: token auth instead of the
// proxy header, AssumeRole instead of Cognito, more options.
type setup struct {
	tokens     string // token file text: token auth
	assumeRole bool
	opts       []broker.Option
}

func newWorld(t testing.TB, s setup) *world {
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

	roles, err := broker.ParseRoleMap(strings.NewReader("# who  name  role\nalice@example.com admin " + w.admin + "\n* readonly " + w.readonly + "\n"))
	require.NoError(t, err)
	var auth broker.Authenticator
	if s.tokens != "" {
		auth, err = broker.ParseTokens(strings.NewReader(s.tokens))
	} else {
		auth, err = broker.NewHeaderAuth("X-Forwarded-Email", "X-Broker-Secret", proxySecret)
	}
	require.NoError(t, err)
	var src broker.Source
	if s.assumeRole {
		src, err = broker.NewAssumeRoleSource(acct.STS(), broker.WithRoleDuration(time.Hour))
	} else {
		src, err = broker.NewCognitoSource(acct.Cognito(), acct.STS(), w.pool, devProvider, broker.WithRoleDuration(time.Hour))
	}
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := append([]broker.Option{
		broker.WithRegion("eu-west-1"), broker.WithIssuer("https://broker.example.com/"),
		broker.WithSignInEndpoint(w.signin.URL()), broker.WithHTTPClient(w.signin.Client()),
		broker.WithSessionDuration(8 * time.Hour), broker.WithLogger(log),
		broker.WithClock(acct.Clock()), // expirations on the fake account's time
	}, s.opts...)
	w.broker, err = broker.New(auth, roles, src, opts...)
	require.NoError(t, err)
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
	w := newWorld(t, setup{})
	resp := w.get("/console?role=admin&service=ec2/home%23Instances:&region=us-west-2", "alice@example.com")
	require.Equal(t, http.StatusFound, resp.StatusCode, body(t, resp))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	assert.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
	assert.Empty(t, body(t, resp), "the login URL is in the Location only")
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
	w := newWorld(t, setup{})
	resp := w.get("/", "alice@example.com")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	page := body(t, resp)
	assert.Contains(t, page, `href="console?role=admin"`)
	assert.Contains(t, page, `href="console?role=readonly"`)
	resp = w.get("/", "<script>@example.com")
	assert.NotContains(t, body(t, resp), "<script>", "escaped")
	resp = w.get("/console", "alice@example.com")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "two roles: which one?")
	assert.Contains(t, body(t, resp), "pick one with ?role=NAME")
	assert.Zero(t, w.acct.CallsWithPrefix("sts:"))
}

func TestBrokerRefusals(t *testing.T) {
	w := newWorld(t, setup{})
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
		{"dot segments", func() *http.Response {
			return w.get("/console?role=readonly&destination="+url.QueryEscape("https://console.aws.amazon.com/ec2/../../x"), "bob@example.com")
		}, http.StatusBadRequest},
		{"encoded dot segments", func() *http.Response {
			return w.get("/console?role=readonly&destination="+url.QueryEscape("https://console.aws.amazon.com/%2e%2e/x"), "bob@example.com")
		}, http.StatusBadRequest},
		{"the fuzzer's crasher", func() *http.Response {
			return w.get("/console?role=readonly&destination="+url.QueryEscape("https://console.aws.amazon.com/.#"), "bob@example.com")
		}, http.StatusBadRequest},
		{"double slash", func() *http.Response {
			return w.get("/console?role=readonly&destination="+url.QueryEscape("https://console.aws.amazon.com//evil.example.com/"), "bob@example.com")
		}, http.StatusBadRequest},
		{"backslash", func() *http.Response {
			return w.get("/console?role=readonly&destination="+url.QueryEscape(`https://console.aws.amazon.com/\evil.example.com`), "bob@example.com")
		}, http.StatusBadRequest},
		{"service with dots", func() *http.Response {
			return w.get("/console?role=readonly&service="+url.QueryEscape("ec2/%2e%2e/x"), "bob@example.com")
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
	w := newWorld(t, setup{})
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
	w := newWorld(t, setup{
		tokens:     "alice@example.com " + broker.HashToken("alice-token") + "\n",
		assumeRole: true,
		opts:       []broker.Option{broker.WithLogoutFirst(true)},
	})

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

// Mounted under a prefix with http.StripPrefix, the index's relative links
// lead to the prefixed /console.
func TestBrokerUnderPrefix(t *testing.T) {
	w := newWorld(t, setup{})
	mux := http.NewServeMux()
	mux.Handle("/aws/", http.StripPrefix("/aws", w.broker))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	w.srv = srv
	resp := w.get("/aws/", "bob@example.com")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	page := body(t, resp)
	assert.Contains(t, page, `href="console?role=readonly"`)
	link, err := url.Parse(srv.URL + "/aws/")
	require.NoError(t, err)
	next := link.ResolveReference(&url.URL{Path: "console", RawQuery: "role=readonly"})
	resp = w.get(next.RequestURI(), "bob@example.com")
	require.Equal(t, http.StatusFound, resp.StatusCode, body(t, resp))
	assert.Equal(t, "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1", w.signIn(resp.Header.Get("Location")))
}

// The same broker as a Lambda function behind a function URL
// (RESPONSE_STREAM), through aws-lambda-go's lambdaurl.
func TestBrokerAsLambda(t *testing.T) {
	w := newWorld(t, setup{})
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
