// Package federation gives people without an IAM user a session in the AWS
// console: it obtains temporary role (or federated-user) credentials, each
// tagged with where it came from (mfa.Provenance), and exchanges them at the
// partition's sign-in federation endpoint for a login URL.
//
// # Credentials that can sign in
//
// [CognitoBasicFlow] is the basic (classic) flow of a Cognito identity pool:
// GetId → GetOpenIdToken → STS AssumeRoleWithWebIdentity, with the role, the
// duration and the role session name the caller chooses — the session name
// is who the person is, as CloudTrail and the console show it. Identities may
// be unauthenticated, signed in with public providers (Logins) or
// authenticated by your own backend ([DeveloperLogin], through
// GetOpenIdTokenForDeveloperIdentity). The pool must allow the classic flow
// and the role's trust policy must trust the pool:
//
//	{"Effect": "Allow",
//	 "Principal": {"Federated": "cognito-identity.amazonaws.com"},
//	 "Action": "sts:AssumeRoleWithWebIdentity",
//	 "Condition": {
//	   "StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:…pool id…"},
//	   "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"}}}
//
// A flow that fails after creating an unauthenticated identity deletes it
// (DeleteIdentities); [FlowError] says which step failed and what became of
// the identity. [CognitoEnhancedFlow] (GetId → GetCredentialsForIdentity) is
// there for pools without the classic flow, with its limits: the pool picks
// the role, the session name is always CognitoIdentityCredentials, the
// session lasts one hour, and unauthenticated identities get Cognito's
// scoped-down session policy.
//
// [AssumeRole] (optionally with an MFA code from an mfa.TokenSource) and
// [FederationToken] serve callers with an IAM user. GetFederationToken needs
// a session policy: without one the federated user, and its console session,
// has no permissions at all, so FederationToken refuses the request
// ([ErrNoSessionPolicy]) unless told to allow it.
//
// Credentials of unknown origin — a profile's, as config.LoadDefaultConfig
// resolved them — are classified with [Identify] (GetCallerIdentity).
//
// # The sign-in endpoint
//
// [SignIn] calls getSigninToken with the Session JSON (sessionId, sessionKey,
// sessionToken) and builds the login URL with Issuer, Destination and the
// token ([SignIn.ConsoleURL] does both). The rules are checked before any
// request ([CheckCredentials]): credentials from GetSessionToken are refused
// ([ErrSessionTokenCredentials]) — the endpoint refuses them —, so are
// long-term keys; SessionDuration is sent only with role credentials, 900 s
// to 12 h (one hour for a chained role: AWS caps a role assumed with
// another role's credentials at one hour), and never with federation
// tokens ([CheckSessionDuration]). [SwitchRoleURL] builds the console's
// role-switch link, for opening a console as a source session and
// switching into a role there (chained too). The
// URL must be used within 15 minutes ([ConsoleURL].Expires); optionally a
// log-out-first URL signs the browser out of its current console session
// before signing in.
//
// Endpoints follow the partition — "aws", "aws-cn", "aws-us-gov" and the
// European Sovereign Cloud "aws-eusc", in one table ([Partitions],
// [LookupPartition]); any other ID is an [ErrUnsupportedPartition] naming
// it. The ID is taken from an ARN ([PartitionOf], the caller's through
// [Identify]) or from a region through the SDK's own endpoint rules
// ([PartitionOfRegion]) — never from a list of region names kept here;
// aws and aws-us-gov share a DNS suffix but not their sign-in and console
// hosts. Regional sign-in hosts (us-west-2.signin.aws.amazon.com) are used
// on request, and always in aws-eusc, which has no global one. [Destination]
// builds console URLs from a region and a service path, [CheckDestination]
// checks one given by a user, refusing dot and encoded-dot segments, "//"
// and backslashes rather than guessing what they mean. The endpoint URL and the HTTP client are
// injectable, for tests (iamkittest serves one: NewServer, or StartSignIn
// beside an in-process account) and private endpoints.
//
// # Interfaces
//
// Each flow asks only for the SDK methods it calls, with the SDK's
// signatures (*cognitoidentity.Client and *sts.Client satisfy them; so does
// the fake account of iamkittest):
//
//   - [CognitoBasicFlow] takes a [CognitoBasicAPI] (GetId, GetOpenIdToken,
//     GetOpenIdTokenForDeveloperIdentity, DeleteIdentities) and a
//     [WebIdentityAPI] (STS AssumeRoleWithWebIdentity).
//   - [CognitoEnhancedFlow] takes a [CognitoEnhancedAPI] (GetId,
//     GetCredentialsForIdentity, DeleteIdentities).
//   - [AssumeRole] takes an [AssumeRoleAPI], [FederationToken] a
//     [FederationTokenAPI], [Identify] a [CallerIdentityAPI].
//   - [SignIn] calls the sign-in endpoint over its http.Client; the
//     partition and destination helpers call nothing.
//
// The flows take functional options ([WithLogger], [WithClock]); time comes
// from a [github.com/iamkit/iamkit.Clock], default iamkit.SystemClock.
//
// Sign-in tokens and login URLs are secrets: [SigninToken] and [ConsoleURL]
// print, log and marshal without them, errors never hold them, and
// [RedactURL] shows where a URL goes without the token. Failures of the
// endpoint are [EndpointError]s with the status and a short summary of the
// body.
package federation
