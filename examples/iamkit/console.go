package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/internal/awsname"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/mfa"
)

// consoleSTS is the STS the console command calls.
type consoleSTS interface {
	federation.AssumeRoleAPI
	federation.WebIdentityAPI
	federation.CallerIdentityAPI
}

// consoleDeps are the console command's seams: the default builds SDK
// clients from the app's AWS configuration and talks to the sign-in
// endpoint of the partition (or $IAMKIT_SIGNIN_ENDPOINT); tests hand in the
// fake account.
type consoleDeps struct {
	// load resolves the AWS configuration, for profile when given (nil:
	// app.loadAWSConfig).
	load func(ctx context.Context, profile string) (aws.Config, error)
	// sts and cognito build the clients from it (cognito in the pool's
	// region).
	sts     func(cfg aws.Config) consoleSTS
	cognito func(cfg aws.Config, region string) federation.CognitoBasicAPI
	// endpoint and httpClient, when set, replace the partition's sign-in
	// endpoint (else $IAMKIT_SIGNIN_ENDPOINT, through app.getenv) and the
	// default HTTP client.
	endpoint   string
	httpClient *http.Client
	clock      iamkit.Clock // nil: app.clock
	// open opens a URL in the person's browser.
	open func(ctx context.Context, url string) error
	// whoami names the local user, for the default role session name.
	whoami func() string
}

func defaultConsoleDeps() consoleDeps {
	return consoleDeps{
		sts: func(cfg aws.Config) consoleSTS {
			return sts.NewFromConfig(cfg, func(o *sts.Options) {
				if o.Region == "" {
					o.Region = "us-east-1"
				}
			})
		},
		cognito: func(cfg aws.Config, region string) federation.CognitoBasicAPI {
			return cognitoidentity.NewFromConfig(cfg, func(o *cognitoidentity.Options) { o.Region = region })
		},
		open:   openBrowser,
		whoami: localUser,
	}
}

func consoleCommand() *command { return consoleCommandWith(defaultConsoleDeps()) }

func consoleCommandWith(deps consoleDeps) *command {
	return &command{
		name:    "console",
		summary: "print (or open) an AWS console sign-in URL",
		args:    "[--profile P] [--role-arn ARN] [--cognito-pool ID] [--duration D] [--destination URL] [--open]",
		help: `Obtain temporary credentials and exchange them at the AWS sign-in endpoint for a
console sign-in URL, valid for 15 minutes.

The credentials come from, in order:
  --cognito-pool ID --role-arn ARN   a Cognito identity pool's basic (classic)
      flow, as an unauthenticated identity, for people with no IAM user; the
      pool must allow the classic flow and unauthenticated identities, and
      the role must trust the pool. The identity is deleted afterwards.
  --role-arn ARN                     AssumeRole with the profile's credentials.
  neither                            the profile's own credentials, if they can
      sign in: a role's (SSO, assume-role profiles) or GetFederationToken's.
      GetSessionToken credentials (what aws-mfa writes) and long-term keys
      cannot: add --role-arn.

--duration sets the role session and the console session (15m to 12h; role
chaining: 1h). The sign-in endpoint takes no console duration for
GetFederationToken credentials. The partition's endpoint is used (aws,
aws-cn, aws-us-gov), as the role's or the credentials' ARN says, unless
IAMKIT_SIGNIN_ENDPOINT names another (a test endpoint, such as the one
'iamkit fake serve' prints: http://127.0.0.1:PORT/federation).

The URL is printed on stdout and nowhere else: it IS the console session,
keep it out of logs and chats. --open hands it to the browser instead.`,
		examples: []string{
			"iamkit console --role-arn arn:aws:iam::123456789012:role/ReadOnly --open",
			"iamkit console --profile sso-admin --destination https://us-west-2.console.aws.amazon.com/ec2/home",
			"iamkit console --cognito-pool eu-west-1:0c1d... --role-arn arn:aws:iam::123456789012:role/Guest --session-name carol",
		},
		run: func(ctx context.Context, a *app, c *command, args []string) error {
			return runConsole(ctx, a, c, args, deps)
		},
	}
}

type consoleFlags struct {
	profile, roleARN, pool, destination, region, sessionName string
	mfaToken                                                 string
	duration                                                 time.Duration
	open, logoutFirst, regional                              bool
}

// signinEndpointEnv names a sign-in endpoint to use instead of the
// partition's: a test endpoint ('iamkit fake serve', the demo).
const signinEndpointEnv = "IAMKIT_SIGNIN_ENDPOINT"

