package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/internal/fakes"
)

// consoleEnv is the CLI's console command wired to a fake account: an IAM
// user "broker" with an access key, a role it may assume, an identity pool
// with a guest role, a running sign-in endpoint, and profiles holding
// credentials of every kind.
type consoleEnv struct {
	*env
	signin   *fakes.SignIn
	admin    string // role ARN
	pool     string
	guest    string // role ARN
	profiles map[string]aws.Credentials
	opened   []string
	deps     consoleDeps
}

func newConsoleEnv(t *testing.T) *consoleEnv {
	t.Helper()
	ctx := t.Context()
	ce := &consoleEnv{env: newEnv(t), profiles: map[string]aws.Credentials{}}
	acct := ce.acct
	f := acct.IAM()
	_, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("broker")})
	require.NoError(t, err)
	k, err := f.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("broker")})
	require.NoError(t, err)
	ce.profiles["broker"] = aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey, Source: "SharedConfigCredentials"}

	admin, err := f.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Admin"), MaxSessionDuration: aws.Int32(43200),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)
	ce.admin = *admin.Role.Arn
	pool, err := acct.Cognito().CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("visitors"), AllowClassicFlow: aws.Bool(true), AllowUnauthenticatedIdentities: true})
	require.NoError(t, err)
	ce.pool = *pool.IdentityPoolId
	guest, err := f.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Guest"), MaxSessionDuration: aws.Int32(43200),
		AssumeRolePolicyDocument: aws.String(fakes.CognitoTrustPolicy(ce.pool, fakes.CognitoUnauthenticated))})
	require.NoError(t, err)
	ce.guest = *guest.Role.Arn

	toCreds := func(c *ststypes.Credentials, source string) aws.Credentials {
		return aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken,
			CanExpire: true, Expires: *c.Expiration, Source: source}
	}
	gst, err := acct.STSAs(ce.profiles["broker"].AccessKeyID).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	require.NoError(t, err)
	ce.profiles["mfa"] = toCreds(gst.Credentials, "SharedConfigCredentials")
	ar, err := acct.STS().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: admin.Role.Arn, RoleSessionName: aws.String("dana"), DurationSeconds: aws.Int32(43200)})
	require.NoError(t, err)
	ce.profiles["sso"] = toCreds(ar.Credentials, "SSOProvider")
	ft, err := acct.STSAs(ce.profiles["broker"].AccessKeyID).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("grace"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:List*","Resource":"*"}]}`)})
	require.NoError(t, err)
	ce.profiles["fed"] = toCreds(ft.Credentials, "SharedConfigCredentials")

	ce.signin = fakes.StartSignIn(acct)
	t.Cleanup(ce.signin.Close)
	ce.deps = consoleDeps{
		load: func(_ context.Context, profile string) (aws.Config, error) {
			cfg := aws.Config{Region: "eu-west-1"}
			if profile == "" {
				return cfg, nil
			}
			c, ok := ce.profiles[profile]
			if !ok {
				return aws.Config{}, fmt.Errorf("failed to get shared config profile, %s", profile)
			}
			cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
			return cfg, nil
		},
		sts: func(cfg aws.Config) consoleSTS {
			s := &fakeSTS{acct: acct}
			if cfg.Credentials != nil {
				s.creds, _ = cfg.Credentials.Retrieve(context.Background())
			}
			return s
		},
		cognito:    func(aws.Config, string) federation.CognitoBasicAPI { return acct.Cognito() },
		endpoint:   ce.signin.URL(),
		httpClient: ce.signin.Client(),
		clock:      acct.Clock(),
		open: func(_ context.Context, u string) error {
			ce.opened = append(ce.opened, u)
			return nil
		},
		whoami: func() string { return "dana smith" },
	}
	acct.ResetCalls()
	return ce
}

// fakeSTS answers as the fake account's STS for the credentials it is
// signed with: an IAM user's access key calls as that user, and
// GetCallerIdentity tells temporary credentials apart as STS does.
type fakeSTS struct {
	acct  *fakes.Account
	creds aws.Credentials
}

func (s *fakeSTS) as() *fakes.STS {
	if s.creds.AccessKeyID != "" && s.creds.SessionToken == "" {
		return s.acct.STSAs(s.creds.AccessKeyID)
	}
	if _, ok := s.acct.Issued(s.creds.AccessKeyID); ok {
		return s.acct.STSAsSession(s.creds.AccessKeyID) // role chaining, as STS sees it
	}
	return s.acct.STS()
}

func (s *fakeSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return s.as().AssumeRole(ctx, in, optFns...)
}

