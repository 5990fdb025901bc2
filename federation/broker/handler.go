package broker

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/mfa"
)

// Option configures New.
type Option func(*config)

type config struct {
	log             *slog.Logger
	clock           iamkit.Clock
	region          string
	regional        bool
	issuer          string
	endpoint        string
	httpClient      *http.Client
	sessionDuration time.Duration
	logoutFirst     bool
	callTimeout     time.Duration
	rateBurst       int
	rateEvery       time.Duration
	rateSet         bool
	partition       string
}

// DefaultCallTimeout is how long the handler lets each step that calls AWS
// take (obtaining the credentials, then the sign-in token) unless
// WithCallTimeout says otherwise.
const DefaultCallTimeout = 10 * time.Second

// WithLogger makes the handler log to l: refusals (with the path, the
// remote address and why), sign-ins (person, role ARN, where the URL goes),
// AWS failures with their details. Never a token, a key or a login URL. nil
// (the default) discards.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithClock sets the time source for credential expirations (default: the
// system clock). Tests hand in the fake account's clock.
func WithClock(clk iamkit.Clock) Option { return func(c *config) { c.clock = clk } }

// WithPartition sets the partition to sign in to when the role map names
// none (every entry federated): the one of the broker's own credentials,
// as federation.Identify tells it. A role map's partition wins; default
// "aws".
func WithPartition(id string) Option { return func(c *config) { c.partition = id } }

// WithRegion sets the region the console opens in when a request names
// none, and the regional sign-in host's region (WithRegionalSignIn).
func WithRegion(region string) Option { return func(c *config) { c.region = region } }

// WithRegionalSignIn uses the regional sign-in host
// (REGION.signin.aws.amazon.com) of WithRegion's region.
func WithRegionalSignIn(on bool) Option { return func(c *config) { c.regional = on } }

// WithIssuer sets the broker's own URL, which goes in login URLs: the
// console sends people whose session expired back to it.
func WithIssuer(u string) Option { return func(c *config) { c.issuer = u } }

// WithSignInEndpoint replaces the partition's sign-in federation endpoint
// URL (a private endpoint, a test's).
func WithSignInEndpoint(u string) Option { return func(c *config) { c.endpoint = u } }

// WithHTTPClient sets the client that calls the sign-in endpoint (default:
// federation.DefaultHTTPClient()).
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.httpClient = hc } }

// WithSessionDuration sets the console session's duration, 900 s to 12 h
// in whole seconds (default 0: none sent, the console's default applies).
func WithSessionDuration(d time.Duration) Option {
	return func(c *config) { c.sessionDuration = d }
}

// WithLogoutFirst makes the redirect sign the browser out of any console
// session it has before signing in.
func WithLogoutFirst(on bool) Option { return func(c *config) { c.logoutFirst = on } }

// WithCallTimeout bounds each step of a sign-in that calls AWS — the
// Source's calls (one to three), then getSigninToken — with a deadline of
// d on the request's context (default DefaultCallTimeout). A step past it
// answers 503.
func WithCallTimeout(d time.Duration) Option { return func(c *config) { c.callTimeout = d } }

// WithRateLimit lets each person mint burst login URLs at once, then one
// more every every (default DefaultRateBurst, DefaultRateEvery); past it
// the answer is 429 Too Many Requests with Retry-After, and AWS is not
// called. burst 0 turns the limit off (a proxy in front limits instead).
// The time comes from WithClock's clock.
func WithRateLimit(burst int, every time.Duration) Option {
	return func(c *config) { c.rateBurst, c.rateEvery, c.rateSet = burst, every, true }
}

// Handler is the console sign-in broker, an http.Handler (see the package
// documentation for what it serves). Build it with New; it is safe for
// concurrent use.
type Handler struct {
	auth            Authenticator
	roles           *RoleMap
	source          Source
	signin          *federation.SignIn
	sessionDuration time.Duration
	logoutFirst     bool
	log             *slog.Logger
	flowOpts        []federation.Option
	callTimeout     time.Duration
	limit           *limiter
}

