package broker

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// ErrUnauthenticated is returned, wrapped, by an Authenticator that cannot
// tell who sent the request. The handler answers 401 and logs why.
var ErrUnauthenticated = errors.New("broker: unauthenticated")

// ErrInvalidConfig is returned, wrapped, by the constructors (New,
// NewHeaderAuth, NewCognitoSource, ...) and the file parsers when a setting
// or a file breaks a rule. Nothing was called.
var ErrInvalidConfig = errors.New("broker: invalid configuration")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}

// Authenticator tells who sent a request: a person's ID (an email address,
// a user name) as the identity system in front of the broker knows it. An
// error means "refuse the request" and should wrap ErrUnauthenticated; it
// is logged, never shown to the caller. HeaderAuth and TokenAuth are the
// two this package provides; any other (mTLS, a session cookie, a JWT) can
// be plugged in.
type Authenticator interface {
	Authenticate(r *http.Request) (person string, err error)
}

// HeaderAuth trusts a reverse proxy (oauth2-proxy, an ALB with OIDC,
// CloudFront with an edge function...) that authenticates people and passes
// who they are in a header. Because the broker may be reachable without
// the proxy — a Lambda function URL is public —, the proxy must also send
// a second header with a secret only it knows; requests without it, or with
// the user header missing, empty or repeated, are refused.
type HeaderAuth struct {
	userHeader, secretHeader, secret string
}

// MinProxySecret is the shortest proxy secret NewHeaderAuth accepts.
const MinProxySecret = 16

// NewHeaderAuth returns a HeaderAuth reading the person from userHeader
// (e.g. X-Forwarded-Email) and requiring secretHeader (e.g.
// X-Broker-Secret) to carry secret. Both headers must be named and the
// secret must be MinProxySecret characters or more.
func NewHeaderAuth(userHeader, secretHeader, secret string) (*HeaderAuth, error) {
	switch {
	case userHeader == "" || secretHeader == "":
		return nil, invalid("header auth needs the user header and the proxy secret header")
	case len(secret) < MinProxySecret:
		return nil, invalid("header auth needs a proxy secret of %d characters or more", MinProxySecret)
	}
	return &HeaderAuth{userHeader: http.CanonicalHeaderKey(userHeader), secretHeader: http.CanonicalHeaderKey(secretHeader), secret: secret}, nil
}

// Authenticate implements Authenticator. The secret is compared in
// constant time.
func (h *HeaderAuth) Authenticate(r *http.Request) (string, error) {
	got := r.Header.Values(h.secretHeader)
	if len(got) != 1 || subtle.ConstantTimeCompare([]byte(got[0]), []byte(h.secret)) != 1 {
		return "", fmt.Errorf("%w: the request did not come through the trusted proxy", ErrUnauthenticated)
	}
	users := r.Header.Values(h.userHeader)
	if len(users) != 1 || strings.TrimSpace(users[0]) == "" {
		return "", fmt.Errorf("%w: no single %s header", ErrUnauthenticated, h.userHeader)
	}
	return strings.TrimSpace(users[0]), nil
}

// TokenAuth authenticates requests with a bearer token (Authorization:
// Bearer TOKEN) against a file of SHA-256 hashes, so the file holds no
// usable secret:
//
//	# person              sha256 of the token, hex
//	alice@example.com     9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
type TokenAuth struct {
	hashes map[[sha256.Size]byte]string // token hash -> person
}

// LoadTokenFile reads a token file (see ParseTokens); errors name the file.
func LoadTokenFile(path string) (*TokenAuth, error) { return loadFile(path, ParseTokens) }

// loadFile opens path and parses it with parse, naming the file in errors.
func loadFile[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("broker: %w", err)
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		return v, fmt.Errorf("%w (in %s)", err, path)
	}
	return v, nil
}

// ParseTokens reads the token file format: "person sha256-hex" lines;
// blank lines and lines starting with # are skipped. Two people with the
// same token, a malformed line or no token at all is an error wrapping
// ErrInvalidConfig (naming the line, never a hash's owner's token).
func ParseTokens(r io.Reader) (*TokenAuth, error) {
	t := &TokenAuth{hashes: map[[sha256.Size]byte]string{}}
	err := eachLine(r, 2, "person sha256-hex", func(n int, f []string) error {
		raw, err := hex.DecodeString(f[1])
		if err != nil || len(raw) != sha256.Size {
			return invalid("line %d: %q is not a hex SHA-256", n, f[1])
		}
		var h [sha256.Size]byte
		copy(h[:], raw)
		if other, dup := t.hashes[h]; dup {
			return invalid("line %d: the same token as %s", n, other)
		}
		t.hashes[h] = f[0]
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(t.hashes) == 0 {
		return nil, invalid("no tokens")
	}
	return t, nil
}

// Len returns how many tokens the file held.
func (t *TokenAuth) Len() int { return len(t.hashes) }

// HashToken returns the hex SHA-256 of a token, as the token file holds it.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Authenticate implements Authenticator. The lookup is by hash, so its
// timing says nothing about the tokens.
func (t *TokenAuth) Authenticate(r *http.Request) (string, error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", fmt.Errorf("%w: no bearer token", ErrUnauthenticated)
	}
	person, ok := t.hashes[sha256.Sum256([]byte(token))]
	if !ok {
		return "", fmt.Errorf("%w: unknown token", ErrUnauthenticated)
	}
	return person, nil
}

var (
	_ Authenticator = (*HeaderAuth)(nil)
	_ Authenticator = (*TokenAuth)(nil)
)
