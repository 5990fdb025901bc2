package mfa

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// Kind says how a set of AWS credentials came to be. The values that name an
// STS operation's result match the kinds the fake account's STS records.
type Kind string

// Kinds of credentials.
const (
	// KindLongTerm: an IAM user's access key (AKIA...), as read from a file.
	KindLongTerm Kind = "long-term"
	// KindSessionToken: GetSessionToken, called with long-term keys.
	KindSessionToken Kind = "session-token"
	// KindAssumedRole: AssumeRole, called with long-term keys (or an IAM
	// user's session token).
	KindAssumedRole Kind = "assumed-role"
	// KindChainedRole: AssumeRole called with the credentials of another
	// role session. AWS caps such sessions at one hour.
	KindChainedRole Kind = "chained-role"
	// KindWebIdentity: AssumeRoleWithWebIdentity, or Cognito's basic flow.
	KindWebIdentity Kind = "web-identity"
	// KindFederationToken: GetFederationToken.
	KindFederationToken Kind = "federation-token"
)

// Temporary reports whether credentials of kind k carry a session token and
// expire.
func (k Kind) Temporary() bool { return k != KindLongTerm && k != "" }

// Provenance records where a set of credentials came from. It travels with
// them (see Credentials) so that whoever uses them later — a console sign-in
// URL, a log line, a policy check — can tell a role session from a session
// token, and whether an MFA code was part of it, without guessing from the
// access key prefix. It never holds a secret.
type Provenance struct {
	// Kind is how the credentials were obtained.
	Kind Kind
	// SourceProfile is the profile (credentials-file section) whose keys
	// were used to obtain them, or that holds them for KindLongTerm.
	SourceProfile string
	// Profile is the profile (section) the credentials were written to or
	// read from, if any.
	Profile string
	// RoleARN is the role assumed (KindAssumedRole, KindChainedRole,
	// KindWebIdentity); empty otherwise.
	RoleARN string
	// RoleSessionName is the session name given to AssumeRole.
	RoleSessionName string
	// MFASerial is the serial number (ARN) of the MFA device whose code was
	// sent when the credentials were obtained; empty when none was.
	MFASerial string
	// Expiration is when the credentials expire (UTC); zero for long-term
	// keys. Credentials.Expires holds the same instant.
	Expiration time.Time
	// Parent is the provenance of the credentials used to obtain these, when
	// known (for a chained role, the first role session).
	Parent *Provenance
}

// MFA reports whether an MFA code was sent to obtain the credentials.
func (p Provenance) MFA() bool { return p.MFASerial != "" }

// String describes the provenance in one line, for logs and dry runs; it
// holds no secret.
func (p Provenance) String() string {
	var b strings.Builder
	kind := p.Kind
	if kind == "" {
		kind = "unknown"
	}
	b.WriteString(string(kind))
	if p.RoleARN != "" {
		fmt.Fprintf(&b, " role=%s", p.RoleARN)
	}
	if p.SourceProfile != "" {
		fmt.Fprintf(&b, " from=[%s]", p.SourceProfile)
	}
	if p.Profile != "" {
		fmt.Fprintf(&b, " profile=[%s]", p.Profile)
	}
	if p.MFASerial != "" {
		fmt.Fprintf(&b, " mfa=%s", p.MFASerial)
	}
	if !p.Expiration.IsZero() {
		fmt.Fprintf(&b, " expires=%s", p.Expiration.UTC().Format(time.RFC3339))
	}
	if p.Parent != nil {
		fmt.Fprintf(&b, " (via %s)", p.Parent.String())
	}
	return b.String()
}

// Credentials are AWS credentials together with their provenance. They are
// an aws.CredentialsProvider themselves (Retrieve returns the embedded value),
// so they can be handed to an SDK client as they are:
//
//	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.Credentials = creds })
//
// The secret access key and session token must not be logged; Provenance
// may be.
type Credentials struct {
	aws.Credentials
	Provenance
}

var _ aws.CredentialsProvider = Credentials{}

// Retrieve returns the credentials; it never fails. It makes Credentials an
// aws.CredentialsProvider.
func (c Credentials) Retrieve(context.Context) (aws.Credentials, error) { return c.Credentials, nil }

// String describes the credentials without their secrets: the access key ID
// and the provenance.
func (c Credentials) String() string {
	return fmt.Sprintf("%s %s", c.AccessKeyID, c.Provenance.String())
}

// CredentialSource is the value of aws.Credentials.Source for credentials
// this package builds.
const CredentialSource = "iamkit"

// FromSTS turns the credentials an STS call returned into Credentials with
// provenance p; p.Expiration is set from c.Expiration. It returns false when
// c is nil or lacks a key.
func FromSTS(c *ststypes.Credentials, p Provenance) (Credentials, bool) {
	if c == nil || aws.ToString(c.AccessKeyId) == "" || aws.ToString(c.SecretAccessKey) == "" {
		return Credentials{}, false
	}
	out := Credentials{
		Credentials: aws.Credentials{
			AccessKeyID:     aws.ToString(c.AccessKeyId),
			SecretAccessKey: aws.ToString(c.SecretAccessKey),
			SessionToken:    aws.ToString(c.SessionToken),
			Source:          CredentialSource,
		},
		Provenance: p,
	}
	if c.Expiration != nil {
		exp := c.Expiration.UTC()
		out.CanExpire = true
		out.Expires = exp
		out.Provenance.Expiration = exp
	}
	return out, true
}
