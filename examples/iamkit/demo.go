package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/iamuser"
)

func demoCommand() *command {
	return &command{
		name:    "demo",
		summary: "the whole story on a fake AWS account in this process (no AWS needed)",
		args:    "[--keep]",
		help: `Play the story so far on a fake AWS account (iamkittest) served in this process
on a loopback endpoint that speaks AWS's wire protocols: every step runs the
CLI's own commands ('iamkit user create', 'iamkit mfa session', 'iamkit
hostsync plan|apply|publish', 'iamkit trust add|prune', 'iamkit user delete',
'iamkit console'), through real AWS SDK clients, exactly as they run against
AWS. No credentials are needed and nothing leaves the machine: the CLI is
pointed at the fake by a temporary AWS config file, whatever AWS_* variables
or ~/.aws files you have.

A group and a password policy are set up; a person is onboarded with an SSH
key, an access key and an MFA device that is enabled at once; the IAM calls
it took are counted; the credentials bundle is written with mode 0600;
onboarding again is shown to be safe; MFA session credentials are made the
aws-mfa way; her key reaches a (fake) Linux host and a fleet; her role is
granted in two more accounts; she is offboarded, plan first, and the account
is checked to hold nothing of her; the trust policies she is left in are
pruned; and a person with no IAM user gets a console sign-in URL.

The account's clock moves only when the story says so. Secrets are shown
masked (their length only). The temporary directory ($DEMO) is removed at the
end unless --keep is given. To run the same fake for your own scripts, see
'iamkit fake serve --help'.`,
		examples: []string{
			"iamkit demo",
			"iamkit demo --keep",
		},
		run: runDemo,
	}
}

// chapter is one step of the demo.
type chapter struct {
	title string
	run   func(d *demo, ctx context.Context) error
}

