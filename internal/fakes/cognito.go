package fakes

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	cogtypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/smithy-go"
)

// Cognito Identity constants the fake shares with real AWS.
const (
	// CognitoIssuer is the issuer ("iss") of the OpenID tokens Cognito
	// Identity hands out, and the provider name STS reports for them.
	CognitoIssuer = "cognito-identity.amazonaws.com"
	// CognitoOpenIDTokenLifetime is how long a GetOpenIdToken token is
	// valid.
	CognitoOpenIDTokenLifetime = 10 * time.Minute
	// CognitoDeveloperTokenLifetime is the default lifetime of a
	// GetOpenIdTokenForDeveloperIdentity token (TokenDuration unset).
	CognitoDeveloperTokenLifetime = 15 * time.Minute
	// CognitoEnhancedSessionName is the role session name of credentials
	// from GetCredentialsForIdentity (the enhanced flow): it does not say who
	// the person is.
	CognitoEnhancedSessionName = "CognitoIdentityCredentials"
)

// Identity kinds, as the "amr" claim of an OpenID token and the keys of an
// identity pool's roles (SetIdentityPoolRoles) name them.
const (
	CognitoAuthenticated   = "authenticated"
	CognitoUnauthenticated = "unauthenticated"
)

// cognitoOf returns a's Cognito Identity state. The state is guarded by a.mu
// like the rest of the account.
func cognitoOf(a *Account) *cognitoState { return a.cognito }

type cognitoState struct {
	pools       map[string]*identityPool    // by pool ID
	identities  map[string]*cognitoIdentity // by identity ID
	tokens      map[string]*openIDToken     // OpenID tokens handed out, by token text
	loginTokens map[string]providerLogin    // external providers' tokens the fake accepts
}

func newCognitoState() *cognitoState {
	return &cognitoState{
		pools:       map[string]*identityPool{},
		identities:  map[string]*cognitoIdentity{},
		tokens:      map[string]*openIDToken{},
		loginTokens: map[string]providerLogin{},
	}
}

type identityPool struct {
	id, name          string
	allowUnauth       bool
	allowClassic      bool
	developerProvider string
	loginProviders    map[string]string // provider -> app/client ID
	roles             map[string]string // "authenticated"/"unauthenticated" -> role ARN
	roleMappings      map[string]cogtypes.RoleMapping
	tags              map[string]string
}

func (p *identityPool) describe() *cognitoidentity.DescribeIdentityPoolOutput {
	out := &cognitoidentity.DescribeIdentityPoolOutput{
		IdentityPoolId:                 aws.String(p.id),
		IdentityPoolName:               aws.String(p.name),
		AllowUnauthenticatedIdentities: p.allowUnauth,
		AllowClassicFlow:               aws.Bool(p.allowClassic),
		SupportedLoginProviders:        maps.Clone(p.loginProviders),
		IdentityPoolTags:               maps.Clone(p.tags),
	}
	if p.developerProvider != "" {
		out.DeveloperProviderName = aws.String(p.developerProvider)
	}
	return out
}

type cognitoIdentity struct {
	id, pool          string
	logins            map[string]string // provider -> subject (developer provider: user identifier)
	created, modified time.Time
}

func (i *cognitoIdentity) authenticated() bool { return len(i.logins) > 0 }

// openIDToken is what the fake remembers of an OpenID token it handed out:
// STS's AssumeRoleWithWebIdentity accepts exactly these, until they expire.
type openIDToken struct {
	identityID, pool string
	amr              []string
	expires          time.Time
}

type providerLogin struct{ provider, subject string }

// Cognito is the account's Cognito Identity service. Its methods have the
// signatures of *cognitoidentity.Client's. Calls are counted and faults
// injected as "cognito-identity:GetId" and so on.
//
// The public operations (GetId, GetOpenIdToken, GetCredentialsForIdentity)
// need no credentials in AWS; the others need developer credentials, which
// the fake does not check.
type Cognito struct{ a *Account }

