package iamuser

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/internal/awsname"
)

// ValidationError reports bad input found before any AWS call was made.
type ValidationError struct {
	Field  string // the field at fault, e.g. "user name" or "groups[2]"
	Value  string // the offending value (never a secret)
	Reason string
}

func (e *ValidationError) Error() string { return "iamuser: " + e.text() }

// text is the message without the package prefix, for a CSVError to quote.
func (e *ValidationError) text() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Field, e.Value, e.Reason)
}

var (
	userNameRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_+=,.@-]+$`) })
	groupNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_+=,.@-]{1,128}$`) })
	pathRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`) })
)

// MaxUserNameLength is IAM's limit on user names.
const MaxUserNameLength = 64

// ValidateUserName checks a name against IAM's rules for user names: 1 to 64
// characters from letters, digits and _+=,.@- (IAM's [\w+=,.@-]+).
func ValidateUserName(name string) error {
	switch {
	case name == "":
		return &ValidationError{Field: "user name", Value: name, Reason: "must not be empty"}
	case len(name) > MaxUserNameLength:
		return &ValidationError{Field: "user name", Value: name, Reason: fmt.Sprintf("is %d characters long; IAM allows at most %d", len(name), MaxUserNameLength)}
	case !userNameRE().MatchString(name):
		return &ValidationError{Field: "user name", Value: name, Reason: "may contain only letters, digits and _+=,.@-"}
	}
	return nil
}

// Validate checks the whole spec before any AWS call: names, path, tags,
// permissions boundary, groups and SSH keys. A spec that fails changes nothing.
func (s Spec) Validate() error {
	if err := ValidateUserName(s.UserName); err != nil {
		return err
	}
	if s.Path != "" && (len(s.Path) > 512 || !pathRE().MatchString(s.Path)) {
		return &ValidationError{Field: "path", Value: s.Path, Reason: "must be / or begin and end with / with printable ASCII between"}
	}
	if len(s.Tags) > 49 {
		return &ValidationError{Field: "tags", Value: fmt.Sprint(len(s.Tags)), Reason: "IAM allows at most 50 tags per user, and onboarding uses one while it runs"}
	}
	seen := map[string]bool{}
	for k, v := range s.Tags {
		if k == "" || len(k) > 128 || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return &ValidationError{Field: "tag key", Value: k, Reason: "must be 1 to 128 characters and not start with aws:"}
		}
		if len(v) > 256 {
			return &ValidationError{Field: "tag value", Value: k, Reason: "must be at most 256 characters"}
		}
		if strings.EqualFold(k, OnboardingTag) {
			return &ValidationError{Field: "tag key", Value: k, Reason: "is reserved: onboarding records its runs in it"}
		}
		if seen[strings.ToLower(k)] {
			return &ValidationError{Field: "tag key", Value: k, Reason: "tag keys are case-insensitive and must be unique"}
		}
		seen[strings.ToLower(k)] = true
	}
	if _, err := awsname.IAMARN(s.PermissionsBoundary, "policy"); s.PermissionsBoundary != "" && err != nil {
		return &ValidationError{Field: "permissions boundary", Value: s.PermissionsBoundary, Reason: "must be a managed policy ARN"}
	}
	groups := map[string]bool{}
	for i, g := range s.Groups {
		if !groupNameRE().MatchString(g) {
			return &ValidationError{Field: fmt.Sprintf("groups[%d]", i), Value: g, Reason: "is not a valid IAM group name"}
		}
		if groups[strings.ToLower(g)] {
			return &ValidationError{Field: fmt.Sprintf("groups[%d]", i), Value: g, Reason: "is listed twice"}
		}
		groups[strings.ToLower(g)] = true
	}
	if len(s.SSHPublicKeys) > 5 {
		return &ValidationError{Field: "SSH public keys", Value: fmt.Sprint(len(s.SSHPublicKeys)), Reason: "IAM allows at most 5 per user"}
	}
	for i, k := range s.SSHPublicKeys {
		if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k)); err != nil {
			return &ValidationError{Field: fmt.Sprintf("SSH public key %d", i+1), Value: abbreviate(k), Reason: "is not an OpenSSH public key: " + err.Error()}
		}
	}
	return nil
}

func abbreviate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}