// New returns the broker: auth says who sent a request, roles which roles
// each person may use, src obtains a role's credentials. It checks the
// settings before serving anything — the roles' partition has a sign-in
// endpoint, the region (if any) belongs to it, the session duration is one
// the sign-in endpoint takes for role credentials, the endpoint URL parses —
// and returns an error wrapping ErrInvalidConfig (or federation's error)
// otherwise.
func New(auth Authenticator, roles *RoleMap, src Source, opts ...Option) (*Handler, error) {
	c := config{}
	for _, o := range opts {
		o(&c)
	}
	switch {
	case auth == nil:
		return nil, invalid("no Authenticator")
	case roles == nil:
		return nil, invalid("no role map")
	case src == nil:
		return nil, invalid("no credential Source")
	}
	if err := checkSourceRoles(src, roles); err != nil {
		return nil, err
	}
	partition := roles.Partition()
	if partition == "" {
		partition = c.partition
	}
	p, err := federation.LookupPartition(partition)
	if err != nil {
		return nil, err
	}
	if c.region != "" {
		if err := p.CheckRegion(c.region); err != nil {
			return nil, err
		}
	}
	if err := federation.CheckSessionDuration(mfa.KindAssumedRole, c.sessionDuration); err != nil {
		return nil, fmt.Errorf("broker: console session duration: %w", err)
	}
	if _, fed := src.(*FederationTokenSource); fed && c.sessionDuration != 0 {
		return nil, invalid("a console session duration cannot be set with federation tokens: the console session lasts as long as the token (WithRoleDuration)")
	}
	if !c.rateSet {
		c.rateBurst, c.rateEvery = DefaultRateBurst, DefaultRateEvery
	}
	switch {
	case c.rateBurst < 0 || (c.rateBurst > 0 && c.rateEvery <= 0):
		return nil, invalid("rate limit: %d every %s: want a burst of 0 or more and a positive interval", c.rateBurst, c.rateEvery)
	case c.callTimeout < 0:
		return nil, invalid("call timeout %s is negative", c.callTimeout)
	case c.callTimeout == 0:
		c.callTimeout = DefaultCallTimeout
	}
	if c.endpoint != "" {
		u, err := url.Parse(c.endpoint)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, invalid("sign-in endpoint %q is not an http(s) URL", c.endpoint)
		}
	}
	log := c.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{
		auth: auth, roles: roles, source: src,
		signin: &federation.SignIn{
			Partition: p.ID, Region: c.region, Regional: c.regional, Endpoint: c.endpoint,
			HTTPClient: c.httpClient, Issuer: c.issuer, Logger: log,
		},
		sessionDuration: c.sessionDuration, logoutFirst: c.logoutFirst, log: log,
		flowOpts:    []federation.Option{federation.WithLogger(log)},
		callTimeout: c.callTimeout,
	}
	clock := c.clock
	if clock != nil {
		h.signin.Clock = c.clock
		h.flowOpts = append(h.flowOpts, federation.WithClock(c.clock))
	} else {
		clock = iamkit.SystemClock{}
	}
	h.limit = newLimiter(c.rateBurst, c.rateEvery, clock)
	return h, nil
}

// checkSourceRoles refuses role maps the source cannot serve: federated
// entries need the FederationTokenSource, which serves nothing else, and
// managed session policies cannot go through a Cognito identity pool's
// flow (AssumeRoleWithWebIdentity takes them, the basic flow's request
// carries an inline policy only).
func checkSourceRoles(src Source, roles *RoleMap) error {
	_, fed := src.(*FederationTokenSource)
	_, cognito := src.(*CognitoSource)
	for _, r := range roles.Roles() {
		switch {
		case r.Federated && !fed:
			return invalid("role %s is federated: it needs the federation-token source", r.Name)
		case !r.Federated && fed:
			return invalid("role %s is a role (%s): the federation-token source serves federated entries only", r.Name, r.ARN)
		case cognito && len(r.PolicyARNs) > 0:
			return invalid("role %s: the cognito source passes an inline session policy (policy=FILE) only, not policy-arn", r.Name)
		}
	}
	return nil
}