// Cognito returns the account's Cognito Identity service. Its identity pools
// live in the account's region.
func (a *Account) Cognito() *Cognito { return &Cognito{a: a} }

// cognitoCall is call for Cognito Identity: the errors carry the SDK's
// service ID for Cognito Identity.
func cognitoCall[O any](ctx context.Context, a *Account, op string, in any, fn func(st *cognitoState) (*O, error)) (*O, error) {
	pre, lost := a.beginOp(ctx, "cognito-identity:"+op, in)
	for _, err := range []error{pre, lost} {
		var oe *smithy.OperationError
		if errors.As(err, &oe) {
			oe.ServiceID = cognitoidentity.ServiceID
		}
	}
	if pre != nil {
		return nil, pre
	}
	st := cognitoOf(a)
	a.mu.Lock()
	defer a.mu.Unlock()
	out, err := fn(st)
	if err != nil {
		return nil, &smithy.OperationError{ServiceID: cognitoidentity.ServiceID, OperationName: op, Err: err}
	}
	if lost != nil {
		return nil, lost
	}
	return out, nil
}

var (
	poolNameRE     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w ]{1,128}$`) })
	cognitoIDRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w-]+:[0-9a-f-]+$`) })
	devProviderRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w._-]{1,128}$`) })
	loginProvRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w.;_/-]{1,128}$`) })
	accountIDRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d{12}$`) })
	anyRoleARNRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^arn:[\w-]+:iam::\d{12}:role/.+`) })
	cognitoIDLimit = 60
)

func cogInvalid(format string, args ...any) error {
	return &cogtypes.InvalidParameterException{Message: msg(format, args...)}
}

func cogNotAuthorized(format string, args ...any) error {
	return &cogtypes.NotAuthorizedException{Message: msg(format, args...)}
}

func cogNotFound(format string, args ...any) error {
	return &cogtypes.ResourceNotFoundException{Message: msg(format, args...)}
}

// guid returns "region:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", deterministic
// like every ID the account makes. Callers hold a.mu.
func (a *Account) guid() string {
	h := sha256.Sum256([]byte(a.newID("", 26)))
	x := hex.EncodeToString(h[:16])
	return fmt.Sprintf("%s:%s-%s-%s-%s-%s", a.region, x[:8], x[8:12], x[12:16], x[16:20], x[20:32])
}

func (st *cognitoState) pool(id *string) (*identityPool, error) {
	p, ok := st.pools[aws.ToString(id)]
	if !ok {
		return nil, cogNotFound("IdentityPool '%s' not found.", aws.ToString(id))
	}
	return p, nil
}

func (st *cognitoState) identity(id *string) (*cognitoIdentity, error) {
	if !cognitoIDRE().MatchString(aws.ToString(id)) {
		return nil, cogInvalid("1 validation error detected: Value '%s' at 'identityId' failed to satisfy constraint", aws.ToString(id))
	}
	i, ok := st.identities[aws.ToString(id)]
	if !ok {
		return nil, cogNotFound("Identity '%s' not found.", aws.ToString(id))
	}
	return i, nil
}

