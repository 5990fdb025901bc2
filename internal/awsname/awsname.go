// Package awsname holds iamkit's one rule for names AWS constrains: the
// role session name every AssumeRole caller sends (mfa's MFA sessions,
// the console sign-in of examples/iamkit and federation/broker, hostsync's
// host credentials).
package awsname

import "strings"

// MaxRoleSessionName and MinRoleSessionName bound a RoleSessionName's
// length, as STS does.
const (
	MinRoleSessionName = 2
	MaxRoleSessionName = 64
)

// RoleSessionName returns a name STS accepts as RoleSessionName (the
// pattern [\w+=,.@-]{2,64}) made from s, by one rule:
//
//   - every character outside [A-Za-z0-9_+=,.@-] becomes '-' (a character
//     of several bytes, or an invalid byte, becomes one '-');
//   - the result is cut to 64 characters, then '-' are trimmed from its end,
//     so a cut or a foreign character never leaves a dangling separator;
//   - if fewer than 2 characters remain, the result is fallback made a name
//     by the same rule, or "" when fallback does not make one either.
//
// Callers put their prefix in s ("hostsync-" + host name): CloudTrail then
// tells the callers apart. The result is deterministic, so the same person
// or host always gets the same name.
func RoleSessionName(s, fallback string) string {
	if n := sanitize(s); len(n) >= MinRoleSessionName {
		return n
	}
	if n := sanitize(fallback); len(n) >= MinRoleSessionName {
		return n
	}
	return ""
}

// ValidRoleSessionName reports whether s is a RoleSessionName STS accepts.
func ValidRoleSessionName(s string) bool {
	if len(s) < MinRoleSessionName || len(s) > MaxRoleSessionName {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !allowed(s[i]) {
			return false
		}
	}
	return true
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s { // an invalid byte comes as utf8.RuneError: one '-'
		if b.Len() == MaxRoleSessionName {
			break
		}
		if r < 0x80 && allowed(byte(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return strings.TrimRight(b.String(), "-")
}

func allowed(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("_+=,.@-", c) >= 0
}
