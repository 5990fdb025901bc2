package federation_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

// follow GETs u without following redirects and returns the status and
// the Location.
func follow(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Location")
}

func (e *env) cognitoCreds() mfa.Credentials {
	e.t.Helper()
	s, err := federation.CognitoBasicFlow(e.t.Context(), e.acct.Cognito(), e.acct.STS(), e.guestRequest())
	require.NoError(e.t, err)
	return s.Credentials
}

func (e *env) roleCreds() mfa.Credentials {
	e.t.Helper()
	c, err := federation.AssumeRole(e.t.Context(), e.acct.STS(), federation.AssumeRoleRequest{RoleARN: e.adminRole, RoleSessionName: "frank", Duration: 12 * time.Hour})
	require.NoError(e.t, err)
	return c
}

func (e *env) federationCreds() mfa.Credentials {
	e.t.Helper()
	c, err := federation.FederationToken(e.t.Context(), e.acct.STSAs(e.key), federation.FederationTokenRequest{Name: "grace", Policy: readOnly})
	require.NoError(e.t, err)
	return c
}

func TestConsoleURLFromCognito(t *testing.T) {
	e := newEnv(t)
	creds := e.cognitoCreds()
	si := e.signIn()
	dest, err := federation.Destination("aws", "us-west-2", "ec2/home#Instances:")
	require.NoError(t, err)
	u, err := si.ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: creds, SessionDuration: 12 * time.Hour, Destination: dest})
	require.NoError(t, err)

	assert.Equal(t, e.acct.Clock().Now().Add(15*time.Minute), u.Expires)
	assert.Equal(t, 12*time.Hour, u.SessionDuration)
	assert.Equal(t, dest, u.Destination)
	assert.Equal(t, creds.Provenance, u.Provenance)
	assert.Empty(t, u.LogoutURL)
	assert.Equal(t, u.URL, u.Open())

	parsed, err := url.Parse(u.URL)
	require.NoError(t, err)
	assert.Equal(t, e.si.URL(), parsed.Scheme+"://"+parsed.Host+parsed.Path)
	q := parsed.Query()
	assert.Equal(t, "login", q.Get("Action"))
	assert.Equal(t, "https://broker.example.com/", q.Get("Issuer"))
	assert.Equal(t, "https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2#Instances:", q.Get("Destination"))
	assert.NotEmpty(t, q.Get("SigninToken"))

	status, loc := follow(t, e.si.Client(), u.URL)
	require.Equal(t, http.StatusFound, status)
	assert.Equal(t, dest, loc)
	logins := e.si.Logins()
	require.Len(t, logins, 1)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/guest/carol@example.com", logins[0].Principal)
	assert.Equal(t, 12*time.Hour, logins[0].SessionDuration)
}

func TestConsoleURLFromAssumeRoleAndFederationToken(t *testing.T) {
	e := newEnv(t)
	si := e.signIn()
	u, err := si.ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: e.roleCreds(), SessionDuration: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, "https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1", u.Destination, "the console home of the SignIn's region")
	status, _ := follow(t, e.si.Client(), u.URL)
	assert.Equal(t, http.StatusFound, status)

	// Federation tokens: no SessionDuration, ever.
	u, err = si.ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: e.federationCreds(), Destination: "https://console.aws.amazon.com/s3/"})
	require.NoError(t, err)
	status, loc := follow(t, e.si.Client(), u.URL)
	assert.Equal(t, http.StatusFound, status)
	assert.Equal(t, "https://console.aws.amazon.com/s3/", loc)
	logins := e.si.Logins()
	require.Len(t, logins, 2)
	assert.Equal(t, fakes.KindFederationToken, logins[1].Kind)
	assert.Zero(t, logins[1].SessionDuration)
}

func TestConsoleURLLogoutFirst(t *testing.T) {
	e := newEnv(t)
	u, err := e.signIn().ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: e.roleCreds(), LogoutFirst: true})
	require.NoError(t, err)
	require.NotEmpty(t, u.LogoutURL)
	assert.Equal(t, u.LogoutURL, u.Open())
	logout, err := url.Parse(u.LogoutURL)
	require.NoError(t, err)
	assert.Equal(t, "/oauth", logout.Path)
	assert.Equal(t, "logout", logout.Query().Get("Action"))
	assert.Equal(t, u.URL, logout.Query().Get("redirect_uri"))

	status, next := follow(t, e.si.Client(), u.Open())
	require.Equal(t, http.StatusFound, status)
	assert.Equal(t, u.URL, next)
	status, _ = follow(t, e.si.Client(), next)
	assert.Equal(t, http.StatusFound, status)
	assert.Len(t, e.si.Logins(), 1)
}