// CreateIdentityPool implements cognitoidentity.Client.CreateIdentityPool.
// AllowClassicFlow (the basic flow) is off unless set, as in AWS.
func (c *Cognito) CreateIdentityPool(ctx context.Context, in *cognitoidentity.CreateIdentityPoolInput, _ ...func(*cognitoidentity.Options)) (*cognitoidentity.CreateIdentityPoolOutput, error) {
	a := c.a
	return cognitoCall(ctx, a, "CreateIdentityPool", in, func(st *cognitoState) (*cognitoidentity.CreateIdentityPoolOutput, error) {
		if !poolNameRE().MatchString(aws.ToString(in.IdentityPoolName)) {
			return nil, cogInvalid("1 validation error detected: Value '%s' at 'identityPoolName' failed to satisfy constraint", aws.ToString(in.IdentityPoolName))
		}
		if in.DeveloperProviderName != nil && !devProviderRE().MatchString(*in.DeveloperProviderName) {
			return nil, cogInvalid("invalid DeveloperProviderName %q", *in.DeveloperProviderName)
		}
		for prov := range in.SupportedLoginProviders {
			if !loginProvRE().MatchString(prov) {
				return nil, cogInvalid("invalid login provider %q", prov)
			}
		}
		p := &identityPool{
			id: a.guid(), name: *in.IdentityPoolName,
			allowUnauth: in.AllowUnauthenticatedIdentities, allowClassic: aws.ToBool(in.AllowClassicFlow),
			developerProvider: aws.ToString(in.DeveloperProviderName),
			loginProviders:    maps.Clone(in.SupportedLoginProviders),
			roles:             map[string]string{},
			tags:              maps.Clone(in.IdentityPoolTags),
		}
		st.pools[p.id] = p
		d := p.describe()
		return &cognitoidentity.CreateIdentityPoolOutput{
			IdentityPoolId: d.IdentityPoolId, IdentityPoolName: d.IdentityPoolName,
			AllowUnauthenticatedIdentities: d.AllowUnauthenticatedIdentities, AllowClassicFlow: d.AllowClassicFlow,
			DeveloperProviderName: d.DeveloperProviderName, SupportedLoginProviders: d.SupportedLoginProviders,
			IdentityPoolTags: d.IdentityPoolTags,
		}, nil
	})
}

// DescribeIdentityPool implements cognitoidentity.Client.DescribeIdentityPool.
func (c *Cognito) DescribeIdentityPool(ctx context.Context, in *cognitoidentity.DescribeIdentityPoolInput, _ ...func(*cognitoidentity.Options)) (*cognitoidentity.DescribeIdentityPoolOutput, error) {
	return cognitoCall(ctx, c.a, "DescribeIdentityPool", in, func(st *cognitoState) (*cognitoidentity.DescribeIdentityPoolOutput, error) {
		p, err := st.pool(in.IdentityPoolId)
		if err != nil {
			return nil, err
		}
		return p.describe(), nil
	})
}

// DeleteIdentityPool implements cognitoidentity.Client.DeleteIdentityPool;
// the pool's identities go with it.
func (c *Cognito) DeleteIdentityPool(ctx context.Context, in *cognitoidentity.DeleteIdentityPoolInput, _ ...func(*cognitoidentity.Options)) (*cognitoidentity.DeleteIdentityPoolOutput, error) {
	return cognitoCall(ctx, c.a, "DeleteIdentityPool", in, func(st *cognitoState) (*cognitoidentity.DeleteIdentityPoolOutput, error) {
		p, err := st.pool(in.IdentityPoolId)
		if err != nil {
			return nil, err
		}
		for id, i := range st.identities {
			if i.pool == p.id {
				delete(st.identities, id)
			}
		}
		delete(st.pools, p.id)
		return &cognitoidentity.DeleteIdentityPoolOutput{}, nil
	})
}

// SetIdentityPoolRoles implements cognitoidentity.Client.SetIdentityPoolRoles.
// Roles' keys are "authenticated" and "unauthenticated"; the enhanced flow
// (GetCredentialsForIdentity) uses them. The basic flow ignores them: there,
// the role's trust policy decides.
func (c *Cognito) SetIdentityPoolRoles(ctx context.Context, in *cognitoidentity.SetIdentityPoolRolesInput, _ ...func(*cognitoidentity.Options)) (*cognitoidentity.SetIdentityPoolRolesOutput, error) {
	return cognitoCall(ctx, c.a, "SetIdentityPoolRoles", in, func(st *cognitoState) (*cognitoidentity.SetIdentityPoolRolesOutput, error) {
		p, err := st.pool(in.IdentityPoolId)
		if err != nil {
			return nil, err
		}
		for k, v := range in.Roles {
			if k != CognitoAuthenticated && k != CognitoUnauthenticated {
				return nil, cogInvalid("Invalid role type %q: must be authenticated or unauthenticated", k)
			}
			if !anyRoleARNRE().MatchString(v) {
				return nil, cogInvalid("Invalid role ARN %q", v)
			}
		}
		p.roles = maps.Clone(in.Roles)
		if p.roles == nil {
			p.roles = map[string]string{}
		}
		p.roleMappings = maps.Clone(in.RoleMappings)
		return &cognitoidentity.SetIdentityPoolRolesOutput{}, nil
	})
}

