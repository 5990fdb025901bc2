package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/mfa"
)

// Source obtains role credentials for a person.
type Source interface {
	Credentials(ctx context.Context, person string, role Role) (mfa.Credentials, error)
}

// CognitoSource obtains them through an identity pool's basic flow, the
// person being a developer-authenticated identity of the pool (the broker
// is the developer provider): no IAM user, and one Cognito identity per
// person, reused on every sign-in. The roles must trust the pool's
// authenticated identities.
type CognitoSource struct {
	Cognito           federation.CognitoBasicAPI
	STS               federation.WebIdentityAPI
	PoolID            string
	DeveloperProvider string
	Duration          time.Duration // role session; 0: one hour
	Logger            *slog.Logger
}

// Credentials implements Source.
func (c *CognitoSource) Credentials(ctx context.Context, person string, role Role) (mfa.Credentials, error) {
	s, err := federation.CognitoBasicFlow(ctx, c.Cognito, c.STS, federation.CognitoRequest{
		IdentityPoolID:  c.PoolID,
		Developer:       &federation.DeveloperLogin{Provider: c.DeveloperProvider, UserID: person},
		RoleARN:         role.ARN,
		RoleSessionName: SessionName(person),
		Duration:        c.Duration,
	}, federation.WithLogger(c.Logger))
	if err != nil {
		return mfa.Credentials{}, err
	}
	return s.Credentials, nil
}

// AssumeRoleSource obtains them with AssumeRole, signed with the broker's
// own credentials. If those are a role's (a Lambda function's), this is role
// chaining: one hour at most.
type AssumeRoleSource struct {
	STS      federation.AssumeRoleAPI
	Duration time.Duration
	Caller   *mfa.Provenance // the broker's credentials, when known
	Logger   *slog.Logger
}

// Credentials implements Source.
func (a *AssumeRoleSource) Credentials(ctx context.Context, person string, role Role) (mfa.Credentials, error) {
	return federation.AssumeRole(ctx, a.STS, federation.AssumeRoleRequest{
		RoleARN: role.ARN, RoleSessionName: SessionName(person), Duration: a.Duration, Source: a.Caller,
	}, federation.WithLogger(a.Logger))
}

// SessionName turns a person's ID into a role session name (2 to 64
// characters of [\w+=,.@-]), the way CloudTrail and the console will show
// who used the role.
func SessionName(person string) string {
	var b strings.Builder
	for _, r := range person {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("_+=,.@-", r):
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
		if b.Len() == 64 {
			break
		}
	}
	s := b.String()
	for len(s) < 2 {
		s += "-"
	}
	return s
}

// Broker is the console sign-in broker: it authenticates the request, maps
// the person to a role, obtains the role's credentials and redirects the
// browser to the console through the sign-in endpoint.
//
//	GET /                 the person's roles, as links
//	GET /console?role=R   sign in with role R (optional: destination=URL on
//	                      the console host, or service=ec2/home and region=)
//
// The login URL is a secret: it only ever goes to the person, in the
// Location of a 302 that must not be cached; it is never logged.
type Broker struct {
	Auth   Authenticator
	Roles  *RoleMap
	Source Source
	SignIn *federation.SignIn
	// SessionDuration is the console session's duration (0: the console's
	// default).
	SessionDuration time.Duration
	// LogoutFirst signs the browser out of any console session first.
	LogoutFirst bool
	Logger      *slog.Logger
}

func (b *Broker) log() *slog.Logger {
	if b.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return b.Logger
}

// ServeHTTP implements http.Handler.
func (b *Broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	person, err := b.Auth.Authenticate(r)
	if err != nil {
		b.log().Warn("request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "error", err.Error())
		http.Error(w, "not signed in", http.StatusUnauthorized)
		return
	}
	roles := b.Roles.For(person)
	switch r.URL.Path {
	case "/":
		b.index(w, person, roles)
	case "/console":
		b.console(w, r, person, roles)
	default:
		http.NotFound(w, r)
	}
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<title>AWS console</title>
<p>Signed in as {{.Person}}.</p>
{{if .Roles}}<ul>{{range .Roles}}
<li><a href="/console?role={{.Name}}">{{.Name}}</a></li>{{end}}
</ul>{{else}}<p>No AWS role is mapped to you.</p>{{end}}
`))

func (b *Broker) index(w http.ResponseWriter, person string, roles []Role) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = indexPage.Execute(w, struct {
		Person string
		Roles  []Role
	}{person, roles})
}

func (b *Broker) console(w http.ResponseWriter, r *http.Request, person string, roles []Role) {
	q := r.URL.Query()
	name := q.Get("role")
	if name == "" && len(roles) == 1 {
		name = roles[0].Name
	}
	var role *Role
	for i := range roles {
		if roles[i].Name == name {
			role = &roles[i]
		}
	}
	if name == "" {
		http.Error(w, "you have several roles: pick one with ?role=NAME (see /)", http.StatusBadRequest)
		return
	}
	if role == nil {
		b.log().Warn("role not allowed", "person", person, "role", name)
		http.Error(w, fmt.Sprintf("role %q is not one of yours; see /", name), http.StatusForbidden)
		return
	}
	dest, err := b.destination(q.Get("destination"), q.Get("service"), q.Get("region"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	creds, err := b.Source.Credentials(r.Context(), person, *role)
	if err != nil {
		b.log().Error("credentials failed", "person", person, "role", role.ARN, "error", err.Error())
		http.Error(w, "AWS refused the credentials for this role; the administrators can see why in the broker's log", http.StatusBadGateway)
		return
	}
	u, err := b.SignIn.ConsoleURL(r.Context(), federation.ConsoleRequest{
		Credentials: creds, SessionDuration: b.SessionDuration, Destination: dest, LogoutFirst: b.LogoutFirst,
	})
	if err != nil {
		b.log().Error("sign-in failed", "person", person, "role", role.ARN, "error", err.Error())
		status := http.StatusBadGateway
		var ee *federation.EndpointError
		if errors.As(err, &ee) && ee.Temporary() {
			status = http.StatusServiceUnavailable
		}
		http.Error(w, "the AWS sign-in endpoint refused the session", status)
		return
	}
	b.log().Info("console sign-in", "person", person, "role", role.ARN, "url", u)
	http.Redirect(w, r, u.Open(), http.StatusFound)
}

// destination picks the console page: a full URL on the console host, or a
// service path (and region) to build one from; "" is the console home.
func (b *Broker) destination(raw, service, region string) (string, error) {
	switch {
	case raw != "" && service != "":
		return "", errors.New("give destination or service, not both")
	case raw != "":
		return federation.CheckDestination(b.SignIn.Partition, raw)
	case service != "" || region != "":
		if region == "" {
			region = b.SignIn.Region
		}
		return federation.Destination(b.SignIn.Partition, region, service)
	}
	return "", nil
}
