package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/mfa"
)

// Sign-in endpoint limits.
const (
	// SigninTokenLifetime is how long a sign-in token, and so a login URL,
	// can be used.
	SigninTokenLifetime = 15 * time.Minute
	// MinConsoleSession and MaxConsoleSession bound SessionDuration.
	MinConsoleSession = 900 * time.Second
	MaxConsoleSession = 12 * time.Hour
	// maxAnswer is the most of an answer read from the endpoint.
	maxAnswer = 64 << 10
)

// DefaultHTTPClient is the client SignIn uses when it is given none: a
// 30-second timeout, no redirects followed.
func DefaultHTTPClient() *http.Client {
	return &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// SignIn talks to a partition's sign-in federation endpoint: it exchanges
// temporary credentials for a sign-in token (getSigninToken) and builds the
// login URL. The zero value uses the aws partition's global endpoint and
// DefaultHTTPClient.
//
// Sign-in tokens and login URLs are secrets — whoever has one has the
// console session — and SignIn never logs them, nor puts them in errors.
type SignIn struct {
	// Partition is "aws" (default), "aws-cn", "aws-us-gov" or "aws-eusc";
	// take it from an ARN (PartitionOf, Identify) or from the SDK's
	// endpoint rules (PartitionOfRegion).
	Partition string
	// Region is where the console opens (Destination's default) and, with
	// Regional, which regional sign-in host to use.
	Region string
	// Regional uses the regional sign-in host (REGION.signin.aws.amazon.com)
	// where the partition has them.
	Regional bool
	// Endpoint, when set, replaces the partition's federation endpoint URL
	// (tests, or a private endpoint); its logout URL is /oauth on the same
	// host.
	Endpoint string
	// HTTPClient calls the endpoint (default: DefaultHTTPClient()).
	HTTPClient *http.Client
	// Issuer goes in the login URL: the URL of your sign-in page, where the
	// console sends people whose session expired. Omitted when empty.
	Issuer string
	// Logger receives debug and warning messages, never a secret.
	Logger *slog.Logger
	// Clock is the time source for expirations (default:
	// iamkit.SystemClock).
	Clock iamkit.Clock
}

func (s *SignIn) log() *slog.Logger {
	if s.Logger == nil {
		return discardLogger()
	}
	return s.Logger
}

func (s *SignIn) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}

func (s *SignIn) client() *http.Client {
	if s.HTTPClient == nil {
		return DefaultHTTPClient()
	}
	return s.HTTPClient
}

// endpoints returns the federation endpoint and the logout endpoint.
func (s *SignIn) endpoints() (federation, logout *url.URL, err error) {
	p, err := LookupPartition(s.Partition)
	if err != nil {
		return nil, nil, err
	}
	raw := s.Endpoint
	if raw == "" {
		region := ""
		if s.Regional {
			region = s.Region
		}
		if raw, err = p.FederationEndpoint(region); err != nil {
			return nil, nil, err
		}
	}
	federation, err = url.Parse(raw)
	if err != nil || (federation.Scheme != "https" && federation.Scheme != "http") || federation.Host == "" {
		return nil, nil, invalid("sign-in endpoint %q is not an http(s) URL", raw)
	}
	federation.RawQuery, federation.Fragment = "", ""
	logout = &url.URL{Scheme: federation.Scheme, Host: federation.Host, Path: "/oauth"}
	return federation, logout, nil
}

// CheckSessionDuration applies the sign-in endpoint's rules for
// SessionDuration to credentials of kind k: allowed only with role
// credentials (AssumeRole, AssumeRoleWithWebIdentity, Cognito), 900 s to
// 12 h in whole seconds, one hour at most for a chained role
// (mfa.KindChainedRole); never with federation-token credentials, whose
// console session lasts as long as the credentials. 0 means "not sent" and
// is always fine.
func CheckSessionDuration(k mfa.Kind, d time.Duration) error {
	if d == 0 {
		return nil
	}
	switch {
	case k == mfa.KindFederationToken:
		return &SessionDurationError{Kind: k, Duration: d, Reason: "the sign-in endpoint takes no SessionDuration for GetFederationToken credentials; their console session lasts as long as the credentials (set the duration in GetFederationToken)"}
	case !roleKind(k):
		return &SessionDurationError{Kind: k, Duration: d, Reason: "only role credentials take a SessionDuration"}
	case d < MinConsoleSession || d > MaxConsoleSession || d%time.Second != 0:
		return &SessionDurationError{Kind: k, Duration: d, Reason: fmt.Sprintf("it must be whole seconds from %s to %s", MinConsoleSession, MaxConsoleSession)}
	case k == mfa.KindChainedRole && d > MaxChainedSession:
		return &SessionDurationError{Kind: k, Duration: d, Reason: fmt.Sprintf("a role assumed with another role's temporary credentials (role chaining) is capped at %s by AWS, and so is its console session", MaxChainedSession)}
	}
	return nil
}

