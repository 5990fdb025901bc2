package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/mfa"
)

func userCommand() *command {
	return &command{
		name:    "user",
		summary: "onboard and offboard IAM users",
		args:    "COMMAND [ARGS]",
		help: `Onboard a person (IAM user, console password, MFA enabled at once, groups,
access key, SSH keys) and offboard them completely, one at a time or from a
CSV file.`,
		subs: []*command{
			{
				name:    "create",
				summary: "onboard a person: user, password, MFA, groups, keys",
				args:    "-u NAME [-g GROUP]... [flags]",
				help: `Create the IAM user NAME with a console password (generated from the account's
password policy, to be changed at first sign-in) and a virtual MFA device
that is enabled at once; add it to the groups; optionally create an access key
and upload SSH public keys.

The secrets (password, MFA secret, access key secret) are never printed: they
go into a credentials bundle written with mode 0600 into --out (NAME.csv,
NAME.otpauth, NAME-mfa.png). Hand it over securely, then delete it. An
existing bundle is never overwritten: if --out already holds NAME.csv, the
next free DIR.2, DIR.3, ... is used. The MFA QR code is shown on stdout only
when stdout is a terminal (see --qr): scanning it pairs the device.

Re-running for a user that a failed run left half-made resumes: what exists
is kept. Secrets AWS shows only once are not shown again; when a run makes
no new secret, no bundle is written.

--json prints one object instead of text (no QR code), never a secret:
  {"user", "status": ok|resumed|failed, "user_arn", "user_id", "sign_in_url",
   "password_reset_required", "mfa_serial", "groups", "access_key_id",
   "ssh_public_key_ids", "steps": [{"name", "status", "detail"}],
   "secrets_in_bundle": [password|mfa_secret|secret_access_key],
   "bundle", "bundle_files", "error"}
Empty fields are left out.`,
				examples: []string{
					"iamkit user create -u alice -g developers",
					"iamkit user create -u alice -g developers -g oncall --ssh-key ~/.ssh/id_ed25519.pub",
					"iamkit user create -u ci-bot --no-console --no-mfa --access-key --out ./secrets/ci-bot",
					"AWS_PROFILE=admin iamkit user create -u bob --path /engineering/ --tag team=platform",
				},
				run: runUserCreate,
			},
			{
				name:    "delete",
				summary: "offboard a person: print the plan, then remove everything",
				args:    "NAME [--dry-run] [--json] [--bucket BUCKET --groups G,... [--sudoers-groups G,...]]",
				help: `Remove the IAM user NAME completely. First the plan is printed: every login
profile, access key, signing certificate, SSH key, service-specific
credential, MFA device (and unassigned virtual MFA devices named after the
user), inline and attached policy and group membership that stands in the
way, in the order AWS documents, ending with DeleteUser. Then, unless
--dry-run is given, the plan is applied and each step reported; finally the
user's absence is verified.

Something already gone counts as done, so re-running after a failure
finishes the job. A user that does not exist is not an error.

With --bucket (and the snapshot's --groups, --sudoers-groups, --key, as
'hostsync publish' takes them), the fleet snapshot is republished as soon as
the offboarding changed something, so hosts following it (hostsyncd
--snapshot) lock the person out and end their sessions within seconds
rather than at the publisher's next scheduled run. A failed republish is
reported (exit 1); the offboarding stands.

--json prints one object instead of text:
  {"user", "exists", "dry_run", "plan": [{"action", "target"}], "warnings",
   "results": [{"action", "target", "status": done|already gone|failed,
   "error"}], "verified", "error"}`,
				examples: []string{
					"iamkit user delete alice --dry-run",
					"iamkit user delete alice",
					"iamkit user delete alice --bucket acme-fleet --groups ssh-users --sudoers-groups admins",
				},
				run: runUserDelete,
			},
			{
				name:    "import",
				summary: "onboard everyone in a CSV file, several at a time",
				args:    "FILE.csv [--concurrency N] [--out DIR] [--json]",
				help: `Onboard every row of FILE.csv ("-" reads stdin). The first line names the
columns, in any order; only user_name is required:

  ` + strings.Join(iamuser.CSVColumns, ", ") + `

groups, tags (key=value) and ssh_public_keys hold several values separated
by ';'; console and mfa default to true, access_key to false. Lines starting
with # are comments. The whole file is checked before anything is created: a
bad row stops the import with its line number and exit code 2.

Rows run concurrently (--concurrency); a failing row does not stop the
others. Each user's bundle is written with mode 0600 into DIR/NAME as soon as
the row is done (never overwriting an earlier bundle). A progress bar is
drawn on stderr when it is a terminal, plain lines otherwise; the results are
printed per row at the end. The exit code is 1 if any row failed: fix it and
re-run the same file, users already made are kept.

--json prints one object instead of the table, never a secret:
  {"file", "rows": [ROW], "ok", "failed", "nothing_created"}
where ROW is the object of 'user create --json' with the CSV "line".`,
				examples: []string{
					"iamkit user import people.csv",
					"iamkit user import people.csv --concurrency 4 --out ./bundles",
					"printf 'user_name,groups\\nalice,developers;oncall\\n' | iamkit user import -",
				},
				run: runUserImport,
			},
		},
	}
}

