package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cogtypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/iamkit/iamkit/internal/awsname"

	"github.com/iamkit/iamkit/mfa"
)

// Limits of the calls the flows make.
const (
	// MinRoleSession and MaxRoleSession bound a role session's duration
	// (DurationSeconds); a role's own maximum may be lower.
	MinRoleSession = 900 * time.Second
	MaxRoleSession = 12 * time.Hour
	// MaxChainedSession is the longest session of a role assumed with role
	// credentials.
	MaxChainedSession = time.Hour
	// MaxDeveloperTokenDuration is the longest lifetime of a developer
	// identity's OpenID token.
	MaxDeveloperTokenDuration = 24 * time.Hour
	// MaxSessionPolicy is the longest inline session policy, in characters.
	MaxSessionPolicy = 2048
	// EnhancedSessionName is the role session name Cognito gives the
	// credentials of the enhanced flow, whoever the person is.
	EnhancedSessionName = "CognitoIdentityCredentials"
	// CognitoProvider is the provider name of Cognito Identity's own OpenID
	// tokens, as STS reports it and as a Logins key.
	CognitoProvider = "cognito-identity.amazonaws.com"
)

var (
	poolIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w-]+:[0-9a-f-]+$`) })
)

// DeveloperLogin is a person your own backend authenticated, registered in
// the identity pool through its developer provider
// (GetOpenIdTokenForDeveloperIdentity).
type DeveloperLogin struct {
	// Provider is the pool's developer provider name ("login.example.com").
	Provider string
	// UserID is the person's identifier at your backend; the same ID maps
	// to the same Cognito identity every time.
	UserID string
	// TokenDuration is the OpenID token's lifetime (0: Cognito's default,
	// 15 minutes; at most 24 hours). The token is exchanged at once, so the
	// default is plenty.
	TokenDuration time.Duration
}

// CognitoRequest says whose credentials to obtain from an identity pool, and
// for which role.
//
// The identity is one of: unauthenticated (no Logins, no Developer), a
// person signed in with public providers (Logins), or a person your backend
// authenticated (Developer). IdentityID reuses an identity instead of
// asking Cognito for one.
type CognitoRequest struct {
	// IdentityPoolID is the pool, "region:guid".
	IdentityPoolID string
	// AccountID is the AWS account that owns the pool (GetId's optional
	// AccountId).
	AccountID string
	// Logins maps public providers to the person's tokens
	// ("accounts.google.com" → ID token). Empty for an unauthenticated
	// identity.
	Logins map[string]string
	// Developer, when set, obtains the identity and its token from your
	// backend's developer provider (basic flow only).
	Developer *DeveloperLogin
	// IdentityID, when set, is an identity to use instead of calling GetId.
	// It is never deleted.
	IdentityID string

	// RoleARN is the role to assume. Basic flow: required, and the role's
	// trust policy must trust the pool. Enhanced flow: optional
	// (CustomRoleArn, one of the pool's roles); without it the pool decides.
	RoleARN string
	// RoleSessionName names the session — who the person is, as CloudTrail
	// and the console show it (2 to 64 characters of [\w+=,.@-]). Basic
	// flow only, required there.
	RoleSessionName string
	// Duration is the role session's duration, 15 minutes to the role's
	// maximum (12 hours at most); 0 is STS's default, one hour. Basic flow
	// only.
	Duration time.Duration
	// Policy is an optional inline session policy that narrows the role's
	// permissions. Basic flow only.
	Policy string

	// Ephemeral deletes an unauthenticated identity the flow created once
	// the credentials are in hand (they stay valid): without it, every
	// unauthenticated sign-in leaves one more identity in the pool.
	Ephemeral bool
}

// CognitoSession is what a Cognito flow obtained.
type CognitoSession struct {
	// Credentials are the role credentials, with their provenance
	// (mfa.KindWebIdentity, the role and session name).
	Credentials mfa.Credentials
	// IdentityPoolID and IdentityID name the Cognito identity.
	IdentityPoolID, IdentityID string
	// Authenticated is false for an unauthenticated identity.
	Authenticated bool
	// Flow is "basic" or "enhanced".
	Flow string
	// SessionARN is the assumed-role session's ARN (basic flow; empty for
	// the enhanced flow, where Cognito does not report it).
	SessionARN string
	// Created is true when this flow created the identity (an
	// unauthenticated identity from GetId); Deleted when it deleted it again
	// (Ephemeral).
	Created, Deleted bool
}

func (r *CognitoRequest) authenticated() bool { return len(r.Logins) > 0 || r.Developer != nil }

func (r *CognitoRequest) validate(flow string) error {
	if !poolIDRE().MatchString(r.IdentityPoolID) {
		return invalid("identity pool ID %q is not of the form region:guid", r.IdentityPoolID)
	}
	if r.AccountID != "" && !awsname.IsAccountID(r.AccountID) {
		return invalid("account ID %q is not 12 digits", r.AccountID)
	}
	if r.IdentityID != "" && !poolIDRE().MatchString(r.IdentityID) {
		return invalid("identity ID %q is not of the form region:guid", r.IdentityID)
	}
	for prov, tok := range r.Logins {
		if prov == "" || tok == "" {
			return invalid("logins need a provider name and a token")
		}
	}
	if _, err := awsname.RoleARN(r.RoleARN); r.RoleARN != "" && err != nil {
		return invalid("role ARN %q is not a role ARN", r.RoleARN)
	}
	if flow == "enhanced" {
		switch {
		case r.Developer != nil:
			return invalid("developer identities need the basic flow here (the enhanced flow would need GetOpenIdTokenForDeveloperIdentity too)")
		case r.RoleSessionName != "", r.Duration != 0, r.Policy != "":
			return invalid("the enhanced flow cannot choose the role session name, duration or session policy (Cognito fixes them: %s, one hour, Cognito's own policy); use the basic flow", EnhancedSessionName)
		}
		return nil
	}
	if d := r.Developer; d != nil {
		if d.Provider == "" || d.UserID == "" {
			return invalid("a developer login needs the provider name and the user ID")
		}
		if d.TokenDuration < 0 || d.TokenDuration > MaxDeveloperTokenDuration || d.TokenDuration%time.Second != 0 {
			return invalid("developer token duration %s is not whole seconds up to 24h", d.TokenDuration)
		}
		if _, ok := r.Logins[d.Provider]; ok {
			return invalid("the developer provider %q is given in Logins too", d.Provider)
		}
	}
	if r.RoleARN == "" {
		return invalid("the basic flow needs the role to assume (RoleARN)")
	}
	if !awsname.ValidRoleSessionName(r.RoleSessionName) {
		return invalid("role session name %q must be 2 to 64 characters of letters, digits and +=,.@_-", r.RoleSessionName)
	}
	if err := checkRoleDuration(r.Duration, MaxRoleSession); err != nil {
		return err
	}
	return checkPolicy(r.Policy)
}

func checkRoleDuration(d, maxD time.Duration) error {
	if d != 0 && (d < MinRoleSession || d > maxD || d%time.Second != 0) {
		return invalid("session duration %s must be whole seconds from %s to %s", d, MinRoleSession, maxD)
	}
	return nil
}

func checkPolicy(p string) error {
	if p == "" {
		return nil
	}
	if len(p) > MaxSessionPolicy {
		return invalid("the session policy has %d characters; STS allows %d", len(p), MaxSessionPolicy)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(p), &doc); err != nil {
		return invalid("the session policy is not a JSON object: %v", err)
	}
	return nil
}

func seconds(d time.Duration) *int32 {
	if d == 0 {
		return nil
	}
	return aws.Int32(int32(d / time.Second))
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// flow carries one run of a Cognito flow: the identity and whether it is
// the flow's to delete.
type flow struct {
	name    string
	req     *CognitoRequest
	o       options
	deleter interface {
		DeleteIdentities(ctx context.Context, in *cognitoidentity.DeleteIdentitiesInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.DeleteIdentitiesOutput, error)
	}
	identity string
	created  bool
}

// getID obtains the identity: the one given, or GetId's.
func (f *flow) getID(ctx context.Context, api interface {
	GetId(ctx context.Context, in *cognitoidentity.GetIdInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetIdOutput, error)
}) error {
	if f.req.IdentityID != "" {
		f.identity = f.req.IdentityID
		return nil
	}
	out, err := api.GetId(ctx, &cognitoidentity.GetIdInput{
		IdentityPoolId: aws.String(f.req.IdentityPoolID),
		AccountId:      optString(f.req.AccountID),
		Logins:         maps.Clone(f.req.Logins),
	})
	if err != nil {
		return f.fail(ctx, "GetId", err)
	}
	f.identity = aws.ToString(out.IdentityId)
	// Without logins, GetId makes a new identity every time: it is ours.
	// With logins it returns the person's identity, which may well be
	// older than this flow and is never deleted.
	f.created = len(f.req.Logins) == 0
	f.o.log.Debug("cognito identity", "flow", f.name, "pool", f.req.IdentityPoolID, "identity", f.identity, "created", f.created)
	return nil
}

// fail builds the FlowError of step, deleting the identity the flow created.
func (f *flow) fail(ctx context.Context, step string, err error) error {
	fe := &FlowError{Flow: f.name, Step: step, PoolID: f.req.IdentityPoolID, IdentityID: f.identity, Err: err, reason: classify(step, err)}
	if f.created && f.identity != "" {
		fe.CleanupErr = f.delete(ctx)
		fe.Deleted = fe.CleanupErr == nil
	}
	f.o.log.Warn("cognito flow failed", "flow", f.name, "step", step, "pool", f.req.IdentityPoolID,
		"identity", f.identity, "identity_deleted", fe.Deleted, "error", err.Error())
	return fe
}

// delete deletes the flow's identity, even when ctx is done: clean-up must
// not be skipped because the caller gave up.
func (f *flow) delete(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	out, err := f.deleter.DeleteIdentities(ctx, &cognitoidentity.DeleteIdentitiesInput{IdentityIdsToDelete: []string{f.identity}})
	if err != nil {
		return fmt.Errorf("DeleteIdentities(%s): %w", f.identity, err)
	}
	for _, u := range out.UnprocessedIdentityIds {
		if aws.ToString(u.IdentityId) == f.identity {
			return fmt.Errorf("DeleteIdentities(%s): not processed: %s", f.identity, u.ErrorCode)
		}
	}
	f.o.log.Debug("cognito identity deleted", "pool", f.req.IdentityPoolID, "identity", f.identity)
	return nil
}

// classify maps a step's error to the sentinel that explains it.
func classify(step string, err error) error {
	var ip *cogtypes.InvalidParameterException
	if step == "GetOpenIdToken" && errors.As(err, &ip) && strings.Contains(strings.ToLower(aws.ToString(ip.Message)), "classic") {
		return ErrClassicFlowDisabled
	}
	var exp *ststypes.ExpiredTokenException
	if step == "AssumeRoleWithWebIdentity" && errors.As(err, &exp) {
		return ErrTokenExpired
	}
	var ae smithy.APIError
	if step == "AssumeRoleWithWebIdentity" && errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied" {
		return ErrRoleNotAssumable
	}
	var cfg *cogtypes.InvalidIdentityPoolConfigurationException
	if step == "GetCredentialsForIdentity" && errors.As(err, &cfg) {
		return ErrRoleNotAssumable
	}
	return nil
}

// CognitoBasicFlow obtains role credentials for a person with no IAM user
// through an identity pool's basic (classic) flow: GetId (or
// GetOpenIdTokenForDeveloperIdentity for a developer login) →
// GetOpenIdToken → STS AssumeRoleWithWebIdentity with the role, duration
// and role session name of req. The pool must allow the classic flow
// (ErrClassicFlowDisabled otherwise) and the role must trust the pool
// (ErrRoleNotAssumable).
//
// The request is checked before any call. When a step fails after the flow
// created an unauthenticated identity, the identity is deleted
// (DeleteIdentities, which needs developer credentials on cog); the
// *FlowError says whether that worked. An authenticated identity is the
// person's and is kept: GetId returns it again next time.
func CognitoBasicFlow(ctx context.Context, cog CognitoBasicAPI, st WebIdentityAPI, req CognitoRequest, opts ...Option) (*CognitoSession, error) {
	if err := req.validate("basic"); err != nil {
		return nil, err
	}
	f := &flow{name: "basic", req: &req, o: newOptions(opts), deleter: cog}
	var token string
	if d := req.Developer; d != nil {
		logins := maps.Clone(req.Logins)
		if logins == nil {
			logins = map[string]string{}
		}
		logins[d.Provider] = d.UserID
		in := &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
			IdentityPoolId: aws.String(req.IdentityPoolID),
			Logins:         logins,
			IdentityId:     optString(req.IdentityID),
		}
		if d.TokenDuration != 0 {
			in.TokenDuration = aws.Int64(int64(d.TokenDuration / time.Second))
		}
		out, err := cog.GetOpenIdTokenForDeveloperIdentity(ctx, in)
		if err != nil {
			return nil, f.fail(ctx, "GetOpenIdTokenForDeveloperIdentity", err)
		}
		f.identity, token = aws.ToString(out.IdentityId), aws.ToString(out.Token)
	} else {
		if err := f.getID(ctx, cog); err != nil {
			return nil, err
		}
		out, err := cog.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{
			IdentityId: aws.String(f.identity),
			Logins:     maps.Clone(req.Logins),
		})
		if err != nil {
			return nil, f.fail(ctx, "GetOpenIdToken", err)
		}
		token = aws.ToString(out.Token)
	}
	out, err := st.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(req.RoleARN),
		RoleSessionName:  aws.String(req.RoleSessionName),
		WebIdentityToken: aws.String(token),
		DurationSeconds:  seconds(req.Duration),
		Policy:           optString(req.Policy),
	})
	if err != nil {
		return nil, f.fail(ctx, "AssumeRoleWithWebIdentity", err)
	}
	creds, ok := mfa.FromSTS(out.Credentials, mfa.Provenance{
		Kind: mfa.KindWebIdentity, RoleARN: req.RoleARN, RoleSessionName: req.RoleSessionName,
	})
	if !ok {
		return nil, f.fail(ctx, "AssumeRoleWithWebIdentity", errors.New("no credentials in the answer of STS"))
	}
	s := &CognitoSession{
		Credentials: creds, IdentityPoolID: req.IdentityPoolID, IdentityID: f.identity,
		Authenticated: req.authenticated(), Flow: "basic", Created: f.created,
	}
	if out.AssumedRoleUser != nil {
		s.SessionARN = aws.ToString(out.AssumedRoleUser.Arn)
	}
	f.finish(ctx, s)
	return s, nil
}

// finish deletes an ephemeral identity after success; failing to is only
// worth a warning, the credentials are valid.
func (f *flow) finish(ctx context.Context, s *CognitoSession) {
	if f.req.Ephemeral && f.created {
		if err := f.delete(ctx); err != nil {
			f.o.log.Warn("could not delete the ephemeral cognito identity", "pool", f.req.IdentityPoolID, "identity", f.identity, "error", err.Error())
		} else {
			s.Deleted = true
		}
	}
	f.o.log.Info("cognito credentials obtained", "flow", f.name, "pool", f.req.IdentityPoolID, "identity", f.identity,
		"authenticated", s.Authenticated, "provenance", s.Credentials.Provenance.String())
}

// CognitoEnhancedFlow obtains credentials through the enhanced flow: GetId →
// GetCredentialsForIdentity. It exists for pools that do not allow the
// basic flow, with the enhanced flow's limits:
//
//   - the role is the pool's (its default role for the identity's kind, or
//     the rules of its role mappings); RoleARN may only pick one of the
//     pool's roles (CustomRoleArn);
//   - the role session name is always "CognitoIdentityCredentials", so
//     CloudTrail and the console do not show who the person is;
//   - the session lasts one hour and cannot be shortened or lengthened;
//   - for unauthenticated identities Cognito adds its own session policy,
//     which allows a fixed list of services only: a console session from
//     such credentials sees little.
//
// The identity is cleaned up on failure as in CognitoBasicFlow.
func CognitoEnhancedFlow(ctx context.Context, cog CognitoEnhancedAPI, req CognitoRequest, opts ...Option) (*CognitoSession, error) {
	if err := req.validate("enhanced"); err != nil {
		return nil, err
	}
	f := &flow{name: "enhanced", req: &req, o: newOptions(opts), deleter: cog}
	if err := f.getID(ctx, cog); err != nil {
		return nil, err
	}
	out, err := cog.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{
		IdentityId:    aws.String(f.identity),
		Logins:        maps.Clone(req.Logins),
		CustomRoleArn: optString(req.RoleARN),
	})
	if err != nil {
		return nil, f.fail(ctx, "GetCredentialsForIdentity", err)
	}
	var c *ststypes.Credentials
	if out.Credentials != nil {
		c = &ststypes.Credentials{
			AccessKeyId: out.Credentials.AccessKeyId, SecretAccessKey: out.Credentials.SecretKey,
			SessionToken: out.Credentials.SessionToken, Expiration: out.Credentials.Expiration,
		}
	}
	creds, ok := mfa.FromSTS(c, mfa.Provenance{Kind: mfa.KindWebIdentity, RoleARN: req.RoleARN, RoleSessionName: EnhancedSessionName})
	if !ok {
		return nil, f.fail(ctx, "GetCredentialsForIdentity", errors.New("no credentials in the answer of Cognito"))
	}
	s := &CognitoSession{
		Credentials: creds, IdentityPoolID: req.IdentityPoolID, IdentityID: f.identity,
		Authenticated: req.authenticated(), Flow: "enhanced", Created: f.created,
	}
	f.finish(ctx, s)
	return s, nil
}
