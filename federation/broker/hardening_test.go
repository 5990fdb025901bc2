package broker_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/federation/broker"
	"github.com/iamkit/iamkit/mfa"
)

func (w *world) do(method, path, person string) *http.Response {
	w.t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, nil)
	require.NoError(w.t, err)
	req.Header.Set("X-Forwarded-Email", person)
	req.Header.Set("X-Broker-Secret", proxySecret)
	c := w.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	require.NoError(w.t, err)
	w.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestBrokerMintsOnGETOnly(t *testing.T) {
	w := newWorld(t, setup{})
	for _, m := range []string{http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodOptions, "BREW"} {
		for _, path := range []string{"/console?role=readonly", "/"} {
			resp := w.do(m, path, "bob@example.com")
			assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, m+" "+path)
			assert.Equal(t, "GET", resp.Header.Get("Allow"), m)
			assert.Empty(t, resp.Header.Get("Location"), m)
		}
	}
	assert.Zero(t, w.acct.CallsWithPrefix("sts:"), "no method but GET reaches AWS")
	assert.Zero(t, w.acct.CallsWithPrefix("cognito-identity:"))
	assert.Empty(t, w.signin.Logins())
	assert.Equal(t, http.StatusFound, w.do(http.MethodGet, "/console?role=readonly", "bob@example.com").StatusCode)
}

func TestBrokerIdentityFromTheProxyHeaderOnly(t *testing.T) {
	w := newWorld(t, setup{})
	// A cookie claiming to be someone, with the proxy's secret but no user
	// header: refused — the broker never reads cookies.
	resp := w.get("/console?role=readonly", "", "X-Broker-Secret", proxySecret,
		"Cookie", "X-Forwarded-Email=alice@example.com; user=alice@example.com; AWSELBAuthSessionCookie-0=x")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	// With the header, the cookie changes nothing: bob is bob.
	resp = w.get("/console?role=admin", "bob@example.com", "Cookie", "X-Forwarded-Email=alice@example.com")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Zero(t, w.acct.CallsWithPrefix("sts:"))
}

// TestBrokerRateLimit: a person's burst, then 429 with Retry-After until
// the clock gives a token back; others are not affected; nothing reaches
// AWS past the limit.
func TestBrokerRateLimit(t *testing.T) {
	w := newWorld(t, setup{opts: []broker.Option{broker.WithRateLimit(3, time.Minute)}})
	codes := map[int]int{}
	for range 100 {
		resp := w.get("/console?role=readonly", "bob@example.com")
		codes[resp.StatusCode]++
		if resp.StatusCode == http.StatusTooManyRequests {
			assert.Equal(t, "60", resp.Header.Get("Retry-After"))
			assert.Empty(t, resp.Header.Get("Location"))
		}
	}
	assert.Equal(t, map[int]int{http.StatusFound: 3, http.StatusTooManyRequests: 97}, codes)
	assert.Equal(t, 3, w.acct.Calls("sts:AssumeRoleWithWebIdentity"), "the limited requests called nothing")
	assert.Len(t, w.signin.Logins(), 0, "no login used yet")
	assert.Equal(t, 3, strings.Count(w.logs.String(), `msg="console sign-in" `))
	assert.Contains(t, w.logs.String(), "rate limited")

	assert.Equal(t, http.StatusFound, w.get("/console?role=admin", "alice@example.com").StatusCode, "alice has her own allowance")
	w.acct.Clock().Advance(20 * time.Second)
	resp := w.get("/console?role=readonly", "bob@example.com")
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "40", resp.Header.Get("Retry-After"))
	w.acct.Clock().Advance(40 * time.Second)
	assert.Equal(t, http.StatusFound, w.get("/console?role=readonly", "bob@example.com").StatusCode)
	assert.Equal(t, http.StatusTooManyRequests, w.get("/console?role=readonly", "bob@example.com").StatusCode)

	// Refused requests (a role not hers, a bad destination) spend nothing.
	w2 := newWorld(t, setup{opts: []broker.Option{broker.WithRateLimit(1, time.Minute)}})
	for range 5 {
		assert.Equal(t, http.StatusForbidden, w2.get("/console?role=admin", "bob@example.com").StatusCode)
	}
	assert.Equal(t, http.StatusFound, w2.get("/console?role=readonly", "bob@example.com").StatusCode)
}

// TestBrokerBurst sends 100 concurrent requests of one person to a broker
// with the default limit: DefaultRateBurst are signed in, the rest get
// 429, and AWS sees only the admitted ones.
func TestBrokerBurst(t *testing.T) {
	w := newWorld(t, setup{})
	codes := burst(t, w, 100)
	assert.Equal(t, map[int]int{http.StatusFound: broker.DefaultRateBurst, http.StatusTooManyRequests: 100 - broker.DefaultRateBurst}, codes)
	assert.Equal(t, broker.DefaultRateBurst, w.acct.Calls("sts:AssumeRoleWithWebIdentity"))
}

