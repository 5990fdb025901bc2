package federation

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/iamkit/iamkit/internal/awsname"

	"github.com/iamkit/iamkit/mfa"
)

// MaxFederationSession is the longest GetFederationToken session (an IAM
// user's; the root's is one hour).
const MaxFederationSession = 36 * time.Hour

var (
	mfaSerialRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=/:,.@-]{9,256}$`) })
)

// roleKind reports whether credentials of kind k are a role's: assuming a
// role with them is role chaining.
func roleKind(k mfa.Kind) bool {
	return k == mfa.KindAssumedRole || k == mfa.KindChainedRole || k == mfa.KindWebIdentity
}

func policyDescriptors(arns []string) ([]ststypes.PolicyDescriptorType, error) {
	if len(arns) > 10 {
		return nil, invalid("%d managed session policies; STS allows 10", len(arns))
	}
	var out []ststypes.PolicyDescriptorType
	for _, a := range arns {
		if _, err := awsname.IAMARN(a, "policy"); err != nil {
			return nil, invalid("%q is not a managed policy ARN", a)
		}
		out = append(out, ststypes.PolicyDescriptorType{Arn: aws.String(a)})
	}
	return out, nil
}

// AssumeRoleRequest says which role to assume for the console, as an IAM
// user or with other credentials (the client's).
type AssumeRoleRequest struct {
	// RoleARN is the role to assume.
	RoleARN string
	// RoleSessionName names the session: who the person is, as CloudTrail
	// and the console show it.
	RoleSessionName string
	// Duration is the role session's duration, 15 minutes to the role's
	// maximum; 0 is STS's default, one hour. With role credentials (role
	// chaining) it is at most one hour.
	Duration time.Duration
	// Policy and PolicyARNs are optional session policies.
	Policy     string
	PolicyARNs []string
	// MFASerial, when set, is the MFA device whose code Token gives; the
	// role's trust policy may require it (aws:MultiFactorAuthPresent).
	MFASerial string
	Token     mfa.TokenSource
	// Source is the provenance of the credentials the STS client signs with,
	// when known: it becomes the result's Parent, and tells role chaining
	// apart.
	Source *mfa.Provenance
}

// AssumeRole assumes a role and returns its credentials with their
// provenance (mfa.KindAssumedRole, or mfa.KindChainedRole when Source is a
// role's credentials; MFASerial when a code was sent). The request is
// checked before any call.
func AssumeRole(ctx context.Context, api AssumeRoleAPI, req AssumeRoleRequest, opts ...Option) (mfa.Credentials, error) {
	o := newOptions(opts)
	if _, err := awsname.RoleARN(req.RoleARN); err != nil {
		return mfa.Credentials{}, invalid("role ARN %q is not a role ARN", req.RoleARN)
	}
	if !awsname.ValidRoleSessionName(req.RoleSessionName) {
		return mfa.Credentials{}, invalid("role session name %q must be 2 to 64 characters of letters, digits and +=,.@_-", req.RoleSessionName)
	}
	kind := mfa.KindAssumedRole
	maxD := MaxRoleSession
	if req.Source != nil && roleKind(req.Source.Kind) {
		kind, maxD = mfa.KindChainedRole, MaxChainedSession
		if req.Duration > MaxChainedSession {
			return mfa.Credentials{}, fmt.Errorf("federation: %w: %s requested, with %s credentials", ErrChainedDuration, req.Duration, req.Source.Kind)
		}
	}
	if err := checkRoleDuration(req.Duration, maxD); err != nil {
		return mfa.Credentials{}, err
	}
	if err := checkPolicy(req.Policy); err != nil {
		return mfa.Credentials{}, err
	}
	arns, err := policyDescriptors(req.PolicyARNs)
	if err != nil {
		return mfa.Credentials{}, err
	}
	in := &sts.AssumeRoleInput{
		RoleArn: aws.String(req.RoleARN), RoleSessionName: aws.String(req.RoleSessionName),
		DurationSeconds: seconds(req.Duration), Policy: optString(req.Policy), PolicyArns: arns,
	}
	if req.MFASerial != "" {
		if !mfaSerialRE().MatchString(req.MFASerial) {
			return mfa.Credentials{}, invalid("MFA serial %q is not valid", req.MFASerial)
		}
		if req.Token == nil {
			return mfa.Credentials{}, invalid("an MFA serial needs a token source for the code")
		}
		code, err := req.Token.Token(ctx, mfa.TokenRequest{Device: req.MFASerial, Duration: req.Duration, Time: o.clock.Now()})
		if err != nil {
			return mfa.Credentials{}, fmt.Errorf("federation: MFA code for %s: %w", req.MFASerial, err)
		}
		if !mfa.ValidToken(code) {
			return mfa.Credentials{}, fmt.Errorf("federation: MFA code for %s: %w", req.MFASerial, mfa.ErrInvalidToken)
		}
		in.SerialNumber, in.TokenCode = aws.String(req.MFASerial), aws.String(code)
	}
	out, err := api.AssumeRole(ctx, in)
	if err != nil {
		return mfa.Credentials{}, fmt.Errorf("federation: AssumeRole %s: %w", req.RoleARN, err)
	}
	p := mfa.Provenance{Kind: kind, RoleARN: req.RoleARN, RoleSessionName: req.RoleSessionName, MFASerial: req.MFASerial}
	if req.Source != nil {
		parent := *req.Source
		p.Parent, p.SourceProfile = &parent, parent.Profile
	}
	creds, ok := mfa.FromSTS(out.Credentials, p)
	if !ok {
		return mfa.Credentials{}, fmt.Errorf("federation: AssumeRole %s: no credentials in the answer of STS", req.RoleARN)
	}
	o.log.Info("role assumed", "provenance", creds.Provenance.String())
	return creds, nil
}

// FederationTokenRequest says which federated user to make, for an IAM user
// calling GetFederationToken with its long-term keys.
type FederationTokenRequest struct {
	// Name is the federated user's name (2 to 32 characters of
	// [\w+=,.@-]), as CloudTrail and the console show it.
	Name string
	// Duration is the session's duration, 15 minutes to 36 hours (one hour
	// for the root); 0 is STS's default, 12 hours. The console session lasts
	// as long: the sign-in endpoint takes no SessionDuration for these.
	Duration time.Duration
	// Policy and PolicyARNs are the session policies: the federated user
	// may do what they allow and the IAM user's policies allow too. Without
	// either it may do nothing.
	Policy     string
	PolicyARNs []string
	// AllowNoAccess accepts a request without session policy (the console
	// session will have no permissions); a warning is logged. Without it,
	// such a request fails with ErrNoSessionPolicy before any call.
	AllowNoAccess bool
	// Source is the provenance of the credentials the STS client signs
	// with, when known. GetFederationToken needs an IAM user's long-term
	// keys; temporary credentials are refused before any call.
	Source *mfa.Provenance
}

// FederationToken calls GetFederationToken and returns the federated user's
// credentials with their provenance (mfa.KindFederationToken; the name in
// RoleSessionName, the only session name such credentials have).
func FederationToken(ctx context.Context, api FederationTokenAPI, req FederationTokenRequest, opts ...Option) (mfa.Credentials, error) {
	o := newOptions(opts)
	if !awsname.ValidName(req.Name, 2, 32) {
		return mfa.Credentials{}, invalid("federated user name %q must be 2 to 32 characters of letters, digits and +=,.@_-", req.Name)
	}
	if req.Duration != 0 && (req.Duration < MinRoleSession || req.Duration > MaxFederationSession || req.Duration%time.Second != 0) {
		return mfa.Credentials{}, invalid("duration %s must be whole seconds from %s to %s", req.Duration, MinRoleSession, MaxFederationSession)
	}
	if req.Source != nil && req.Source.Kind.Temporary() {
		return mfa.Credentials{}, invalid("GetFederationToken must be called with an IAM user's long-term keys, not %s credentials", req.Source.Kind)
	}
	if err := checkPolicy(req.Policy); err != nil {
		return mfa.Credentials{}, err
	}
	arns, err := policyDescriptors(req.PolicyARNs)
	if err != nil {
		return mfa.Credentials{}, err
	}
	if req.Policy == "" && len(arns) == 0 {
		if !req.AllowNoAccess {
			return mfa.Credentials{}, fmt.Errorf("federation: %w", ErrNoSessionPolicy)
		}
		o.log.Warn("GetFederationToken without a session policy: the console session will have no permissions", "name", req.Name)
	}
	out, err := api.GetFederationToken(ctx, &sts.GetFederationTokenInput{
		Name: aws.String(req.Name), DurationSeconds: seconds(req.Duration),
		Policy: optString(req.Policy), PolicyArns: arns,
	})
	if err != nil {
		return mfa.Credentials{}, fmt.Errorf("federation: GetFederationToken %s: %w", req.Name, err)
	}
	p := mfa.Provenance{Kind: mfa.KindFederationToken, RoleSessionName: req.Name}
	if req.Source != nil {
		parent := *req.Source
		p.Parent, p.SourceProfile = &parent, parent.Profile
	}
	creds, ok := mfa.FromSTS(out.Credentials, p)
	if !ok {
		return mfa.Credentials{}, fmt.Errorf("federation: GetFederationToken %s: no credentials in the answer of STS", req.Name)
	}
	o.log.Info("federation token obtained", "provenance", creds.Provenance.String())
	return creds, nil
}

// Identity is what GetCallerIdentity tells of a set of credentials.
type Identity struct {
	// Credentials are the credentials, with the provenance read from the
	// ARN (Kind, and the role and session name of a role session).
	Credentials mfa.Credentials
	// ARN is the caller's ARN; Account and Partition are taken from it.
	ARN, Account, Partition string
}

// Identify tells what credentials of unknown origin are (say, a profile's,
// as config.LoadDefaultConfig resolved them) by calling GetCallerIdentity
// with them, and returns them with a provenance the sign-in rules can use:
// an assumed-role ARN is mfa.KindAssumedRole (role chaining cannot be told
// apart), a federated user mfa.KindFederationToken, an IAM user or the root
// with a session token mfa.KindSessionToken, without one mfa.KindLongTerm.
// The role ARN is rebuilt from the session ARN and so lacks the role's path.
// profile, if any, is recorded as the provenance's Profile.
func Identify(ctx context.Context, api CallerIdentityAPI, creds aws.Credentials, profile string) (*Identity, error) {
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return nil, invalid("no credentials to identify")
	}
	out, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) {
		o.Credentials = mfa.Credentials{Credentials: creds}
	})
	if err != nil {
		return nil, fmt.Errorf("federation: GetCallerIdentity: %w", err)
	}
	a, err := arn.Parse(aws.ToString(out.Arn))
	if err != nil {
		return nil, fmt.Errorf("federation: GetCallerIdentity: caller ARN %q: %w", aws.ToString(out.Arn), err)
	}
	p := mfa.Provenance{Profile: profile}
	if creds.CanExpire {
		p.Expiration = creds.Expires.UTC()
	}
	switch kind, rest, _ := strings.Cut(a.Resource, "/"); {
	case a.Service == "sts" && kind == "assumed-role":
		role, session, ok := strings.Cut(rest, "/")
		if !ok {
			return nil, fmt.Errorf("federation: GetCallerIdentity: unexpected assumed-role ARN %q", a.String())
		}
		p.Kind, p.RoleSessionName = mfa.KindAssumedRole, session
		p.RoleARN = arn.ARN{Partition: a.Partition, Service: "iam", AccountID: a.AccountID, Resource: "role/" + role}.String()
	case a.Service == "sts" && kind == "federated-user":
		p.Kind, p.RoleSessionName = mfa.KindFederationToken, rest
	case a.Service == "iam" && (kind == "user" || a.Resource == "root"):
		p.Kind = mfa.KindLongTerm
		if creds.SessionToken != "" {
			p.Kind = mfa.KindSessionToken
		}
	default:
		return nil, fmt.Errorf("federation: GetCallerIdentity: cannot tell what credentials of %q are", a.String())
	}
	return &Identity{
		Credentials: mfa.Credentials{Credentials: creds, Provenance: p},
		ARN:         a.String(), Account: a.AccountID, Partition: a.Partition,
	}, nil
}

// PartitionOf returns the partition of an ARN ("aws", "aws-cn", ...), the
// reliable way to know which sign-in endpoint serves it.
func PartitionOf(s string) (string, error) {
	a, err := arn.Parse(s)
	if err != nil {
		return "", fmt.Errorf("federation: %w: %q: %w", ErrInvalidRequest, s, err)
	}
	return a.Partition, nil
}
