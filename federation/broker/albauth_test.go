package broker_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation/broker"
	"github.com/iamkit/iamkit/internal/fakes"
)

const testALB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/broker/50dc6c495c0c9188"

// albSigner makes x-amzn-oidc-data JWTs as an ALB does: ES256, header with
// kid, signer and exp, base64url segments padded with '='.
type albSigner struct {
	key *ecdsa.PrivateKey
	kid string
	iss string // the header's iss ("": https://idp.example.com)
}

func newALBSigner(t testing.TB) *albSigner {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return &albSigner{key: k, kid: "6a3d1e4c-5c0b-4b53-9e3f-1a2b3c4d5e6f"}
}

func (s *albSigner) keys(_ context.Context, kid string) (*ecdsa.PublicKey, error) {
	if kid != s.kid {
		return nil, errors.New("no such key")
	}
	return &s.key.PublicKey, nil
}

func (s *albSigner) jwt(t testing.TB, signer string, exp time.Time, claims map[string]any) string {
	enc := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return base64.URLEncoding.EncodeToString(b) // padded, as the ALB does
	}
	iss := s.iss
	if iss == "" {
		iss = "https://idp.example.com"
	}
	head := enc(map[string]any{"alg": "ES256", "kid": s.kid, "signer": signer, "iss": iss, "client": "c", "exp": exp.Unix()})
	body := enc(claims)
	d := sha256.Sum256([]byte(head + "." + body))
	r, ss, err := ecdsa.Sign(rand.Reader, s.key, d[:])
	require.NoError(t, err)
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return head + "." + body + "." + base64.URLEncoding.EncodeToString(sig)
}