// ---- user create ----

func runUserCreate(ctx context.Context, a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	var (
		spec             iamuser.Spec
		groups, sshFiles stringList
		tags             stringList
	)
	fs.StringVar(&spec.UserName, "u", "", "IAM user `NAME` (required)")
	fs.StringVar(&spec.UserName, "user", "", aliasPrefix+"u")
	fs.Var(&groups, "g", "add the user to `GROUP`, which must exist (repeatable)")
	fs.Var(&groups, "group", aliasPrefix+"g")
	fs.BoolVar(&spec.AccessKey, "access-key", false, "also create an access key (its secret goes into the bundle)")
	fs.Var(&sshFiles, "ssh-key", "upload the OpenSSH public key(s) in `FILE`, one per line (repeatable)")
	fs.StringVar(&spec.Path, "path", "", "IAM `PATH` of the user and its MFA device, e.g. /engineering/ (default /)")
	fs.Var(&tags, "tag", "tag the user with `KEY=VALUE` (repeatable)")
	fs.StringVar(&spec.PermissionsBoundary, "permissions-boundary", "", "managed policy `ARN` to set as the user's permissions boundary")
	fs.BoolVar(&spec.NoMFA, "no-mfa", false, "do not create a virtual MFA device")
	fs.BoolVar(&spec.NoConsole, "no-console", false, "do not create a console password (login profile)")
	out := fs.String("out", "", "write the credentials bundle into `DIR` (default ./iamkit-out/NAME)")
	qr := fs.String("qr", "auto", "show the MFA QR code on stdout: `WHEN` is auto (when stdout is a terminal), always or never")
	asJSON := fs.Bool("json", false, "print one JSON object (see the help) instead of text; no QR code")
	pos, err := a.parse(c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return c.usageError("unexpected argument %q (the user name goes after -u)", pos[0])
	}
	if spec.UserName == "" {
		return c.usageError("missing -u NAME")
	}
	var showQR bool
	switch *qr {
	case "auto":
		showQR = a.stdoutTTY && !*asJSON
	case "always":
		if *asJSON {
			return c.usageError("--qr always does not go with --json: stdout holds the JSON")
		}
		showQR = true
	case "never":
	default:
		return c.usageError("--qr must be auto, always or never, not %q", *qr)
	}
	spec.Groups = groups
	for _, t := range tags {
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return c.usageError("--tag %q is not KEY=VALUE", t)
		}
		if spec.Tags == nil {
			spec.Tags = map[string]string{}
		}
		spec.Tags[k] = v
	}
	for _, f := range sshFiles {
		keys, err := readPublicKeys(f)
		if err != nil {
			return c.usageError("--ssh-key: %v", err)
		}
		spec.SSHPublicKeys = append(spec.SSHPublicKeys, keys...)
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	// Credentials first: a run without any fails before making a directory.
	api, err := a.newIAM(ctx)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("iamkit-out", spec.UserName)
	}
	// Make sure the secrets will have somewhere to go before creating them.
	made := missingDirs(dir)
	if dir, err = iamuser.NextBundleDir(dir, spec.UserName); err != nil {
		return c.usageError("--out: %v", err)
	}
	res, onboardErr := a.manager(api).Onboard(ctx, spec)
	if res == nil {
		_ = os.Remove(dir) // empty: nothing was made
		removeEmptyDirs(made)
		if *asJSON {
			if err := writeJSON(a.stdout, newOnboardJSON(spec.UserName, nil, onboardErr)); err != nil {
				return errors.Join(onboardErr, err)
			}
		}
		return onboardErr
	}
	if *asJSON {
		j := newOnboardJSON(spec.UserName, res, onboardErr)
		paths, err := writeBundle(res, dir)
		if err != nil {
			err = fmt.Errorf("writing the credentials bundle: %w (the new secrets are lost: reset the password / recreate the MFA device or access key)", err)
			j.Status, j.Error = "failed", oneLine(errors.Join(onboardErr, err))
		} else if len(paths) > 0 {
			j.SecretsInBundle, j.Bundle, j.BundleFiles = secretNames(res), dir, paths
		}
		if jerr := writeJSON(a.stdout, j); jerr != nil {
			err = errors.Join(err, jerr)
		}
		return errors.Join(onboardErr, err)
	}
	fmt.Fprintln(a.stdout, res)
	fmt.Fprintln(a.stdout)
	printSecrets(a.stdout, res)
	paths, err := writeBundle(res, dir)
	switch {
	case err != nil:
		// The secrets exist only in memory now; say so loudly.
		err = fmt.Errorf("writing the credentials bundle: %w (the new secrets are lost: reset the password / recreate the MFA device or access key)", err)
	case len(paths) == 0:
		fmt.Fprintln(a.stdout, "No new secrets (AWS shows them only once): no bundle written.")
	default:
		fmt.Fprintln(a.stdout, "Credentials bundle (mode 0600; holds the secrets: hand it over securely, then delete it):")
		for _, p := range paths {
			fmt.Fprintf(a.stdout, "  %s\n", p)
		}
	}
	if showQR && res.OTPAuthURI != "" {
		text, qerr := mfa.QRCodeTerminal(res.OTPAuthURI)
		if qerr != nil {
			err = errors.Join(err, qerr)
		} else {
			fmt.Fprintf(a.stdout, "\nScan with the authenticator app (this code is the MFA secret: no screenshots):\n%s", text)
		}
	}
	return errors.Join(onboardErr, err)
}

