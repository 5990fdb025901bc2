package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/mfa"
)

func demoCommand() *command {
	return &command{
		name:    "demo",
		summary: "the whole story on an in-memory AWS account (no AWS needed)",
		args:    "[--keep]",
		help: `Play the story so far on an AWS account held in memory (internal/fakes):
no credentials are needed and nothing leaves the process. A group and a
password policy are set up; a person is onboarded with an SSH key, an access
key and an MFA device that is enabled at once (the QR code is shown); the IAM
calls it took are counted; the credentials bundle is written to a temporary
directory with mode 0600; onboarding again is shown to be safe; the person is
offboarded, plan first, and the account is checked to hold nothing of them.

Secrets are shown masked (their length only). The temporary directory is
removed at the end unless --keep is given.`,
		examples: []string{
			"iamkit demo",
			"iamkit demo --keep",
		},
		run: runDemo,
	}
}

// chapter is one step of the demo. Later issues append theirs to
// demoChapters.
type chapter struct {
	title string
	run   func(d *demo, ctx context.Context) error
}

func demoChapters() []chapter {
	return []chapter{
		{"An AWS account, in memory", (*demo).account},
		{"Onboard a person", (*demo).onboard},
		{"The MFA QR code", (*demo).qrCode},
		{"MFA is enabled, without waiting for a code", (*demo).mfaEnabled},
		{"What it took: IAM calls", (*demo).iamCalls},
		{"The credentials bundle", (*demo).bundle},
		{"Onboarding again is safe", (*demo).again},
		{"An MFA session, the aws-mfa way", (*demo).mfaSession},
		{"Her SSH key on a Linux host: hostsync", (*demo).hostsync},
		{"A fleet: one snapshot in S3, two hosts sync from it", (*demo).fleet},
		{"Her role in two more accounts: trustpolicy", (*demo).trustGrant},
		{"Offboarding, step 1: the plan (a dry run)", (*demo).plan},
		{"Offboarding, step 2: apply it", (*demo).offboard},
		{"Nothing is left", (*demo).verify},
		{"Her unique ID, left in the other accounts' trust policies: prune", (*demo).trustPrune},
		{"A console URL for a person with no IAM user, from the fake pool", (*demo).consoleURL},
	}
}

// demo is the state the chapters share.
type demo struct {
	w    io.Writer
	acct *fakes.Account
	iam  *fakes.IAM
	m    *iamuser.Manager
	off  *iamuser.Offboarder
	dir  string // where the bundle is written

	group      string
	spec       iamuser.Spec
	res        *iamuser.Result
	start      time.Time // the fake clock before onboarding
	callCounts map[string]int
	trust      *trustDemo // the trust chapters' accounts, linked to acct
}

func newDemo(w io.Writer, a *app, dir string) *demo {
	trust := &trustDemo{directory: fakes.NewDirectory()}
	acct := fakes.NewAccount(fakes.WithDirectory(trust.directory))
	return &demo{
		w:     w,
		acct:  acct,
		iam:   acct.IAM(),
		m:     iamuser.New(acct.IAM(), iamuser.WithClock(acct.Clock()), iamuser.WithLogger(a.log)),
		off:   iamuser.NewOffboarder(acct.IAM(), iamuser.WithLogger(a.log)),
		dir:   dir,
		group: "developers",
		trust: trust,
	}
}

func runDemo(ctx context.Context, a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	keep := fs.Bool("keep", false, "keep the temporary bundle directory")
	pos, err := a.parse(c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return c.usageError("unexpected argument %q", pos[0])
	}
	dir, err := os.MkdirTemp("", "iamkit-demo-")
	if err != nil {
		return err
	}
	if *keep {
		defer fmt.Fprintf(a.stdout, "\nThe bundle is kept in %s (delete it when done).\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	return newDemo(a.stdout, a, dir).play(ctx, demoChapters())
}

func (d *demo) play(ctx context.Context, chapters []chapter) error {
	for i, ch := range chapters {
		if i > 0 {
			fmt.Fprintln(d.w)
		}
		fmt.Fprintf(d.w, "== %d. %s ==\n\n", i+1, ch.title)
		if err := ch.run(d, ctx); err != nil {
			return fmt.Errorf("demo chapter %d (%s): %w", i+1, ch.title, err)
		}
	}
	fmt.Fprintf(d.w, "\nThat is the story so far. The same commands work on a real account:\n"+
		"see 'iamkit user create --help', 'iamkit user delete --help' and 'iamkit user import --help'.\n")
	return nil
}

func (d *demo) account(ctx context.Context) error {
	fmt.Fprintf(d.w, "Account %s (partition %s) lives in memory (internal/fakes): no\n"+
		"credentials needed, nothing leaves this process. Its clock shows\n"+
		"%s and moves only when told.\n",
		d.acct.ID(), d.acct.Partition(), d.acct.Clock().Now().Format(time.DateTime+" MST"))
	g, err := d.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(d.group)})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "Created group %s (%s).\n", d.group, aws.ToString(g.Group.Arn))
	_, err = d.iam.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength:      aws.Int32(16),
		RequireUppercaseCharacters: true,
		RequireLowercaseCharacters: true,
		RequireNumbers:             true,
		RequireSymbols:             true,
		AllowUsersToChangePassword: true,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(d.w, "Set the password policy: 16 characters or more, upper and lower case, digits, symbols.")
	return nil
}