// GetIdentityPoolRoles implements cognitoidentity.Client.GetIdentityPoolRoles.
func (c *Cognito) GetIdentityPoolRoles(ctx context.Context, in *cognitoidentity.GetIdentityPoolRolesInput, _ ...func(*cognitoidentity.Options)) (*cognitoidentity.GetIdentityPoolRolesOutput, error) {
	return cognitoCall(ctx, c.a, "GetIdentityPoolRoles", in, func(st *cognitoState) (*cognitoidentity.GetIdentityPoolRolesOutput, error) {
		p, err := st.pool(in.IdentityPoolId)
		if err != nil {
			return nil, err
		}
		return &cognitoidentity.GetIdentityPoolRolesOutput{
			IdentityPoolId: aws.String(p.id), Roles: maps.Clone(p.roles), RoleMappings: maps.Clone(p.roleMappings),
		}, nil
	})
}

// checkLogins validates logins from public providers against pool p: each
// provider must be one the pool supports and each token one the fake handed
// out for it (Account.CognitoLoginToken). A token from the pool's own
// OpenID tokens is accepted under the "cognito-identity.amazonaws.com" key
// when it belongs to identity (enhanced flow of developer identities). It
// returns provider -> subject.
func (st *cognitoState) checkLogins(a *Account, p *identityPool, logins map[string]string, identity string) (map[string]string, error) {
	out := map[string]string{}
	for prov, tok := range logins {
		if prov == CognitoIssuer {
			t, ok := st.tokens[tok]
			if !ok || t.pool != p.id || (identity != "" && t.identityID != identity) {
				return nil, cogNotAuthorized("Invalid login token. Not a valid OpenId Connect identity token.")
			}
			if !a.clock.Now().Before(t.expires) {
				return nil, cogNotAuthorized("Invalid login token. Token expired.")
			}
			continue
		}
		if prov == p.developerProvider {
			return nil, cogNotAuthorized("Developer provider %q logins are accepted by GetOpenIdTokenForDeveloperIdentity only.", prov)
		}
		if _, ok := p.loginProviders[prov]; !ok {
			return nil, cogNotAuthorized("Invalid login token. Provider %s is not configured for identity pool %s.", prov, p.id)
		}
		l, ok := st.loginTokens[tok]
		if !ok || l.provider != prov {
			return nil, cogNotAuthorized("Invalid login token. Couldn't verify the token of %s.", prov)
		}
		out[prov] = l.subject
	}
	return out, nil
}

// findByLogin returns the identity of pool linked to provider/subject.
func (st *cognitoState) findByLogin(pool, provider, subject string) *cognitoIdentity {
	for _, i := range st.identities {
		if i.pool == pool && i.logins[provider] == subject && subject != "" {
			return i
		}
	}
	return nil
}

func (a *Account) newIdentity(st *cognitoState, pool string) *cognitoIdentity {
	now := a.clock.Now().UTC()
	i := &cognitoIdentity{id: a.guid(), pool: pool, logins: map[string]string{}, created: now, modified: now}
	st.identities[i.id] = i
	return i
}

// link adds logins to identity i, refusing a login already linked to
// another identity of the pool.
func (st *cognitoState) link(a *Account, i *cognitoIdentity, logins map[string]string) error {
	for prov, sub := range logins {
		if other := st.findByLogin(i.pool, prov, sub); other != nil && other != i {
			return &cogtypes.ResourceConflictException{Message: msg("Logins for %s are already linked to another identity.", prov)}
		}
	}
	for prov, sub := range logins {
		i.logins[prov] = sub
	}
	if len(logins) > 0 {
		i.modified = a.clock.Now().UTC()
	}
	return nil
}