func runConsole(ctx context.Context, a *app, c *command, args []string, deps consoleDeps) error {
	if deps.endpoint == "" {
		deps.endpoint = a.getenv(signinEndpointEnv)
	}
	if deps.clock == nil {
		deps.clock = a.clock
	}
	fs := a.flagSet(c)
	var f consoleFlags
	fs.StringVar(&f.profile, "profile", "", "use the credentials and region of `PROFILE` (default: AWS_PROFILE, the standard chain)")
	fs.StringVar(&f.roleARN, "role-arn", "", "assume the role `ARN` (with --cognito-pool: the role the identity assumes)")
	fs.StringVar(&f.pool, "cognito-pool", "", "Cognito identity pool `ID` (region:guid) to obtain the credentials from")
	fs.DurationVar(&f.duration, "duration", 0, "role and console session `DURATION`, 15m to 12h (default: 1h, the console's own default)")
	fs.StringVar(&f.destination, "destination", "", "console `URL` to land on (default: the console home of the region)")
	fs.StringVar(&f.region, "region", "", "console `REGION` (default: the profile's)")
	fs.StringVar(&f.sessionName, "session-name", "", "role session `NAME`, who you are in CloudTrail (default: iamkit-LOCALUSER)")
	fs.BoolVar(&f.open, "open", false, "open the URL in the browser instead of printing it")
	fs.BoolVar(&f.logoutFirst, "logout-first", false, "sign the browser out of its current console session first")
	fs.BoolVar(&f.regional, "regional-signin", false, "use the region's sign-in host (REGION.signin.aws.amazon.com)")
	fs.StringVar(&f.mfaToken, "mfa-token", "", "MFA `CODE` for a profile that assumes its role with mfa_serial (default: the profile's mfa_process, else a prompt on the terminal)")
	pos, err := a.parse(c, fs, args)
	if err != nil {
		return err
	}
	if f.mfaToken != "" && !mfa.ValidToken(f.mfaToken) {
		return c.usageError("--mfa-token: %v", mfa.ErrInvalidToken)
	}
	if deps.load == nil {
		deps.load = func(ctx context.Context, profile string) (aws.Config, error) {
			return a.loadAWSConfig(ctx, profile, a.withProfileMFA(profile, f.mfaToken))
		}
	}
	if len(pos) > 0 {
		return c.usageError("unexpected argument %q", pos[0])
	}
	partition, err := f.check(c)
	if err != nil {
		return err
	}
	if f.sessionName == "" {
		f.sessionName = defaultSessionName(deps.whoami())
	}

	cfg, err := deps.load(ctx, f.profile)
	if err != nil {
		return err
	}
	if f.region == "" {
		f.region = cfg.Region
	}
	creds, partition, err := consoleCredentials(ctx, a, c, deps, cfg, &f, partition)
	if err != nil {
		return err
	}
	si := &federation.SignIn{
		Partition: partition, Region: f.region, Regional: f.regional, Endpoint: deps.endpoint,
		HTTPClient: deps.httpClient, Logger: a.log, Clock: deps.clock,
	}
	if f.region != "" {
		p, _ := federation.LookupPartition(partition)
		if p.CheckRegion(f.region) != nil {
			si.Region = "" // a region of another partition: the global console home
		}
	}
	sessionDuration := f.duration
	if creds.Kind == mfa.KindFederationToken {
		if f.duration != 0 {
			fmt.Fprintln(a.stderr, "note: --duration does not apply to GetFederationToken credentials; the console session lasts as long as they do")
		}
		sessionDuration = 0
	}
	u, err := si.ConsoleURL(ctx, federation.ConsoleRequest{
		Credentials: creds, SessionDuration: sessionDuration, Destination: f.destination, LogoutFirst: f.logoutFirst,
	})
	if err != nil {
		if errors.Is(err, federation.ErrInvalidDestination) || errors.Is(err, federation.ErrUnsupportedPartition) {
			return c.usageError("%v", err)
		}
		return err
	}
	valid := u.Expires.Local().Format(time.TimeOnly)
	if f.open {
		if err := deps.open(ctx, u.Open()); err != nil {
			return fmt.Errorf("opening the browser: %w (run without --open to print the URL)", err)
		}
		fmt.Fprintf(a.stdout, "Opened the console sign-in URL in your browser (%s, %s); it works until %s.\n", u.Destination, creds.Provenance.Kind, valid)
		return nil
	}
	fmt.Fprintln(a.stdout, u.Open())
	fmt.Fprintf(a.stderr, "Console sign-in URL for %s (%s), valid until %s. It is the session itself: do not share or log it.\n",
		u.Destination, creds.Provenance.String(), valid)
	return nil
}