func demoChapters() []chapter {
	return []chapter{
		{"An AWS account, served in this process", (*demo).account},
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

// demoProfile is one profile of the demo's AWS config: a fake account's
// server and the credentials to call it with.
type demoProfile struct {
	name string
	srv  *iamkittest.Server
	// accessKeyID and secret are the profile's keys (the account root's).
	accessKeyID, secret string
}

// demo is the state the chapters share.
type demo struct {
	w      io.Writer
	cli    *app         // the CLI the chapters run: its commands reach the fake accounts
	cliErr switchWriter // the CLI's stderr and log: the running command's

	clock    *iamkittest.Clock // one frozen clock: the CLI's and every account's
	srv      *iamkittest.Server
	acct     *iamkittest.Account // srv's, for inspection (call counters)
	iam      *iam.Client         // a real client on srv: seeding and narration
	profiles []demoProfile       // default, staging, prod
	dir      string              // $DEMO
	awsDir   string              // the AWS config and credentials files
	hosts    map[string]*iamkittest.Host

	group      string
	user       string
	createArgs []string // the 'iamkit user create' command line
	qr         string   // its QR code section, for the QR chapter
	bundleDir  string
	secrets    demoSecrets
	start      time.Time // the clock before onboarding
	callCounts map[string]int
}

// demoSecrets is what the person's bundle holds, and what the demo learns
// of her from IAM.
type demoSecrets struct {
	Password, MFASeed, OTPAuthURI, AccessKeyID, SecretAccessKey string
	MFASerial, UserARN, UserID                                  string
}

// demoAccounts are the fake accounts of the story: profile name, ID.
var demoAccounts = []struct{ profile, id string }{
	{"default", iamkittest.DefaultAccountID},
	{"staging", "222222222222"},
	{"prod", "333333333333"},
}

// newDemo starts the story's accounts (linked by one directory, on one
// frozen clock) and the CLI pointed at them. close stops the servers.
func newDemo(w io.Writer, a *app, dir string) (d *demo, close func(), err error) {
	d = &demo{
		w:      w,
		clock:  iamkittest.NewClock(iamkittest.DefaultStart),
		dir:    dir,
		awsDir: filepath.Join(dir, "aws"),
		hosts:  map[string]*iamkittest.Host{},
		group:  "developers",
		user:   "alice",
	}
	directory := iamkittest.NewDirectory()
	close = func() {
		for _, p := range d.profiles {
			p.srv.Close()
		}
	}
	for _, acct := range demoAccounts {
		srv, err := iamkittest.Start("127.0.0.1:0", iamkittest.WithAccountID(acct.id),
			iamkittest.WithDirectory(directory), iamkittest.WithClock(d.clock))
		if err != nil {
			close()
			return nil, nil, err
		}
		id, secret := srv.Account().RootAccessKey()
		d.profiles = append(d.profiles, demoProfile{name: acct.profile, srv: srv, accessKeyID: id, secret: secret})
	}
	d.srv, d.acct = d.profiles[0].srv, d.profiles[0].srv.Account()
	d.iam = iam.NewFromConfig(d.srv.Config())
	if err := d.writeAWSConfig(); err != nil {
		close()
		return nil, nil, err
	}
	d.cli = d.newCLI(a)
	return d, close, nil
}

// configPath and credentialsPath are the demo's AWS config files.
func (d *demo) configPath() string      { return filepath.Join(d.awsDir, "config") }
func (d *demo) credentialsPath() string { return filepath.Join(d.awsDir, "credentials") }

// writeAWSConfig writes the AWS config and credentials files that point
// every profile at its fake account, as a user would write them.
func (d *demo) writeAWSConfig() error {
	if err := os.MkdirAll(d.awsDir, 0o700); err != nil {
		return err
	}
	var cfg, creds strings.Builder
	for _, p := range d.profiles {
		section := "profile " + p.name
		if p.name == "default" {
			section = "default"
		}
		fmt.Fprintf(&cfg, "[%s]\nregion = %s\nendpoint_url = %s\n\n", section, p.srv.Account().Region(), p.srv.URL())
		fmt.Fprintf(&creds, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n", p.name, p.accessKeyID, p.secret)
	}
	if err := os.WriteFile(d.configPath(), []byte(cfg.String()), 0o600); err != nil {
		return err
	}
	return os.WriteFile(d.credentialsPath(), []byte(creds.String()), 0o600)
}

// newCLI returns the CLI the chapters run: its own commands, with its
// environment replaced by the demo's (the AWS config files above, the fake
// sign-in endpoint) and the demo's clock; the Linux hosts are fakes.
func (d *demo) newCLI(parent *app) *app {
	cli := newApp(strings.NewReader(""), io.Discard, io.Discard)
	// The CLI logs where the running command's stderr goes, without the
	// (real) time, which means nothing in the story.
	cli.level = parent.level
	cli.log = slog.New(slog.NewTextHandler(&d.cliErr, &slog.HandlerOptions{Level: parent.level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
	cli.clock = d.clock
	env := map[string]string{
		"AWS_CONFIG_FILE":             d.configPath(),
		"AWS_SHARED_CREDENTIALS_FILE": d.credentialsPath(),
		signinEndpointEnv:             d.srv.URL() + "/federation",
	}
	cli.getenv = func(k string) string { return env[k] }
	cli.configOptions = []func(*config.LoadOptions) error{
		config.WithSharedConfigFiles([]string{d.configPath()}),
		config.WithSharedCredentialsFiles([]string{d.credentialsPath()}),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
		d.profileOption,
	}
	cli.hostsync = &hostsyncEnv{
		newSystem: func(_ hostsync.Config, sd hostsync.StateDir, _ *slog.Logger) (hostsync.System, error) {
			return d.host(sd.Root), nil
		},
		lock: hostsync.AcquireLock,
		managed: func(cfg hostsync.Config, root string) func(string) (bool, error) {
			return func(name string) (bool, error) {
				u, ok := d.host(root).User(name)
				return ok && u.MemberOf(cfg.MarkerGroup), nil
			}
		},
	}
	return cli
}

// profileOption makes the profile explicit ("default" when none is asked
// for) and pins its endpoint and region, so that nothing in the user's
// environment (AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL,
// AWS_REGION) takes the CLI elsewhere: an explicit profile's keys win over
// the environment's, and LoadOptions over both.
func (d *demo) profileOption(o *config.LoadOptions) error {
	if o.SharedConfigProfile == "" {
		o.SharedConfigProfile = "default"
	}
	srv := d.srv
	for _, p := range d.profiles {
		if p.name == o.SharedConfigProfile {
			srv = p.srv
		}
	}
	o.BaseEndpoint = srv.URL()
	o.Region = srv.Account().Region()
	return nil
}

// host returns the fake Linux host whose hostsync state lives in dir.
func (d *demo) host(dir string) *iamkittest.Host {
	h, ok := d.hosts[dir]
	if !ok {
		h = iamkittest.NewHost()
		d.hosts[dir] = h
	}
	return h
}

func runDemo(ctx context.Context, a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	keep := fs.Bool("keep", false, "keep the temporary directory ($DEMO: the bundle, the AWS config files, the hosts' state)")
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
		defer fmt.Fprintf(a.stdout, "\n$DEMO is kept in %s (delete it when done: it holds the bundle).\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	d, closeDemo, err := newDemo(a.stdout, a, dir)
	if err != nil {
		return err
	}
	defer closeDemo()
	return d.play(ctx, demoChapters())
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
	fmt.Fprintf(d.w, "\nThat is the story so far. Every '$ iamkit' line above ran the CLI's own code\n"+
		"through real AWS SDK clients: the same commands work on a real account. Run\n"+
		"'iamkit fake serve' to point your own scripts at the same fake.\n")
	return nil
}

// cmd runs one CLI command line as the story's operator types it, prints
// it and what it printed (stdout, then stderr), and returns its stdout. An
// exit code other than want is an error.
func (d *demo) cmd(ctx context.Context, want int, args ...string) (stdout, stderr string, err error) {
	d.printCmd(args)
	out, errOut, code := d.exec(ctx, args)
	if out.Len() > 0 {
		fmt.Fprint(d.w, indent(out.String()))
	}
	if errOut.Len() > 0 {
		fmt.Fprint(d.w, indent(errOut.String()))
	}
	fmt.Fprintln(d.w)
	if code != want {
		return out.String(), errOut.String(), fmt.Errorf("iamkit %s: exit code %d, want %d: %s",
			strings.Join(args, " "), code, want, strings.TrimSpace(errOut.String()))
	}
	return out.String(), errOut.String(), nil
}

// exec runs one CLI command line and returns what it printed on stdout,
// on stderr (its log included), and its exit code.
func (d *demo) exec(ctx context.Context, args []string) (stdout, stderr *bytes.Buffer, code int) {
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	d.cliErr.set(stderr)
	d.cli.stdout, d.cli.stderr = stdout, &d.cliErr
	code = d.cli.run(ctx, args)
	d.cli.stdout = io.Discard
	d.cliErr.set(io.Discard)
	return stdout, stderr, code
}

// switchWriter is a writer whose target changes: the demo's CLI writes its
// stderr and log to the running command's buffer.
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *switchWriter) set(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = w
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return len(p), nil
	}
	return s.w.Write(p)
}

// run is cmd for a command that must succeed.
func (d *demo) run(ctx context.Context, args ...string) (string, error) {
	out, _, err := d.cmd(ctx, exitOK, args...)
	return out, err
}

// printCmd prints args as a shell command line, $DEMO for the temporary
// directory.
func (d *demo) printCmd(args []string) {
	shown := make([]string, len(args))
	for i, a := range args {
		a = strings.ReplaceAll(a, d.dir, "$DEMO")
		if strings.ContainsAny(a, " '\"#*&;|<>()`!") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		shown[i] = a
	}
	fmt.Fprintf(d.w, "$ iamkit %s\n", strings.Join(shown, " "))
}

// path shows a path under the temporary directory as $DEMO/...
func (d *demo) path(p string) string { return strings.ReplaceAll(p, d.dir, "$DEMO") }

func (d *demo) account(ctx context.Context) error {
	fmt.Fprintf(d.w, "Account %s (partition %s) is a fake (iamkittest), served in this process\n"+
		"at %s over AWS's wire protocols: IAM and STS (query), Cognito\n"+
		"Identity (JSON 1.1), S3 (REST-XML) and the console sign-in endpoint. Requests\n"+
		"are SigV4-checked against the keys it issued. Its clock shows\n"+
		"%s and moves only when the story says so.\n\n",
		d.acct.ID(), d.acct.Partition(), d.srv.URL(), d.clock.Now().Format(time.DateTime+" MST"))
	fmt.Fprintf(d.w, "$DEMO is %s. The CLI below finds the account the way\n"+
		"it finds a real one, through AWS config files ($DEMO/aws/config, with the\n"+
		"root's fake keys in $DEMO/aws/credentials); your own AWS_* variables and\n"+
		"~/.aws files are not used:\n\n", d.dir)
	cfg, err := os.ReadFile(d.configPath())
	if err != nil {
		return err
	}
	first, _, _ := strings.Cut(string(cfg), "\n\n")
	fmt.Fprintf(d.w, "%s\n\n", indent(first))

	g, err := d.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(d.group)})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "Set up with an SDK client, as 'aws iam create-group' would:\n"+
		"Created group %s (%s).\n", d.group, aws.ToString(g.Group.Arn))
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

// qrMarker starts the QR code section of 'iamkit user create --qr always'.
const qrMarker = "\nScan with the authenticator app"

func (d *demo) onboard(ctx context.Context) error {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		return err
	}
	keyFile := filepath.Join(d.dir, "id_ed25519.pub")
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))) + " alice@laptop"
	if err := os.WriteFile(keyFile, []byte(line+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "alice's laptop made an ed25519 SSH key: %s\n", ssh.FingerprintSHA256(key))
	fmt.Fprintf(d.w, "Onboarding alice: console password, MFA, group %s, access key, SSH key.\n\n", d.group)
	d.bundleDir = filepath.Join(d.dir, "bundles", d.user)
	d.createArgs = []string{"user", "create", "-u", d.user, "-g", d.group, "--tag", "team=platform",
		"--access-key", "--ssh-key", keyFile, "--out", d.bundleDir, "--qr", "always"}

	d.acct.ResetCalls()
	d.start = d.clock.Now()
	d.printCmd(d.createArgs)
	out, errOut, code := d.exec(ctx, d.createArgs)
	d.callCounts = d.acct.CallCounts()
	text, qr, _ := strings.Cut(out.String(), qrMarker)
	fmt.Fprint(d.w, indent(text))
	if errOut.Len() > 0 {
		fmt.Fprint(d.w, indent(errOut.String()))
	}
	fmt.Fprintln(d.w)
	if code != exitOK {
		return fmt.Errorf("iamkit user create: exit code %d: %s", code, strings.TrimSpace(errOut.String()))
	}
	d.qr = qrMarker + qr
	fmt.Fprintln(d.w, "(Secrets are masked: only their length is shown. They are in the bundle.)")
	return d.readBundle(ctx)
}