func TestConsoleURLExpires(t *testing.T) {
	e := newEnv(t)
	u, err := e.signIn().ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: e.roleCreds()})
	require.NoError(t, err)
	e.acct.Clock().Set(u.Expires)
	status, _ := follow(t, e.si.Client(), u.URL)
	assert.Equal(t, http.StatusBadRequest, status, "a login URL is good for 15 minutes")
}

// The sign-in rules are checked before any request.
func TestConsoleURLRules(t *testing.T) {
	e := newEnv(t)
	role, fed := e.roleCreds(), e.federationCreds()
	session := role
	session.Kind = mfa.KindSessionToken
	long := mfa.Credentials{Credentials: aws.Credentials{AccessKeyID: e.key, SecretAccessKey: "s"}, Provenance: mfa.Provenance{Kind: mfa.KindLongTerm}}
	unknown := role
	unknown.Provenance = mfa.Provenance{}
	noToken := role
	noToken.SessionToken = ""
	expired := e.cognitoCreds()
	expired.Expires = e.acct.Clock().Now()

	cases := []struct {
		name  string
		creds mfa.Credentials
		d     time.Duration
		want  error
	}{
		{"GetSessionToken credentials", session, 0, federation.ErrSessionTokenCredentials},
		{"long-term keys", long, 0, federation.ErrLongTermCredentials},
		{"no session token", noToken, 0, federation.ErrLongTermCredentials},
		{"unknown provenance", unknown, 0, federation.ErrUnknownProvenance},
		{"expired", expired, 0, federation.ErrCredentialsExpired},
		{"no credentials", mfa.Credentials{}, 0, federation.ErrInvalidRequest},
		{"SessionDuration with a federation token", fed, time.Hour, federation.ErrSessionDuration},
		{"SessionDuration too short", role, 899 * time.Second, federation.ErrSessionDuration},
		{"SessionDuration too long", role, 12*time.Hour + time.Second, federation.ErrSessionDuration},
		{"SessionDuration not whole seconds", role, time.Hour + time.Millisecond, federation.ErrSessionDuration},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.signIn().ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: c.creds, SessionDuration: c.d})
			assert.ErrorIs(t, err, c.want)
		})
	}
	var sde *federation.SessionDurationError
	_, err := e.signIn().ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: fed, SessionDuration: time.Hour})
	require.ErrorAs(t, err, &sde)
	assert.Equal(t, mfa.KindFederationToken, sde.Kind)
	assert.Contains(t, err.Error(), "GetFederationToken")
	assert.Zero(t, e.acct.Calls("signin:getSigninToken"), "no request left")

	_, err = e.signIn().ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: role, Destination: "https://evil.example.com/"})
	assert.ErrorIs(t, err, federation.ErrInvalidDestination)
	assert.Zero(t, e.acct.Calls("signin:getSigninToken"))
}

// The fake endpoint enforces the rules too: with the client's checks out of
// the way (a provenance that lies), its refusals come back as
// EndpointErrors.
func TestConsoleURLEndpointErrors(t *testing.T) {
	e := newEnv(t)
	lying := e.roleCreds()
	lying.SecretAccessKey = "wrong-secret-key-0123456789"
	_, err := e.signIn().ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: lying})
	var ee *federation.EndpointError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, http.StatusForbidden, ee.Status)
	assert.Equal(t, "getSigninToken", ee.Op)
	assert.False(t, ee.Temporary())
	assert.Contains(t, err.Error(), "HTTP 403 Forbidden: The credentials in Session are not valid")

	fed := e.federationCreds()
	fed.Kind = mfa.KindAssumedRole // lie: SessionDuration passes the client's check
	_, err = e.signIn().ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: fed, SessionDuration: time.Hour})
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, http.StatusBadRequest, ee.Status)

	session := e.roleCreds()
	e.acct.Inject("signin:getSigninToken", fakes.Fault{Times: 1, Err: &fakes.HTTPError{Status: 503,
		Body: "<html>\n<body>  Service   Unavailable; echo: " + session.SecretAccessKey + " " + strings.Repeat("x", 300) + "</body></html>"}})
	_, err = e.signIn().ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: session})
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, http.StatusServiceUnavailable, ee.Status)
	assert.True(t, ee.Temporary())
	assert.NotContains(t, err.Error(), session.SecretAccessKey, "a secret echoed by the endpoint is removed")
	assert.Contains(t, ee.Summary, "<html> <body> Service Unavailable; echo: [redacted]")
	assert.LessOrEqual(t, len([]rune(ee.Summary)), 201)
	assert.NotContains(t, ee.Summary, "\n")

	e.acct.Throttle("signin:getSigninToken", 1)
	_, err = e.signIn().ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: session})
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, http.StatusTooManyRequests, ee.Status)
	assert.True(t, ee.Temporary())
}

