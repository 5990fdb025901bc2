package mfa_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/iamkit/iamkit/mfa"
)

// FuzzCode checks that Code never panics, returns either exactly six ASCII
// digits or an error, never leaks the seed in an error, and agrees with itself
// on the seed's normalised forms.
func FuzzCode(f *testing.F) {
	f.Add(rfcSeed, int64(59))
	f.Add("GEZDGNBVGY======", int64(1111111111))
	f.Add("gezd gnbv gy", int64(0))
	f.Add("", int64(1))
	f.Add("A", int64(-1))
	f.Add("GEZDGNBVGY3TQOJ1", int64(20000000000))
	f.Fuzz(func(t *testing.T, seed string, unix int64) {
		at := time.Unix(unix, 0)
		code, err := mfa.Code(seed, at)
		if err != nil {
			if code != "" {
				t.Fatalf("Code returned %q with error %v", code, err)
			}
			if !errors.Is(err, mfa.ErrInvalidSeed) && unix >= 0 {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if s := strings.TrimSpace(seed); len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q leaks the seed", err)
			}
			return
		}
		if len(code) != 6 {
			t.Fatalf("code %q is not 6 characters", code)
		}
		for _, c := range []byte(code) {
			if c < '0' || c > '9' {
				t.Fatalf("code %q is not all digits", code)
			}
		}
		if again, err := mfa.Code(strings.ToLower(seed)+"==", at); err != nil || again != code {
			t.Fatalf("lower-cased, padded seed gives %q, %v; want %q", again, err, code)
		}
	})
}

// FuzzURI checks that URI never panics and always yields a TOTP key URI whose
// label and query decode back to what was put in.
func FuzzURI(f *testing.F) {
	f.Add(testSeed, "", "")
	f.Add(testSeed, "ACME Co", "john.doe@example.com")
	f.Add("gezd gnbv gy==", "a:b", "c:d")
	f.Add("", "R&D+Ops/EU?#", "bob=1%;x")
	f.Add("x", "Zürich", "\x00\xff")
	f.Fuzz(func(t *testing.T, seed, issuer, account string) {
		uri := mfa.URI(seed, mfa.URIOptions{Issuer: issuer, AccountName: account})
		if issuer == "" {
			issuer = mfa.DefaultIssuer
		}
		if account == "" {
			account = mfa.DefaultAccountName
		}
		gotIssuer, gotAccount, q := parseURI(t, uri)
		if gotIssuer != issuer || gotAccount != account {
			t.Fatalf("label decodes to %q:%q; want %q:%q", gotIssuer, gotAccount, issuer, account)
		}
		want := url.Values{"issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
		for k, v := range want {
			if q.Get(k) != v[0] {
				t.Fatalf("query %s = %q; want %q", k, q.Get(k), v[0])
			}
		}
		if s := q.Get("secret"); strings.ContainsAny(s, " \t\n") || strings.HasSuffix(s, "=") || strings.ToUpper(s) != s {
			t.Fatalf("secret %q is not normalised", s)
		}
	})
}