// GetId implements cognitoidentity.Client.GetId. Without logins it creates a
// new unauthenticated identity on every call (if the pool allows them);
// with logins it returns the identity linked to them, creating it the first
// time.
func (c *Cognito) GetId(ctx context.Context, in *cognitoidentity.GetIdInput, _ ...func(*cognitoidentity.Options)) (*cognitoidentity.GetIdOutput, error) {
	a := c.a
	return cognitoCall(ctx, a, "GetId", in, func(st *cognitoState) (*cognitoidentity.GetIdOutput, error) {
		if in.AccountId != nil && !accountIDRE().MatchString(*in.AccountId) {
			return nil, cogInvalid("1 validation error detected: Value '%s' at 'accountId' failed to satisfy constraint", *in.AccountId)
		}
		p, err := st.pool(in.IdentityPoolId)
		if err != nil {
			return nil, err
		}
		if in.AccountId != nil && *in.AccountId != a.id {
			return nil, cogNotAuthorized("Account %s does not own identity pool %s.", *in.AccountId, p.id)
		}
		if len(in.Logins) == 0 {
			if !p.allowUnauth {
				return nil, cogNotAuthorized("Unauthenticated access is not supported for this identity pool.")
			}
			return &cognitoidentity.GetIdOutput{IdentityId: aws.String(a.newIdentity(st, p.id).id)}, nil
		}
		subs, err := st.checkLogins(a, p, in.Logins, "")
		if err != nil {
			return nil, err
		}
		// A token of Cognito's own (a developer identity's) names its
		// identity.
		if tok, ok := in.Logins[CognitoIssuer]; ok {
			i := st.identities[st.tokens[tok].identityID]
			if i == nil {
				return nil, cogNotFound("Identity '%s' not found.", st.tokens[tok].identityID)
			}
			if err := st.link(a, i, subs); err != nil {
				return nil, err
			}
			return &cognitoidentity.GetIdOutput{IdentityId: aws.String(i.id)}, nil
		}
		for prov, sub := range subs {
			if i := st.findByLogin(p.id, prov, sub); i != nil {
				if err := st.link(a, i, subs); err != nil {
					return nil, err
				}
				return &cognitoidentity.GetIdOutput{IdentityId: aws.String(i.id)}, nil
			}
		}
		i := a.newIdentity(st, p.id)
		if err := st.link(a, i, subs); err != nil {
			return nil, err
		}
		return &cognitoidentity.GetIdOutput{IdentityId: aws.String(i.id)}, nil
	})
}

// issueOpenIDToken makes a JWT-shaped token for identity i (header, claims,
// signature, base64url) and remembers it. Callers hold a.mu.
func (a *Account) issueOpenIDToken(st *cognitoState, i *cognitoIdentity, lifetime time.Duration) string {
	now := a.clock.Now().UTC()
	amr := []string{CognitoUnauthenticated}
	if i.authenticated() {
		amr = []string{CognitoAuthenticated}
		for _, prov := range slices.Sorted(maps.Keys(i.logins)) {
			amr = append(amr, prov, prov+":"+i.logins[prov])
		}
	}
	t := &openIDToken{identityID: i.id, pool: i.pool, amr: amr, expires: now.Add(lifetime)}
	enc := base64.RawURLEncoding
	head, _ := json.Marshal(map[string]string{"kid": a.region + "-fake", "typ": "JWS", "alg": "RS512"})
	claims, _ := json.Marshal(map[string]any{
		"iss": "https://" + CognitoIssuer, "sub": i.id, "aud": i.pool, "amr": amr,
		"iat": now.Unix(), "exp": t.expires.Unix(),
	})
	sig := sha256.Sum256([]byte(a.newID("", 32)))
	tok := enc.EncodeToString(head) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(sig[:])
	st.tokens[tok] = t
	return tok
}