func burst(t testing.TB, w *world, n int) map[int]int {
	var (
		mu    sync.Mutex
		codes = map[int]int{}
		wg    sync.WaitGroup
	)
	c := w.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, w.srv.URL+"/console?role=readonly", nil)
			req.Header.Set("X-Forwarded-Email", "bob@example.com")
			req.Header.Set("X-Broker-Secret", proxySecret)
			resp, err := c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return codes
}

// deadlineSource records the deadline of the context it is called with,
// and waits for it to pass when block is set.
type deadlineSource struct {
	broker.Source
	block    bool
	mu       sync.Mutex
	deadline time.Time
	had      bool
}

func (d *deadlineSource) Credentials(ctx context.Context, person string, role broker.Role, opts ...federation.Option) (mfa.Credentials, error) {
	dl, ok := ctx.Deadline()
	d.mu.Lock()
	d.deadline, d.had = dl, ok
	d.mu.Unlock()
	if d.block {
		<-ctx.Done()
		return mfa.Credentials{}, ctx.Err()
	}
	return d.Source.Credentials(ctx, person, role, opts...)
}

type deadlineTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	had  bool
	left time.Duration
}

func (d *deadlineTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	dl, ok := r.Context().Deadline()
	d.mu.Lock()
	d.had, d.left = ok, time.Until(dl)
	d.mu.Unlock()
	return d.next.RoundTrip(r)
}

func TestBrokerDeadlineOnEveryAWSCall(t *testing.T) {
	w := newWorld(t, setup{})
	src := &deadlineSource{}
	src.Source, _ = broker.NewCognitoSource(w.acct.Cognito(), w.acct.STS(), w.pool, devProvider)
	tr := &deadlineTransport{next: w.signin.Client().Transport}
	if tr.next == nil {
		tr.next = http.DefaultTransport
	}
	roles, err := broker.ParseRoleMap(strings.NewReader("* readonly " + w.readonly + "\n"))
	require.NoError(t, err)
	auth, err := broker.NewHeaderAuth("X-Forwarded-Email", "X-Broker-Secret", proxySecret)
	require.NoError(t, err)
	h, err := broker.New(auth, roles, src, broker.WithSignInEndpoint(w.signin.URL()),
		broker.WithHTTPClient(&http.Client{Transport: tr}), broker.WithClock(w.acct.Clock()), broker.WithCallTimeout(7*time.Second))
	require.NoError(t, err)
	w.srv.Config.Handler = h
	start := time.Now()
	resp := w.get("/console", "bob@example.com")
	require.Equal(t, http.StatusFound, resp.StatusCode)
	require.True(t, src.had, "the credentials step has a deadline")
	assert.WithinDuration(t, start.Add(7*time.Second), src.deadline, 2*time.Second)
	require.True(t, tr.had, "getSigninToken has a deadline")
	assert.InDelta(t, 7*time.Second, tr.left, float64(2*time.Second))

	// A Source that does not answer is cut off at the deadline: 503.
	block := &deadlineSource{Source: src.Source, block: true}
	h, err = broker.New(auth, roles, block, broker.WithSignInEndpoint(w.signin.URL()),
		broker.WithHTTPClient(w.signin.Client()), broker.WithCallTimeout(20*time.Millisecond))
	require.NoError(t, err)
	w.srv.Config.Handler = h
	resp = w.get("/console", "bob@example.com")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, body(t, resp), "did not answer in time")
}

func TestBrokerNewServerTimeouts(t *testing.T) {
	w := newWorld(t, setup{opts: []broker.Option{broker.WithCallTimeout(5 * time.Second)}})
	srv := broker.NewServer("127.0.0.1:0", w.broker)
	assert.Equal(t, broker.ServerReadHeaderTimeout, srv.ReadHeaderTimeout)
	assert.Equal(t, broker.ServerReadTimeout, srv.ReadTimeout)
	assert.Equal(t, broker.ServerIdleTimeout, srv.IdleTimeout)
	assert.Equal(t, 2*5*time.Second+broker.ServerWriteSlack, srv.WriteTimeout, "both AWS steps fit in the write timeout")
	assert.Positive(t, srv.MaxHeaderBytes)
	for name, o := range map[string]broker.Option{
		"negative burst":   broker.WithRateLimit(-1, time.Second),
		"no interval":      broker.WithRateLimit(1, 0),
		"negative timeout": broker.WithCallTimeout(-time.Second),
	} {
		roles, _ := broker.ParseRoleMap(strings.NewReader("* r " + w.readonly + "\n"))
		auth, _ := broker.NewHeaderAuth("a", "b", proxySecret)
		_, err := broker.New(auth, roles, &deadlineSource{}, o)
		assert.ErrorIs(t, err, broker.ErrInvalidConfig, name)
	}
}