// CheckCredentials applies the sign-in endpoint's rules to creds before any
// call: temporary credentials with a known provenance, not from
// GetSessionToken, not expired at now, and a SessionDuration they allow.
func CheckCredentials(creds mfa.Credentials, sessionDuration time.Duration, now time.Time) error {
	switch k := creds.Provenance.Kind; {
	case creds.AccessKeyID == "" || creds.SecretAccessKey == "":
		return invalid("no credentials")
	case k == mfa.KindSessionToken:
		return fmt.Errorf("federation: %w", ErrSessionTokenCredentials)
	case k == mfa.KindLongTerm, creds.SessionToken == "" && k != "":
		return fmt.Errorf("federation: %w", ErrLongTermCredentials)
	case k == "":
		return fmt.Errorf("federation: %w", ErrUnknownProvenance)
	case creds.CanExpire && !now.Before(creds.Expires):
		return fmt.Errorf("federation: %w: at %s", ErrCredentialsExpired, creds.Expires.UTC().Format(time.RFC3339))
	}
	return CheckSessionDuration(creds.Provenance.Kind, sessionDuration)
}

// SigninToken is a sign-in token from getSigninToken. It is a secret: it
// prints, formats, logs and marshals without its value.
type SigninToken struct {
	value string
	// Issued is when it was obtained, Expires 15 minutes later.
	Issued, Expires time.Time
	// SessionDuration is the console session duration asked for (0: not
	// sent; the console's default applies).
	SessionDuration time.Duration
	// Provenance is where the credentials it was made from came from.
	Provenance mfa.Provenance
}

// String describes the token without its value.
func (t SigninToken) String() string {
	return fmt.Sprintf("sign-in token (redacted), valid until %s, for %s", t.Expires.UTC().Format(time.RFC3339), t.Provenance.String())
}

// Format prints String whatever the verb, so the value never leaks through
// fmt.
func (t SigninToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue keeps the value out of logs.
func (t SigninToken) LogValue() slog.Value { return slog.StringValue(t.String()) }

// MarshalJSON marshals the description, not the value.
func (t SigninToken) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// SigninToken exchanges creds for a sign-in token at the federation
// endpoint. sessionDuration (0: not sent) is the console session's
// duration, allowed for role credentials only (CheckSessionDuration). The
// credentials are checked first (CheckCredentials): GetSessionToken
// credentials, long-term keys and a forbidden SessionDuration fail before
// any request. An answer other than 200 with a token is an *EndpointError.
func (s *SignIn) SigninToken(ctx context.Context, creds mfa.Credentials, sessionDuration time.Duration) (*SigninToken, error) {
	now := s.now()
	if err := CheckCredentials(creds, sessionDuration, now); err != nil {
		return nil, err
	}
	fed, _, err := s.endpoints()
	if err != nil {
		return nil, err
	}
	session, err := json.Marshal(map[string]string{
		"sessionId": creds.AccessKeyID, "sessionKey": creds.SecretAccessKey, "sessionToken": creds.SessionToken,
	})
	if err != nil {
		return nil, err
	}
	q := url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}
	if sessionDuration != 0 {
		q.Set("SessionDuration", strconv.Itoa(int(sessionDuration/time.Second)))
	}
	u := *fed
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("federation: getSigninToken: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client().Do(req)
	if err != nil {
		// The *url.Error holds the request URL, Session and all: keep only
		// the endpoint and the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("federation: getSigninToken at %s: %w", fed.String(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("federation: getSigninToken at %s: reading the answer: %w", fed.String(), err)
	}
	secrets := []string{creds.SecretAccessKey, creds.SessionToken, url.QueryEscape(creds.SecretAccessKey), url.QueryEscape(creds.SessionToken)}
	if resp.StatusCode != http.StatusOK {
		return nil, &EndpointError{Op: "getSigninToken", Status: resp.StatusCode, Summary: summarize(body, secrets...)}
	}
	var answer struct{ SigninToken string }
	if err := json.Unmarshal(body, &answer); err != nil || answer.SigninToken == "" {
		return nil, &EndpointError{Op: "getSigninToken", Status: resp.StatusCode, Summary: "no SigninToken in the answer"}
	}
	t := &SigninToken{value: answer.SigninToken, Issued: now, Expires: now.Add(SigninTokenLifetime), SessionDuration: sessionDuration, Provenance: creds.Provenance}
	s.log().Debug("sign-in token obtained", "endpoint", fed.String(), "token", t)
	return t, nil
}

// ConsoleURL is a login URL and what it is good for. URL and LogoutURL are
// secrets: ConsoleURL prints, formats, logs and marshals without them.
type ConsoleURL struct {
	// URL signs in and lands on Destination. Use it before Expires.
	URL string
	// LogoutURL, when asked for, first signs the browser out of any
	// console session it has, then goes on to URL. Open it instead of URL.
	LogoutURL string
	// Destination is the console page the URL lands on.
	Destination string
	// Expires is the sign-in token's end, 15 minutes after it was issued.
	Expires time.Time
	// SessionDuration is the console session duration asked for (0: none).
	SessionDuration time.Duration
	// Provenance is where the credentials came from.
	Provenance mfa.Provenance
}

// Open returns the URL to open in a browser: LogoutURL if there is one,
// else URL.
func (u ConsoleURL) Open() string {
	if u.LogoutURL != "" {
		return u.LogoutURL
	}
	return u.URL
}

// String describes the URL without the secret.
func (u ConsoleURL) String() string {
	return fmt.Sprintf("console sign-in URL (redacted) to %s, valid until %s, for %s", u.Destination, u.Expires.UTC().Format(time.RFC3339), u.Provenance.String())
}

// Format prints String whatever the verb.
func (u ConsoleURL) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, u.String()) }

