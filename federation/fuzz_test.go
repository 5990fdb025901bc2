package federation

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

var fuzzPartitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-eusc"}

// checkConsoleURL asserts what every Destination must be: an https URL on
// the partition's console host (or a regional one), without user info or
// port, in canonical form (parsing and printing it again changes nothing).
func checkConsoleURL(t *testing.T, p Partition, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("%q does not parse: %v", s, err)
	}
	if u.Scheme != "https" || u.User != nil || u.Port() != "" || u.Opaque != "" {
		t.Fatalf("%q: scheme %q, user %v, port %q, opaque %q", s, u.Scheme, u.User, u.Port(), u.Opaque)
	}
	if !p.isConsoleHost(u.Host) {
		t.Fatalf("%q: host %q is not a %s console host", s, u.Host, p.ID)
	}
	if again := u.String(); again != s {
		t.Fatalf("%q is not canonical: prints again as %q", s, again)
	}
	if strings.Contains(s, "\\") || strings.Contains(u.Path, "//") {
		t.Fatalf("%q: backslash or empty segment", s)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		// Decoded as often as a server might: never a dot segment.
		for range 4 {
			if seg == ".." || seg == "." || strings.Contains(seg, "\\") {
				t.Fatalf("%q: dot segment or backslash in the path", s)
			}
			next, err := url.PathUnescape(seg)
			if err != nil || next == seg {
				break
			}
			seg = next
		}
	}
	return u
}

// FuzzDestination: whatever the region and service path, Destination either
// refuses them or returns a console URL of the partition, which
// CheckDestination accepts unchanged, and which survives the trip through
// a login URL's Destination parameter byte for byte.
func FuzzDestination(f *testing.F) {
	f.Add(uint8(0), "us-west-2", "ec2/home#Instances:")
	f.Add(uint8(0), "", "")
	f.Add(uint8(1), "cn-north-1", "s3/buckets?prefix=a%2Fb&x=1")
	f.Add(uint8(2), "us-gov-west-1", "cloudwatch/home#logsV2:log-groups/log-group/$252Faws$252Flambda")
	f.Add(uint8(0), "eu-west-1", "//evil.example.com/")
	f.Add(uint8(0), "us-east-1", "a/../../b")
	f.Add(uint8(0), "us-east-1", "%2e%2e/x")
	f.Add(uint8(0), "us-east-1", "ec2/home?region=us-east-1&a=%26#x%23y")
	f.Fuzz(func(t *testing.T, pi uint8, region, service string) {
		p, _ := LookupPartition(fuzzPartitions[int(pi)%len(fuzzPartitions)])
		dest, err := Destination(p.ID, region, service)
		if err != nil {
			return
		}
		u := checkConsoleURL(t, p, dest)
		if region != "" && u.Query().Get("region") != region {
			t.Fatalf("%q: region parameter %q, want %q", dest, u.Query().Get("region"), region)
		}
		checked, err := CheckDestination(p.ID, dest)
		if err != nil || checked != dest {
			t.Fatalf("CheckDestination(%q) = %q, %v", dest, checked, err)
		}
		s := &SignIn{Partition: p.ID, Region: region, Issuer: "https://broker.example.com/?a=b&c=d"}
		tok := &SigninToken{value: "tok+/=&%" + service, Expires: time.Unix(0, 0)}
		login, err := s.LoginURL(tok, dest, true)
		if err != nil {
			t.Fatalf("LoginURL(%q): %v", dest, err)
		}
		lu, err := url.Parse(login.URL)
		if err != nil {
			t.Fatalf("login URL does not parse: %v", err)
		}
		q := lu.Query()
		if q.Get("Destination") != dest || q.Get("SigninToken") != tok.value || q.Get("Issuer") != s.Issuer || q.Get("Action") != "login" || len(q) != 4 {
			t.Fatalf("login URL %q does not carry its parameters intact: %v", login.URL, q)
		}
		if lu.Host != p.SigninHost && !strings.HasSuffix(lu.Host, "."+p.SigninHost) {
			t.Fatalf("login URL on %q, not the %s sign-in host", lu.Host, p.ID)
		}
		lo, err := url.Parse(login.LogoutURL)
		if err != nil || lo.Query().Get("redirect_uri") != login.URL {
			t.Fatalf("logout URL %q does not lead to the login URL: %v", login.LogoutURL, err)
		}
	})
}

// FuzzCheckDestination: whatever a request's Destination, CheckDestination
// either refuses it or returns a console URL of the partition.
func FuzzCheckDestination(f *testing.F) {
	f.Add(uint8(0), "https://console.aws.amazon.com/")
	f.Add(uint8(0), "https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2#Instances:")
	f.Add(uint8(0), "https://console.aws.amazon.com@evil.example.com/")
	f.Add(uint8(0), "https://evil.example.com\\@console.aws.amazon.com/")
	f.Add(uint8(0), "https://console.aws.amazon.com%2eevil.example.com/")
	f.Add(uint8(1), "https://console.amazonaws.cn/ec2")
	f.Add(uint8(2), "HTTPS://CONSOLE.AMAZONAWS-US-GOV.COM/")
	f.Add(uint8(1), "https://console.amazonaws.cn/.#")
	f.Add(uint8(0), "https://console.aws.amazon.com/ec2/../../x")
	f.Add(uint8(0), "https://console.aws.amazon.com/%2e%2e/x")
	f.Add(uint8(0), "https://console.aws.amazon.com//evil.example.com/")
	f.Add(uint8(0), "https://console.aws.amazon.com/ec2\\..\\x")
	f.Fuzz(func(t *testing.T, pi uint8, raw string) {
		p, _ := LookupPartition(fuzzPartitions[int(pi)%len(fuzzPartitions)])
		got, err := CheckDestination(p.ID, raw)
		if err != nil {
			return
		}
		checkConsoleURL(t, p, got)
	})
}
