package fakes

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

// CredentialKind says how a set of credentials issued by the fake STS came to be.
type CredentialKind string

// Kinds of issued credentials.
const (
	KindSessionToken CredentialKind = "session-token" // GetSessionToken
	KindAssumedRole  CredentialKind = "assumed-role"  // AssumeRole
)

// Issued is a set of temporary credentials the fake STS handed out; other fakes
// (the sign-in endpoint, for one) check what they are shown against it.
type Issued struct {
	// AccessKeyID, SecretAccessKey and SessionToken are the credentials.
	AccessKeyID, SecretAccessKey, SessionToken string
	// Kind says which STS operation issued them.
	Kind CredentialKind
	// Expiration is when STS stops accepting them, on the account's clock.
	Expiration time.Time
	ARN        string // the assumed-role or user ARN
	MFA        bool   // issued with an MFA code
	// Chained is true for a role assumed with another role's credentials
	// (role chaining: one hour at most, console sessions too).
	Chained bool
	// SessionPolicy and SessionPolicyARNs are the session policies the
	// credentials were issued with (AssumeRole, GetFederationToken).
	SessionPolicy     string
	SessionPolicyARNs []string
}

type stsState struct {
	issued map[string]*Issued // by access key ID
}

// STS is the account's STS service, answering as one caller: the account root
// (Account.STS) or the owner of an access key (Account.STSAs).
type STS struct {
	a      *Account
	caller string // lower-cased IAM user name; "" for the root
	key    string // the access key ID of STSAs; "" otherwise
	// session is set when called with STS session credentials (STSAsSession).
	session *Issued
}

// STS returns the account's STS service, called with the root's credentials.
func (a *Account) STS() *STS { return &STS{a: a} }

// STSAs returns the account's STS service called with the long-term access key
// accessKeyID of an IAM user (as created by CreateAccessKey). Once the key is
// made Inactive or deleted, its calls answer InvalidClientTokenId (uncounted),
// as STS and the server do. It panics if no user holds the key: that is a bug
// in the test.
func (a *Account) STSAs(accessKeyID string) *STS {
	a.mu.Lock()
	defer a.mu.Unlock()
	owner, ok := a.iam.accessKeyOwner[accessKeyID]
	if !ok {
		panic("fakes: no IAM user holds access key " + accessKeyID)
	}
	return &STS{a: a, caller: owner, key: accessKeyID}
}

// Issued returns what the fake STS knows of a temporary access key ID.
func (a *Account) Issued(accessKeyID string) (Issued, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.sts.issued[accessKeyID]
	if !ok {
		return Issued{}, false
	}
	return *c, true
}

// IssuedKeys returns the access key IDs of every set of temporary
// credentials the account's STS issued, sorted.
func (a *Account) IssuedKeys() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.sts.issued))
	for id := range a.sts.issued {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func stsValidation(format string, args ...any) error {
	return &smithy.GenericAPIError{Code: "ValidationError", Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

func accessDenied(format string, args ...any) error {
	return &smithy.GenericAPIError{Code: "AccessDenied", Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

var (
	roleARNRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^arn:[\w-]+:iam::(\d{12}):role/(?:[\x21-\x7E]*/)?([\w+=,.@-]{1,64})$`)
	})
	sessionNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@-]{2,64}$`) })
)

// checkMFA verifies an MFA serial and code for the caller. Callers hold a.mu.
func (s *STS) checkMFA(serial, code *string) (bool, error) {
	if serial == nil && code == nil {
		return false, nil
	}
	if serial == nil || code == nil {
		return false, stsValidation("SerialNumber and TokenCode must be given together")
	}
	if len(*code) != 6 {
		return false, stsValidation("TokenCode must be 6 digits")
	}
	d, ok := s.a.iam.mfa[*serial]
	if !ok || s.caller == "" || d.user != s.caller {
		return false, accessDenied("MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.")
	}
	now := s.a.clock.Now().Unix() / int64(totpStep/time.Second)
	for step := now - 1; step <= now+1; step++ {
		if totp(d.seed, step) == *code {
			if step <= d.lastStep {
				return false, accessDenied("MultiFactorAuthentication failed with invalid MFA one time pass code.")
			}
			d.lastStep = step
			return true, nil
		}
	}
	return false, accessDenied("MultiFactorAuthentication failed with invalid MFA one time pass code.")
}

func (s *STS) issue(kind CredentialKind, arn string, d time.Duration, mfa bool) *ststypes.Credentials {
	a := s.a
	c := &Issued{
		AccessKeyID:     a.newID("ASIA", 16),
		SecretAccessKey: a.newID("", 40),
		SessionToken:    "FwoGZXIvYXdzE" + a.newID("", 120),
		Kind:            kind,
		Expiration:      a.clock.Now().UTC().Add(d).Truncate(time.Second),
		ARN:             arn,
		MFA:             mfa,
	}
	if a.sts.issued == nil {
		a.sts.issued = map[string]*Issued{}
	}
	a.sts.issued[c.AccessKeyID] = c
	return &ststypes.Credentials{
		AccessKeyId: aws.String(c.AccessKeyID), SecretAccessKey: aws.String(c.SecretAccessKey),
		SessionToken: aws.String(c.SessionToken), Expiration: aws.Time(c.Expiration),
	}
}

// GetCallerIdentity implements sts.Client.GetCallerIdentity.
func (s *STS) GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, _ ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	if err := s.refuseCredentials(); err != nil {
		return nil, err
	}
	a := s.a
	return call(ctx, a, "sts:GetCallerIdentity", in, func() (*sts.GetCallerIdentityOutput, error) {
		if s.session != nil {
			return s.sessionIdentity(), nil
		}
		if s.caller == "" {
			return &sts.GetCallerIdentityOutput{Account: aws.String(a.id), Arn: aws.String(a.arn("iam", "root")), UserId: aws.String(a.id)}, nil
		}
		u, ok := a.iam.users[s.caller]
		if !ok {
			return nil, &smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", Fault: smithy.FaultClient}
		}
		return &sts.GetCallerIdentityOutput{Account: aws.String(a.id), Arn: aws.String(u.arn), UserId: aws.String(u.id)}, nil
	})
}

// GetSessionToken implements sts.Client.GetSessionToken: 900 s to 36 h for an
// IAM user (default 12 h), at most 1 h for the root; MFA checked when given.
func (s *STS) GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, _ ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	if err := s.refuseCredentials(); err != nil {
		return nil, err
	}
	a := s.a
	return call(ctx, a, "sts:GetSessionToken", in, func() (*sts.GetSessionTokenOutput, error) {
		if err := s.refuseSession("GetSessionToken"); err != nil {
			return nil, err
		}
		maxD := int32(129600)
		arn := a.arn("iam", "root")
		if s.caller == "" {
			maxD = 3600
		} else if u, ok := a.iam.users[s.caller]; ok {
			arn = u.arn
		}
		d := aws.ToInt32(in.DurationSeconds)
		if in.DurationSeconds == nil {
			d = min(43200, maxD)
		}
		if d < 900 || d > maxD {
			return nil, stsValidation("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and %d", d, maxD)
		}
		mfa, err := s.checkMFA(in.SerialNumber, in.TokenCode)
		if err != nil {
			return nil, err
		}
		return &sts.GetSessionTokenOutput{Credentials: s.issue(KindSessionToken, arn, time.Duration(d)*time.Second, mfa)}, nil
	})
}

