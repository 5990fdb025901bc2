package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/iamkit/iamkit/internal/durflag"
	"github.com/iamkit/iamkit/mfa"
)

// Wiring (app.go): add mfaCommand() to commands(), and to app the fields
//
//	// newSTS builds the factory of STS clients "mfa session" signs with the
//	// long-term keys; tests hand in the fake account's STS.
//	newSTS func(ctx context.Context) (mfa.STSFactory, error)
//	// getenv reads the environment (AWS_PROFILE, MFA_DEVICE, ...).
//	getenv func(string) string
//
// set in newApp to loadSTS and os.Getenv.

func mfaCommand() *command {
	return &command{
		name:    "mfa",
		summary: "MFA session credentials (aws-mfa) and the MFA audit",
		args:    "COMMAND [ARGS]",
		help: `Obtain MFA-backed short-term credentials the way aws-mfa does, and list the
users who can sign in or hold access keys without MFA.`,
		subs: []*command{
			{
				name:    "session",
				summary: "aws-mfa: [PROFILE-long-term] + MFA code -> [PROFILE]",
				args:    "[--profile P] [--assume-role ARN] [--token CODE] [flags]",
				help: `Read the long-term keys of [PROFILE-long-term] in the credentials file and,
unless [PROFILE] still holds credentials valid for more than --margin, ask
for an MFA code, call GetSessionToken (12 h) or, with a role, AssumeRole
(1 h), and rewrite [PROFILE] in place; every other byte of the file is kept.
The same files, flags and environment variables as aws-mfa: AWS_PROFILE,
MFA_DEVICE, MFA_STS_DURATION, MFA_ASSUME_ROLE, AWS_SHARED_CREDENTIALS_FILE,
AWS_CONFIG_FILE; the config file's [profile PROFILE] may give mfa_serial,
role_arn, duration_seconds, region and mfa_process (a command printing the
code). Without --token or mfa_process the code is read from stdin.

A code is never sent twice for a device: if the last one was just used, the
command waits for the next (state in credentials.mfa-state).

--setup, as aws-mfa's, writes [PROFILE-long-term] instead: the access key ID
(--access-key-id, else $AWS_ACCESS_KEY_ID, else asked), the secret access key
($AWS_SECRET_ACCESS_KEY, else --secret-stdin reads the first line of stdin,
else asked without echo) and optionally the MFA device (--device, else
$MFA_DEVICE, else asked). Questions are asked only when stdin is a
terminal; without one, a missing value is an error (exit 2). Keys already
in the section are replaced only with --overwrite (or a "y" at the
question); every other byte of the file is kept.`,
				examples: []string{
					"iamkit mfa session",
					"iamkit mfa session --profile prod --assume-role arn:aws:iam::123456789012:role/Admin",
					"iamkit mfa session --profile dev --token 123456 --force",
					"iamkit mfa session --profile dev --dry-run",
					"iamkit mfa session --setup --profile dev",
					"AWS_SECRET_ACCESS_KEY=... iamkit mfa session --setup --profile ci --access-key-id AKIA... --device arn:aws:iam::123456789012:mfa/ci",
				},
				run: runMFASession,
			},
			mfaCredentialProcessCommand(),
			{
				name:    "audit",
				summary: "list users who can sign in or hold active keys but have no MFA",
				args:    "[--source S] [--json]",
				help: `Read IAM's credential report (generating it if needed) and list every
identity that has a console password (the root always can sign in) or an
active access key, and no MFA device. When the report cannot be had, users
are listed one by one instead (the root is then not seen).`,
				examples: []string{
					"iamkit mfa audit",
					"iamkit mfa audit --json",
					"iamkit mfa audit --source listing",
				},
				run: runMFAAudit,
			},
		},
	}
}

// loadSTS is the default newSTS: STS clients from the standard configuration
// chain (endpoints, retryer, AWS_ENDPOINT_URL), signed with the given keys.
func (a *app) loadSTS(ctx context.Context) (mfa.STSFactory, error) {
	cfg, err := a.loadAWSConfig(ctx, "")
	if err != nil {
		return nil, err
	}
	return mfa.NewSTSFactory(cfg), nil
}

// seconds is a duration flag given in seconds, as aws-mfa's --duration, or
// in Go's syntax ("1h", "90m"). Anything else, trailing junk included, is
// refused.
type seconds struct{ d *time.Duration }

func (s seconds) String() string {
	if s.d == nil || *s.d == 0 {
		return ""
	}
	return fmt.Sprint(int64(*s.d / time.Second))
}

func (s seconds) Set(v string) error {
	d, err := parseSeconds(v)
	if err != nil {
		return err
	}
	if d < mfa.MinSessionDuration || d > mfa.MaxSessionDuration {
		// The exact limit (a role's is lower) is checked once the profile
		// is read; this one holds for every session.
		return fmt.Errorf("%s is outside STS's limits (%s to %s, %d to %d seconds)", d,
			mfa.MinSessionDuration, mfa.MaxSessionDuration,
			int64(mfa.MinSessionDuration/time.Second), int64(mfa.MaxSessionDuration/time.Second))
	}
	*s.d = d
	return nil
}

// parseSeconds reads a whole number of seconds ("3600") or a Go duration
// ("1h"): internal/durflag, shared by every binary.
func parseSeconds(v string) (time.Duration, error) { return durflag.Parse(v) }