func (s *fakeSTS) GetFederationToken(ctx context.Context, in *sts.GetFederationTokenInput, optFns ...func(*sts.Options)) (*sts.GetFederationTokenOutput, error) {
	return s.as().GetFederationToken(ctx, in, optFns...)
}

func (s *fakeSTS) AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return s.acct.STS().AssumeRoleWithWebIdentity(ctx, in, optFns...)
}

func (s *fakeSTS) GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	var o sts.Options
	for _, f := range optFns {
		f(&o)
	}
	c := s.creds
	if o.Credentials != nil {
		var err error
		if c, err = o.Credentials.Retrieve(ctx); err != nil {
			return nil, err
		}
	}
	if iss, ok := s.acct.Issued(c.AccessKeyID); ok {
		return &sts.GetCallerIdentityOutput{Arn: aws.String(iss.ARN), Account: aws.String(s.acct.ID())}, nil
	}
	return s.acct.STSAs(c.AccessKeyID).GetCallerIdentity(ctx, in)
}

// console runs "iamkit console ARGS" on the env and returns the exit code.
func (ce *consoleEnv) console(args ...string) int {
	ce.t.Helper()
	ce.stdout.Reset()
	ce.stderr.Reset()
	return ce.a.exitCode(ce.a.dispatch(context.Background(), consoleCommandWith(ce.deps), "iamkit console", args))
}

// land follows a printed sign-in URL through the fake endpoint and returns
// the console page it lands on.
func (ce *consoleEnv) land(u string) string {
	ce.t.Helper()
	c := ce.signin.Client()
	for range 3 {
		resp, err := c.Get(u)
		require.NoError(ce.t, err)
		resp.Body.Close()
		require.Equal(ce.t, http.StatusFound, resp.StatusCode, u)
		u = resp.Header.Get("Location")
		if !strings.HasPrefix(u, ce.signin.URL()) {
			return u
		}
	}
	ce.t.Fatal("too many redirects")
	return ""
}

func TestConsoleCognitoPool(t *testing.T) {
	ce := newConsoleEnv(t)
	code := ce.console("--cognito-pool", ce.pool, "--role-arn", ce.guest, "--session-name", "carol", "--duration", "2h")
	require.Equal(t, exitOK, code, ce.stderr.String())
	u := strings.TrimSpace(ce.stdout.String())
	assert.True(t, strings.HasPrefix(u, ce.signin.URL()+"?"), u)
	assert.Equal(t, "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1", ce.land(u), "the profile's region")
	logins := ce.signin.Logins()
	require.Len(t, logins, 1)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/Guest/carol", logins[0].Principal)
	assert.Equal(t, 2*time.Hour, logins[0].SessionDuration)
	assert.Empty(t, ce.acct.CognitoIdentities(ce.pool), "the identity is deleted afterwards")
	assert.Contains(t, ce.stderr.String(), "valid until")
	assert.Contains(t, ce.stderr.String(), "do not share or log it")
	assert.NotContains(t, ce.stderr.String(), "SigninToken")

	// Without a region configured, the console opens in the pool's.
	ce.deps.load = func(context.Context, string) (aws.Config, error) { return aws.Config{}, nil }
	require.Equal(t, exitOK, ce.console("--cognito-pool", ce.pool, "--role-arn", ce.guest), ce.stderr.String())
	assert.Equal(t, "https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1", ce.land(strings.TrimSpace(ce.stdout.String())))
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/Guest/iamkit-dana-smith", ce.signin.Logins()[1].Principal)
}

func TestConsoleAssumeRole(t *testing.T) {
	ce := newConsoleEnv(t)
	code := ce.console("--profile", "broker", "--role-arn", ce.admin, "--destination", "https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2#Instances:", "--logout-first")
	require.Equal(t, exitOK, code, ce.stderr.String())
	u := strings.TrimSpace(ce.stdout.String())
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	assert.Equal(t, "/oauth", parsed.Path, "log out first")
	assert.Equal(t, "https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2#Instances:", ce.land(u))
	l := ce.signin.Logins()[0]
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/Admin/iamkit-dana-smith", l.Principal, "default session name: the local user")
	assert.Zero(t, l.SessionDuration, "no --duration: none sent")
	assert.Equal(t, 1, ce.acct.Calls("sts:AssumeRole"))

}