// check validates the flags before anything is called and returns the
// partition when the role ARN tells it.
func (f *consoleFlags) check(c *command) (string, error) {
	if f.pool != "" && f.roleARN == "" {
		return "", c.usageError("--cognito-pool needs --role-arn: the basic flow assumes the role you name")
	}
	if f.pool != "" && !strings.Contains(f.pool, ":") {
		return "", c.usageError("--cognito-pool %q is not an identity pool ID (region:guid)", f.pool)
	}
	if f.duration != 0 && (f.duration < federation.MinRoleSession || f.duration > federation.MaxRoleSession) {
		return "", c.usageError("--duration %s: from 15m to 12h", f.duration)
	}
	if f.duration%time.Second != 0 {
		return "", c.usageError("--duration %s: whole seconds", f.duration)
	}
	if f.roleARN == "" {
		// The partition is known only once the credentials are; a
		// destination no partition's console accepts is refused now.
		if f.destination != "" {
			var firstErr error
			for _, p := range federation.Partitions() {
				_, err := federation.CheckDestination(p.ID, f.destination)
				if err == nil {
					return "", nil
				}
				if firstErr == nil {
					firstErr = err
				}
			}
			return "", c.usageError("--destination: %v", firstErr)
		}
		return "", nil
	}
	role, err := awsname.RoleARN(f.roleARN)
	if err != nil {
		return "", c.usageError("--role-arn %q is not a role ARN", f.roleARN)
	}
	partition := role.Partition
	if _, err := federation.LookupPartition(partition); err != nil {
		return "", c.usageError("%v", err)
	}
	if f.destination != "" {
		if _, err := federation.CheckDestination(partition, f.destination); err != nil {
			return "", c.usageError("--destination: %v", err)
		}
	}
	return partition, nil
}

// consoleCredentials obtains the credentials to sign in with, and their
// partition.
func consoleCredentials(ctx context.Context, a *app, c *command, deps consoleDeps, cfg aws.Config, f *consoleFlags, partition string) (mfa.Credentials, string, error) {
	client := deps.sts(cfg)
	if f.pool != "" {
		region, _, _ := strings.Cut(f.pool, ":")
		if f.region == "" {
			f.region = region
		}
		s, err := federation.CognitoBasicFlow(ctx, deps.cognito(cfg, region), client, federation.CognitoRequest{
			IdentityPoolID: f.pool, RoleARN: f.roleARN, RoleSessionName: f.sessionName, Duration: f.duration, Ephemeral: true,
		}, federation.WithLogger(a.log))
		if err != nil {
			return mfa.Credentials{}, "", err
		}
		return s.Credentials, partition, nil
	}
	if cfg.Credentials == nil {
		return mfa.Credentials{}, "", errors.New("no AWS credentials: set AWS_PROFILE or pass --profile (or use --cognito-pool)")
	}
	own, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return mfa.Credentials{}, "", fmt.Errorf("retrieving the profile's credentials: %w", err)
	}
	id, err := federation.Identify(ctx, client, own, f.profile)
	if err != nil {
		return mfa.Credentials{}, "", err
	}
	if f.roleARN != "" {
		creds, err := federation.AssumeRole(ctx, client, federation.AssumeRoleRequest{
			RoleARN: f.roleARN, RoleSessionName: f.sessionName, Duration: f.duration, Source: &id.Credentials.Provenance,
		}, federation.WithLogger(a.log))
		return creds, partition, err
	}
	switch id.Credentials.Kind {
	case mfa.KindSessionToken:
		return mfa.Credentials{}, "", fmt.Errorf("the profile holds GetSessionToken credentials (%s): %w; add --role-arn", id.ARN, federation.ErrSessionTokenCredentials)
	case mfa.KindLongTerm:
		return mfa.Credentials{}, "", fmt.Errorf("the profile holds the long-term keys of %s: %w; add --role-arn", id.ARN, federation.ErrLongTermCredentials)
	}
	if f.destination != "" {
		if _, err := federation.CheckDestination(id.Partition, f.destination); err != nil {
			// Found only now that the partition is known; nothing changed.
			return mfa.Credentials{}, "", c.usageError("--destination: %v", err)
		}
	}
	return id.Credentials, id.Partition, nil
}

// defaultSessionName is "iamkit-" and the local user name, made a role
// session name by iamkit's one rule (internal/awsname).
func defaultSessionName(who string) string {
	return awsname.RoleSessionName("iamkit-"+who, "iamkit-console")
}

func localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		_, name, _ := strings.Cut(u.Username, `\`) // DOMAIN\user on Windows
		if name != "" {
			return name
		}
		return u.Username
	}
	return os.Getenv("USER")
}

// openBrowser hands url to the system's opener. The URL is an argument of
// the opener's process for the moment it runs.
func openBrowser(ctx context.Context, url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.CommandContext(ctx, "open", url)
	case "windows":
		cmd = exec.CommandContext(ctx, "rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.CommandContext(ctx, "xdg-open", url)
	}
	return cmd.Run()
}
