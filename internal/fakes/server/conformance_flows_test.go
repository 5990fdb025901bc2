package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
	"github.com/iamkit/iamkit/trustpolicy"
)

// flowIAM is every IAM method the flows below call: *fakes.IAM in process,
// *iam.Client over the wire.
type flowIAM interface {
	iamuser.API
	mfa.AuditAPI
	trustpolicy.RoleAPI
	CreateGroup(context.Context, *iam.CreateGroupInput, ...func(*iam.Options)) (*iam.CreateGroupOutput, error)
	CreateRole(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	UpdateAccessKey(context.Context, *iam.UpdateAccessKeyInput, ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error)
}

// flowSTS is every STS method the flows call: *fakes.STS or *sts.Client.
type flowSTS interface {
	mfa.STSAPI
	federation.WebIdentityAPI
	federation.FederationTokenAPI
	federation.CallerIdentityAPI
}

// flowCognito is the Cognito Identity methods the flows call (setup
// included): *fakes.Cognito or *cognitoidentity.Client.
type flowCognito interface {
	federation.CognitoBasicAPI
	CreateIdentityPool(context.Context, *cognitoidentity.CreateIdentityPoolInput, ...func(*cognitoidentity.Options)) (*cognitoidentity.CreateIdentityPoolOutput, error)
	SetIdentityPoolRoles(context.Context, *cognitoidentity.SetIdentityPoolRolesInput, ...func(*cognitoidentity.Options)) (*cognitoidentity.SetIdentityPoolRolesOutput, error)
}

// flowS3 is the S3 methods the flows call: *fakes.S3 or *s3.Client.
type flowS3 interface {
	s3snapshot.SnapshotPublishAPI
	CreateBucket(context.Context, *s3.CreateBucketInput, ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
}

var (
	_ flowIAM     = (*fakes.IAM)(nil)
	_ flowIAM     = (*iam.Client)(nil)
	_ flowSTS     = (*fakes.STS)(nil)
	_ flowSTS     = (*sts.Client)(nil)
	_ flowCognito = (*fakes.Cognito)(nil)
	_ flowCognito = (*cognitoidentity.Client)(nil)
	_ flowS3      = (*fakes.S3)(nil)
	_ flowS3      = (*s3.Client)(nil)
)

// flows is a world with the clients the flows of mfa, federation,
// hostsync's snapshot and trustpolicy need, reached the world's way.
type flows struct {
	world
	name string
	iamc flowIAM
	cog  flowCognito // signed with the root's key over the wire
	// anonCog and anonSTS send no credentials over the wire (the operations
	// AWS leaves unsigned); spy counts what they send.
	anonCog federation.CognitoBasicAPI
	anonSTS federation.WebIdentityAPI
	spy     *authSpy // nil in process
	s3      flowS3
	// signIn is the account's console federation endpoint (".../federation").
	signIn string
	// stsAs returns STS called with creds: an IAM user's key, the root's,
	// or session credentials the account issued.
	stsAs func(creds aws.Credentials) flowSTS
}

// flowWorlds returns worlds() with the flows' clients: in process the
// account's fakes and fakes.StartSignIn, over the wire real SDK clients
// on the server and its /federation.
func flowWorlds(t *testing.T) (inproc, wire flows) {
	t.Helper()
	w0, w1 := worlds(t)
	acct := w0.acct
	si := fakes.StartSignIn(acct)
	t.Cleanup(si.Close)
	inproc = flows{world: w0, name: "in process", iamc: acct.IAM(), cog: acct.Cognito(), anonCog: acct.Cognito(),
		anonSTS: acct.STS(), s3: acct.S3(), signIn: si.URL(),
		stsAs: func(c aws.Credentials) flowSTS {
			k, ok := acct.LookupKey(c.AccessKeyID)
			require.True(t, ok, "the account never issued %s", c.AccessKeyID)
			switch {
			case k.Temporary:
				return acct.STSAsSession(c.AccessKeyID)
			case k.Root:
				return acct.STS()
			}
			return acct.STSAs(c.AccessKeyID)
		}}

	wire.world = w1
	srv := wire.srv
	cfg := srv.Config()
	spy := &authSpy{next: awshttp.NewBuildableClient()}
	wire.name = "over the wire"
	wire.iamc = iam.NewFromConfig(cfg)
	wire.cog = cognitoidentity.NewFromConfig(cfg)
	wire.anonCog = cognitoidentity.NewFromConfig(cfg, func(o *cognitoidentity.Options) {
		o.Credentials, o.HTTPClient = aws.AnonymousCredentials{}, spy
	})
	wire.anonSTS = sts.NewFromConfig(cfg, func(o *sts.Options) { o.Credentials, o.HTTPClient = aws.AnonymousCredentials{}, spy })
	wire.spy = spy
	wire.s3 = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	wire.signIn = srv.URL() + "/federation"
	wire.stsAs = func(c aws.Credentials) flowSTS {
		return sts.NewFromConfig(srv.ConfigWith(credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)))
	}
	return inproc, wire
}

// authSpy is an HTTP client that counts the requests it sends and those
// that carry an Authorization header.
type authSpy struct {
	next         aws.HTTPClient
	mu           sync.Mutex
	sent, signed int
}

func (s *authSpy) Do(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.sent++
	if r.Header.Get("Authorization") != "" || r.URL.Query().Has("X-Amz-Signature") {
		s.signed++
	}
	s.mu.Unlock()
	return s.next.Do(r)
}

// counts returns how many requests were sent and how many were signed.
func (s *authSpy) counts() (sent, signed int) {
	if s == nil {
		return 0, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent, s.signed
}

// apiErr is what a caller branching on an error sees of it: the Go type of
// the API error in its chain (what errors.As finds), its code and message;
// without an API error, only the error's type.
type apiErr struct {
	Type, Code, Message string
}

// errShape returns err's apiErr; nil for nil.
func errShape(err error) *apiErr {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return &apiErr{Type: fmt.Sprintf("%T", err)}
	}
	return &apiErr{Type: fmt.Sprintf("%T", ae), Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
}

// calls returns the account's per-operation call counts.
func (f flows) calls() map[string]int { return f.acct.CallCounts() }

// phone is the person's authenticator for serial: the code of the
// account's clock, from the seed the account holds.
func (f flows) phone(t *testing.T, serial string) mfa.TokenSource {
	seed, ok := f.acct.MFASeed(serial)
	require.True(t, ok, serial)
	return mfa.TokenFunc(func(context.Context, mfa.TokenRequest) (string, error) {
		return fakes.TOTP(seed, f.acct.Clock().Now()), nil
	})
}

// wrongCode returns a 6-digit code that the device of serial does not show
// within a step of now.
func (f flows) wrongCode(t *testing.T, serial string) string {
	seed, ok := f.acct.MFASeed(serial)
	require.True(t, ok, serial)
	now := f.acct.Clock().Now()
	for n := 0; ; n++ {
		c := fmt.Sprintf("%06d", n)
		if c != fakes.TOTP(seed, now.Add(-30*time.Second)) && c != fakes.TOTP(seed, now) && c != fakes.TOTP(seed, now.Add(30*time.Second)) {
			return c
		}
	}
}

// onboardKeyHolder onboards name with an enabled MFA device and an access
// key, and moves the clock past the steps the pairing spent.
func (f flows) onboardKeyHolder(t *testing.T, name string) *iamuser.Result {
	t.Helper()
	res, err := iamuser.New(f.iam, iamuser.WithClock(f.acct.Clock()), iamuser.WithRand(newDetRand())).
		Onboard(t.Context(), iamuser.Spec{UserName: name, AccessKey: true})
	require.NoError(t, err)
	require.NotEmpty(t, res.MFASerial)
	f.acct.Clock().Advance(mfa.Period)
	return res
}

func (f flows) createRole(t *testing.T, name, trust string, maxSession int32) string {
	t.Helper()
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
	if maxSession > 0 {
		in.MaxSessionDuration = aws.Int32(maxSession)
	}
	out, err := f.iamc.CreateRole(t.Context(), in)
	require.NoError(t, err)
	return aws.ToString(out.Role.Arn)
}

const accountTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`

// TestConformanceMFA runs mfa.Session (GetSessionToken, and AssumeRole
// with MFA) and mfa.Audit both ways.
func TestConformanceMFA(t *testing.T) {
	type outcome struct {
		session, role     *mfa.SessionResult
		file, state       string
		sessionIdentity   *sts.GetCallerIdentityOutput
		roleIdentity      *sts.GetCallerIdentityOutput
		valid             *mfa.SessionResult
		badCode           *apiErr
		badCodeFileIntact bool
		reportMissing     *apiErr
		report, listing   []mfa.Finding
		expired, tooLong  *apiErr
		inactive          *apiErr
		throttled         *apiErr
		throttledCalls    int
		refreshed         *mfa.SessionResult
		calls             map[string]int
	}
	run := func(t *testing.T, f flows) outcome {
		var o outcome
		ctx := t.Context()
		clk := f.acct.Clock()
		alice := f.onboardKeyHolder(t, "alice")
		_, err := iamuser.New(f.iam, iamuser.WithClock(clk), iamuser.WithRand(newDetRand())).
			Onboard(ctx, iamuser.Spec{UserName: "bob", NoMFA: true})
		require.NoError(t, err)
		admin := f.createRole(t, "Admin", accountTrust, 43200)
		readOnly := f.createRole(t, "ReadOnly", accountTrust, 0) // 1 h at most

		dir := t.TempDir()
		credPath := filepath.Join(dir, "credentials")
		lt := "[dev-long-term]\naws_access_key_id = " + alice.AccessKeyID + "\naws_secret_access_key = " + alice.SecretAccessKey +
			"\naws_mfa_device = " + alice.MFASerial + "\n" +
			"[ops-long-term]\naws_access_key_id = " + alice.AccessKeyID + "\naws_secret_access_key = " + alice.SecretAccessKey +
			"\naws_mfa_device = " + alice.MFASerial + "\nassume_role = " + admin + "\n" +
			"[ro-long-term]\naws_access_key_id = " + alice.AccessKeyID + "\naws_secret_access_key = " + alice.SecretAccessKey +
			"\naws_mfa_device = " + alice.MFASerial + "\n"
		require.NoError(t, os.WriteFile(credPath, []byte(lt), 0o600))
		var regions []string
		sopts := []mfa.Option{
			mfa.WithGetenv(func(k string) string { return map[string]string{"USER": "alice"}[k] }),
			mfa.WithClock(clk),
			mfa.WithSTS(func(c aws.Credentials, region string) mfa.STSAPI {
				regions = append(regions, region)
				return f.stsAs(c)
			}),
		}
		opts := func(profile string) mfa.SessionRequest {
			return mfa.SessionRequest{
				Profile: profile, CredentialsPath: credPath, ConfigPath: filepath.Join(dir, "config"),
				Token: f.phone(t, alice.MFASerial),
			}
		}

		o.session, err = mfa.Session(ctx, opts("dev"), sopts...)
		require.NoError(t, err)
		o.role, err = mfa.Session(ctx, opts("ops"), sopts...)
		require.NoError(t, err)
		o.valid, err = mfa.Session(ctx, opts("dev"), sopts...)
		require.NoError(t, err)
		long := opts("ro")
		long.AssumeRole, long.Duration = readOnly, 2*time.Hour
		_, err = mfa.Session(ctx, long, sopts...)
		o.tooLong = errShape(err)
		for _, r := range []*mfa.SessionResult{o.session, o.role, o.valid} {
			r.Plan.CredentialsPath, r.Plan.ConfigPath, r.Plan.StatePath = "", "", ""
		}
		o.sessionIdentity, err = f.stsAs(o.session.Credentials.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		require.NoError(t, err)
		o.sessionIdentity.ResultMetadata = noMetadata()
		o.roleIdentity, err = f.stsAs(o.role.Credentials.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		require.NoError(t, err)
		o.roleIdentity.ResultMetadata = noMetadata()

		// A wrong code: refused by STS, the file untouched.
		before, err := os.ReadFile(credPath)
		require.NoError(t, err)
		bad := opts("dev")
		bad.Force, bad.Token = true, mfa.StaticToken(f.wrongCode(t, alice.MFASerial))
		_, err = mfa.Session(ctx, bad, sopts...)
		o.badCode = errShape(err)
		after, err := os.ReadFile(credPath)
		require.NoError(t, err)
		o.file, o.badCodeFileIntact = string(after), string(before) == string(after)
		st, err := os.ReadFile(credPath + ".mfa-state")
		require.NoError(t, err)
		o.state = string(st)
		assert.Equal(t, []string{"", "", "", ""}, regions, "%s: one STS client per refresh tried, refused ones included", f.name)

		_, err = f.iamc.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
		o.reportMissing = errShape(err)
		o.report, err = mfa.Audit(ctx, f.iamc, mfa.WithAuditSource(mfa.SourceCredentialReport), mfa.WithClock(clk), mfa.WithConcurrency(1))
		require.NoError(t, err)
		o.listing, err = mfa.Audit(ctx, f.iamc, mfa.WithAuditSource(mfa.SourceListing), mfa.WithClock(clk), mfa.WithConcurrency(1))
		require.NoError(t, err)

		// Thirteen hours later the session has expired: STS refuses it, and
		// Session refreshes it.
		clk.Advance(13 * time.Hour)
		_, err = f.stsAs(o.session.Credentials.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		o.expired = errShape(err)
		o.refreshed, err = mfa.Session(ctx, opts("dev"), sopts...)
		require.NoError(t, err)
		o.refreshed.Plan.CredentialsPath, o.refreshed.Plan.ConfigPath, o.refreshed.Plan.StatePath = "", "", ""

		// The long-term key made Inactive: STS refuses it.
		_, err = f.iamc.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"),
			AccessKeyId: aws.String(alice.AccessKeyID), Status: iamtypes.StatusTypeInactive})
		require.NoError(t, err)
		forced := opts("dev")
		forced.Force = true
		_, err = mfa.Session(ctx, forced, sopts...)
		o.inactive = errShape(err)
		o.calls = f.calls()

		// A throttle that outlasts the SDK's retries: the same error both
		// ways, after one call in process and the retryer's three attempts
		// over the wire.
		_, err = f.iamc.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"),
			AccessKeyId: aws.String(alice.AccessKeyID), Status: iamtypes.StatusTypeActive})
		require.NoError(t, err)
		f.acct.Throttle("sts:AssumeRole", 10)
		role := opts("ops")
		role.Force = true
		_, err = mfa.Session(ctx, role, sopts...)
		o.throttled = errShape(err)
		o.throttledCalls = f.acct.Calls("sts:AssumeRole") - o.calls["sts:AssumeRole"]
		f.acct.ClearFaults()
		return o
	}
	in, wire := flowWorlds(t)
	a, b := run(t, in), run(t, wire)

	require.True(t, a.session.Refreshed)
	assert.Equal(t, mfa.KindSessionToken, a.session.Credentials.Kind)
	assert.Equal(t, mfa.KindAssumedRole, a.role.Credentials.Kind)
	assert.False(t, a.valid.Refreshed, "still valid: no call")
	assert.Equal(t, "AccessDenied", a.badCode.Code)
	assert.True(t, a.badCodeFileIntact)
	assert.Equal(t, "*types.CredentialReportNotPresentException", a.reportMissing.Type)
	assert.Len(t, a.report, 2, "the root and bob")
	assert.Len(t, a.listing, 1, "bob (listing does not see the root)")
	assert.Equal(t, 3, a.calls["sts:GetSessionToken"], "a refresh, a refused code, a refresh once expired; none for the valid session")
	assert.Equal(t, "ExpiredToken", a.expired.Code)
	assert.Equal(t, "ValidationError", a.tooLong.Code)
	assert.Equal(t, "InvalidClientTokenId", a.inactive.Code)
	assert.Equal(t, mfa.ReasonExpired, a.refreshed.Plan.Reason)
	assert.Equal(t, 2, a.calls["sts:AssumeRole"], "ops, and ro refused")

	assert.Equal(t, a.session, b.session, "GetSessionToken session")
	assert.Equal(t, a.role, b.role, "AssumeRole session with MFA")
	assert.Equal(t, a.valid, b.valid, "a still valid session")
	assert.Equal(t, a.file, b.file, "the credentials file")
	assert.Equal(t, a.state, b.state, "the MFA state file")
	assert.Equal(t, a.sessionIdentity, b.sessionIdentity, "GetCallerIdentity with the session credentials")
	assert.Equal(t, a.roleIdentity, b.roleIdentity, "GetCallerIdentity with the role credentials")
	assert.Equal(t, a.badCode, b.badCode, "a wrong MFA code")
	assert.Equal(t, a.badCodeFileIntact, b.badCodeFileIntact)
	assert.Equal(t, a.reportMissing, b.reportMissing, "GetCredentialReport before one was generated")
	assert.Equal(t, a.report, b.report, "audit from the credential report")
	assert.Equal(t, a.listing, b.listing, "audit from the listing")
	assert.Equal(t, a.expired, b.expired, "expired session credentials")
	assert.Equal(t, a.tooLong, b.tooLong, "a role session longer than the role allows")
	assert.Equal(t, a.inactive, b.inactive, "an inactive long-term key")
	assert.Equal(t, a.refreshed, b.refreshed, "an expired session refreshed")
	assert.Equal(t, a.calls, b.calls, "the same calls, counted the same")
	assert.Equal(t, a.throttled, b.throttled, "a throttle outlasting the retries")
	assert.Equal(t, "Throttling", a.throttled.Code)
	assert.Equal(t, 1, a.throttledCalls, "in process: the SDK's view once its retries are exhausted")
	assert.Equal(t, 3, b.throttledCalls, "over the wire: the standard retryer's three attempts")
}

// consoleOutcome is what a console sign-in URL gives: the URL's query (the
// endpoint's host differs), its description, and what GETting it answers.
type consoleOutcome struct {
	Query       url.Values
	Destination string
	Expires     time.Time
	Provenance  mfa.Provenance
	Status      int
	Location    string
}

// console builds a login URL for creds with federation.SignIn on the
// world's sign-in endpoint and GETs it without following redirects.
func (f flows) console(t *testing.T, creds mfa.Credentials, d time.Duration) consoleOutcome {
	t.Helper()
	si := &federation.SignIn{Partition: f.acct.Partition(), Region: f.acct.Region(), Endpoint: f.signIn, Clock: f.acct.Clock()}
	u, err := si.ConsoleURL(t.Context(), federation.ConsoleRequest{Credentials: creds, SessionDuration: d})
	require.NoError(t, err)
	parsed, err := url.Parse(u.URL)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u.URL, nil)
	require.NoError(t, err)
	resp, err := federation.DefaultHTTPClient().Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return consoleOutcome{Query: parsed.Query(), Destination: u.Destination, Expires: u.Expires, Provenance: u.Provenance,
		Status: resp.StatusCode, Location: resp.Header.Get("Location")}
}

// TestConformanceFederation runs federation's flows both ways: Cognito's
// basic flow (unsigned over the wire), AssumeRole with MFA,
// GetFederationToken with a session policy, and a console login URL for
// each, which the account's sign-in endpoint accepts.
func TestConformanceFederation(t *testing.T) {
	type outcome struct {
		cognito                     *federation.CognitoSession
		cognitoSent, cognitoSigned  int
		notTrusted                  *apiErr
		notTrustedIs                bool
		role, chained, fed          mfa.Credentials
		developer, ephemeral        *federation.CognitoSession
		identities                  []string
		google                      *federation.CognitoSession
		forged                      *apiErr
		anonSent, anonSigned        int
		badMFA, fedWithSession      *apiErr
		consoleCognito, consoleRole consoleOutcome
		consoleFed                  consoleOutcome
		calls                       map[string]int
	}
	run := func(t *testing.T, f flows) outcome {
		var o outcome
		ctx := t.Context()
		clk := f.acct.Clock()
		broker := f.onboardKeyHolder(t, "broker")
		pool, err := f.cog.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
			IdentityPoolName: aws.String("console"), AllowClassicFlow: aws.Bool(true), AllowUnauthenticatedIdentities: true,
			DeveloperProviderName: aws.String("login.example.com"), SupportedLoginProviders: map[string]string{"accounts.google.com": "client"},
		})
		require.NoError(t, err)
		poolID := aws.ToString(pool.IdentityPoolId)
		guest := f.createRole(t, "guest", fakes.CognitoTrustPolicy(poolID, fakes.CognitoUnauthenticated), 0)
		member := f.createRole(t, "member", fakes.CognitoTrustPolicy(poolID, fakes.CognitoAuthenticated), 43200)
		admin := f.createRole(t, "admin", accountTrust, 43200)
		_, err = f.cog.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(poolID),
			Roles: map[string]string{fakes.CognitoUnauthenticated: guest, fakes.CognitoAuthenticated: member}})
		require.NoError(t, err)

		o.cognito, err = federation.CognitoBasicFlow(ctx, f.anonCog, f.anonSTS, federation.CognitoRequest{
			IdentityPoolID: poolID, AccountID: f.acct.ID(), RoleARN: guest, RoleSessionName: "carol@example.com",
		}, federation.WithClock(clk))
		require.NoError(t, err)
		o.cognitoSent, o.cognitoSigned = f.spy.counts()
		// A role that does not trust the pool, for the same identity.
		_, err = federation.CognitoBasicFlow(ctx, f.anonCog, f.anonSTS, federation.CognitoRequest{
			IdentityPoolID: poolID, IdentityID: o.cognito.IdentityID, RoleARN: admin, RoleSessionName: "carol@example.com",
		}, federation.WithClock(clk))
		o.notTrusted, o.notTrustedIs = errShape(err), errors.Is(err, federation.ErrRoleNotAssumable)
		// A person the backend authenticated (developer credentials: signed),
		// and an ephemeral guest, deleted once the credentials are in hand.
		o.developer, err = federation.CognitoBasicFlow(ctx, f.cog, f.anonSTS, federation.CognitoRequest{
			IdentityPoolID: poolID, Developer: &federation.DeveloperLogin{Provider: "login.example.com", UserID: "erin", TokenDuration: time.Hour},
			RoleARN: member, RoleSessionName: "erin", Duration: 8 * time.Hour,
		}, federation.WithClock(clk))
		require.NoError(t, err)
		o.ephemeral, err = federation.CognitoBasicFlow(ctx, f.cog, f.anonSTS, federation.CognitoRequest{
			IdentityPoolID: poolID, RoleARN: guest, RoleSessionName: "frank", Ephemeral: true,
		}, federation.WithClock(clk))
		require.NoError(t, err)
		// A person signed in with Google (unsigned too), and a forged token.
		o.google, err = federation.CognitoBasicFlow(ctx, f.anonCog, f.anonSTS, federation.CognitoRequest{
			IdentityPoolID: poolID, RoleARN: member, RoleSessionName: "gina",
			Logins: map[string]string{"accounts.google.com": f.acct.CognitoLoginToken("accounts.google.com", "gina")},
		}, federation.WithClock(clk))
		require.NoError(t, err)
		_, err = federation.CognitoBasicFlow(ctx, f.anonCog, f.anonSTS, federation.CognitoRequest{
			IdentityPoolID: poolID, RoleARN: member, RoleSessionName: "gina",
			Logins: map[string]string{"accounts.google.com": "forged"},
		}, federation.WithClock(clk))
		o.forged = errShape(err)
		o.anonSent, o.anonSigned = f.spy.counts()
		o.identities = f.acct.CognitoIdentities(poolID)

		user := aws.Credentials{AccessKeyID: broker.AccessKeyID, SecretAccessKey: broker.SecretAccessKey}
		o.role, err = federation.AssumeRole(ctx, f.stsAs(user), federation.AssumeRoleRequest{
			RoleARN: admin, RoleSessionName: "broker-alice", Duration: 2 * time.Hour,
			MFASerial: broker.MFASerial, Token: f.phone(t, broker.MFASerial),
		}, federation.WithClock(clk))
		require.NoError(t, err)
		_, err = federation.AssumeRole(ctx, f.stsAs(user), federation.AssumeRoleRequest{
			RoleARN: admin, RoleSessionName: "broker-alice",
			MFASerial: broker.MFASerial, Token: mfa.StaticToken(f.wrongCode(t, broker.MFASerial)),
		}, federation.WithClock(clk))
		o.badMFA = errShape(err)
		// Role chaining: the role's credentials assume a role again.
		o.chained, err = federation.AssumeRole(ctx, f.stsAs(o.role.Credentials), federation.AssumeRoleRequest{
			RoleARN: admin, RoleSessionName: "broker-alice-2", Duration: time.Hour, Source: &o.role.Provenance,
			Policy:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`,
			PolicyARNs: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
		}, federation.WithClock(clk))
		require.NoError(t, err)

		policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
		o.fed, err = federation.FederationToken(ctx, f.stsAs(user), federation.FederationTokenRequest{
			Name: "dave", Duration: time.Hour, Policy: policy,
		}, federation.WithClock(clk))
		require.NoError(t, err)
		_, err = federation.FederationToken(ctx, f.stsAs(o.role.Credentials), federation.FederationTokenRequest{Name: "dave", Policy: policy})
		o.fedWithSession = errShape(err)

		o.consoleCognito = f.console(t, o.cognito.Credentials, 0)
		o.consoleRole = f.console(t, o.role, 4*time.Hour)
		o.consoleFed = f.console(t, o.fed, 0)
		o.calls = f.calls()
		return o
	}
	in, wire := flowWorlds(t)
	a, b := run(t, in), run(t, wire)

	require.NotNil(t, a.cognito)
	assert.Equal(t, mfa.KindWebIdentity, a.cognito.Credentials.Kind)
	assert.Equal(t, 3, b.cognitoSent, "GetId, GetOpenIdToken, AssumeRoleWithWebIdentity")
	assert.Zero(t, b.cognitoSigned, "the basic flow goes unsigned")
	assert.True(t, a.notTrustedIs)
	assert.True(t, a.developer.Authenticated)
	assert.True(t, a.ephemeral.Deleted)
	assert.Len(t, a.identities, 3, "carol's, erin's and gina's; frank's deleted")
	assert.True(t, a.google.Authenticated)
	assert.Equal(t, "NotAuthorizedException", a.forged.Code)
	assert.Equal(t, "*types.NotAuthorizedException", a.forged.Type)
	assert.Positive(t, b.anonSent)
	assert.Zero(t, b.anonSigned, "GetId, GetOpenIdToken and AssumeRoleWithWebIdentity go unsigned")
	assert.Equal(t, mfa.KindChainedRole, a.chained.Kind)
	assert.Equal(t, "AccessDenied", a.badMFA.Code)
	assert.Equal(t, "AccessDenied", a.fedWithSession.Code)
	for _, c := range []consoleOutcome{a.consoleCognito, a.consoleRole, a.consoleFed, b.consoleCognito, b.consoleRole, b.consoleFed} {
		assert.Equal(t, http.StatusFound, c.Status)
		assert.Equal(t, c.Destination, c.Location, "the login redirects to the destination")
	}
	assert.Equal(t, 3, a.calls["signin:login"])

	assert.Equal(t, a.cognito, b.cognito, "Cognito basic flow")
	assert.Equal(t, a.notTrusted, b.notTrusted, "a role that does not trust the pool")
	assert.Equal(t, a.notTrustedIs, b.notTrustedIs)
	assert.Equal(t, a.developer, b.developer, "Cognito basic flow, developer login")
	assert.Equal(t, a.ephemeral, b.ephemeral, "Cognito basic flow, ephemeral guest")
	assert.Equal(t, a.google, b.google, "Cognito basic flow, Google login")
	assert.Equal(t, a.forged, b.forged, "Cognito basic flow, forged Google token")
	assert.Equal(t, a.identities, b.identities, "the pool's identities")
	assert.Equal(t, a.role, b.role, "AssumeRole with MFA")
	assert.Equal(t, a.chained, b.chained, "role chaining with session policies")
	assert.Equal(t, a.badMFA, b.badMFA, "AssumeRole with a wrong code")
	assert.Equal(t, a.fed, b.fed, "GetFederationToken")
	assert.Equal(t, a.fedWithSession, b.fedWithSession, "GetFederationToken with session credentials")
	assert.Equal(t, a.consoleCognito, b.consoleCognito, "console URL, Cognito")
	assert.Equal(t, a.consoleRole, b.consoleRole, "console URL, role")
	assert.Equal(t, a.consoleFed, b.consoleFed, "console URL, federated user")
	assert.Equal(t, a.calls, b.calls, "the same calls, counted the same")
}

