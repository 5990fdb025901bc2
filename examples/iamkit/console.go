package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
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
	federation.FederationTokenAPI
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
		args:    "[--profile P] [--role-arn ARN [--switch-role] | --federation-token | --cognito-pool ID --role-arn ARN] [--policy FILE] [--policy-arn ARN]... [-d D] [--destination URL] [--stdout | --open] [--json]",
		help: `Obtain temporary credentials and exchange them at the AWS sign-in endpoint for a
console sign-in URL, valid for 15 minutes.

The credentials come from, in order:
  --cognito-pool ID --role-arn ARN   a Cognito identity pool's basic (classic)
      flow, as an unauthenticated identity, for people with no IAM user; the
      pool must allow the classic flow and unauthenticated identities, and
      the role must trust the pool. The identity is deleted afterwards.
  --federation-token                 GetFederationToken with the profile's IAM
      user keys (long-term keys only: STS refuses temporary ones), named
      --session-name (32 characters at most), with the session policy of
      --policy FILE and/or --policy-arn ARN (required: without one the
      federated user may do nothing). The console session lasts as long as
      the token (-d: 15m to 36h, default 12h) and carries no MFA.
  --role-arn ARN                     AssumeRole with the profile's credentials,
      narrowed by --policy/--policy-arn when given.
  neither                            the profile's own credentials, if they can
      sign in: a role's (SSO, assume-role profiles, an instance or Lambda
      role) or GetFederationToken's. GetSessionToken credentials (what
      aws-mfa writes) and long-term keys cannot: add --role-arn, or
      --federation-token.

A profile that assumes its role with mfa_serial gets its code from
--mfa-token, else from the profile's mfa_process, else from a prompt on the
terminal; without a terminal, give one of the first two.

-d/--duration sets the role session and the console session (15m to 12h).
A role assumed with another role's temporary credentials (SSO, a source
profile's role session, an instance, ECS or Lambda role) is "chained": AWS
caps it at 1h, and the sign-in endpoint refuses a longer console session,
so a longer --duration is refused before anything is called.
--switch-role signs in as the profile's own session instead (its own
duration applies) and prints the console's role-switch link for --role-arn,
to open once signed in: the switched session is chained too (1h at most),
the role must trust the source session, and a source console built from
GetFederationToken carries no MFA, so roles that require MFA cannot be
switched into from it.

The partition comes from the caller's ARN (GetCallerIdentity) or the role's
— aws, aws-cn, aws-us-gov, aws-eusc — unless IAMKIT_SIGNIN_ENDPOINT names
another endpoint (a test one, such as 'iamkit fake serve' prints:
http://127.0.0.1:PORT/federation).

Output. The URL IS the console session: whoever has it in the next 15
minutes is signed in as you. It goes to stdout alone, one line (--stdout,
the default; the flag is accepted because aws-vault users type it), and
nowhere else; --open hands it to the browser instead. This is where iamkit
differs from its peers: aws-vault login and granted's console open the
browser by default and print only on request (-s/--stdout, --url); iamkit
prints by default, because a terminal, a remote shell or a container often
has no browser, and opens only on --open. --json prints one JSON object
describing the sign-in — destination, expiry, credential kind, partition,
role-switch link, the URL with its token redacted — and never the URL
itself: JSON goes to logs, CI artifacts and pipes far more often than a
bare line does. For the URL in a script, read plain stdout; to open it and
keep a record, use --json --open.`,
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
	mfaToken, policyFile                                     string
	policyARNs                                               stringList
	duration                                                 time.Duration
	open, logoutFirst, regional, switchRole                  bool
	federationToken, stdout                                  bool
	json                                                     func() bool

	policy string // the contents of policyFile
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
	fs.Var(duration{&f.duration}, "duration", "role and console session `DURATION` (like 1h, or seconds), 15m to 12h; chained roles 1h; federation tokens 15m to 36h (default: STS's and the console's own)")
	fs.Var(duration{&f.duration}, "d", aliasPrefix+"-duration")
	fs.StringVar(&f.destination, "destination", "", "console `URL` to land on (default: the console home of the region)")
	fs.StringVar(&f.region, "region", "", "console `REGION` (default: the profile's)")
	fs.StringVar(&f.sessionName, "session-name", "", "role session `NAME`, who you are in CloudTrail (default: iamkit-LOCALUSER)")
	fs.BoolVar(&f.open, "open", false, "open the URL in the browser instead of printing it")
	fs.BoolVar(&f.logoutFirst, "logout-first", false, "sign the browser out of its current console session first")
	fs.BoolVar(&f.regional, "regional-signin", false, "use the region's sign-in host (REGION.signin.aws.amazon.com)")
	fs.BoolVar(&f.switchRole, "switch-role", false, "sign in as the profile's own session and print the console's role-switch link for --role-arn, instead of assuming it here")
	fs.BoolVar(&f.federationToken, "federation-token", false, "sign in as a federated user: GetFederationToken with the profile's IAM user keys (needs --policy or --policy-arn)")
	fs.StringVar(&f.policyFile, "policy", "", "session policy JSON `FILE` that narrows the role's or federated user's permissions")
	fs.Var(&f.policyARNs, "policy-arn", "managed session policy `ARN` (repeatable, 10 at most)")
	fs.BoolVar(&f.stdout, "stdout", false, "print the URL on stdout (the default; for aws-vault's -s/--stdout habit)")
	f.json = consoleJSONFlag(fs)
	fs.StringVar(&f.mfaToken, "mfa-token", "", "MFA `CODE` for a profile that assumes its role with mfa_serial (default: the profile's mfa_process, else a prompt on the terminal)")
	pos, err := a.parse(c, fs, args)
	if err != nil {
		return err
	}
	if f.mfaToken != "" && !mfa.ValidToken(f.mfaToken) {
		return c.usageError("--mfa-token: %v", mfa.ErrInvalidToken)
	}
	if f.stdout && f.open {
		return c.usageError("--stdout and --open: pick one (printing is the default)")
	}
	if f.policyFile != "" {
		b, err := os.ReadFile(f.policyFile)
		if err != nil {
			return c.usageError("--policy: %v", err)
		}
		if f.policy = strings.TrimSpace(string(b)); f.policy == "" {
			return c.usageError("--policy %s is empty", f.policyFile)
		}
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
		if f.duration != 0 && !f.federationToken {
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
	var switchURL string
	if f.switchRole {
		if switchURL, err = federation.SwitchRoleURL(f.roleARN, ""); err != nil {
			return err
		}
	}
	if f.json() {
		if f.open {
			if err := deps.open(ctx, u.Open()); err != nil {
				return fmt.Errorf("opening the browser: %w (run without --open to print the URL)", err)
			}
		} else {
			fmt.Fprintln(a.stderr, "note: --json describes the sign-in without its URL (the URL is the session); add --open to open it, or leave out --json to print it")
		}
		out := consoleJSON{
			Destination: u.Destination, Expires: u.Expires.UTC(), SessionDuration: int64(u.SessionDuration / time.Second),
			Kind: string(creds.Kind), RoleARN: creds.RoleARN, Partition: partition, MFA: provenanceMFA(creds.Provenance),
			Opened: f.open, URLRedacted: federation.RedactURL(u.Open()), SwitchRoleURL: switchURL,
		}
		if creds.RoleSessionName != "" {
			out.Principal = creds.RoleSessionName
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	if f.open {
		if err := deps.open(ctx, u.Open()); err != nil {
			return fmt.Errorf("opening the browser: %w (run without --open to print the URL)", err)
		}
		fmt.Fprintf(a.stdout, "Opened the console sign-in URL in your browser (%s, %s); it works until %s.\n", u.Destination, creds.Provenance.Kind, valid)
		if switchURL != "" {
			fmt.Fprintf(a.stdout, "Once signed in, switch role: %s\n", switchURL)
		}
		return nil
	}
	fmt.Fprintln(a.stdout, u.Open())
	fmt.Fprintf(a.stderr, "Console sign-in URL for %s (%s), valid until %s. It is the session itself: do not share or log it.\n",
		u.Destination, creds.Provenance.String(), valid)
	if switchURL != "" {
		fmt.Fprintf(a.stderr, "Once signed in, switch role (a chained session, 1h at most): %s\n", switchURL)
	}
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
	if f.region != "" {
		if _, err := federation.PartitionOfRegion(f.region); errors.Is(err, federation.ErrInvalidRequest) {
			return "", c.usageError("--region %q is not a region name (like eu-west-1)", f.region)
		}
	}
	if f.switchRole && (f.roleARN == "" || f.pool != "" || f.federationToken) {
		return "", c.usageError("--switch-role needs --role-arn (the role to switch into) and no --cognito-pool or --federation-token")
	}
	if f.federationToken {
		switch {
		case f.roleARN != "" || f.pool != "":
			return "", c.usageError("--federation-token signs in as a federated user: no --role-arn or --cognito-pool")
		case f.policy == "" && len(f.policyARNs) == 0:
			return "", c.usageError("--federation-token needs --policy FILE or --policy-arn ARN: without a session policy the federated user, and its console, may do nothing")
		case f.duration != 0 && (f.duration < federation.MinRoleSession || f.duration > federation.MaxFederationSession):
			return "", c.usageError("--duration %s: a federation token lasts 15m to 36h", f.duration)
		}
	} else if (f.policy != "" || len(f.policyARNs) > 0) && f.roleARN == "" {
		return "", c.usageError("--policy and --policy-arn narrow --role-arn's session or --federation-token's: give one of them")
	} else if (f.policy != "" || len(f.policyARNs) > 0) && f.switchRole {
		return "", c.usageError("--policy and --policy-arn cannot narrow a session switched into in the browser: leave out --switch-role")
	}
	if !f.federationToken && f.duration != 0 && (f.duration < federation.MinRoleSession || f.duration > federation.MaxRoleSession) {
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
	assume := f.roleARN != "" && !f.switchRole
	if assume && f.duration > federation.MaxChainedSession && roleProviders[own.Source] {
		// Known from the provider: refused before any call.
		return mfa.Credentials{}, "", chainedDurationError(c, f, own.Source+" credentials")
	}
	id, err := federation.Identify(ctx, client, own, f.profile)
	if err != nil {
		return mfa.Credentials{}, "", err
	}
	if f.federationToken {
		if id.Credentials.Kind != mfa.KindLongTerm {
			return mfa.Credentials{}, "", c.usageError("--federation-token needs an IAM user's long-term keys (GetFederationToken refuses temporary credentials); the profile holds %s credentials of %s", id.Credentials.Kind, id.ARN)
		}
		creds, err := federation.FederationToken(ctx, client, federation.FederationTokenRequest{
			Name: federatedName(f.sessionName), Duration: f.duration, Policy: f.policy, PolicyARNs: f.policyARNs,
			Source: &id.Credentials.Provenance,
		}, federation.WithLogger(a.log))
		if errors.Is(err, federation.ErrInvalidRequest) {
			return mfa.Credentials{}, "", c.usageError("%v", err)
		}
		return creds, id.Partition, err
	}
	if assume {
		creds, err := federation.AssumeRole(ctx, client, federation.AssumeRoleRequest{
			RoleARN: f.roleARN, RoleSessionName: f.sessionName, Duration: f.duration, Source: &id.Credentials.Provenance,
			Policy: f.policy, PolicyARNs: f.policyARNs,
		}, federation.WithLogger(a.log))
		if errors.Is(err, federation.ErrChainedDuration) {
			// Known once GetCallerIdentity named a role session; AssumeRole
			// was not called.
			return mfa.Credentials{}, "", chainedDurationError(c, f, "role credentials ("+id.ARN+")")
		}
		if errors.Is(err, federation.ErrInvalidRequest) {
			return mfa.Credentials{}, "", c.usageError("%v", err) // nothing was called
		}
		return creds, partition, err
	}
	if f.switchRole && id.Partition != partition {
		return mfa.Credentials{}, "", c.usageError("--switch-role: the profile's session is in partition %s, the role in %s", id.Partition, partition)
	}
	hint := "add --role-arn"
	if f.switchRole {
		hint = "--switch-role signs in as the profile's own session, which must be a role's (or use --federation-token); or leave --switch-role out to assume the role here"
	}
	switch id.Credentials.Kind {
	case mfa.KindSessionToken:
		return mfa.Credentials{}, "", fmt.Errorf("the profile holds GetSessionToken credentials (%s): %w; %s", id.ARN, federation.ErrSessionTokenCredentials, hint)
	case mfa.KindLongTerm:
		return mfa.Credentials{}, "", fmt.Errorf("the profile holds the long-term keys of %s: %w; %s", id.ARN, federation.ErrLongTermCredentials, hint)
	}
	if f.destination != "" {
		if _, err := federation.CheckDestination(id.Partition, f.destination); err != nil {
			// Found only now that the partition is known; nothing changed.
			return mfa.Credentials{}, "", c.usageError("--destination: %v", err)
		}
	}
	return id.Credentials, id.Partition, nil
}

// consoleJSONFlag defines --json on fs, unless the app's common flags
// already do, and returns a reader of its value.
func consoleJSONFlag(fs *flag.FlagSet) func() bool {
	if f := fs.Lookup("json"); f != nil {
		return func() bool { return f.Value.String() == "true" }
	}
	v := fs.Bool("json", false, "print one JSON object describing the sign-in — never the URL itself, which is the session")
	return func() bool { return *v }
}

// federatedName makes a role session name a federated user's name: 32
// characters at most, no trailing '-'.
func federatedName(s string) string {
	if len(s) > 32 {
		s = strings.TrimRight(s[:32], "-")
	}
	return s
}

// provenanceMFA reports whether an MFA code went into the credentials or
// any they were made from.
func provenanceMFA(p mfa.Provenance) bool {
	for q := &p; q != nil; q = q.Parent {
		if q.MFASerial != "" {
			return true
		}
	}
	return false
}

// consoleJSON is what --json prints: one object describing the sign-in.
// It never holds the sign-in URL or token (the console session itself);
// url_redacted shows where the URL goes with its token replaced.
type consoleJSON struct {
	Destination     string    `json:"destination"`
	Expires         time.Time `json:"expires"`
	SessionDuration int64     `json:"session_duration_seconds,omitempty"`
	Kind            string    `json:"kind"`
	Principal       string    `json:"principal,omitempty"`
	RoleARN         string    `json:"role_arn,omitempty"`
	Partition       string    `json:"partition"`
	MFA             bool      `json:"mfa"`
	Opened          bool      `json:"opened"`
	URLRedacted     string    `json:"url_redacted"`
	SwitchRoleURL   string    `json:"switch_role_url,omitempty"`
}

// roleProviders are the SDK's credential providers whose credentials are a
// role's session: assuming a role with them is role chaining.
var roleProviders = map[string]bool{
	ssocreds.ProviderName: true, stscreds.ProviderName: true, stscreds.WebIdentityProviderName: true,
	ec2rolecreds.ProviderName: true, endpointcreds.ProviderName: true,
}

// chainedDurationError explains why a --duration over one hour cannot be
// had with role credentials, and what to do instead.
func chainedDurationError(c *command, f *consoleFlags, what string) error {
	return c.usageError("--duration %s: the profile holds %s, so assuming %s with them is role chaining, which AWS caps at %s "+
		"(the sign-in endpoint refuses a longer console session too); use --duration 1h or less, or sign in with credentials "+
		"that are not a role's (an IAM user's, a GetSessionToken session)", f.duration, what, f.roleARN, federation.MaxChainedSession)
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