// GetOpenIdToken implements cognitoidentity.Client.GetOpenIdToken, the
// second step of the basic (classic) flow: it fails with
// InvalidParameterException when the pool does not allow the classic flow.
// The token is valid for 10 minutes. An authenticated identity must present
// one of its logins.
func (c *Cognito) GetOpenIdToken(ctx context.Context, in *cognitoidentity.GetOpenIdTokenInput, _ ...func(*cognitoidentity.Options)) (*cognitoidentity.GetOpenIdTokenOutput, error) {
	a := c.a
	return cognitoCall(ctx, a, "GetOpenIdToken", in, func(st *cognitoState) (*cognitoidentity.GetOpenIdTokenOutput, error) {
		i, err := st.identity(in.IdentityId)
		if err != nil {
			return nil, err
		}
		p := st.pools[i.pool]
		if !p.allowClassic {
			return nil, cogInvalid("Basic (classic) flow is not enabled, please use enhanced flow.")
		}
		if err := st.authorize(a, p, i, in.Logins); err != nil {
			return nil, err
		}
		tok := a.issueOpenIDToken(st, i, CognitoOpenIDTokenLifetime)
		return &cognitoidentity.GetOpenIdTokenOutput{IdentityId: aws.String(i.id), Token: aws.String(tok)}, nil
	})
}

// authorize checks that logins may act for identity i: an unauthenticated
// identity needs none (and logins given link it); an authenticated one needs
// a valid login of its own.
func (st *cognitoState) authorize(a *Account, p *identityPool, i *cognitoIdentity, logins map[string]string) error {
	if len(logins) == 0 {
		if i.authenticated() {
			return cogNotAuthorized("Access to Identity '%s' is forbidden.", i.id)
		}
		if !p.allowUnauth {
			return cogNotAuthorized("Unauthenticated access is not supported for this identity pool.")
		}
		return nil
	}
	subs, err := st.checkLogins(a, p, logins, i.id)
	if err != nil {
		return err
	}
	if i.authenticated() {
		own := false
		for prov, sub := range subs {
			own = own || i.logins[prov] == sub
		}
		if _, ok := logins[CognitoIssuer]; ok {
			own = true
		}
		if !own {
			return cogNotAuthorized("Access to Identity '%s' is forbidden.", i.id)
		}
	}
	return st.link(a, i, subs)
}

// GetOpenIdTokenForDeveloperIdentity implements
// cognitoidentity.Client.GetOpenIdTokenForDeveloperIdentity: the identity
// of the pool's developer provider's user (created the first time) and a
// token valid for TokenDuration seconds (1 to 86400, default 900).
func (c *Cognito) GetOpenIdTokenForDeveloperIdentity(ctx context.Context, in *cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput, _ ...func(*cognitoidentity.Options)) (*cognitoidentity.GetOpenIdTokenForDeveloperIdentityOutput, error) {
	a := c.a
	return cognitoCall(ctx, a, "GetOpenIdTokenForDeveloperIdentity", in, func(st *cognitoState) (*cognitoidentity.GetOpenIdTokenForDeveloperIdentityOutput, error) {
		p, err := st.pool(in.IdentityPoolId)
		if err != nil {
			return nil, err
		}
		lifetime := CognitoDeveloperTokenLifetime
		if in.TokenDuration != nil {
			if *in.TokenDuration < 1 || *in.TokenDuration > 86400 {
				return nil, cogInvalid("TokenDuration must be between 1 and 86400 seconds")
			}
			lifetime = time.Duration(*in.TokenDuration) * time.Second
		}
		if p.developerProvider == "" {
			return nil, cogInvalid("Identity pool %s has no developer provider.", p.id)
		}
		user, ok := in.Logins[p.developerProvider]
		if !ok || user == "" {
			return nil, cogInvalid("Logins must hold a user identifier for the pool's developer provider %q.", p.developerProvider)
		}
		others := maps.Clone(in.Logins)
		delete(others, p.developerProvider)
		subs, err := st.checkLogins(a, p, others, "")
		if err != nil {
			return nil, err
		}
		subs[p.developerProvider] = user
		owner := st.findByLogin(p.id, p.developerProvider, user)
		var i *cognitoIdentity
		switch {
		case in.IdentityId != nil:
			if i, err = st.identity(in.IdentityId); err != nil {
				return nil, err
			}
			if i.pool != p.id {
				return nil, cogInvalid("Identity %s is not in identity pool %s.", i.id, p.id)
			}
			if owner != nil && owner != i {
				return nil, &cogtypes.DeveloperUserAlreadyRegisteredException{Message: msg("Developer user %s is already linked to another identity.", user)}
			}
		case owner != nil:
			i = owner
		default:
			i = a.newIdentity(st, p.id)
		}
		if err := st.link(a, i, subs); err != nil {
			return nil, err
		}
		tok := a.issueOpenIDToken(st, i, lifetime)
		return &cognitoidentity.GetOpenIdTokenForDeveloperIdentityOutput{IdentityId: aws.String(i.id), Token: aws.String(tok)}, nil
	})
}

