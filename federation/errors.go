package federation

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/iamkit/iamkit/mfa"
)

// Errors of the credential rules. They are returned wrapped, after the
// package's "federation: " prefix and with the details; test with
// errors.Is.
var (
	// ErrInvalidRequest: a request is malformed (a missing role, a bad
	// duration, ...). Nothing was called.
	ErrInvalidRequest = errors.New("invalid request")

	// ErrSessionTokenCredentials: the credentials came from GetSessionToken.
	// The sign-in endpoint refuses them; assume a role with them instead.
	ErrSessionTokenCredentials = errors.New("credentials from GetSessionToken cannot sign in to the console: the sign-in endpoint refuses them; use them to assume a role (AssumeRole) and sign in with the role's credentials")

	// ErrLongTermCredentials: an access key without a session token. The
	// sign-in endpoint needs temporary credentials.
	ErrLongTermCredentials = errors.New("long-term access keys cannot sign in to the console: obtain temporary credentials first (AssumeRole, or GetFederationToken with a session policy)")

	// ErrUnknownProvenance: the credentials carry no provenance, so the
	// sign-in rules cannot be applied. Use Identify first.
	ErrUnknownProvenance = errors.New("the credentials' provenance is unknown (use Identify)")

	// ErrCredentialsExpired: the credentials expired before they were used.
	ErrCredentialsExpired = errors.New("the credentials have expired")

	// ErrSessionDuration: SessionDuration was asked for where the sign-in
	// endpoint does not allow it (federation-token credentials) or out of
	// range (900 s to 12 h). The error is a *SessionDurationError.
	ErrSessionDuration = errors.New("SessionDuration not allowed")

	// ErrNoSessionPolicy: GetFederationToken without a session policy gives
	// a federated user, and a console session, with no permissions at all.
	ErrNoSessionPolicy = errors.New("GetFederationToken without a session policy (Policy or PolicyARNs): the federated user, and its console session, would have no permissions")

	// ErrChainedDuration: a role assumed with role credentials (role
	// chaining) lasts at most one hour.
	ErrChainedDuration = errors.New("role chaining limits the session to one hour")

	// ErrClassicFlowDisabled: the identity pool does not allow the basic
	// (classic) flow. Enable it on the pool, or use CognitoEnhancedFlow.
	ErrClassicFlowDisabled = errors.New("the identity pool does not allow the basic (classic) flow")

	// ErrRoleNotAssumable: STS refused the role for the Cognito identity:
	// the role's trust policy must name cognito-identity.amazonaws.com as a
	// federated principal, with the pool as cognito-identity.amazonaws.com:aud
	// and the identity's kind (authenticated or unauthenticated) as :amr.
	ErrRoleNotAssumable = errors.New("the role does not trust this identity pool's identities")

	// ErrTokenExpired: the OpenID token expired before STS saw it (a
	// GetOpenIdToken token lasts 10 minutes).
	ErrTokenExpired = errors.New("the OpenID token expired")

	// ErrUnsupportedPartition: the partition has no sign-in federation
	// endpoint this package knows (aws, aws-cn, aws-us-gov and aws-eusc
	// have one; see Partitions).
	ErrUnsupportedPartition = errors.New("partition without a known sign-in federation endpoint")

	// ErrInvalidDestination: a Destination that is not a console URL of the
	// partition, or a console service path that cannot be one.
	ErrInvalidDestination = errors.New("invalid console destination")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("federation: %w: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))
}

// SessionDurationError explains why a console SessionDuration was refused.
// It matches ErrSessionDuration with errors.Is.
type SessionDurationError struct {
	Kind     mfa.Kind      // the credentials' kind
	Duration time.Duration // what was asked for
	Reason   string
}

func (e *SessionDurationError) Error() string {
	return fmt.Sprintf("federation: SessionDuration %s with %s credentials: %s", e.Duration, e.Kind, e.Reason)
}

// Is makes errors.Is(err, ErrSessionDuration) true.
func (e *SessionDurationError) Is(target error) bool { return target == ErrSessionDuration }

// EndpointError is an answer of the sign-in endpoint other than success:
// the operation, the HTTP status and a summary of the body (at most 200
// characters, one line, with any secret of the request removed).
type EndpointError struct {
	Op      string // "getSigninToken"
	Status  int
	Summary string
}

func (e *EndpointError) Error() string {
	s := fmt.Sprintf("federation: sign-in endpoint: %s: HTTP %d %s", e.Op, e.Status, http.StatusText(e.Status))
	if e.Summary != "" {
		s += ": " + e.Summary
	}
	return s
}

// Temporary reports whether retrying later may help (5xx, 429).
func (e *EndpointError) Temporary() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests
}

const summaryLimit = 200

// summarize makes one short line of body, with every secret replaced.
func summarize(body []byte, secrets ...string) string {
	s := string(body)
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > summaryLimit {
		s = string(r[:summaryLimit]) + "…"
	}
	return s
}

// FlowError is the failure of a Cognito flow: the step that failed, the
// identity it had (if any) and what became of it. It unwraps to the step's
// error and, when deleting the identity failed too, to that error; it
// matches ErrClassicFlowDisabled, ErrRoleNotAssumable and ErrTokenExpired
// when the step's error means that.
type FlowError struct {
	Flow       string // "basic" or "enhanced"
	Step       string // the operation that failed, e.g. "GetOpenIdToken"
	PoolID     string
	IdentityID string // "" if none was obtained
	Deleted    bool   // the identity, created by this flow, was deleted
	Err        error
	CleanupErr error // deleting the identity failed
	reason     error // a sentinel that classifies Err, or nil
}

func (e *FlowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "federation: cognito %s flow: %s", e.Flow, e.Step)
	if e.IdentityID != "" {
		fmt.Fprintf(&b, " (identity %s)", e.IdentityID)
	}
	if e.reason != nil {
		fmt.Fprintf(&b, ": %v", e.reason)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	switch {
	case e.Deleted:
		b.WriteString("; the identity it created was deleted")
	case e.CleanupErr != nil:
		fmt.Fprintf(&b, "; deleting the identity it created failed too: %v", e.CleanupErr)
	}
	return b.String()
}

// Unwrap returns the step's error and the clean-up error, if any.
func (e *FlowError) Unwrap() []error {
	out := []error{e.Err}
	if e.CleanupErr != nil {
		out = append(out, e.CleanupErr)
	}
	return out
}

// Is matches the sentinel that classifies the failure.
func (e *FlowError) Is(target error) bool { return e.reason != nil && target == e.reason }
