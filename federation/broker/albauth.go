package broker

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/iamkit/iamkit"
)

// ALBDataHeader is the header in which an Application Load Balancer that
// authenticated the request (an authenticate-oidc action) passes the
// user's claims, as a JWT it signs (ES256).
const ALBDataHeader = "X-Amzn-Oidc-Data"

// ALBKeys returns the public key of an ALB's signing key kid. The default
// (ALBPublicKeys) fetches it from the region's public-keys.auth.elb
// endpoint; tests hand in their own.
type ALBKeys func(ctx context.Context, kid string) (*ecdsa.PublicKey, error)

// ALBAuth trusts an Application Load Balancer that authenticates people
// with OIDC (an authenticate-oidc listener action) in front of the broker:
// the person is a claim ("email" by default) of the x-amzn-oidc-data JWT the
// ALB adds to every request it forwards. The JWT's ES256 signature is
// checked with the ALB's public key, its signer must be the ALB named at
// construction and it must not have expired: a forged or replayed-late
// header is refused, so the broker does not depend on being reachable
// through the ALB only (though it should be). Cookies are never read.
type ALBAuth struct {
	albARN string
	claim  string
	issuer string // "": any
	keys   ALBKeys
	clock  iamkit.Clock

	mu    sync.Mutex
	cache map[string]*ecdsa.PublicKey
}

// ALBOption configures NewALBAuth.
type ALBOption func(*ALBAuth)

// WithALBKeys replaces the key source (default: ALBPublicKeys for the ALB's
// region).
func WithALBKeys(k ALBKeys) ALBOption { return func(a *ALBAuth) { a.keys = k } }

// WithALBIssuer requires the JWT's iss (the OIDC identity provider that
// authenticated the person, which the ALB names in the JWT's header) to be
// issuer. Set it when the ALB has listener rules with other identity
// providers: without it, a token the same ALB signed after a sign-in with
// any of them names a person the broker trusts.
func WithALBIssuer(issuer string) ALBOption { return func(a *ALBAuth) { a.issuer = issuer } }

// WithALBClock sets the clock expirations are checked against.
func WithALBClock(c iamkit.Clock) ALBOption { return func(a *ALBAuth) { a.clock = c } }