// A role assumed with role credentials (SSO, an instance or Lambda role,
// a profile's role session) is chained: --duration over 1h is refused
// before any call that matters, saying why; 1h works and the console
// session is capped too; --switch-role signs in as the source session and
// hands out the role-switch link instead.
func TestConsoleChainedRoles(t *testing.T) {
	ce := newConsoleEnv(t)
	ce.profiles["lambda"] = ce.profiles["sso"]
	lambda := ce.profiles["lambda"]
	lambda.Source = "EnvConfigCredentials" // a Lambda role's: the provider does not tell
	ce.profiles["lambda"] = lambda

	// Known from the provider: refused before any call at all.
	code := ce.console("--profile", "sso", "--role-arn", ce.admin, "-d", "2h")
	assert.Equal(t, exitUsage, code, "nothing changed")
	assert.Contains(t, ce.stderr.String(), "--duration 2h0m0s: the profile holds SSOProvider credentials, so assuming "+ce.admin+" with them is role chaining, which AWS caps at 1h0m0s")
	assert.Zero(t, ce.acct.CallsWithPrefix("sts:"))

	// Known once GetCallerIdentity names a role session: AssumeRole is not called.
	code = ce.console("--profile", "lambda", "--role-arn", ce.admin, "--duration", "3h")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, ce.stderr.String(), "role credentials (arn:aws:sts::123456789012:assumed-role/Admin/dana)")
	assert.Contains(t, ce.stderr.String(), "role chaining")
	assert.Zero(t, ce.acct.Calls("sts:AssumeRole"))
	assert.Zero(t, ce.acct.Calls("signin:getSigninToken"))

	// One hour is fine; the chained session's console lasts that long.
	require.Equal(t, exitOK, ce.console("--profile", "lambda", "--role-arn", ce.admin, "--duration", "1h"), ce.stderr.String())
	assert.Contains(t, ce.stderr.String(), "chained-role")
	ce.land(strings.TrimSpace(ce.stdout.String()))
	assert.Equal(t, time.Hour, ce.signin.Logins()[0].SessionDuration)

	// --switch-role: the source session's console (12 h is its own), and
	// the role-switch link.
	ce.acct.ResetCalls()
	require.Equal(t, exitOK, ce.console("--profile", "sso", "--role-arn", ce.admin, "--switch-role", "--duration", "12h"), ce.stderr.String())
	assert.Zero(t, ce.acct.Calls("sts:AssumeRole"), "the role is switched into in the browser")
	ce.land(strings.TrimSpace(ce.stdout.String()))
	l := ce.signin.Logins()[1]
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/Admin/dana", l.Principal, "the source session")
	assert.Equal(t, 12*time.Hour, l.SessionDuration)
	assert.Contains(t, ce.stderr.String(), "switch role (a chained session, 1h at most): https://signin.aws.amazon.com/switchrole?account=123456789012&displayName=Admin&roleName=Admin")

	// --switch-role needs a session that can sign in, and a role.
	assert.Equal(t, exitFailed, ce.console("--profile", "broker", "--role-arn", ce.admin, "--switch-role"))
	assert.Contains(t, ce.stderr.String(), "--switch-role signs in as the profile's own session")
	assert.Equal(t, exitUsage, ce.console("--profile", "sso", "--switch-role"))
	assert.Contains(t, ce.stderr.String(), "--switch-role needs --role-arn")

	require.Equal(t, exitOK, ce.console("--help"))
	help := ce.stdout.String()
	for _, want := range []string{"--switch-role", "chained", "1h", "GetFederationToken", "MFA"} {
		assert.Contains(t, help, want)
	}
}

func TestConsoleProfileCredentials(t *testing.T) {
	ce := newConsoleEnv(t)
	require.Equal(t, exitOK, ce.console("--profile", "sso", "--duration", "12h", "--open"), ce.stderr.String())
	require.Len(t, ce.opened, 1)
	assert.NotContains(t, ce.stdout.String(), ce.opened[0], "--open prints no URL")
	assert.Contains(t, ce.stdout.String(), "Opened the console sign-in URL in your browser")
	assert.Equal(t, "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1", ce.land(ce.opened[0]))
	assert.Equal(t, 12*time.Hour, ce.signin.Logins()[0].SessionDuration)

	require.Equal(t, exitOK, ce.console("--profile", "fed", "--duration", "1h"), ce.stderr.String())
	assert.Contains(t, ce.stderr.String(), "--duration does not apply to GetFederationToken credentials")
	ce.land(strings.TrimSpace(ce.stdout.String()))
	assert.Zero(t, ce.signin.Logins()[1].SessionDuration)

	assert.Equal(t, exitFailed, ce.console("--profile", "mfa"))
	assert.Contains(t, ce.stderr.String(), "GetSessionToken credentials")
	assert.Contains(t, ce.stderr.String(), "add --role-arn")
	assert.Equal(t, exitFailed, ce.console("--profile", "broker"))
	assert.Contains(t, ce.stderr.String(), "long-term keys of arn:aws:iam::123456789012:user/broker")
	assert.Equal(t, 2, ce.acct.Calls("signin:getSigninToken"), "the refused ones never reached the endpoint")
	assert.Equal(t, exitFailed, ce.console())
	assert.Contains(t, ce.stderr.String(), "no AWS credentials")
}

