package awsname_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/iamkit/iamkit/internal/awsname"
)

// stsPattern is STS's documented pattern for RoleSessionName.
var stsPattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func TestRoleSessionName(t *testing.T) {
	tests := []struct {
		in, fallback, want string
	}{
		{"alice", "", "alice"},
		{"alice@example.com", "", "alice@example.com"},
		{"CN=Bob,O=Example", "", "CN=Bob,O=Example"},
		{"Dr. Who", "", "Dr.-Who"},
		{"iamkit-dana.smith", "", "iamkit-dana.smith"},
		{"hostsync-ip-10-0-0-1.ec2.internal", "", "hostsync-ip-10-0-0-1.ec2.internal"},
		{"hostsync-a b", "", "hostsync-a-b"},
		{"hostsync-", "hostsync", "hostsync"},
		{"iamkit-ü", "", "iamkit"},      // a foreign character at the end is trimmed
		{"jürgen", "", "j-rgen"},        // one '-' per character, not per byte
		{"bad\xffbyte", "", "bad-byte"}, // an invalid byte is one '-'
		{"trailing--", "", "trailing"},  //
		{"a", "iamkit", "iamkit"},       // too short: the fallback
		{"é", "", ""},                   // nothing usable, no fallback
		{"é", "ü", ""},                  // nor a usable fallback
		{"", "fallback value", "fallback-value"},
		{strings.Repeat("x", 100), "", strings.Repeat("x", 64)},
		{strings.Repeat("x", 63) + "éy", "", strings.Repeat("x", 63)}, // the cut leaves no '-'
		{"x" + strings.Repeat("日", 70), "", ""},
	}
	for _, tt := range tests {
		got := awsname.RoleSessionName(tt.in, tt.fallback)
		assert.Equal(t, tt.want, got, "%q, %q", tt.in, tt.fallback)
		if got != "" {
			assert.True(t, awsname.ValidRoleSessionName(got), got)
			assert.Regexp(t, stsPattern, got)
		}
	}
}

func TestValidRoleSessionName(t *testing.T) {
	for s, want := range map[string]bool{
		"ab": true, "a": false, "": false, strings.Repeat("a", 64): true, strings.Repeat("a", 65): false,
		"a b": false, "a/b": false, "a:b": false, "ü-x": false, "_+=,.@-": true,
	} {
		assert.Equal(t, want, awsname.ValidRoleSessionName(s), "%q", s)
		assert.Equal(t, stsPattern.MatchString(s), awsname.ValidRoleSessionName(s), "agrees with STS's pattern on %q", s)
	}
}

// FuzzRoleSessionName: whatever the input, the result is "" or a name STS
// accepts; the rule is idempotent; a valid name without a trailing '-'
// passes unchanged.
func FuzzRoleSessionName(f *testing.F) {
	f.Add("alice", "")
	f.Add("hostsync-ip-10-0-0-1.ec2.internal", "hostsync")
	f.Fuzz(func(t *testing.T, s, fallback string) {
		got := awsname.RoleSessionName(s, fallback)
		if got == "" {
			return
		}
		if !stsPattern.MatchString(got) || !awsname.ValidRoleSessionName(got) {
			t.Fatalf("RoleSessionName(%q, %q) = %q: not a valid name", s, fallback, got)
		}
		if again := awsname.RoleSessionName(got, ""); again != got {
			t.Fatalf("not idempotent: %q → %q", got, again)
		}
		if stsPattern.MatchString(s) && !strings.HasSuffix(s, "-") && got != s {
			t.Fatalf("valid name %q changed to %q", s, got)
		}
	})
}