// Partition returns the partition the handler signs in to (the roles').
func (h *Handler) Partition() string { return h.signin.Partition }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Content-Type-Options", "nosniff")
	// Only GET: a HEAD would mint a login URL as well as a GET does (a
	// prefetcher or link checker must not sign anyone in), and nothing here
	// changes state on a POST.
	if r.Method != http.MethodGet {
		hdr.Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	person, err := h.auth.Authenticate(r)
	if err != nil {
		h.log.Warn("request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "error", err.Error())
		http.Error(w, "not signed in", http.StatusUnauthorized)
		return
	}
	roles := h.roles.For(person)
	switch r.URL.Path {
	case "/":
		h.index(w, person, roles)
	case "/console":
		h.console(w, r, person, roles)
	default:
		http.NotFound(w, r)
	}
}

// The links are relative, so the handler also works mounted under a
// prefix (http.StripPrefix) when the index is reached with its trailing
// slash.
var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<title>AWS console</title>
<p>Signed in as {{.Person}}.</p>
{{if .Roles}}<ul>{{range .Roles}}
<li><a href="console?role={{.Name}}">{{.Name}}</a></li>{{end}}
</ul>{{else}}<p>No AWS role is mapped to you.</p>{{end}}
`))

func (h *Handler) index(w http.ResponseWriter, person string, roles []Role) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = indexPage.Execute(w, struct {
		Person string
		Roles  []Role
	}{person, roles})
}

// consoleRequest is a decoded /console request.
type consoleRequest struct {
	role        Role
	destination string // "" is the console home
}

// requestError is a refusal of a /console request: the status and the
// message for the caller.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

// decodeConsole reads a /console query against the person's roles: role=
// (may be left out when the person has one role), and destination= (a URL
// on the console host) or service= and region= to build one.
func (h *Handler) decodeConsole(q url.Values, roles []Role) (consoleRequest, error) {
	name := q.Get("role")
	if name == "" && len(roles) == 1 {
		name = roles[0].Name
	}
	if name == "" {
		return consoleRequest{}, &requestError{http.StatusBadRequest, "you have several roles: pick one with ?role=NAME (see /)"}
	}
	i := -1
	for j := range roles {
		if roles[j].Name == name {
			i = j
		}
	}
	if i < 0 {
		return consoleRequest{}, &requestError{http.StatusForbidden, fmt.Sprintf("role %q is not one of yours; see /", name)}
	}
	dest, err := h.destination(q.Get("destination"), q.Get("service"), q.Get("region"))
	if err != nil {
		return consoleRequest{}, &requestError{http.StatusBadRequest, err.Error()}
	}
	return consoleRequest{role: roles[i], destination: dest}, nil
}

func (h *Handler) console(w http.ResponseWriter, r *http.Request, person string, roles []Role) {
	req, err := h.decodeConsole(r.URL.Query(), roles)
	if err != nil {
		var re *requestError
		errors.As(err, &re)
		if re.status == http.StatusForbidden {
			h.log.Warn("role not allowed", "person", person, "role", r.URL.Query().Get("role"))
		}
		http.Error(w, re.msg, re.status)
		return
	}
	if ok, wait := h.limit.allow(person); !ok {
		secs := int((wait + time.Second - 1) / time.Second)
		h.log.Warn("rate limited", "person", person, "retry_after_s", secs)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		http.Error(w, "too many sign-ins; try again later", http.StatusTooManyRequests)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.callTimeout)
	creds, err := h.source.Credentials(ctx, person, req.role, h.flowOpts...)
	cancel()
	if err != nil {
		h.log.Error("credentials failed", "person", person, "role", roleID(req.role), "error", err.Error())
		if errors.Is(err, context.DeadlineExceeded) {
			http.Error(w, "AWS did not answer in time; try again", http.StatusServiceUnavailable)
			return
		}
		http.Error(w, "AWS refused the credentials for this role; the administrators can see why in the broker's log", http.StatusBadGateway)
		return
	}
	ctx, cancel = context.WithTimeout(r.Context(), h.callTimeout)
	defer cancel()
	sessionDuration := h.sessionDuration
	if creds.Kind == mfa.KindFederationToken {
		sessionDuration = 0 // the console session lasts as long as the token
	}
	u, err := h.signin.ConsoleURL(ctx, federation.ConsoleRequest{
		Credentials: creds, SessionDuration: sessionDuration, Destination: req.destination, LogoutFirst: h.logoutFirst,
	})
	if err != nil {
		h.log.Error("sign-in failed", "person", person, "role", roleID(req.role), "error", err.Error())
		status := http.StatusBadGateway
		var ee *federation.EndpointError
		if (errors.As(err, &ee) && ee.Temporary()) || errors.Is(err, context.DeadlineExceeded) {
			status = http.StatusServiceUnavailable
		}
		http.Error(w, "the AWS sign-in endpoint refused the session", status)
		return
	}
	h.log.Info("console sign-in", "person", person, "role", roleID(req.role), "url", u)
	// With a Content-Type set, http.Redirect writes no body: the login URL
	// goes in the Location only, not also in an HTML page that a proxy or a
	// response log might keep.
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	http.Redirect(w, r, u.Open(), http.StatusFound)
}

// destination picks the console page: a full URL on the console host, or a
// service path (and region) to build one from; "" is the console home.
func (h *Handler) destination(raw, service, region string) (string, error) {
	switch {
	case raw != "" && service != "":
		return "", errors.New("give destination or service, not both")
	case raw != "":
		return federation.CheckDestination(h.signin.Partition, raw)
	case service != "" || region != "":
		if region == "" {
			region = h.signin.Region
		}
		return federation.Destination(h.signin.Partition, region, service)
	}
	return "", nil
}

// roleID names a role in the log: its ARN, or "federated:NAME".
func roleID(r Role) string {
	if r.Federated {
		return "federated:" + r.Name
	}
	return r.ARN
}
