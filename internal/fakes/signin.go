package fakes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"
)

// SigninTokenLifetime is how long a sign-in token from getSigninToken can be
// used in a login URL.
const SigninTokenLifetime = 15 * time.Minute

// Console session durations the sign-in endpoint accepts in SessionDuration.
const (
	MinConsoleSession = 900 * time.Second
	MaxConsoleSession = 43200 * time.Second
)

// HTTPError, injected as the Err of a Fault on "signin:getSigninToken",
// "signin:login" or "signin:logout", makes the fake sign-in endpoint answer
// with that status and body.
type HTTPError struct {
	// Status is the HTTP status code the endpoint answers with.
	Status int
	// Body is the response body.
	Body string
}

func (e *HTTPError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// SignInLogin records one successful Action=login.
type SignInLogin struct {
	AccessKeyID string         // the credentials the sign-in token was made from
	Principal   string         // their ARN, as STS issued them
	Kind        CredentialKind // how STS issued them
	// Destination is the console URL the login redirected to.
	Destination string
	// Issuer is the login URL's Issuer parameter ("" when not given).
	Issuer          string
	SessionDuration time.Duration // as requested with getSigninToken; 0 if not
	// At is when the login happened, on the account's clock.
	At time.Time
}

type signinToken struct {
	issued          Issued
	sessionDuration time.Duration
	expires         time.Time
}

// SignIn is the account's AWS sign-in federation endpoint, an http.Handler
// (NewSignIn) or served by its own httptest server on the loopback
// interface (StartSignIn):
//
//   - GET /federation?Action=getSigninToken&Session=JSON[&SessionDuration=N]
//     checks the Session JSON ({"sessionId", "sessionKey", "sessionToken"})
//     against the credentials the account's STS issued (Account.Issued):
//     unknown, altered or expired credentials are refused (403), and so are
//     GetSessionToken credentials. SessionDuration is accepted for role
//     credentials only (AssumeRole, AssumeRoleWithWebIdentity), 900 to 43200
//     seconds (3600 for a chained role's); with federation-token
//     credentials, or out of range, it is a 400. The answer is {"SigninToken": "..."}, usable for 15 minutes of the
//     account's clock.
//   - GET /federation?Action=login&SigninToken=T&Destination=URL[&Issuer=I]
//     checks the token and that Destination is an https URL on the console
//     host of the account's partition, records the login (Logins) and
//     redirects (302) to Destination.
//   - GET /oauth?Action=logout&redirect_uri=URL redirects to URL when it is
//     this endpoint's login URL or a console URL.
//
// Requests are counted and faults injected like the account's API calls, as
// "signin:getSigninToken", "signin:login" and "signin:logout"; inject an
// *HTTPError to choose the failing status, any other error is a 500
// (Throttling: 429).
type SignIn struct {
	a   *Account
	mux *http.ServeMux
	srv *httptest.Server // nil unless started by StartSignIn

	mu     sync.Mutex
	tokens map[string]*signinToken
	logins []SignInLogin
}

// NewSignIn returns the sign-in endpoint of account a as an http.Handler
// serving the paths /federation and /oauth, for a server that routes them
// to it. It does not listen: URL is "" and Close does nothing.
func NewSignIn(a *Account) *SignIn {
	s := &SignIn{a: a, tokens: map[string]*signinToken{}}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/federation", s.federation)
	s.mux.HandleFunc("/oauth", s.oauth)
	return s
}

// StartSignIn starts the sign-in endpoint of account a on its own loopback
// server. Close it when done.
func StartSignIn(a *Account) *SignIn {
	s := NewSignIn(a)
	s.srv = httptest.NewServer(s)
	return s
}

// ServeHTTP answers one request to /federation or /oauth.
func (s *SignIn) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// URL returns the federation endpoint's URL (".../federation"), the
// counterpart of https://signin.aws.amazon.com/federation; "" for an
// endpoint from NewSignIn, which does not listen.
func (s *SignIn) URL() string {
	if s.srv == nil {
		return ""
	}
	return s.srv.URL + "/federation"
}

// Client returns an HTTP client for the endpoint that does not follow
// redirects, so a test sees the login's redirect itself.
func (s *SignIn) Client() *http.Client {
	c := http.Client{}
	if s.srv != nil {
		c = *s.srv.Client()
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// Close shuts down the server StartSignIn started; it does nothing for an
// endpoint from NewSignIn.
func (s *SignIn) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// selfURL is the federation URL the request r reached this endpoint at.
func selfURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/federation"
}

// Logins returns the logins so far, oldest first.
func (s *SignIn) Logins() []SignInLogin {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SignInLogin(nil), s.logins...)
}

// Tokens returns how many sign-in tokens were handed out.
func (s *SignIn) Tokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens)
}

// consoleHosts are the console hosts of each partition.
var consoleHosts = map[string]string{
	"aws":        "console.aws.amazon.com",
	"aws-cn":     "console.amazonaws.cn",
	"aws-us-gov": "console.amazonaws-us-gov.com",
	"aws-eusc":   "console.amazonaws-eusc.eu",
}

var regionLabelRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`) })

// isConsoleURL reports whether raw is an https URL on the console host of
// partition (or a regional one, "us-west-2.console.aws.amazon.com").
func isConsoleURL(partition, raw string) bool {
	host, ok := consoleHosts[partition]
	u, err := url.Parse(raw)
	if !ok || err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || u.Opaque != "" {
		return false
	}
	h := u.Hostname()
	if h == host {
		return true
	}
	region, ok := strings.CutSuffix(h, "."+host)
	return ok && regionLabelRE().MatchString(region)
}

func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintln(w, body)
}

// begin runs the account's call accounting and fault injection for op and
// answers the request when a fault applies.
func (s *SignIn) begin(w http.ResponseWriter, r *http.Request, op string) bool {
	pre, lost := s.a.beginOp(r.Context(), op, r.URL.Query())
	err := errors.Join(pre, lost) // the sign-in endpoint does not honour LoseReply
	if err == nil {
		return true
	}
	var he *HTTPError
	var ae smithy.APIError
	switch {
	case errors.As(err, &he):
		reply(w, he.Status, he.Body)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		reply(w, http.StatusServiceUnavailable, "Service Unavailable")
	case errors.As(err, &ae) && ae.ErrorCode() == "Throttling":
		reply(w, http.StatusTooManyRequests, "Rate exceeded")
	default:
		reply(w, http.StatusInternalServerError, "Internal Failure")
	}
	return false
}

func (s *SignIn) federation(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		reply(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	if err := r.ParseForm(); err != nil {
		reply(w, http.StatusBadRequest, "Bad Request")
		return
	}
	switch r.Form.Get("Action") {
	case "getSigninToken":
		if s.begin(w, r, "signin:getSigninToken") {
			s.getSigninToken(w, r)
		}
	case "login":
		if s.begin(w, r, "signin:login") {
			s.login(w, r)
		}
	default:
		reply(w, http.StatusBadRequest, "Unknown or missing Action")
	}
}

func (s *SignIn) getSigninToken(w http.ResponseWriter, r *http.Request) {
	var sess struct {
		ID    *string `json:"sessionId"`
		Key   *string `json:"sessionKey"`
		Token *string `json:"sessionToken"`
	}
	raw := r.Form.Get("Session")
	if raw == "" || json.Unmarshal([]byte(raw), &sess) != nil || sess.ID == nil || sess.Key == nil || sess.Token == nil {
		reply(w, http.StatusBadRequest, "Session must be a JSON object with sessionId, sessionKey and sessionToken")
		return
	}
	a := s.a
	now := a.clock.Now()
	iss, ok := a.Issued(*sess.ID)
	switch {
	case !ok || iss.SecretAccessKey != *sess.Key || iss.SessionToken != *sess.Token:
		reply(w, http.StatusForbidden, "The credentials in Session are not valid")
		return
	case !now.Before(iss.Expiration):
		reply(w, http.StatusForbidden, "The credentials in Session have expired")
		return
	case iss.Kind == KindSessionToken:
		reply(w, http.StatusForbidden, "Credentials from GetSessionToken cannot be used to sign in to the console")
		return
	}
	var d time.Duration
	if v, present := r.Form["SessionDuration"]; present {
		if iss.Kind == KindFederationToken {
			reply(w, http.StatusBadRequest, "SessionDuration cannot be used with credentials from GetFederationToken")
			return
		}
		if iss.Kind != KindAssumedRole && iss.Kind != KindWebIdentity {
			reply(w, http.StatusBadRequest, "SessionDuration can be used with role credentials only")
			return
		}
		n, err := strconv.Atoi(v[0])
		d = time.Duration(n) * time.Second
		if err != nil || len(v) != 1 || d < MinConsoleSession || d > MaxConsoleSession {
			reply(w, http.StatusBadRequest, "SessionDuration must be between 900 and 43200 seconds")
			return
		}
		if iss.Chained && d > time.Hour {
			reply(w, http.StatusBadRequest, "SessionDuration cannot exceed 3600 seconds for credentials from role chaining")
			return
		}
	}
	a.mu.Lock()
	tok := a.newID("", 96) + a.newID("", 96)
	a.mu.Unlock()
	s.mu.Lock()
	s.tokens[tok] = &signinToken{issued: iss, sessionDuration: d, expires: now.Add(SigninTokenLifetime)}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"SigninToken": tok})
}

func (s *SignIn) login(w http.ResponseWriter, r *http.Request) {
	now := s.a.clock.Now()
	s.mu.Lock()
	t, ok := s.tokens[r.Form.Get("SigninToken")]
	s.mu.Unlock()
	switch {
	case !ok:
		reply(w, http.StatusBadRequest, "The sign-in token is not valid")
		return
	case !now.Before(t.expires):
		reply(w, http.StatusBadRequest, "The sign-in token has expired")
		return
	}
	dest := r.Form.Get("Destination")
	if !isConsoleURL(s.a.partition, dest) {
		reply(w, http.StatusBadRequest, "Destination must be a console URL of this partition")
		return
	}
	s.mu.Lock()
	s.logins = append(s.logins, SignInLogin{
		AccessKeyID: t.issued.AccessKeyID, Principal: t.issued.ARN, Kind: t.issued.Kind,
		Destination: dest, Issuer: r.Form.Get("Issuer"), SessionDuration: t.sessionDuration, At: now,
	})
	s.mu.Unlock()
	http.Redirect(w, r, dest, http.StatusFound)
}

func (s *SignIn) oauth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("Action") != "logout" {
		reply(w, http.StatusBadRequest, "Unknown or missing Action")
		return
	}
	if !s.begin(w, r, "signin:logout") {
		return
	}
	next := q.Get("redirect_uri")
	if !strings.HasPrefix(next, selfURL(r)+"?") && !isConsoleURL(s.a.partition, next) {
		reply(w, http.StatusBadRequest, "redirect_uri is not allowed")
		return
	}
	http.Redirect(w, r, next, http.StatusFound)
}
