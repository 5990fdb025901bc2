package broker

import (
	"context"
	"strings"
	"time"

	"github.com/iamkit/iamkit/internal/awsname"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/mfa"
)

// Source obtains a role's credentials for an authenticated person. The
// handler passes its logger and clock as opts (federation.WithLogger,
// federation.WithClock), for a Source built on federation's flows to hand
// on. CognitoSource and AssumeRoleSource are the two this package
// provides.
type Source interface {
	Credentials(ctx context.Context, person string, role Role, opts ...federation.Option) (mfa.Credentials, error)
}

// SourceOption configures NewCognitoSource and NewAssumeRoleSource.
type SourceOption func(*sourceConfig)

type sourceConfig struct {
	duration time.Duration
	caller   *mfa.Provenance
}

// WithRoleDuration sets the role session's duration (0, the default: one
// hour). The role's MaxSessionDuration bounds it, and role chaining to one
// hour.
func WithRoleDuration(d time.Duration) SourceOption {
	return func(c *sourceConfig) { c.duration = d }
}

// WithCaller tells AssumeRoleSource where the broker's own credentials came
// from, when known (a role's: the sessions are chained, one hour at most).
// NewCognitoSource ignores it.
func WithCaller(p *mfa.Provenance) SourceOption {
	return func(c *sourceConfig) { c.caller = p }
}

