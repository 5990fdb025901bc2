package main

import (
	"bufio"
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

// ErrUnauthenticated is returned by an Authenticator that cannot tell who
// sent the request.
var ErrUnauthenticated = errors.New("unauthenticated")

// Authenticator tells who sent a request: a person's ID (an email address,
// a user name) as the identity system in front of the broker knows it.
type Authenticator interface {
	Authenticate(r *http.Request) (person string, err error)
}

// HeaderAuth trusts a reverse proxy (oauth2-proxy, an ALB with OIDC,
// CloudFront with an edge function...) that authenticates people and passes
// who they are in UserHeader. Because the broker may be reachable without
// the proxy — a Lambda function URL is public —, the proxy must also send
// SecretHeader with Secret, a value only it knows; requests without it are
// refused.
type HeaderAuth struct {
	UserHeader   string // e.g. X-Forwarded-Email
	SecretHeader string // e.g. X-Broker-Secret
	Secret       string
}

// NewHeaderAuth checks the settings: both headers named, and a secret of at
// least 16 characters.
func NewHeaderAuth(userHeader, secretHeader, secret string) (*HeaderAuth, error) {
	switch {
	case userHeader == "" || secretHeader == "":
		return nil, errors.New("header auth needs the user header and the proxy secret header")
	case len(secret) < 16:
		return nil, errors.New("header auth needs a proxy secret of 16 characters or more")
	}
	return &HeaderAuth{UserHeader: http.CanonicalHeaderKey(userHeader), SecretHeader: http.CanonicalHeaderKey(secretHeader), Secret: secret}, nil
}

// Authenticate implements Authenticator.
func (h *HeaderAuth) Authenticate(r *http.Request) (string, error) {
	got := r.Header.Values(h.SecretHeader)
	if len(got) != 1 || subtle.ConstantTimeCompare([]byte(got[0]), []byte(h.Secret)) != 1 {
		return "", fmt.Errorf("%w: the request did not come through the trusted proxy", ErrUnauthenticated)
	}
	users := r.Header.Values(h.UserHeader)
	if len(users) != 1 || strings.TrimSpace(users[0]) == "" {
		return "", fmt.Errorf("%w: no single %s header", ErrUnauthenticated, h.UserHeader)
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

// LoadTokenFile reads a token file.
func LoadTokenFile(path string) (*TokenAuth, error) { return loadFile(path, ParseTokens) }

// loadFile opens path and parses it with parse, naming the file in errors.
func loadFile[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		return v, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// ParseTokens reads the token file format: "person sha256-hex" lines;
// blank lines and lines starting with # are skipped.
func ParseTokens(r io.Reader) (*TokenAuth, error) {
	t := &TokenAuth{hashes: map[[sha256.Size]byte]string{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want \"person sha256-hex\"", n)
		}
		raw, err := hex.DecodeString(f[1])
		if err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("line %d: %q is not a hex SHA-256", n, f[1])
		}
		var h [sha256.Size]byte
		copy(h[:], raw)
		if other, dup := t.hashes[h]; dup {
			return nil, fmt.Errorf("line %d: the same token as %s", n, other)
		}
		t.hashes[h] = f[0]
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(t.hashes) == 0 {
		return nil, errors.New("no tokens")
	}
	return t, nil
}

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