// readBundle reads what the person receives (the bundle) and what IAM
// says about her.
func (d *demo) readBundle(ctx context.Context) error {
	f, err := os.Open(filepath.Join(d.bundleDir, d.user+".csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return err
	}
	if len(rows) != 2 {
		return fmt.Errorf("the bundle holds %d rows, want a header and one", len(rows))
	}
	col := map[string]string{}
	for i, h := range rows[0] {
		if i < len(rows[1]) {
			col[h] = rows[1][i]
		}
	}
	uri, err := os.ReadFile(filepath.Join(d.bundleDir, d.user+".otpauth"))
	if err != nil {
		return err
	}
	d.secrets = demoSecrets{
		Password: col["password"], MFASeed: col["mfa_secret"], OTPAuthURI: strings.TrimSpace(string(uri)),
		AccessKeyID: col["access_key_id"], SecretAccessKey: col["secret_access_key"],
	}
	u, err := d.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(d.user)})
	if err != nil {
		return err
	}
	d.secrets.UserARN, d.secrets.UserID = aws.ToString(u.User.Arn), aws.ToString(u.User.UserId)
	return nil
}

func (d *demo) qrCode(context.Context) error {
	if d.qr == "" {
		return errors.New("onboarding showed no QR code")
	}
	fmt.Fprintf(d.w, "With --qr always (by default: when stdout is a terminal) the command ends with\n"+
		"the QR code alice scans with an authenticator app. It holds the MFA secret;\n"+
		"this one belongs to a fake account, a real one is never shown to anyone else.\n%s",
		strings.TrimPrefix(d.qr, "\n"))
	return nil
}