func runMFASession(ctx context.Context, a *app, c *command, args []string) error {
	var o mfa.SessionRequest
	var margin time.Duration
	var storedSeed bool
	fs := a.flagSet(c)
	fs.StringVar(&o.Profile, "profile", "", "`PROFILE` to obtain credentials for (default $AWS_PROFILE, else default)")
	fs.StringVar(&o.Device, "device", "", "MFA device `ARN` (default $MFA_DEVICE, aws_mfa_device, mfa_serial)")
	fs.Var(seconds{&o.Duration}, "duration", "session length in `SECONDS` or as a duration like 1h (15m-36h; a role 15m-12h; default 12h, 1h with a role)")
	fs.StringVar(&o.AssumeRole, "assume-role", "", "role `ARN` to assume (default $MFA_ASSUME_ROLE, assume_role, role_arn)")
	fs.StringVar(&o.AssumeRole, "assume", "", aliasPrefix+"-assume-role")
	fs.StringVar(&o.RoleSessionName, "role-session-name", "", "role session `NAME` (default the login name)")
	fs.StringVar(&o.LongTermSuffix, "long-term-suffix", "", "long-term section is PROFILE-`SUFFIX` (default long-term; none: PROFILE)")
	fs.StringVar(&o.LongTermSuffix, "long-suffix", "", aliasPrefix+"-long-term-suffix")
	fs.StringVar(&o.ShortTermSuffix, "short-term-suffix", "", "short-term section is PROFILE-`SUFFIX` (default none: PROFILE)")
	fs.StringVar(&o.ShortTermSuffix, "short-suffix", "", aliasPrefix+"-short-term-suffix")
	fs.BoolVar(&o.Force, "force", false, "refresh even if the credentials are still valid")
	token := fs.String("token", "", "the MFA `CODE` (default: mfa_process, else read from stdin)")
	fs.StringVar(token, "mfa-token", "", aliasPrefix+"-token")
	fs.StringVar(&o.Region, "region", "", "STS `REGION` (default the profile's region)")
	margin = mfa.DefaultRefreshMargin
	fs.Var(duration{&margin}, "margin", "refresh credentials that expire within `DURATION` (like 5m, or seconds)")
	fs.BoolVar(&storedSeed, "use-stored-seed", false, "compute the code from aws_mfa_seed in the long-term section (weaker than a device)")
	dryRun := fs.Bool("dry-run", false, "print what would be done and do nothing")
	var setup setupFlags
	setup.register(fs)
	pos, err := a.parse(c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return c.usageError("unexpected argument %q", pos[0])
	}
	if setup.on {
		return runMFASetup(ctx, a, c, fs, o, setup)
	}
	if set := setup.given(fs); set != "" {
		return c.usageError("--%s goes with --setup", set)
	}
	if *token != "" {
		if !mfa.ValidToken(*token) {
			return c.usageError("--token must be 6 digits")
		}
		o.Token = mfa.StaticToken(*token)
	}
	opts := []mfa.Option{
		mfa.WithPrompt(mfa.NewPrompt(a.stdin, a.stderr)),
		mfa.WithClock(a.clock), mfa.WithGetenv(a.getenv), mfa.WithLogger(a.log),
		mfa.WithRefreshMargin(margin), mfa.WithStoredSeed(storedSeed),
	}

	if *dryRun {
		plan, err := mfa.PlanSession(ctx, o, opts...)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, plan)
		fmt.Fprintln(a.stdout, "Dry run: nothing was called or written.")
		return nil
	}
	newSTS, err := a.newSTS(ctx)
	if err != nil {
		return err
	}
	res, err := mfa.Session(ctx, o, append(opts, mfa.WithSTS(newSTS))...)
	if err != nil {
		return err
	}
	exp := res.Credentials.Expires.UTC()
	if !res.Refreshed {
		fmt.Fprintf(a.stdout, "[%s] is still valid for %s, until %s.\n", res.Plan.Profile,
			exp.Sub(a.clock.Now()).Round(time.Second), exp.Format(time.RFC3339))
		return nil
	}
	what := "session token"
	if res.Plan.RoleARN != "" {
		what = "role " + res.Plan.RoleARN
	}
	fmt.Fprintf(a.stdout, "Wrote [%s] (%s) to %s; it expires in %s, at %s.\n", res.Plan.Profile, what,
		res.Plan.CredentialsPath, exp.Sub(a.clock.Now()).Round(time.Second), exp.Format(time.RFC3339))
	return nil
}

func runMFAAudit(ctx context.Context, a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	source := fs.String("source", "", "`SOURCE`: credential-report or listing (default the report, falling back to listing)")
	asJSON := fs.Bool("json", false, "one JSON object per finding")
	pos, err := a.parse(c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return c.usageError("unexpected argument %q", pos[0])
	}
	src := mfa.AuditSource(*source)
	switch src {
	case "", mfa.SourceCredentialReport, mfa.SourceListing:
	default:
		return c.usageError("--source must be %s or %s", mfa.SourceCredentialReport, mfa.SourceListing)
	}
	client, err := a.newIAM(ctx)
	if err != nil {
		return err
	}
	api, ok := client.(mfa.AuditAPI)
	if !ok {
		return fmt.Errorf("the IAM client %T cannot read the credential report", client)
	}
	findings, err := mfa.Audit(ctx, api, mfa.WithAuditSource(src), mfa.WithClock(a.clock), mfa.WithLogger(a.log))
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		for _, f := range findings {
			if err := enc.Encode(f); err != nil {
				return err
			}
		}
		return nil
	}
	if len(findings) == 0 {
		fmt.Fprintln(a.stdout, "Every identity that can sign in or holds an active access key has MFA.")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tCONSOLE\tACTIVE KEYS\tCREATED\tSOURCE")
	for _, f := range findings {
		created := "-"
		if !f.UserCreated.IsZero() {
			created = f.UserCreated.UTC().Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%t\t%d\t%s\t%s\n", f.User, f.PasswordEnabled, f.ActiveAccessKeys, created, f.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%d identities without MFA.\n", len(findings))
	return nil
}