func newSourceConfig(opts []SourceOption) sourceConfig {
	var c sourceConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// CognitoSource obtains credentials through an identity pool's basic
// (classic) flow, the person being a developer-authenticated identity of
// the pool (the broker is the developer provider): no IAM user, and one
// Cognito identity per person, reused on every sign-in. The pool must allow
// the classic flow and the roles must trust the pool's authenticated
// identities; the broker's credentials need
// cognito-identity:GetOpenIdTokenForDeveloperIdentity on the pool.
type CognitoSource struct {
	cognito  federation.CognitoBasicAPI
	sts      federation.WebIdentityAPI
	pool     string
	provider string
	cfg      sourceConfig
}

// NewCognitoSource returns a CognitoSource for the identity pool poolID
// ("region:guid") whose developer provider name is developerProvider.
// *cognitoidentity.Client (in the pool's region) and *sts.Client satisfy
// the interfaces.
func NewCognitoSource(cog federation.CognitoBasicAPI, st federation.WebIdentityAPI, poolID, developerProvider string, opts ...SourceOption) (*CognitoSource, error) {
	switch region, guid, _ := strings.Cut(poolID, ":"); {
	case cog == nil || st == nil:
		return nil, invalid("the cognito source needs a Cognito Identity and an STS client")
	case region == "" || guid == "":
		return nil, invalid("identity pool ID %q: want region:guid", poolID)
	case developerProvider == "":
		return nil, invalid("the cognito source needs the pool's developer provider name")
	}
	return &CognitoSource{cognito: cog, sts: st, pool: poolID, provider: developerProvider, cfg: newSourceConfig(opts)}, nil
}

// Credentials implements Source: GetId and
// GetOpenIdTokenForDeveloperIdentity for person, then
// AssumeRoleWithWebIdentity into role with SessionName(person).
func (c *CognitoSource) Credentials(ctx context.Context, person string, role Role, opts ...federation.Option) (mfa.Credentials, error) {
	s, err := federation.CognitoBasicFlow(ctx, c.cognito, c.sts, federation.CognitoRequest{
		IdentityPoolID:  c.pool,
		Developer:       &federation.DeveloperLogin{Provider: c.provider, UserID: person},
		RoleARN:         role.ARN,
		RoleSessionName: SessionName(person),
		Duration:        c.cfg.duration,
		Policy:          role.Policy,
	}, opts...)
	if err != nil {
		return mfa.Credentials{}, err
	}
	return s.Credentials, nil
}

// AssumeRoleSource obtains credentials with AssumeRole, signed with the
// broker's own credentials, which need sts:AssumeRole on the roles (and the
// roles must trust them). If those are a role's (a Lambda function's), this
// is role chaining: one hour at most.
type AssumeRoleSource struct {
	sts federation.AssumeRoleAPI
	cfg sourceConfig
}

// NewAssumeRoleSource returns an AssumeRoleSource. *sts.Client satisfies
// the interface.
func NewAssumeRoleSource(st federation.AssumeRoleAPI, opts ...SourceOption) (*AssumeRoleSource, error) {
	if st == nil {
		return nil, invalid("the assume-role source needs an STS client")
	}
	return &AssumeRoleSource{sts: st, cfg: newSourceConfig(opts)}, nil
}

// Credentials implements Source: AssumeRole into role with
// SessionName(person) and the role's session policies.
func (a *AssumeRoleSource) Credentials(ctx context.Context, person string, role Role, opts ...federation.Option) (mfa.Credentials, error) {
	return federation.AssumeRole(ctx, a.sts, federation.AssumeRoleRequest{
		RoleARN: role.ARN, RoleSessionName: SessionName(person), Duration: a.cfg.duration, Source: a.cfg.caller,
		Policy: role.Policy, PolicyARNs: role.PolicyARNs,
	}, opts...)
}

// FederationTokenSource obtains credentials with GetFederationToken: the
// person becomes a federated user named after them (FederatedName), with
// the permissions of the entry's session policies (and no more than the
// broker's IAM user has). GetFederationToken needs an IAM user's long-term
// keys: a broker running on a role (a Lambda function, an instance
// profile) cannot use it, and NewFederationTokenSource refuses to start
// without proof of such keys. The console session lasts as long as the
// token, carries no MFA, and takes no SessionDuration (the handler sends
// none). The role map's entries must all be "federated".
type FederationTokenSource struct {
	sts federation.FederationTokenAPI
	cfg sourceConfig
}

// NewFederationTokenSource returns a FederationTokenSource. caller is the
// provenance of the broker's own credentials, as federation.Identify
// tells it at start-up: anything but an IAM user's long-term keys
// (mfa.KindLongTerm) is an ErrInvalidConfig that says why. WithRoleDuration
// sets the token's duration (15 minutes to 36 hours; 0: STS's 12 hours).
func NewFederationTokenSource(st federation.FederationTokenAPI, caller *mfa.Provenance, opts ...SourceOption) (*FederationTokenSource, error) {
	switch {
	case st == nil:
		return nil, invalid("the federation-token source needs an STS client")
	case caller == nil:
		return nil, invalid("the federation-token source needs to know the broker's credentials (federation.Identify): GetFederationToken takes an IAM user's long-term keys only")
	case caller.Kind != mfa.KindLongTerm:
		return nil, invalid("federation tokens need an IAM user's long-term access keys, and the broker runs with %s credentials (%s): GetFederationToken refuses temporary credentials such as a Lambda function's or an instance's role; use the assume-role or cognito source there", caller.Kind, caller.String())
	}
	c := newSourceConfig(opts)
	if c.duration != 0 && (c.duration < federation.MinRoleSession || c.duration > federation.MaxFederationSession) {
		return nil, invalid("federation token duration %s: 15m to 36h", c.duration)
	}
	c.caller = caller
	return &FederationTokenSource{sts: st, cfg: c}, nil
}

// Credentials implements Source: GetFederationToken named
// FederatedName(person) with the entry's session policies.
func (f *FederationTokenSource) Credentials(ctx context.Context, person string, role Role, opts ...federation.Option) (mfa.Credentials, error) {
	return federation.FederationToken(ctx, f.sts, federation.FederationTokenRequest{
		Name: FederatedName(person), Duration: f.cfg.duration, Policy: role.Policy, PolicyARNs: role.PolicyARNs,
		Source: f.cfg.caller,
	}, opts...)
}

// FederatedName is SessionName cut to the 32 characters a federated user's
// name may have.
func FederatedName(person string) string {
	n := SessionName(person)
	if len(n) > 32 {
		n = strings.TrimRight(n[:32], "-")
	}
	return n
}

var (
	_ Source = (*CognitoSource)(nil)
	_ Source = (*AssumeRoleSource)(nil)
	_ Source = (*FederationTokenSource)(nil)
)

// SessionName turns a person's ID into a role session name, the way
// CloudTrail and the console will show who used the role, by iamkit's one
// rule for session names (the same as mfa's, the CLI's console command's
// and hostsync's): every character outside [A-Za-z0-9_+=,.@-] becomes '-',
// the name is cut at 64 characters and stripped of trailing '-'. An ID
// that leaves fewer than 2 characters becomes "broker-ID" made a name by
// the same rule ("broker" at least).
func SessionName(person string) string {
	return awsname.RoleSessionName(person, "broker-"+person)
}
