package broker_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/federation/broker"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

// FuzzParseRoleMap: whatever the text, ParseRoleMap fails with
// ErrInvalidConfig (or the scanner's error on an over-long line) or returns
// a map whose every role has a valid name and an IAM role ARN of the map's
// partition, with no two roles of one name for anyone.
func FuzzParseRoleMap(f *testing.F) {
	f.Add("alice@example.com admin arn:aws:iam::123456789012:role/Admin\n* readonly arn:aws:iam::123456789012:role/ReadOnly\n")
	f.Add("# comment\n\n  bob  ro  arn:aws-cn:iam::123456789012:role/path/RO \r\n")
	f.Add("alice a arn:aws:iam::123456789012:role/A\nbob b arn:aws-us-gov:iam::123456789012:role/B\n")
	f.Add("alice a arn:aws:iam::123456789012:role/A\nalice a arn:aws:iam::123456789012:role/B\n")
	f.Add("alice a/b arn:aws:iam::123456789012:user/A\n")
	f.Add("* s3 federated policy-arn=arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\n")
	f.Add("* s3 federated\n")
	f.Add("bob ro arn:aws:iam::123456789012:role/RO policy-arn=arn:aws:iam::aws:policy/ReadOnlyAccess policy-arn=x\n")
	nameRE := regexp.MustCompile(`^[\w.-]{1,64}$`)
	f.Fuzz(func(t *testing.T, text string) {
		m, err := broker.ParseRoleMap(strings.NewReader(text))
		if err != nil {
			if !errors.Is(err, broker.ErrInvalidConfig) && !strings.Contains(err.Error(), "token too long") {
				t.Fatalf("error of another kind: %v", err)
			}
			return
		}
		federatedOnly := true
		for _, r := range m.Roles() {
			federatedOnly = federatedOnly && r.Federated
			if r.Federated && r.Policy == "" && len(r.PolicyARNs) == 0 {
				t.Fatalf("federated entry %s without a session policy", r.Name)
			}
		}
		if m.Partition() == "" && !federatedOnly {
			t.Fatal("a map of roles without a partition")
		}
		people := []string{broker.Everyone, "nobody-in-particular"}
		for _, line := range strings.Split(text, "\n") {
			if f := strings.Fields(line); len(f) > 0 {
				people = append(people, f[0])
			}
		}
		total := 0
		for _, p := range people {
			roles := m.For(p)
			total += len(roles)
			var names []string
			for _, r := range roles {
				if !nameRE.MatchString(r.Name) {
					t.Fatalf("role name %q", r.Name)
				}
				if r.Federated {
					if r.ARN != "" {
						t.Fatalf("federated entry %s with ARN %q", r.Name, r.ARN)
					}
					names = append(names, r.Name)
					continue
				}
				a, err := arn.Parse(r.ARN)
				if err != nil || a.Service != "iam" || a.Region != "" || len(a.AccountID) != 12 || !strings.HasPrefix(a.Resource, "role/") || a.Partition != m.Partition() {
					t.Fatalf("role ARN %q in a %s map", r.ARN, m.Partition())
				}
				if slices.Contains(names, r.Name) {
					t.Fatalf("%s has two roles named %s", p, r.Name)
				}
				names = append(names, r.Name)
			}
		}
		if total == 0 {
			t.Fatal("a map without roles for anyone")
		}
	})
}

// FuzzParseTokens: whatever the file and the token, ParseTokens fails with
// ErrInvalidConfig (or the scanner's error), or Authenticate accepts
// "Bearer token" exactly when a line of the file holds the token's hash,
// and answers that line's person.
func FuzzParseTokens(f *testing.F) {
	f.Add("alice "+broker.HashToken("t1")+"\n", "t1")
	f.Add("# tokens\n\nalice "+strings.ToUpper(broker.HashToken("t1"))+"\nbob "+broker.HashToken("t2")+"\n", "t2")
	f.Add("alice "+broker.HashToken("t1")+"\n", "t2")
	f.Add("alice "+broker.HashToken("t")+"\nbob "+broker.HashToken("t")+"\n", "t")
	f.Add("alice abc\n", "abc")
	f.Fuzz(func(t *testing.T, text, token string) {
		auth, err := broker.ParseTokens(strings.NewReader(text))
		if err != nil {
			if !errors.Is(err, broker.ErrInvalidConfig) && !strings.Contains(err.Error(), "token too long") {
				t.Fatalf("error of another kind: %v", err)
			}
			return
		}
		want := ""
		sum := sha256.Sum256([]byte(token))
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			if f := strings.Fields(line); len(f) == 2 && !strings.HasPrefix(line, "#") {
				if raw, err := hex.DecodeString(f[1]); err == nil && bytes.Equal(raw, sum[:]) {
					want = f[0]
				}
			}
		}
		req := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/"}, Header: http.Header{"Authorization": {"Bearer " + token}}}
		who, err := auth.Authenticate(req)
		switch {
		case token == "" || want == "":
			if err == nil || !errors.Is(err, broker.ErrUnauthenticated) {
				t.Fatalf("token %q accepted as %q (%v)", token, who, err)
			}
		case err != nil || who != want:
			t.Fatalf("token %q: got %q, %v; want %q", token, who, err, want)
		}
	})
}

const fuzzSigninToken = "SIGNIN-TOKEN-SECRET"

// fixedSource hands out the same role credentials for any role, and
// records which roles it was asked for.
type fixedSource struct {
	clock *fakes.Clock
	mu    sync.Mutex
	asked []broker.Role
}