// AssumeRole implements sts.Client.AssumeRole for roles of this account:
// the role must exist (CreateRole), DurationSeconds must be within 900 s and
// the role's maximum session duration — one hour when called with a role's
// session credentials (role chaining) —, session policies (Policy,
// PolicyArns) are validated and recorded on the Issued credentials, and an
// MFA code is checked when given. Trust policies are not evaluated.
func (s *STS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	if err := s.refuseCredentials(); err != nil {
		return nil, err
	}
	a := s.a
	return call(ctx, a, "sts:AssumeRole", in, func() (*sts.AssumeRoleOutput, error) {
		m := roleARNRE().FindStringSubmatch(aws.ToString(in.RoleArn))
		if m == nil {
			return nil, stsValidation("%s is invalid", aws.ToString(in.RoleArn))
		}
		if !sessionNameRE().MatchString(aws.ToString(in.RoleSessionName)) {
			return nil, stsValidation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint", aws.ToString(in.RoleSessionName))
		}
		r, ok := a.iam.roles[strings.ToLower(m[2])]
		if m[1] != a.id || !ok || r.arn != *in.RoleArn {
			return nil, accessDenied("User is not authorized to perform: sts:AssumeRole on resource: %s", aws.ToString(in.RoleArn))
		}
		d := int32(3600)
		if in.DurationSeconds != nil {
			d = *in.DurationSeconds
		}
		chained := s.session != nil && (s.session.Kind == KindAssumedRole || s.session.Kind == KindWebIdentity)
		if chained && d > 3600 {
			return nil, stsValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
		}
		if d < 900 || d > r.maxSession {
			return nil, stsValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
		if err := checkSessionPolicy(in.Policy, in.PolicyArns); err != nil {
			return nil, err
		}
		mfa, err := s.checkMFA(in.SerialNumber, in.TokenCode)
		if err != nil {
			return nil, err
		}
		sessionARN := fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", a.partition, a.id, r.name, *in.RoleSessionName)
		creds := s.issue(KindAssumedRole, sessionARN, time.Duration(d)*time.Second, mfa)
		issued := a.sts.issued[*creds.AccessKeyId]
		issued.Chained = chained
		issued.SessionPolicy, issued.SessionPolicyARNs = aws.ToString(in.Policy), policyARNs(in.PolicyArns)
		return &sts.AssumeRoleOutput{
			Credentials:     creds,
			AssumedRoleUser: &ststypes.AssumedRoleUser{Arn: aws.String(sessionARN), AssumedRoleId: aws.String(r.id + ":" + *in.RoleSessionName)},
		}, nil
	})
}

// policyARNs lists the ARNs of session policy descriptors.
func policyARNs(in []ststypes.PolicyDescriptorType) []string {
	var out []string
	for _, p := range in {
		out = append(out, aws.ToString(p.Arn))
	}
	return out
}