// printSecrets says what was made without revealing any secret.
func printSecrets(w io.Writer, res *iamuser.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if res.SignInURL != "" {
		fmt.Fprintf(tw, "Console sign-in:\t%s\n", res.SignInURL)
	}
	if res.Password != "" {
		fmt.Fprintf(tw, "Password:\t%s, in the bundle; must be changed at first sign-in\n", mask(res.Password))
	}
	if res.MFASerial != "" {
		fmt.Fprintf(tw, "MFA device:\t%s (enabled)\n", res.MFASerial)
	}
	if res.MFASeed != "" {
		fmt.Fprintf(tw, "MFA secret:\t%s, in the bundle and the QR code\n", mask(res.MFASeed))
	}
	if res.AccessKeyID != "" {
		fmt.Fprintf(tw, "Access key:\t%s\n", res.AccessKeyID)
	}
	if res.SecretAccessKey != "" {
		fmt.Fprintf(tw, "Secret key:\t%s, in the bundle\n", mask(res.SecretAccessKey))
	}
	tw.Flush()
}

// readPublicKeys reads the OpenSSH public keys in file, one per line; blank
// lines and # comments are skipped. A private key is refused.
func readPublicKeys(file string) ([]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if bytes.Contains(data, []byte("PRIVATE KEY")) {
		return nil, fmt.Errorf("%s holds a private key; give the public key (usually the .pub file)", file)
	}
	var keys []string
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			keys = append(keys, line)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s holds no public key", file)
	}
	return keys, nil
}