// GetCredentialsForIdentity implements
// cognitoidentity.Client.GetCredentialsForIdentity, the enhanced flow: the
// pool's role for the identity's kind (or CustomRoleArn, when it is one of
// the pool's roles), assumed by Cognito for one hour with the session name
// CognitoIdentityCredentials. The role must trust the pool, as in AWS.
func (c *Cognito) GetCredentialsForIdentity(ctx context.Context, in *cognitoidentity.GetCredentialsForIdentityInput, _ ...func(*cognitoidentity.Options)) (*cognitoidentity.GetCredentialsForIdentityOutput, error) {
	a := c.a
	return cognitoCall(ctx, a, "GetCredentialsForIdentity", in, func(st *cognitoState) (*cognitoidentity.GetCredentialsForIdentityOutput, error) {
		i, err := st.identity(in.IdentityId)
		if err != nil {
			return nil, err
		}
		p := st.pools[i.pool]
		if err := st.authorize(a, p, i, in.Logins); err != nil {
			return nil, err
		}
		kind := CognitoUnauthenticated
		if i.authenticated() {
			kind = CognitoAuthenticated
		}
		roleARN := p.roles[kind]
		if in.CustomRoleArn != nil {
			if !slices.Contains(p.allowedRoles(), *in.CustomRoleArn) {
				return nil, cogNotAuthorized("Role %s is not one of the identity pool's roles.", *in.CustomRoleArn)
			}
			roleARN = *in.CustomRoleArn
		}
		if roleARN == "" {
			return nil, &cogtypes.InvalidIdentityPoolConfigurationException{Message: msg("Invalid identity pool configuration. Check assigned IAM roles for this pool.")}
		}
		r, ok := a.roleByARN(roleARN)
		if !ok || !trusts(r.trust, webClaims{aud: p.id, sub: i.id, amr: []string{kind}}) {
			return nil, &cogtypes.InvalidIdentityPoolConfigurationException{Message: msg("Invalid identity pool configuration. Check assigned IAM roles for this pool.")}
		}
		sessionARN := fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", a.partition, a.id, r.name, CognitoEnhancedSessionName)
		creds := (&STS{a: a}).issue(KindWebIdentity, sessionARN, time.Hour, false)
		return &cognitoidentity.GetCredentialsForIdentityOutput{
			IdentityId: aws.String(i.id),
			Credentials: &cogtypes.Credentials{
				AccessKeyId: creds.AccessKeyId, SecretKey: creds.SecretAccessKey,
				SessionToken: creds.SessionToken, Expiration: creds.Expiration,
			},
		}, nil
	})
}

// allowedRoles lists the pool's roles and those its role mappings name.
func (p *identityPool) allowedRoles() []string {
	var out []string
	for _, r := range p.roles {
		out = append(out, r)
	}
	for _, m := range p.roleMappings {
		if m.RulesConfiguration != nil {
			for _, rule := range m.RulesConfiguration.Rules {
				out = append(out, aws.ToString(rule.RoleARN))
			}
		}
	}
	return out
}

