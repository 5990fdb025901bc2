package main

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzParseRateLimit: whatever BROKER_RATE_LIMIT holds, parseRateLimit
// refuses it or returns a usable limit (0 off, or a positive burst and
// interval), and what it accepts prints back to an equal limit.
func FuzzParseRateLimit(f *testing.F) {
	for _, s := range []string{"10/30s", "0", "1/1h", "5/", "/1s", "-1/1s", "3/1m30s", "9999999999999999999/1s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, e, err := parseRateLimit(s)
		if err != nil {
			return
		}
		if b == 0 {
			if e != 0 || s != "0" {
				t.Fatalf("%q: burst 0 with interval %s", s, e)
			}
			return
		}
		if b < 0 || e <= 0 {
			t.Fatalf("%q: burst %d every %s", s, b, e)
		}
		b2, e2, err := parseRateLimit(strconv.Itoa(b) + "/" + e.String())
		if err != nil || b2 != b || e2 != e {
			t.Fatalf("%q: %d/%s does not read back: %d/%s %v", s, b, e, b2, e2, err)
		}
	})
}

// FuzzALBHandler decodes arbitrary ALB events: the adapter never panics,
// answers every event, and hands the handler a request whose query holds
// each parameter decoded once.
func FuzzALBHandler(f *testing.F) {
	f.Add("GET", "/console", "role", "admin", "x-amzn-oidc-data", "jwt", false, "")
	f.Add("GET", "/console", "destination", "https%3A%2F%2Fconsole.aws.amazon.com%2F", "host", "b", false, "")
	f.Add("POST", "", "%zz", "%", "", "", true, "!!")
	f.Add("HEAD", "/a b", "a", "%252e", "X", "y\r\nz", true, "aGVsbG8=")
	var got *http.Request
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r; w.WriteHeader(http.StatusNoContent) })
	serve := albHandler(h)
	f.Fuzz(func(t *testing.T, method, path, qk, qv, hk, hv string, b64 bool, body string) {
		got = nil
		resp, err := serve(t.Context(), events.ALBTargetGroupRequest{
			HTTPMethod: method, Path: path, QueryStringParameters: map[string]string{qk: qv},
			Headers: map[string]string{hk: hv}, IsBase64Encoded: b64, Body: body,
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if got == nil {
			return
		}
		want := qv
		if d, err := url.QueryUnescape(qv); err == nil {
			want = d
		}
		key := qk
		if d, err := url.QueryUnescape(qk); err == nil {
			key = d
		}
		if got.URL.Query().Get(key) != want && !strings.ContainsAny(key, "&;") {
			t.Fatalf("query %q=%q reached the handler as %q", qk, qv, got.URL.Query().Get(key))
		}
	})
}