func (d *demo) mfaEnabled(ctx context.Context) error {
	out, err := d.iam.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String(d.user)})
	if err != nil {
		return err
	}
	if len(out.MFADevices) == 0 {
		return errors.New("alice has no MFA device")
	}
	for _, dev := range out.MFADevices {
		d.secrets.MFASerial = aws.ToString(dev.SerialNumber)
		fmt.Fprintf(d.w, "ListMFADevices(alice): %s, enabled %s\n",
			aws.ToString(dev.SerialNumber), aws.ToTime(dev.EnableDate).Format(time.DateTime))
	}
	fmt.Fprintf(d.w, "EnableMFADevice was called %d time(s), with the codes of the previous and the\n"+
		"current 30-second step computed at once. The clock read %s before\n"+
		"onboarding and %s after: no waiting for a second code.\n",
		d.callCounts["iam:EnableMFADevice"], d.start.Format(time.TimeOnly), d.clock.Now().Format(time.TimeOnly))
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
	fmt.Fprintf(d.w, "'iamkit user create' took %d IAM calls, each an HTTP request signed by the SDK\n"+
		"(the fake account counts them):\n", total)
	tw := tabwriter.NewWriter(d.w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, op := range ops {
		fmt.Fprintf(tw, "  %d\t %s\n", d.callCounts[op], op)
	}
	tw.Flush()
	return nil
}