// DeleteIdentities implements cognitoidentity.Client.DeleteIdentities (1 to
// 60 identities). Identities that do not exist are skipped, as AWS does.
func (c *Cognito) DeleteIdentities(ctx context.Context, in *cognitoidentity.DeleteIdentitiesInput, _ ...func(*cognitoidentity.Options)) (*cognitoidentity.DeleteIdentitiesOutput, error) {
	return cognitoCall(ctx, c.a, "DeleteIdentities", in, func(st *cognitoState) (*cognitoidentity.DeleteIdentitiesOutput, error) {
		if n := len(in.IdentityIdsToDelete); n < 1 || n > cognitoIDLimit {
			return nil, cogInvalid("1 validation error detected: Value at 'identityIdsToDelete' failed to satisfy constraint: Member must have length between 1 and %d", cognitoIDLimit)
		}
		for _, id := range in.IdentityIdsToDelete {
			if !cognitoIDRE().MatchString(id) {
				return nil, cogInvalid("1 validation error detected: Value '%s' at 'identityIdsToDelete' failed to satisfy constraint", id)
			}
		}
		for _, id := range in.IdentityIdsToDelete {
			delete(st.identities, id)
		}
		return &cognitoidentity.DeleteIdentitiesOutput{}, nil
	})
}

// DescribeIdentity implements cognitoidentity.Client.DescribeIdentity.
func (c *Cognito) DescribeIdentity(ctx context.Context, in *cognitoidentity.DescribeIdentityInput, _ ...func(*cognitoidentity.Options)) (*cognitoidentity.DescribeIdentityOutput, error) {
	return cognitoCall(ctx, c.a, "DescribeIdentity", in, func(st *cognitoState) (*cognitoidentity.DescribeIdentityOutput, error) {
		i, err := st.identity(in.IdentityId)
		if err != nil {
			return nil, err
		}
		return &cognitoidentity.DescribeIdentityOutput{
			IdentityId: aws.String(i.id), CreationDate: aws.Time(i.created), LastModifiedDate: aws.Time(i.modified),
			Logins: slices.Sorted(maps.Keys(i.logins)),
		}, nil
	})
}

// ---- fake-only helpers ----

// CognitoLoginToken returns a login token of the public identity provider
// provider ("accounts.google.com", a user pool's provider name, ...) for the
// user subject, as that provider's sign-in would hand it to an app. The fake
// Cognito accepts exactly the tokens made here, in Logins maps, for pools
// that support provider.
func (a *Account) CognitoLoginToken(provider, subject string) string {
	st := cognitoOf(a)
	a.mu.Lock()
	defer a.mu.Unlock()
	tok := "idp." + base64.RawURLEncoding.EncodeToString([]byte(provider+"|"+subject)) + "." + a.newID("", 24)
	st.loginTokens[tok] = providerLogin{provider: provider, subject: subject}
	return tok
}

// CognitoIdentities returns the IDs of the identities of pool poolID, sorted.
// Tests use it to check that a failed flow cleaned up after itself.
func (a *Account) CognitoIdentities(poolID string) []string {
	st := cognitoOf(a)
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for id, i := range st.identities {
		if i.pool == poolID {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// CognitoTrustPolicy returns the trust policy a role needs for identities of
// pool poolID of kind amr ("authenticated" or "unauthenticated") to assume
// it, in either flow: Cognito Identity as the federated principal, the pool
// as the audience, the kind as the amr.
func CognitoTrustPolicy(poolID, amr string) string {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Federated": CognitoIssuer},
			"Action":    "sts:AssumeRoleWithWebIdentity",
			"Condition": map[string]any{
				"StringEquals":           map[string]any{CognitoIssuer + ":aud": poolID},
				"ForAnyValue:StringLike": map[string]any{CognitoIssuer + ":amr": amr},
			},
		}},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// roleByARN returns the account's role with that exact ARN. Callers hold a.mu.
func (a *Account) roleByARN(arn string) (*role, bool) {
	m := roleARNRE().FindStringSubmatch(arn)
	if m == nil || m[1] != a.id {
		return nil, false
	}
	r, ok := a.iam.roles[strings.ToLower(m[2])]
	if !ok || r.arn != arn {
		return nil, false
	}
	return r, true
}