func TestConsoleURLOddAnswers(t *testing.T) {
	e := newEnv(t)
	creds := e.roleCreds()
	for name, h := range map[string]http.HandlerFunc{
		"not JSON": func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "<html>hello</html>") },
		"no token": func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"Other":"x"}`) },
	} {
		srv := httptest.NewServer(h)
		si := &federation.SignIn{Endpoint: srv.URL + "/federation", HTTPClient: srv.Client(), Clock: e.acct.Clock()}
		_, err := si.ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: creds})
		var ee *federation.EndpointError
		assert.ErrorAs(t, err, &ee, name)
		srv.Close()

		// A server that is gone: the error names the endpoint, never the
		// request's Session.
		_, err = si.ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: creds})
		require.Error(t, err)
		assert.Contains(t, err.Error(), srv.URL+"/federation")
		assert.NotContains(t, err.Error(), "Session")
		assert.NotContains(t, err.Error(), url.QueryEscape(creds.SecretAccessKey))
		assert.NotContains(t, err.Error(), creds.SecretAccessKey)
	}
}

// Endpoints by partition: the request goes to the partition's (regional)
// sign-in host.
func TestSignInEndpoints(t *testing.T) {
	e := newEnv(t)
	creds := e.roleCreds()
	cases := []struct {
		si           federation.SignIn
		host, region string
	}{
		{federation.SignIn{}, "signin.aws.amazon.com", ""},
		{federation.SignIn{Region: "eu-west-1"}, "signin.aws.amazon.com", "eu-west-1"},
		{federation.SignIn{Region: "us-west-2", Regional: true}, "us-west-2.signin.aws.amazon.com", "us-west-2"},
		{federation.SignIn{Partition: "aws-cn", Region: "cn-north-1", Regional: true}, "signin.amazonaws.cn", "cn-north-1"},
		{federation.SignIn{Partition: "aws-us-gov", Region: "us-gov-west-1"}, "signin.amazonaws-us-gov.com", "us-gov-west-1"},
		{federation.SignIn{Partition: "aws-us-gov", Region: "us-gov-east-1", Regional: true}, "us-gov-east-1.signin.amazonaws-us-gov.com", "us-gov-east-1"},
		// The European Sovereign Cloud has regional sign-in hosts only.
		{federation.SignIn{Partition: "aws-eusc"}, "eusc-de-east-1.signin.amazonaws-eusc.eu", ""},
		{federation.SignIn{Partition: "aws-eusc", Region: "eusc-de-east-1", Regional: true}, "eusc-de-east-1.signin.amazonaws-eusc.eu", "eusc-de-east-1"},
	}
	for _, c := range cases {
		var got *http.Request
		si := c.si
		si.Clock = e.acct.Clock()
		si.HTTPClient = &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
			got = r
			return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"SigninToken":"tok"}`)), Header: http.Header{}}, nil
		})}
		u, err := si.ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: creds, LogoutFirst: true})
		require.NoError(t, err, c.host)
		assert.Equal(t, "https://"+c.host+"/federation", got.URL.Scheme+"://"+got.URL.Host+got.URL.Path)
		assert.Equal(t, http.MethodGet, got.Method)
		var sess map[string]string
		require.NoError(t, json.Unmarshal([]byte(got.URL.Query().Get("Session")), &sess))
		assert.Equal(t, map[string]string{"sessionId": creds.AccessKeyID, "sessionKey": creds.SecretAccessKey, "sessionToken": creds.SessionToken}, sess)
		assert.False(t, got.URL.Query().Has("SessionDuration"))
		assert.True(t, strings.HasPrefix(u.URL, "https://"+c.host+"/federation?"), u.URL)
		assert.True(t, strings.HasPrefix(u.LogoutURL, "https://"+c.host+"/oauth?"), u.LogoutURL)
		p, _ := federation.LookupPartition(si.Partition)
		dest, _ := url.Parse(u.Destination)
		assert.True(t, strings.HasSuffix(dest.Host, p.ConsoleHost), u.Destination)
		if c.region != "" {
			assert.Equal(t, c.region, dest.Query().Get("region"))
		}
	}

	for _, si := range []federation.SignIn{
		{Partition: "aws-iso"},
		{Partition: "aws-iso-b"},
		{Partition: "nope"},
	} {
		si.Clock = e.acct.Clock()
		_, err := si.ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: creds})
		assert.ErrorIs(t, err, federation.ErrUnsupportedPartition, si.Partition)
		assert.Contains(t, err.Error(), "supported: aws, aws-cn, aws-us-gov, aws-eusc")
	}
	for _, si := range []federation.SignIn{
		{Partition: "aws-cn", Region: "us-east-1", Regional: true},
		{Region: "cn-north-1", Regional: true},
		{Endpoint: "ftp://signin.example.com/federation"},
	} {
		si.Clock = e.acct.Clock()
		_, err := si.ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: creds, Destination: "https://console.aws.amazon.com/"})
		assert.Error(t, err, si)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Sign-in tokens and URLs never reach logs, fmt or JSON.