// getStatuses records the HTTP status of each GetObject answer (200 for a
// success), as a host's snapshot source meets them.
type getStatuses struct {
	api      s3snapshot.SnapshotGetAPI
	statuses []int
}

func (g *getStatuses) GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	out, err := g.api.GetObject(ctx, in, optFns...)
	status := http.StatusOK
	if err != nil {
		var re interface{ HTTPStatusCode() int }
		status = 0
		if errors.As(err, &re) {
			status = re.HTTPStatusCode()
		}
	}
	g.statuses = append(g.statuses, status)
	return out, err
}

// TestConformanceHostsyncSnapshot publishes a snapshot to S3 and syncs a
// fake host from it, both ways: the same host, the same S3 calls, and a
// second sync answered 304.
func TestConformanceHostsyncSnapshot(t *testing.T) {
	type outcome struct {
		published, again   s3snapshot.PublishResult
		plans              []hostsync.SyncPlan
		reports            []hostsync.Report
		users              []hostsync.HostUser
		statuses           []int
		missing            *apiErr
		missingPublish     s3snapshot.PublishResult
		missingPublishErr  *apiErr
		kmsPublished       s3snapshot.PublishResult
		kmsAgain           s3snapshot.PublishResult
		kmsDesired         hostsync.Desired
		plainRefused       bool
		plainRefusedErr    string
		hostLog            []string
		calls              map[string]int
		s3Calls            int
		getCalls, putCalls int
	}
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"admins"}}
	run := func(t *testing.T, f flows) outcome {
		var o outcome
		ctx := t.Context()
		for _, g := range []string{"ssh", "admins"} {
			_, err := f.iamc.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(g)})
			require.NoError(t, err)
		}
		m := iamuser.New(f.iam, iamuser.WithClock(f.acct.Clock()), iamuser.WithRand(newDetRand()))
		for _, spec := range []iamuser.Spec{
			{UserName: "alice", Groups: []string{"ssh", "admins"}, SSHPublicKeys: []string{mustSSHKey(t)}, NoMFA: true, NoConsole: true},
			{UserName: "bob", Groups: []string{"ssh"}, NoMFA: true, NoConsole: true},
		} {
			_, err := m.Onboard(ctx, spec)
			require.NoError(t, err)
		}
		_, err := f.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")})
		require.NoError(t, err)

		// Before anything is published: the host's source sees no object.
		_, err = f.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("hosts.json")})
		o.missing = errShape(err)
		// A bucket that is not there.
		snap, err := iamsource.BuildSnapshot(ctx, iamsource.NewIAMSource(f.full, cfg), f.acct.ID(), f.acct.Clock().Now())
		require.NoError(t, err)
		o.missingPublish, err = s3snapshot.Publish(ctx, f.s3, "nobucket", "hosts.json", snap)
		o.missingPublishErr = errShape(err)

		o.published, err = s3snapshot.Publish(ctx, f.s3, "fleet", "hosts.json", snap, hostsync.WithExpectedBucketOwner(f.acct.ID()))
		require.NoError(t, err)
		o.again, err = s3snapshot.Publish(ctx, f.s3, "fleet", "hosts.json", snap, hostsync.WithExpectedBucketOwner(f.acct.ID()))
		require.NoError(t, err)

		// SSE-KMS: published under a key, accepted by a host that asks for
		// it; the plain object refused by such a host.
		const kmsKey = "1234abcd-12ab-34cd-56ef-1234567890ab"
		o.kmsPublished, err = s3snapshot.Publish(ctx, f.s3, "fleet", "hosts-kms.json", snap, hostsync.WithKMSKey(kmsKey))
		require.NoError(t, err)
		o.kmsAgain, err = s3snapshot.Publish(ctx, f.s3, "fleet", "hosts-kms.json", snap, hostsync.WithKMSKey(kmsKey))
		require.NoError(t, err)
		kmsOpts := []hostsync.Option{hostsync.WithAccount(f.acct.ID()), hostsync.WithClock(f.acct.Clock()), hostsync.WithKMSKey(kmsKey)}
		o.kmsDesired = s3snapshot.NewS3SnapshotSource(f.s3, "fleet", "hosts-kms.json", cfg, kmsOpts...).Desired(ctx)
		plain := s3snapshot.NewS3SnapshotSource(f.s3, "fleet", "hosts.json", cfg, kmsOpts...).Desired(ctx)
		o.plainRefused, o.plainRefusedErr = errors.Is(plain.Err, hostsync.ErrSnapshotEncryption) && !plain.Complete, fmt.Sprint(plain.Err)

		get := &getStatuses{api: f.s3}
		src := s3snapshot.NewS3SnapshotSource(get, "fleet", "hosts.json", cfg, hostsync.WithAccount(f.acct.ID()), hostsync.WithClock(f.acct.Clock()), hostsync.WithExpectedBucketOwner(f.acct.ID()))
		host := fakes.NewHost()
		for range 2 {
			p, r, err := hostsync.Sync(ctx, src, host, cfg, hostsync.WithClock(f.acct.Clock()))
			require.NoError(t, err)
			o.plans, o.reports = append(o.plans, p), append(o.reports, r)
		}
		o.users, o.statuses, o.hostLog = host.Users(), get.statuses, host.Log()
		o.calls = f.calls()
		o.s3Calls = f.acct.CallsWithPrefix("s3:")
		o.getCalls, o.putCalls = f.acct.Calls("s3:GetObject"), f.acct.Calls("s3:PutObject")
		return o
	}
	in, wire := flowWorlds(t)
	a, b := run(t, in), run(t, wire)

	require.True(t, a.published.Written, a.published.Reason)
	assert.False(t, a.again.Written, "unchanged: %s", a.again.Reason)
	assert.Equal(t, []int{http.StatusOK, http.StatusNotModified}, a.statuses, "the second sync is one conditional GET, answered 304")
	require.Len(t, a.users, len(fakes.NewHost().Users())+2, "alice and bob added")
	assert.Equal(t, "NoSuchKey", a.missing.Code)
	assert.Equal(t, "NoSuchBucket", a.missingPublishErr.Code)
	assert.Equal(t, 3, a.putCalls, "the missing bucket's, and the first publish of each key")
	assert.True(t, a.kmsPublished.Written)
	assert.False(t, a.kmsAgain.Written, "unchanged: %s", a.kmsAgain.Reason)
	assert.True(t, a.kmsDesired.Complete, "%v", a.kmsDesired.Err)
	assert.True(t, a.plainRefused, a.plainRefusedErr)

	assert.Equal(t, a.missing, b.missing, "GetObject of a missing key")
	assert.Equal(t, a.missingPublish, b.missingPublish, "Publish to a missing bucket")
	assert.Equal(t, a.missingPublishErr, b.missingPublishErr, "Publish to a missing bucket")
	assert.Equal(t, a.published, b.published, "first Publish")
	assert.Equal(t, a.again, b.again, "second Publish")
	assert.Equal(t, a.kmsPublished, b.kmsPublished, "Publish with SSE-KMS")
	assert.Equal(t, a.kmsAgain, b.kmsAgain, "Publish with SSE-KMS, unchanged")
	assert.Equal(t, a.kmsDesired, b.kmsDesired, "a host reading the SSE-KMS snapshot")
	assert.Equal(t, a.plainRefused, b.plainRefused, "a host asking for SSE-KMS refuses the plain snapshot")
	assert.Equal(t, a.plainRefusedErr, b.plainRefusedErr)
	assert.Equal(t, a.plans, b.plans, "sync plans")
	assert.Equal(t, a.reports, b.reports, "sync reports")
	assert.Equal(t, a.users, b.users, "host users")
	assert.Equal(t, a.hostLog, b.hostLog, "what the syncs did to the host")
	assert.Equal(t, a.statuses, b.statuses, "GetObject statuses")
	assert.Equal(t, a.s3Calls, b.s3Calls, "S3 calls")
	assert.Equal(t, a.calls, b.calls, "the same calls, counted the same")
}