func (d *demo) bundle(context.Context) error {
	entries, err := os.ReadDir(d.bundleDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "The bundle the command wrote (%s):\n", d.path(d.bundleDir))
	tw := tabwriter.NewWriter(d.w, 0, 0, 2, ' ', 0)
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			return err
		}
		if fi.Mode().Perm() != 0o600 {
			return fmt.Errorf("%s has mode %#o, not 0600", e.Name(), fi.Mode().Perm())
		}
		fmt.Fprintf(tw, "  %s\t%#o\t%d bytes\t%s\n", fi.Mode(), fi.Mode().Perm(), fi.Size(), e.Name())
	}
	tw.Flush()
	fmt.Fprintf(d.w, "alice.csv has the columns %s.\n"+
		"Only the owner can read them: hand them over securely, then delete them.\n", strings.Join(iamuser.BundleHeader, ", "))
	return nil
}

func (d *demo) again(ctx context.Context) error {
	fmt.Fprintln(d.w, "The same command once more, as after an interrupted run:")
	out, err := d.run(ctx, d.createArgs...)
	if err != nil {
		return err
	}
	if !strings.Contains(out, "No new secrets") {
		return errors.New("a second onboarding produced new secrets")
	}
	fmt.Fprintln(d.w, "Nothing failed with EntityAlreadyExists: what existed was kept. AWS shows\n"+
		"secrets only once, so this run has none and writes no bundle (nor overwrites one).")
	return nil
}

func (d *demo) plan(ctx context.Context) error {
	if _, err := d.run(ctx, "user", "delete", d.user, "--dry-run"); err != nil {
		return err
	}
	if _, err := d.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(d.user)}); err != nil {
		return err
	}
	fmt.Fprintln(d.w, "Planning changed nothing: GetUser(alice) still finds her.")
	return nil
}

func (d *demo) offboard(ctx context.Context) error {
	_, err := d.run(ctx, "user", "delete", d.user)
	return err
}

func (d *demo) verify(ctx context.Context) error {
	_, err := d.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(d.user)})
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
		if strings.HasSuffix(aws.ToString(dev.SerialNumber), "/"+d.user) {
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