func TestConsoleUsageErrors(t *testing.T) {
	ce := newConsoleEnv(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--cognito-pool", "us-east-1:x"}, "--cognito-pool needs --role-arn"},
		{[]string{"--cognito-pool", "pool", "--role-arn", "arn:aws:iam::123456789012:role/Guest"}, "not an identity pool ID"},
		{[]string{"--role-arn", "arn:aws:iam::123456789012:user/x"}, "not a role ARN"},
		{[]string{"--role-arn", "arn:aws-iso:iam::123456789012:role/x"}, "supported: aws, aws-cn, aws-us-gov"},
		{[]string{"--duration", "5m"}, "from 15m to 12h"},
		{[]string{"--duration", "1h0m0.5s"}, "whole seconds"},
		{[]string{"--role-arn", "arn:aws:iam::123456789012:role/Admin", "--destination", "https://evil.example.com/"}, "not on the aws console"},
		{[]string{"--profile", "sso", "--destination", "http://console.aws.amazon.com/"}, "not an https URL"},
		{[]string{"--destination", "javascript:alert(1)"}, "not an https URL"},
		{[]string{"--profile", "sso", "--destination", "https://evil.example.com/"}, "not on the aws console"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		assert.Equal(t, exitUsage, ce.console(c.args...), c.args)
		assert.Contains(t, ce.stderr.String(), c.want, c.args)
	}
	assert.Zero(t, ce.acct.CallsWithPrefix("signin:"))
	assert.Zero(t, ce.acct.Calls("sts:AssumeRole"))
}

func TestConsoleHelp(t *testing.T) {
	ce := newConsoleEnv(t)
	require.Equal(t, exitOK, ce.console("--help"))
	for _, want := range []string{"Usage: iamkit console [--profile P] [--role-arn ARN [--switch-role] | --federation-token | --cognito-pool ID --role-arn ARN]",
		"--profile PROFILE", "--role-arn ARN", "--cognito-pool ID", "-d, --duration DURATION", "--destination URL", "--open", "--stdout", "GetSessionToken", "Examples:",
		"aws-vault login and granted's console open the\nbrowser by default", "--json prints one JSON object", "never the URL",
		"--federation-token", "--policy FILE", "--policy-arn ARN", "--mfa-token CODE", "mfa_process"} {
		assert.Contains(t, ce.stdout.String(), want)
	}
	assert.Equal(t, "iamkit-dana.smith", defaultSessionName("dana.smith"))
	assert.Equal(t, "iamkit", defaultSessionName("ü"))
	assert.Equal(t, "iamkit-j-rgen", defaultSessionName("jürgen"))
	assert.Len(t, defaultSessionName(strings.Repeat("x", 100)), 64)
}

func TestDemoConsoleChapter(t *testing.T) {
	e := newEnv(t)
	var out bytes.Buffer
	d, closeDemo, err := newDemo(&out, e.a, t.TempDir())
	require.NoError(t, err)
	defer closeDemo()
	require.NoError(t, d.play(context.Background(), []chapter{{"A console URL for a person with no IAM user, from the fake pool", (*demo).consoleURL}}))
	s := out.String()
	for _, want := range []string{
		"carol has no IAM user",
		"IAMKIT_SIGNIN_ENDPOINT=" + d.srv.URL() + "/federation",
		"$ iamkit console --cognito-pool us-east-1:",
		" --role-arn arn:aws:iam::123456789012:role/ConsoleVisitor --session-name carol@example.com --duration 12h --destination 'https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#Instances:'\n",
		"  " + d.srv.URL() + "/federation?Action=login&",
		"web-identity role=arn:aws:iam::123456789012:role/ConsoleVisitor",
		"identities left in the pool: 0",
		"SigninToken=REDACTED",
		"SigninToken: ******** (",
		"Opening it: 302 Found, Location: https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#Instances:",
		"$ iamkit console --profile ops-mfa\n  iamkit console: the profile holds GetSessionToken credentials (arn:aws:iam::123456789012:root)",
	} {
		assert.Contains(t, s, want)
	}
	assert.Equal(t, 1, d.acct.Calls("signin:login"))
	assert.Equal(t, 1, d.acct.Calls("signin:getSigninToken"), "the session-token profile never reached the endpoint")
	assert.Equal(t, 1, d.acct.Calls("sts:AssumeRoleWithWebIdentity"), "the console command's STS client reached the server")
	assert.NotRegexp(t, regexp.MustCompile(`SigninToken=[A-Z2-7]{16,}`), s, "the token never shows")
}