// LogValue keeps the URL out of logs.
func (u ConsoleURL) LogValue() slog.Value { return slog.StringValue(u.String()) }

// MarshalJSON marshals the description, not the URL.
func (u ConsoleURL) MarshalJSON() ([]byte, error) { return json.Marshal(u.String()) }

// LoginURL builds the login URL for tok: Action=login, the Issuer, the
// Destination (checked to be a console URL of the partition; "" is the
// console home in s.Region) and the token; with logoutFirst, also the
// logout URL that leads to it.
func (s *SignIn) LoginURL(tok *SigninToken, destination string, logoutFirst bool) (*ConsoleURL, error) {
	if tok == nil || tok.value == "" {
		return nil, invalid("no sign-in token")
	}
	dest, err := s.destination(destination)
	if err != nil {
		return nil, err
	}
	fed, logout, err := s.endpoints()
	if err != nil {
		return nil, err
	}
	q := url.Values{"Action": {"login"}, "Destination": {dest}, "SigninToken": {tok.value}}
	if s.Issuer != "" {
		q.Set("Issuer", s.Issuer)
	}
	login := *fed
	login.RawQuery = q.Encode()
	out := &ConsoleURL{URL: login.String(), Destination: dest, Expires: tok.Expires, SessionDuration: tok.SessionDuration, Provenance: tok.Provenance}
	if logoutFirst {
		logout.RawQuery = url.Values{"Action": {"logout"}, "redirect_uri": {out.URL}}.Encode()
		out.LogoutURL = logout.String()
	}
	return out, nil
}

func (s *SignIn) destination(raw string) (string, error) {
	if raw == "" {
		return Destination(s.Partition, s.Region, "")
	}
	return CheckDestination(s.Partition, raw)
}

// ConsoleRequest is what ConsoleURL needs.
type ConsoleRequest struct {
	// Credentials are temporary credentials with their provenance.
	Credentials mfa.Credentials
	// SessionDuration is the console session's duration (role credentials
	// only; 0: not sent).
	SessionDuration time.Duration
	// Destination is the console URL to land on; "" is the console home in
	// the SignIn's region. It must be on the partition's console host.
	Destination string
	// LogoutFirst also builds a URL that signs out of any current console
	// session first.
	LogoutFirst bool
}

// ConsoleURL checks the request, obtains a sign-in token and builds the
// login URL, valid for 15 minutes.
func (s *SignIn) ConsoleURL(ctx context.Context, req ConsoleRequest) (*ConsoleURL, error) {
	if _, err := s.destination(req.Destination); err != nil {
		return nil, err
	}
	tok, err := s.SigninToken(ctx, req.Credentials, req.SessionDuration)
	if err != nil {
		return nil, err
	}
	u, err := s.LoginURL(tok, req.Destination, req.LogoutFirst)
	if err != nil {
		return nil, err
	}
	s.log().Info("console sign-in URL built", "url", u)
	return u, nil
}

// RedactURL returns raw with the secrets of a sign-in URL — SigninToken,
// Session, and those inside a logout URL's redirect_uri — replaced by
// "REDACTED", for showing where a URL goes without handing out the session.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparsable URL, redacted]"
	}
	q := u.Query()
	for _, k := range []string{"SigninToken", "Session"} {
		if q.Has(k) {
			q.Set(k, "REDACTED")
		}
	}
	if q.Has("redirect_uri") {
		q.Set("redirect_uri", RedactURL(q.Get("redirect_uri")))
	}
	u.RawQuery = q.Encode()
	return u.String()
}