func (s *fixedSource) Credentials(_ context.Context, _ string, role broker.Role, _ ...federation.Option) (mfa.Credentials, error) {
	s.mu.Lock()
	s.asked = append(s.asked, role)
	s.mu.Unlock()
	exp := s.clock.Now().Add(time.Hour)
	return mfa.Credentials{
		Credentials: aws.Credentials{AccessKeyID: "ASIAFUZZ", SecretAccessKey: "fuzz-secret", SessionToken: "fuzz-session", CanExpire: true, Expires: exp},
		Provenance:  mfa.Provenance{Kind: mfa.KindAssumedRole, RoleARN: role.ARN, Expiration: exp},
	}, nil
}

// tokenEndpoint answers every getSigninToken with the same token, in
// process: no network.
type tokenEndpoint struct{}

func (tokenEndpoint) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"SigninToken":"` + fuzzSigninToken + `"}`)), Request: r}, nil
}

// FuzzHandler decodes arbitrary requests: whatever the method, path,
// query, person and secret, the handler answers one of its documented
// statuses, never redirects an unauthenticated caller or one asking for a
// role that is not theirs, redirects only to the sign-in endpoint with a
// Destination on the console host, and never puts the sign-in token in a
// page or a log.
func FuzzHandler(f *testing.F) {
	f.Add("GET", "/console", "role=readonly&service=ec2/home%23Instances:&region=us-west-2", "alice@example.com", true)
	f.Add("GET", "/console", "role=admin", "bob@example.com", true)
	f.Add("GET", "/console", "", "alice@example.com", true)
	f.Add("GET", "/console", "role=readonly&destination=https%3A%2F%2Fevil.example.com%2F", "bob@example.com", true)
	f.Add("GET", "/console", "destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3%2F", "bob@example.com", true)
	f.Add("HEAD", "/", "", "<script>", true)
	f.Add("POST", "/console", "role=readonly", "bob@example.com", true)
	f.Add("HEAD", "/console", "role=readonly", "bob@example.com", true)
	f.Add("GET", "/console", "role=readonly", "bob@example.com", false)
	f.Add("GET", "/console", "role=readonly;service=%zz", " ", true)
	const secret = "a-secret-only-the-proxy-knows"
	roles, err := broker.ParseRoleMap(strings.NewReader("alice@example.com admin arn:aws:iam::123456789012:role/Admin\n* readonly arn:aws:iam::123456789012:role/ReadOnly\n"))
	if err != nil {
		f.Fatal(err)
	}
	auth, err := broker.NewHeaderAuth("X-Forwarded-Email", "X-Broker-Secret", secret)
	if err != nil {
		f.Fatal(err)
	}
	clock := fakes.NewClock(fakes.DefaultStart)
	src := &fixedSource{clock: clock}
	var logs syncBuffer
	h, err := broker.New(auth, roles, src, broker.WithRegion("eu-west-1"), broker.WithClock(clock),
		broker.WithHTTPClient(&http.Client{Transport: tokenEndpoint{}}), broker.WithRateLimit(0, 0),
		broker.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		f.Fatal(err)
	}
	statuses := []int{200, 302, 400, 401, 403, 404, 405, 502, 503}
	f.Fuzz(func(t *testing.T, method, path, query, person string, withSecret bool) {
		req := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: query}, Header: http.Header{},
			RemoteAddr: "192.0.2.1:1234"}
		req = req.WithContext(context.Background())
		req.Header.Set("X-Forwarded-Email", person)
		if withSecret {
			req.Header.Set("X-Broker-Secret", secret)
		}
		src.mu.Lock()
		src.asked = nil
		src.mu.Unlock()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if !slices.Contains(statuses, rec.Code) {
			t.Fatalf("status %d", rec.Code)
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatal("a cacheable answer")
		}
		if strings.Contains(rec.Body.String(), fuzzSigninToken) || strings.Contains(logs.String(), fuzzSigninToken) {
			t.Fatal("the sign-in token leaked into a page or the log")
		}
		authenticated := withSecret && strings.TrimSpace(person) != ""
		loc := rec.Header().Get("Location")
		if rec.Code != http.StatusFound {
			if loc != "" {
				t.Fatalf("status %d with a Location", rec.Code)
			}
			return
		}
		if !authenticated || path != "/console" || method != http.MethodGet {
			t.Fatalf("redirected: authenticated %v, path %q, method %q", authenticated, path, method)
		}
		src.mu.Lock()
		asked := slices.Clone(src.asked)
		src.mu.Unlock()
		if len(asked) != 1 || !slices.ContainsFunc(roles.For(strings.TrimSpace(person)), func(r broker.Role) bool { return r.Name == asked[0].Name && r.ARN == asked[0].ARN }) {
			t.Fatalf("credentials for %v, not one of %s's roles", asked, person)
		}
		u, err := url.Parse(loc)
		if err != nil || u.Scheme != "https" || u.Host != "signin.aws.amazon.com" || u.Path != "/federation" {
			t.Fatalf("redirect to %q", federation.RedactURL(loc))
		}
		q := u.Query()
		if q.Get("SigninToken") != fuzzSigninToken || q.Get("Action") != "login" {
			t.Fatalf("login URL %q", federation.RedactURL(loc))
		}
		if d, err := federation.CheckDestination("aws", q.Get("Destination")); err != nil || d != q.Get("Destination") {
			t.Fatalf("destination %q: %v", q.Get("Destination"), err)
		}
	})
}