func (d *demo) onboard(ctx context.Context) error {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "alice's laptop made an ed25519 SSH key: %s\n", ssh.FingerprintSHA256(key))
	d.spec = iamuser.Spec{
		UserName:      "alice",
		Groups:        []string{d.group},
		Tags:          map[string]string{"team": "platform"},
		AccessKey:     true,
		SSHPublicKeys: []string{strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))) + " alice@laptop"},
	}
	fmt.Fprintf(d.w, "Onboarding alice: console password, MFA, group %s, access key, SSH key.\n\n", d.group)
	d.acct.ResetCalls()
	d.start = d.acct.Clock().Now()
	res, err := d.m.Onboard(ctx, d.spec)
	if err != nil {
		return err
	}
	d.res, d.callCounts = res, d.acct.CallCounts()
	fmt.Fprintln(d.w, res)
	fmt.Fprintln(d.w)
	printSecrets(d.w, res)
	fmt.Fprintln(d.w, "(Secrets are masked: only their length is shown.)")
	return nil
}

func (d *demo) qrCode(context.Context) error {
	qr, err := mfa.QRCodeTerminal(d.res.OTPAuthURI)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "alice scans this with an authenticator app. It holds the MFA secret; this\n"+
		"one belongs to a fake account, a real one is never shown to anyone else.\n\n%s", qr)
	return nil
}

func (d *demo) mfaEnabled(ctx context.Context) error {
	out, err := d.iam.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("alice")})
	if err != nil {
		return err
	}
	if len(out.MFADevices) == 0 {
		return errors.New("alice has no MFA device")
	}
	for _, dev := range out.MFADevices {
		fmt.Fprintf(d.w, "ListMFADevices(alice): %s, enabled %s\n",
			aws.ToString(dev.SerialNumber), aws.ToTime(dev.EnableDate).Format(time.DateTime))
	}
	fmt.Fprintf(d.w, "EnableMFADevice was called %d time(s), with the codes of the previous and the\n"+
		"current 30-second step computed at once. The clock read %s before\n"+
		"onboarding and %s after: no waiting for a second code.\n",
		d.callCounts["iam:EnableMFADevice"], d.start.Format(time.TimeOnly), d.acct.Clock().Now().Format(time.TimeOnly))
	return nil
}

func (d *demo) iamCalls(context.Context) error {
	ops := make([]string, 0, len(d.callCounts))
	total := 0
	for op, n := range d.callCounts {
		ops = append(ops, op)
		total += n
	}
	sort.Strings(ops)
	fmt.Fprintf(d.w, "Onboarding alice took %d IAM calls (the fake account counts them):\n", total)
	tw := tabwriter.NewWriter(d.w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, op := range ops {
		fmt.Fprintf(tw, "  %d\t %s\n", d.callCounts[op], op)
	}
	tw.Flush()
	return nil
}

func (d *demo) bundle(context.Context) error {
	dir := filepath.Join(d.dir, "alice")
	paths, err := d.res.WriteBundle(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "Result.WriteBundle(%s):\n", dir)
	tw := tabwriter.NewWriter(d.w, 0, 0, 2, ' ', 0)
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if fi.Mode().Perm() != 0o600 {
			return fmt.Errorf("%s has mode %#o, not 0600", p, fi.Mode().Perm())
		}
		fmt.Fprintf(tw, "  %s\t%#o\t%d bytes\t%s\n", fi.Mode(), fi.Mode().Perm(), fi.Size(), filepath.Base(p))
	}
	tw.Flush()
	fmt.Fprintf(d.w, "alice.csv has the columns %s.\n"+
		"Only the owner can read them: hand them over securely, then delete them.\n", strings.Join(iamuser.BundleHeader, ", "))
	return nil
}

func (d *demo) again(ctx context.Context) error {
	res, err := d.m.Onboard(ctx, d.spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "Onboard(alice) once more, as after an interrupted run:\n%s\n", res)
	if res.HasSecrets() {
		return errors.New("a second onboarding produced new secrets")
	}
	fmt.Fprintln(d.w, "Nothing failed with EntityAlreadyExists: what existed was kept. AWS shows\n"+
		"secrets only once, so this result has none and no bundle is written.")
	return nil
}

func (d *demo) plan(ctx context.Context) error {
	plan, err := d.off.PlanOffboard(ctx, "alice")
	if err != nil {
		return err
	}
	fmt.Fprint(d.w, plan)
	if _, err := d.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}); err != nil {
		return err
	}
	fmt.Fprintln(d.w, "Planning changed nothing: GetUser(alice) still finds her.")
	return nil
}

func (d *demo) offboard(ctx context.Context) error {
	plan, err := d.off.PlanOffboard(ctx, "alice")
	if err != nil {
		return err
	}
	rep, err := d.off.ApplyOffboard(ctx, plan)
	printReport(d.w, rep)
	return err
}

func (d *demo) verify(ctx context.Context) error {
	_, err := d.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		return fmt.Errorf("GetUser(alice) after offboarding: want NoSuchEntity, got %v", err)
	}
	fmt.Fprintln(d.w, "GetUser(alice): NoSuchEntity.")
	devs, err := d.iam.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{})
	if err != nil {
		return err
	}
	for _, dev := range devs.VirtualMFADevices {
		if strings.HasSuffix(aws.ToString(dev.SerialNumber), "/alice") {
			return fmt.Errorf("virtual MFA device %s survived", aws.ToString(dev.SerialNumber))
		}
	}
	fmt.Fprintf(d.w, "ListVirtualMFADevices: %d devices, none of them alice's.\n", len(devs.VirtualMFADevices))
	g, err := d.iam.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(d.group)})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "GetGroup(%s): %d members.\n", d.group, len(g.Users))
	return nil
}