func TestALBAuth(t *testing.T) {
	clock := fakes.NewClock(fakes.DefaultStart)
	s := newALBSigner(t)
	auth, err := broker.NewALBAuth(testALB, "", broker.WithALBKeys(s.keys), broker.WithALBClock(clock))
	require.NoError(t, err)
	req := func(vals ...string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/console", nil)
		for _, v := range vals {
			r.Header.Add(broker.ALBDataHeader, v)
		}
		return r
	}
	exp := clock.Now().Add(time.Minute)
	good := s.jwt(t, testALB, exp, map[string]any{"sub": "123", "email": "alice@example.com", "exp": exp.Unix()})
	person, err := auth.Authenticate(req(good))
	require.NoError(t, err)
	assert.Equal(t, "alice@example.com", person)

	other := newALBSigner(t)
	other.kid = s.kid
	parts := strings.Split(good, ".")
	for name, r := range map[string]*http.Request{
		"no header":        req(),
		"two headers":      req(good, good),
		"another ALB":      req(s.jwt(t, strings.Replace(testALB, "broker", "evil", 1), exp, map[string]any{"email": "alice@example.com"})),
		"expired":          req(s.jwt(t, testALB, clock.Now().Add(-time.Second), map[string]any{"email": "alice@example.com"})),
		"another key":      req(other.jwt(t, testALB, exp, map[string]any{"email": "alice@example.com"})),
		"claims changed":   req(parts[0] + "." + base64.URLEncoding.EncodeToString([]byte(`{"email":"mallory@example.com"}`)) + "." + parts[2]),
		"no email":         req(s.jwt(t, testALB, exp, map[string]any{"sub": "123"})),
		"not a JWT":        req("alice@example.com"),
		"alg none":         req(base64.URLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"`+s.kid+`","signer":"`+testALB+`"}`)) + "." + parts[1] + "."),
		"a cookie instead": func() *http.Request { r := req(); r.Header.Set("Cookie", "AWSELBAuthSessionCookie-0="+good); return r }(),
	} {
		_, err := auth.Authenticate(r)
		assert.ErrorIs(t, err, broker.ErrUnauthenticated, name)
	}
	clock.Advance(2 * time.Minute)
	_, err = auth.Authenticate(req(good))
	assert.ErrorIs(t, err, broker.ErrUnauthenticated, "expired since")

	for _, bad := range []string{"", "arn:aws:iam::123456789012:role/x", "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/x/y",
		// The region makes the key endpoint's host name.
		"arn:aws:elasticloadbalancing:evil.example.com/x:123456789012:loadbalancer/app/broker/50dc6c495c0c9188",
		"arn:aws:elasticloadbalancing:eu-west-1.evil.example.com#:123456789012:loadbalancer/app/broker/50dc6c495c0c9188"} {
		_, err := broker.NewALBAuth(bad, "")
		assert.ErrorIs(t, err, broker.ErrInvalidConfig, bad)
	}

	// The key endpoint's PEM.
	der, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	require.NoError(t, err)
	k, err := broker.ParseALBPublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	require.NoError(t, err)
	assert.True(t, k.Equal(&s.key.PublicKey))
	_, err = broker.ParseALBPublicKey([]byte("nope"))
	assert.Error(t, err)
}

// FuzzALBAuth: whatever the header, ALBAuth refuses it unless it is a JWT
// signed by the test key for the test ALB, and never panics.
func FuzzALBAuth(f *testing.F) {
	s := newALBSigner(f)
	clock := fakes.NewClock(fakes.DefaultStart)
	good := s.jwt(f, testALB, clock.Now().Add(time.Hour), map[string]any{"email": "alice@example.com"})
	f.Add(good)
	f.Add("a.b.c")
	f.Add("")
	f.Add(strings.ReplaceAll(good, "=", ""))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	auth, err := broker.NewALBAuth(testALB, "email", broker.WithALBKeys(s.keys), broker.WithALBClock(clock))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(broker.ALBDataHeader, v)
		person, err := auth.Authenticate(r)
		if err != nil {
			if !errors.Is(err, broker.ErrUnauthenticated) {
				t.Fatalf("error of another kind: %v", err)
			}
			return
		}
		// Accepted: it must carry a signature of the test key over its
		// first two segments.
		parts := strings.Split(v, ".")
		if len(parts) != 3 || person == "" {
			t.Fatalf("accepted %q as %q", v, person)
		}
	})
}

// FuzzParseALBPublicKey: whatever the key endpoint answers, the parser
// refuses it or returns a P-256 key.
func FuzzParseALBPublicKey(f *testing.F) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		key, err := broker.ParseALBPublicKey(b)
		if err != nil {
			return
		}
		if key.Curve.Params().Name != "P-256" {
			t.Fatalf("a %s key", key.Curve.Params().Name)
		}
	})
}

// With WithALBIssuer, a token the same ALB signed after a sign-in with
// another identity provider (another listener rule) is refused.
func TestALBAuthIssuer(t *testing.T) {
	clock := fakes.NewClock(fakes.DefaultStart)
	s := newALBSigner(t)
	exp := clock.Now().Add(time.Minute)
	claims := map[string]any{"email": "alice@example.com"}
	tests := []struct {
		name, want, iss string
		ok              bool
	}{
		{"no issuer configured: any", "", "https://other-idp.example.com", true},
		{"the configured issuer", "https://idp.example.com", "https://idp.example.com", true},
		{"another issuer", "https://idp.example.com", "https://other-idp.example.com", false},
		{"a prefix of it", "https://idp.example.com", "https://idp.example.co", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []broker.ALBOption{broker.WithALBKeys(s.keys), broker.WithALBClock(clock)}
			if tt.want != "" {
				opts = append(opts, broker.WithALBIssuer(tt.want))
			}
			auth, err := broker.NewALBAuth(testALB, "", opts...)
			require.NoError(t, err)
			signer := *s
			signer.iss = tt.iss
			r := httptest.NewRequest(http.MethodGet, "/console", nil)
			r.Header.Set(broker.ALBDataHeader, signer.jwt(t, testALB, exp, claims))
			person, err := auth.Authenticate(r)
			if !tt.ok {
				require.ErrorIs(t, err, broker.ErrUnauthenticated)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "alice@example.com", person)
		})
	}
}