// writeBundle writes res's bundle into dir when it holds a new secret, and
// otherwise removes dir if it is empty (NextBundleDir made it). It returns
// the files written.
func writeBundle(res *iamuser.Result, dir string) ([]string, error) {
	if !res.HasSecrets() {
		_ = os.Remove(dir) // only succeeds when empty
		return nil, nil
	}
	return res.WriteBundle(dir)
}

// ensureWritable creates dir (mode 0700) if needed and checks that a file can
// be created in it, so that a bulk run fails before onboarding anyone when
// the bundles would have nowhere to go. (Each user's own directory is
// chosen, and checked, by iamuser.NextBundleDir.)
func ensureWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("bundle directory: %w", err)
	}
	probe, err := os.CreateTemp(dir, ".iamkit-probe-*")
	if err != nil {
		return fmt.Errorf("bundle directory %s is not writable: %w", dir, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// ---- user delete ----

func runUserDelete(ctx context.Context, a *app, c *command, args []string) error {
	return defaultPublishEnv().runUserDelete(ctx, a, c, args)
}

// runUserDelete is "user delete"; env builds the clients that republish the
// fleet snapshot with --bucket.
func (env *publishEnv) runUserDelete(ctx context.Context, a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	dryRun := fs.Bool("dry-run", false, "print the plan and change nothing")
	asJSON := fs.Bool("json", false, "print one JSON object (see the help) instead of text")
	var rf republishFlags
	rf.register(fs)
	pos, err := a.parse(c, fs, args)
	if err != nil {
		return err
	}
	switch len(pos) {
	case 0:
		return c.usageError("missing the user NAME")
	case 1:
	default:
		return c.usageError("one user at a time: unexpected argument %q", pos[1])
	}
	name := pos[0]
	if err := iamuser.ValidateUserName(name); err != nil {
		return err
	}
	var opts []iamuser.Option
	if !*dryRun {
		opt, err := rf.option(ctx, a, c, env)
		if err != nil {
			return err
		}
		if opt != nil {
			opts = append(opts, opt)
		}
	}
	api, err := a.newIAM(ctx)
	if err != nil {
		return err
	}
	m := a.offboarder(api, opts...)
	plan, err := m.PlanOffboard(ctx, name)
	if *asJSON {
		return deleteJSON(ctx, a, m, name, plan, err, *dryRun)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(a.stdout, plan)
	if !plan.Exists {
		return nil
	}
	if *dryRun {
		fmt.Fprintln(a.stdout, "Dry run: nothing was changed.")
		return nil
	}
	rep, err := m.ApplyOffboard(ctx, plan)
	fmt.Fprintln(a.stdout)
	printReport(a.stdout, rep)
	return err
}

// deleteJSON finishes "user delete --json": the plan (or why there is
// none), applied unless dryRun, as one offboardJSON.
func deleteJSON(ctx context.Context, a *app, m *iamuser.Offboarder, name string, plan *iamuser.OffboardPlan, planErr error, dryRun bool) error {
	if planErr != nil {
		j := offboardJSON{User: name, Plan: []offboardActionJSON{}, DryRun: dryRun, Error: oneLine(planErr)}
		return errors.Join(planErr, writeJSON(a.stdout, j))
	}
	j := newOffboardPlanJSON(plan)
	j.DryRun = dryRun
	var err error
	if plan.Exists && !dryRun {
		var rep *iamuser.OffboardReport
		rep, err = m.ApplyOffboard(ctx, plan)
		j.addReport(rep)
		if err != nil {
			j.Error = oneLine(err)
		}
	}
	return errors.Join(err, writeJSON(a.stdout, j))
}

// printReport prints an offboarding report step by step.
func printReport(w io.Writer, rep *iamuser.OffboardReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, r := range rep.Results {
		fmt.Fprintf(tw, "%3d.\t%s\t%s", i+1, r.Action, r.Status)
		if r.Err != nil {
			fmt.Fprintf(tw, ": %v", r.Err)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if rep.Verified {
		fmt.Fprintf(w, "Verified: user %s no longer exists.\n", rep.UserName)
	} else {
		fmt.Fprintf(w, "User %s still exists: fix the failures above and re-run to finish.\n", rep.UserName)
	}
}

// ---- user import ----

func runUserImport(ctx context.Context, a *app, c *command, args []string) error {
	fs := a.flagSet(c)
	concurrency := fs.Int("concurrency", 8, "onboard up to `N` users at once")
	out := fs.String("out", "iamkit-out", "write each user's credentials bundle into `DIR`/NAME")
	asJSON := fs.Bool("json", false, "print one JSON object (see the help) instead of the table")
	pos, err := a.parse(c, fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return c.usageError("missing the CSV FILE")
	case len(pos) > 1:
		return c.usageError("one file at a time: unexpected argument %q", pos[1])
	case *concurrency < 1:
		return c.usageError("--concurrency must be at least 1, not %d", *concurrency)
	}
	rows, err := readCSV(a, pos[0])
	var pathErr *os.PathError
	if errors.As(err, &pathErr) {
		return c.usageError("%v", err) // no such file, unreadable
	}
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		if *asJSON {
			return writeJSON(a.stdout, importJSON{File: pos[0], Rows: []onboardJSON{}})
		}
		fmt.Fprintf(a.stdout, "%s has no rows: nothing to do.\n", pos[0])
		return nil
	}
	api, err := a.newIAM(ctx) // before ensureWritable makes --out
	if err != nil {
		return err
	}
	made := missingDirs(*out)
	if err := ensureWritable(*out); err != nil {
		return c.usageError("--out: %v", err)
	}

	// Progress is called once per row, serialised, as soon as the row is done:
	// the bundle is written right away so no secret waits in memory.
	bundles := make(map[int]string, len(rows)) // row line → bundle dir or note
	bundleErrs := make(map[int]error)
	bundleFiles := make(map[int][]string)   // row line → files written (--json)
	bundleSecrets := make(map[int][]string) // row line → secrets in them (--json)
	bar := &progress{w: a.stderr, tty: a.stderrTTY}
	results := a.manager(api).OnboardBulk(ctx, rows, iamuser.WithConcurrency(*concurrency),
		iamuser.WithProgress(func(done, total int, r iamuser.BulkResult) {
			if r.Result != nil && r.Result.HasSecrets() {
				dir, err := iamuser.NextBundleDir(filepath.Join(*out, r.Row.Spec.UserName), r.Row.Spec.UserName)
				if err == nil {
					bundleFiles[r.Row.Line], err = r.Result.WriteBundle(dir)
					bundleSecrets[r.Row.Line] = secretNames(r.Result)
				}
				if err != nil {
					bundleErrs[r.Row.Line] = err
				} else {
					bundles[r.Row.Line] = dir
				}
			}
			bar.update(done, total, r, bundleErrs[r.Row.Line])
		}))
	if notStarted(results) {
		removeEmptyDirs(made) // nobody was created: leave no empty --out behind
	}

	if *asJSON {
		j := importJSON{File: pos[0], Rows: make([]onboardJSON, 0, len(results)), NothingCreated: notStarted(results)}
		for _, r := range results {
			row := newOnboardJSON(r.Row.Spec.UserName, r.Result, errors.Join(r.Err, bundleErrs[r.Row.Line]))
			row.Line = r.Row.Line
			if d := bundles[r.Row.Line]; d != "" {
				row.Bundle, row.BundleFiles, row.SecretsInBundle = d, bundleFiles[r.Row.Line], bundleSecrets[r.Row.Line]
			}
			if row.Status == "failed" {
				j.Failed++
			} else {
				j.OK++
			}
			j.Rows = append(j.Rows, row)
		}
		if err := writeJSON(a.stdout, j); err != nil {
			return err
		}
		switch {
		case j.NothingCreated:
			return c.usageError("%s: a row is invalid or names a missing group; nothing was created: fix it and re-run", pos[0])
		case j.Failed > 0:
			return fmt.Errorf("%d of %d rows failed; fix them and re-run the same file (users already made are kept)", j.Failed, len(results))
		}
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LINE\tUSER\tRESULT\tBUNDLE OR ERROR")
	failed := 0
	for _, r := range results {
		status, detail := "ok", bundles[r.Row.Line]
		if detail == "" {
			detail = "no new secrets"
		}
		if r.Err == nil && resumed(r.Result) {
			status = "resumed"
		}
		if err := errors.Join(r.Err, bundleErrs[r.Row.Line]); err != nil {
			failed++
			status, detail = "FAILED", oneLine(err)
			if d := bundles[r.Row.Line]; d != "" {
				detail += " (bundle: " + d + ")"
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.Row.Line, r.Row.Spec.UserName, status, detail)
	}
	tw.Flush()
	if notStarted(results) {
		fmt.Fprintf(a.stdout, "%d rows: nobody was created.\n", len(results))
		return c.usageError("%s: a row is invalid or names a missing group (see above); nothing was created: fix it and re-run", pos[0])
	}
	fmt.Fprintf(a.stdout, "%d rows: %d ok, %d failed.\n", len(results), len(results)-failed, failed)
	if failed > 0 {
		return fmt.Errorf("%d of %d rows failed; fix them and re-run the same file (users already made are kept)", failed, len(results))
	}
	return nil
}

// notStarted reports whether OnboardBulk stopped before creating anyone
// because a row was invalid: every row then failed with its
// *iamuser.ValidationError or iamuser.ErrNotAttempted.
func notStarted(results []iamuser.BulkResult) bool {
	for _, r := range results {
		var ve *iamuser.ValidationError
		if r.Result != nil || (!errors.As(r.Err, &ve) && !errors.Is(r.Err, iamuser.ErrNotAttempted)) {
			return false
		}
	}
	return len(results) > 0
}

func readCSV(a *app, file string) ([]iamuser.Row, error) {
	var r io.Reader = a.stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	rows, err := iamuser.ParseCSV(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return rows, nil
}

// resumed reports whether an onboarding found part of the work already done.
func resumed(res *iamuser.Result) bool {
	if res == nil {
		return false
	}
	for _, s := range res.Steps {
		if s.Status == iamuser.StepExisting || s.Status == iamuser.StepReplaced {
			return true
		}
	}
	return false
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// progress reports bulk progress on stderr: a bar redrawn in place on a
// terminal, one plain line per row otherwise (logs, CI).
type progress struct {
	w   io.Writer
	tty bool
}

func (p *progress) update(done, total int, r iamuser.BulkResult, bundleErr error) {
	status := "ok"
	if err := errors.Join(r.Err, bundleErr); err != nil {
		status = "failed: " + oneLine(err)
	}
	if !p.tty {
		fmt.Fprintf(p.w, "[%d/%d] line %d %s: %s\n", done, total, r.Row.Line, r.Row.Spec.UserName, status)
		return
	}
	const width = 30
	filled := done * width / total
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	if len(status) > 40 {
		status = status[:40] + "…"
	}
	// \r and "erase line": the bar is redrawn in place.
	fmt.Fprintf(p.w, "\r\x1b[K%s %d/%d  %s: %s", bar, done, total, r.Row.Spec.UserName, status)
	if done == total {
		fmt.Fprintln(p.w)
	}
}