// TestConformanceTrustPolicyApply edits a role's trust policy both ways:
// a principal added, the same edit again (nothing sent), a principal that
// does not exist (IAM's typed refusal, retried on the clock), and a role
// that does not exist.
func TestConformanceTrustPolicyApply(t *testing.T) {
	type outcome struct {
		added, again, ghost, noRole *trustpolicy.Result
		late                        *trustpolicy.Result
		ghostErr, noRoleErr         *apiErr
		ghostIsMalformed            bool
		after                       trustpolicy.RoleTrust
		calls                       map[string]int
	}
	run := func(t *testing.T, f flows) outcome {
		var o outcome
		ctx := t.Context()
		clk := f.acct.Clock()
		f.createRole(t, "deploy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, 0)
		u, err := f.iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ci")})
		require.NoError(t, err)
		ci := trustpolicy.AWS(aws.ToString(u.User.Arn))
		opts := []trustpolicy.Option{trustpolicy.WithClock(clk), trustpolicy.WithRetries(2, time.Second)}

		o.added, err = trustpolicy.Apply(ctx, f.iamc, "deploy", trustpolicy.AddPrincipals(ci), opts...)
		require.NoError(t, err)
		o.again, err = trustpolicy.Apply(ctx, f.iamc, "deploy", trustpolicy.AddPrincipals(ci), opts...)
		require.NoError(t, err)
		o.ghost, err = trustpolicy.Apply(ctx, f.iamc, "deploy",
			trustpolicy.AddPrincipals(trustpolicy.AWS("arn:aws:iam::"+f.acct.ID()+":user/ghost")), opts...)
		o.ghostErr = errShape(err)
		o.ghostIsMalformed = errors.As(err, new(*iamtypes.MalformedPolicyDocumentException))
		// A user created a moment ago, not yet visible to IAM's principal
		// check: refused, retried on the clock, then accepted; with MFA
		// required of the AWS principals.
		f.acct.SetConsistencyWindow(5 * time.Second)
		late, err := f.iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("late")})
		require.NoError(t, err)
		f.acct.SetConsistencyWindow(0)
		o.late, err = trustpolicy.Apply(ctx, f.iamc, "deploy", trustpolicy.Edits(
			trustpolicy.AddPrincipals(trustpolicy.AWS(aws.ToString(late.User.Arn))), trustpolicy.RequireMFA("")),
			trustpolicy.WithClock(clk), trustpolicy.WithRetries(3, 2*time.Second))
		require.NoError(t, err)
		o.noRole, err = trustpolicy.Apply(ctx, f.iamc, "nosuchrole", trustpolicy.AddPrincipals(ci), opts...)
		o.noRoleErr = errShape(err)
		for _, r := range []*trustpolicy.Result{o.ghost, o.noRole} {
			r.Err = nil // compared by shape above
		}
		o.after, err = trustpolicy.GetRoleTrust(ctx, f.full, "deploy")
		require.NoError(t, err)
		o.calls = f.calls()
		return o
	}
	in, wire := flowWorlds(t)
	a, b := run(t, in), run(t, wire)

	assert.Equal(t, trustpolicy.Changed, a.added.Status)
	assert.Equal(t, trustpolicy.Unchanged, a.again.Status)
	assert.Equal(t, trustpolicy.Failed, a.ghost.Status)
	assert.Equal(t, 3, a.ghost.Attempts, "retried twice on the clock")
	assert.True(t, a.ghostIsMalformed)
	assert.Equal(t, "NoSuchEntity", a.noRoleErr.Code)
	assert.Equal(t, trustpolicy.Changed, a.late.Status)
	assert.Greater(t, a.late.Attempts, 1, "refused first, then accepted")
	assert.Contains(t, a.after.Document.String(), "user/ci")
	assert.Contains(t, a.after.Document.String(), "user/late")
	assert.Contains(t, a.after.Document.String(), "aws:MultiFactorAuthPresent")

	assert.Equal(t, a.added, b.added, "a principal added")
	assert.Equal(t, a.again, b.again, "the same edit again")
	assert.Equal(t, a.ghost, b.ghost, "a principal that does not exist")
	assert.Equal(t, a.ghostErr, b.ghostErr)
	assert.Equal(t, a.ghostIsMalformed, b.ghostIsMalformed)
	assert.Equal(t, a.late, b.late, "a principal IAM sees only after a retry")
	assert.Equal(t, a.noRole, b.noRole, "a role that does not exist")
	assert.Equal(t, a.noRoleErr, b.noRoleErr)
	assert.Equal(t, a.after, b.after, "the resulting trust policy")
	assert.Equal(t, a.calls, b.calls, "the same calls, counted the same")
}