var (
	albKidRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9-]{1,128}$`) })
	albClaimRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_:.-]{1,64}$`) })
	// albRegionRE: the region goes into the key endpoint's host name.
	albRegionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$`) })
)

// NewALBAuth returns an ALBAuth for the load balancer albARN
// (arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID),
// reading the person from claim ("" is "email"; "sub" is the IdP's
// subject).
func NewALBAuth(albARN, claim string, opts ...ALBOption) (*ALBAuth, error) {
	a, err := arn.Parse(albARN)
	if err != nil || a.Service != "elasticloadbalancing" || !albRegionRE().MatchString(a.Region) || !strings.HasPrefix(a.Resource, "loadbalancer/app/") {
		return nil, invalid("ALB auth: %q is not an Application Load Balancer ARN", albARN)
	}
	if claim == "" {
		claim = "email"
	}
	if !albClaimRE().MatchString(claim) {
		return nil, invalid("ALB auth: claim %q", claim)
	}
	auth := &ALBAuth{albARN: albARN, claim: claim, clock: iamkit.SystemClock{}, cache: map[string]*ecdsa.PublicKey{}}
	for _, o := range opts {
		o(auth)
	}
	if auth.keys == nil {
		auth.keys = ALBPublicKeys(a.Region, nil)
	}
	return auth, nil
}

// ALBPublicKeys fetches ALB signing keys from
// https://public-keys.auth.elb.REGION.amazonaws.com/KID (PEM), with hc
// (nil: a client with a 5-second timeout).
func ALBPublicKeys(region string, hc *http.Client) ALBKeys {
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	return func(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://public-keys.auth.elb."+region+".amazonaws.com/"+kid, nil)
		if err != nil {
			return nil, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("ALB public key %s: HTTP %d", kid, resp.StatusCode)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<10))
		if err != nil {
			return nil, err
		}
		return ParseALBPublicKey(body)
	}
}

// ParseALBPublicKey reads a PEM public key as the ALB's key endpoint
// serves it; it must be an ECDSA P-256 key.
func ParseALBPublicKey(b []byte) (*ecdsa.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok || ek.Curve.Params().Name != "P-256" {
		return nil, errors.New("not an ECDSA P-256 key")
	}
	return ek, nil
}

// albSegment decodes a JWT segment; the ALB pads its base64url.
func albSegment(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// Authenticate implements Authenticator: exactly one x-amzn-oidc-data
// header, a JWT with alg ES256, a kid, the configured signer (and issuer,
// WithALBIssuer), an exp in the future, a valid signature, and a non-empty
// claim.
func (a *ALBAuth) Authenticate(r *http.Request) (string, error) {
	vals := r.Header.Values(ALBDataHeader)
	if len(vals) != 1 {
		return "", fmt.Errorf("%w: no single %s header (not through the ALB?)", ErrUnauthenticated, ALBDataHeader)
	}
	parts := strings.Split(vals[0], ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("%w: %s is not a JWT", ErrUnauthenticated, ALBDataHeader)
	}
	hb, err1 := albSegment(parts[0])
	pb, err2 := albSegment(parts[1])
	sig, err3 := albSegment(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrUnauthenticated, ALBDataHeader, err)
	}
	var hdr struct {
		Alg, Kid, Signer, Iss string
		Exp                   int64
	}
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return "", fmt.Errorf("%w: %s header: %v", ErrUnauthenticated, ALBDataHeader, err)
	}
	switch {
	case hdr.Alg != "ES256":
		return "", fmt.Errorf("%w: %s: algorithm %q", ErrUnauthenticated, ALBDataHeader, hdr.Alg)
	case hdr.Signer != a.albARN:
		return "", fmt.Errorf("%w: %s signed by %q, not this broker's ALB", ErrUnauthenticated, ALBDataHeader, hdr.Signer)
	case a.issuer != "" && hdr.Iss != a.issuer:
		return "", fmt.Errorf("%w: %s issued by %q, not %q", ErrUnauthenticated, ALBDataHeader, hdr.Iss, a.issuer)
	case !albKidRE().MatchString(hdr.Kid):
		return "", fmt.Errorf("%w: %s: key ID %q", ErrUnauthenticated, ALBDataHeader, hdr.Kid)
	case len(sig) != 64:
		return "", fmt.Errorf("%w: %s: signature of %d bytes", ErrUnauthenticated, ALBDataHeader, len(sig))
	}
	key, err := a.key(r.Context(), hdr.Kid)
	if err != nil {
		return "", fmt.Errorf("%w: %s: key %s: %v", ErrUnauthenticated, ALBDataHeader, hdr.Kid, err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(key, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return "", fmt.Errorf("%w: %s: bad signature", ErrUnauthenticated, ALBDataHeader)
	}
	var claims map[string]any
	if err := json.Unmarshal(pb, &claims); err != nil {
		return "", fmt.Errorf("%w: %s claims: %v", ErrUnauthenticated, ALBDataHeader, err)
	}
	exp := hdr.Exp
	if e, ok := claims["exp"].(float64); ok && exp == 0 {
		exp = int64(e)
	}
	if exp == 0 || !a.clock.Now().Before(time.Unix(exp, 0)) {
		return "", fmt.Errorf("%w: %s expired", ErrUnauthenticated, ALBDataHeader)
	}
	person, _ := claims[a.claim].(string)
	if person = strings.TrimSpace(person); person == "" {
		return "", fmt.Errorf("%w: %s has no %q claim", ErrUnauthenticated, ALBDataHeader, a.claim)
	}
	return person, nil
}

// key returns the public key kid, fetched once.
func (a *ALBAuth) key(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	a.mu.Lock()
	k, ok := a.cache[kid]
	a.mu.Unlock()
	if ok {
		return k, nil
	}
	k, err := a.keys(ctx, kid)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	if len(a.cache) > 64 { // keys rotate rarely; never grow without bound
		clear(a.cache)
	}
	a.cache[kid] = k
	a.mu.Unlock()
	return k, nil
}

var _ Authenticator = (*ALBAuth)(nil)
