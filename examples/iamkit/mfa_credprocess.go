package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/iamkit/iamkit/mfa"
)

func mfaCredentialProcessCommand() *command {
	return &command{
		name:    "credential-process",
		summary: "print [PROFILE]'s MFA session as credential_process JSON, refreshing it when needed",
		args:    "--profile P [flags]",
		help: `Print the MFA session credentials of [PROFILE] (the section "mfa session"
writes) as the JSON a credential_process command prints — Version 1,
AccessKeyId, SecretAccessKey, SessionToken, Expiration (ISO 8601) — for the
AWS CLI, the SDKs, aws-vault or granted:

  [profile dev-mfa]
  credential_process = iamkit mfa credential-process --profile dev

When [PROFILE] expires within --margin, it is refreshed first, as "mfa
session" does (and written back, so the next run is instant): the code
comes from mfa_process or --use-stored-seed when configured, else it is
asked on the terminal (/dev/tty; the prompt never goes to stdout, which
holds only the JSON). Without a terminal to ask on, the command fails with
a message on stderr and a non-zero exit: run "iamkit mfa session --profile
P" in a terminal first.

Name the credential_process profile differently from PROFILE: a profile
with static keys in the credentials file would shadow its
credential_process.`,
		examples: []string{
			"iamkit mfa credential-process --profile dev",
			"aws configure set credential_process 'iamkit mfa credential-process --profile dev' --profile dev-mfa",
		},
		run: runMFACredentialProcess,
	}
}

// errNoTerminal is the refresh that needs a code with nobody to ask.
var errNoTerminal = errors.New("no terminal to ask for the MFA code on (/dev/tty)")

// openDevTTY opens the controlling terminal for the code prompt.
func openDevTTY() (io.ReadWriteCloser, error) {
	return os.OpenFile("/dev/tty", os.O_RDWR, 0)
}

// ttyPrompt is an mfa.TokenSource that opens the terminal only when a code
// is needed: a valid session never touches it.
type ttyPrompt struct {
	open func() (io.ReadWriteCloser, error)

	once   sync.Once
	tty    io.ReadWriteCloser
	prompt *mfa.Prompt
	err    error
}

func (p *ttyPrompt) get() (*mfa.Prompt, error) {
	p.once.Do(func() {
		p.tty, p.err = p.open()
		if p.err != nil {
			p.err = fmt.Errorf("%w: %v", errNoTerminal, p.err)
			return
		}
		p.prompt = mfa.NewPrompt(p.tty, p.tty)
	})
	return p.prompt, p.err
}

// Token asks on the terminal.
func (p *ttyPrompt) Token(ctx context.Context, req mfa.TokenRequest) (string, error) {
	pr, err := p.get()
	if err != nil {
		return "", err
	}
	return pr.Token(ctx, req)
}

// Ready reports at once that there is no terminal to ask on, before the
// session waits for a fresh 30-second step.
func (p *ttyPrompt) Ready(context.Context) error {
	_, err := p.get()
	return err
}

// Waiting tells the person at the terminal why nothing happens.
func (p *ttyPrompt) Waiting(device string, d time.Duration) {
	if pr, err := p.get(); err == nil {
		pr.Waiting(device, d)
	}
}

func (p *ttyPrompt) close() {
	if p.tty != nil {
		p.tty.Close()
	}
}

func runMFACredentialProcess(ctx context.Context, a *app, c *command, args []string) error {
	var o mfa.SessionRequest
	var margin time.Duration
	var storedSeed bool
	fs := a.flagSet(c)
	fs.StringVar(&o.Profile, "profile", "", "`PROFILE` whose MFA session to print (default $AWS_PROFILE, else default)")
	fs.StringVar(&o.Device, "device", "", "MFA device `ARN` (default $MFA_DEVICE, aws_mfa_device, mfa_serial)")
	fs.Var(seconds{&o.Duration}, "duration", "session length when refreshing, in `SECONDS` or like 1h (default 12h, 1h with a role)")
	fs.StringVar(&o.AssumeRole, "assume-role", "", "role `ARN` to assume (default $MFA_ASSUME_ROLE, assume_role, role_arn)")
	fs.StringVar(&o.RoleSessionName, "role-session-name", "", "role session `NAME` (default the login name)")
	fs.StringVar(&o.LongTermSuffix, "long-term-suffix", "", "long-term section is PROFILE-`SUFFIX` (default long-term; none: PROFILE)")
	fs.StringVar(&o.ShortTermSuffix, "short-term-suffix", "", "short-term section is PROFILE-`SUFFIX` (default none: PROFILE)")
	fs.StringVar(&o.Region, "region", "", "STS `REGION` (default the profile's region)")
	margin = mfa.DefaultRefreshMargin
	fs.Var(duration{&margin}, "margin", "refresh credentials that expire within `DURATION` (like 5m, or seconds)")
	fs.BoolVar(&storedSeed, "use-stored-seed", false, "compute the code from aws_mfa_seed in the long-term section (weaker than a device)")
	pos, err := a.parse(c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return c.usageError("unexpected argument %q", pos[0])
	}
	open := a.openTTY
	if open == nil {
		open = openDevTTY
	}
	prompt := &ttyPrompt{open: open}
	defer prompt.close()
	opts := []mfa.Option{
		mfa.WithPrompt(prompt),
		mfa.WithClock(a.clock), mfa.WithGetenv(a.getenv), mfa.WithLogger(a.log),
		mfa.WithRefreshMargin(margin), mfa.WithStoredSeed(storedSeed),
	}
	plan, err := mfa.PlanSession(ctx, o, opts...)
	if err != nil {
		return err
	}
	if plan.Refresh {
		newSTS, err := a.newSTS(ctx)
		if err != nil {
			return err
		}
		opts = append(opts, mfa.WithSTS(newSTS))
	}
	res, err := mfa.Session(ctx, o, opts...)
	if errors.Is(err, errNoTerminal) {
		return fmt.Errorf("[%s] must be refreshed (%s) and %v: run 'iamkit mfa session --profile %s' in a terminal, or configure mfa_process", plan.Profile, plan.Reason, errNoTerminal, plan.Profile)
	}
	if err != nil {
		return err
	}
	out, err := mfa.MarshalProcessCredentials(res.Credentials.Credentials)
	if err != nil {
		return err
	}
	_, err = a.stdout.Write(out)
	return err
}
