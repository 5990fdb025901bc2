package federation

import (
	"context"
	"io"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/iamkit/iamkit"
)

// CognitoBasicAPI is the Cognito Identity methods the basic (classic) flow
// calls. *cognitoidentity.Client satisfies it, and so does the fake
// account's Cognito. GetId and GetOpenIdToken are public operations (no
// credentials needed); GetOpenIdTokenForDeveloperIdentity and
// DeleteIdentities need developer credentials.
type CognitoBasicAPI interface {
	GetId(ctx context.Context, in *cognitoidentity.GetIdInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetIdOutput, error)
	GetOpenIdToken(ctx context.Context, in *cognitoidentity.GetOpenIdTokenInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetOpenIdTokenOutput, error)
	GetOpenIdTokenForDeveloperIdentity(ctx context.Context, in *cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetOpenIdTokenForDeveloperIdentityOutput, error)
	DeleteIdentities(ctx context.Context, in *cognitoidentity.DeleteIdentitiesInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.DeleteIdentitiesOutput, error)
}

// CognitoEnhancedAPI is the Cognito Identity methods the enhanced flow
// calls. *cognitoidentity.Client satisfies it.
type CognitoEnhancedAPI interface {
	GetId(ctx context.Context, in *cognitoidentity.GetIdInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetIdOutput, error)
	GetCredentialsForIdentity(ctx context.Context, in *cognitoidentity.GetCredentialsForIdentityInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.GetCredentialsForIdentityOutput, error)
	DeleteIdentities(ctx context.Context, in *cognitoidentity.DeleteIdentitiesInput, optFns ...func(*cognitoidentity.Options)) (*cognitoidentity.DeleteIdentitiesOutput, error)
}

// WebIdentityAPI is the STS method the basic flow calls. It needs no
// credentials. *sts.Client satisfies it.
type WebIdentityAPI interface {
	AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error)
}

// AssumeRoleAPI is the STS method AssumeRole calls. *sts.Client satisfies it.
type AssumeRoleAPI interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// FederationTokenAPI is the STS method FederationToken calls. *sts.Client
// satisfies it.
type FederationTokenAPI interface {
	GetFederationToken(ctx context.Context, in *sts.GetFederationTokenInput, optFns ...func(*sts.Options)) (*sts.GetFederationTokenOutput, error)
}

// CallerIdentityAPI is the STS method Identify calls. *sts.Client satisfies
// it.
type CallerIdentityAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var (
	_ CognitoBasicAPI    = (*cognitoidentity.Client)(nil)
	_ CognitoEnhancedAPI = (*cognitoidentity.Client)(nil)
	_ WebIdentityAPI     = (*sts.Client)(nil)
	_ AssumeRoleAPI      = (*sts.Client)(nil)
	_ FederationTokenAPI = (*sts.Client)(nil)
	_ CallerIdentityAPI  = (*sts.Client)(nil)
)

// Option configures the credential flows (CognitoBasicFlow,
// CognitoEnhancedFlow, AssumeRole, FederationToken).
type Option func(*options)

type options struct {
	log   *slog.Logger
	clock iamkit.Clock
}

// WithLogger makes the flows log to l (identity IDs, role ARNs, steps;
// never a secret). By default they do not log.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the clock the flows read the time from (MFA codes,
// expirations); the default is iamkit.SystemClock.
func WithClock(c iamkit.Clock) Option { return func(o *options) { o.clock = c } }

func newOptions(opts []Option) options {
	o := options{log: discardLogger(), clock: iamkit.SystemClock{}}
	for _, f := range opts {
		f(&o)
	}
	if o.log == nil {
		o.log = discardLogger()
	}
	if o.clock == nil {
		o.clock = iamkit.SystemClock{}
	}
	return o
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