func TestSecretsNeverShow(t *testing.T) {
	e := newEnv(t)
	creds := e.cognitoCreds()
	si := e.signIn()
	tok, err := si.SigninToken(t.Context(), creds, time.Hour)
	require.NoError(t, err)
	u, err := si.LoginURL(tok, "", true)
	require.NoError(t, err)
	secret := url.Values{"SigninToken": {""}}.Encode()
	token := strings.TrimPrefix(u.URL[strings.Index(u.URL, secret)+len(secret):], "")
	require.NotEmpty(t, token)

	var shown []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x"} {
		shown = append(shown, fmt.Sprintf(verb, u), fmt.Sprintf(verb, *u), fmt.Sprintf(verb, tok), fmt.Sprintf(verb, *tok))
	}
	j1, _ := json.Marshal(u)
	j2, _ := json.Marshal(tok)
	j3, _ := json.Marshal(struct{ U federation.ConsoleURL }{*u})
	shown = append(shown, string(j1), string(j2), string(j3), e.logs.String(), federation.RedactURL(u.URL), federation.RedactURL(u.LogoutURL))
	for _, s := range shown {
		assert.NotContains(t, s, token)
		assert.NotContains(t, s, creds.SecretAccessKey)
		assert.NotContains(t, s, creds.SessionToken)
	}
	assert.Contains(t, fmt.Sprint(u), "console sign-in URL (redacted) to https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1")
	assert.Contains(t, e.logs.String(), "sign-in token obtained")
	assert.Contains(t, federation.RedactURL(u.LogoutURL), "REDACTED")
}

func TestRedactURL(t *testing.T) {
	assert.Equal(t, "https://signin.aws.amazon.com/federation?Action=login&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F&SigninToken=REDACTED",
		federation.RedactURL("https://signin.aws.amazon.com/federation?Action=login&SigninToken=abc&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F"))
	assert.Equal(t, "https://signin.aws.amazon.com/federation?Action=getSigninToken&Session=REDACTED",
		federation.RedactURL("https://signin.aws.amazon.com/federation?Action=getSigninToken&Session=%7B%7D"))
	assert.Equal(t, "[unparsable URL, redacted]", federation.RedactURL("%zz://"))
}

func TestCheckCredentialsAndDuration(t *testing.T) {
	now := fakes.DefaultStart
	c := mfa.Credentials{Credentials: aws.Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "s", SessionToken: "t", CanExpire: true, Expires: now.Add(time.Hour)},
		Provenance: mfa.Provenance{Kind: mfa.KindChainedRole}}
	assert.NoError(t, federation.CheckCredentials(c, time.Hour, now))
	assert.ErrorIs(t, federation.CheckCredentials(c, time.Hour, now.Add(time.Hour)), federation.ErrCredentialsExpired)
	assert.NoError(t, federation.CheckSessionDuration(mfa.KindFederationToken, 0))
	assert.ErrorIs(t, federation.CheckSessionDuration(mfa.KindLongTerm, time.Hour), federation.ErrSessionDuration)
	assert.NoError(t, federation.CheckSessionDuration(mfa.KindWebIdentity, federation.MaxConsoleSession))
	assert.NoError(t, federation.CheckSessionDuration(mfa.KindAssumedRole, federation.MinConsoleSession))
}
