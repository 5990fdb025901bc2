package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/internal/durflag"
)

// hostsyncIAM is the IAM client of the hostsync commands: what a sync
// reads (iamsource.IAMSource) and what the live key lookup reads
// (iamsource.LiveKeys). *iam.Client satisfies it.
type hostsyncIAM interface {
	iamsource.IAMAPI
	iamsource.LiveKeysAPI
}

// hostsyncEnv is what the hostsync commands take from outside the process:
// AWS, the instance metadata, the host, the lock and the clock. The default
// (defaultHostsyncEnv) is the real thing; tests hand in the fake account and
// the fake host through hostsyncCommandWith, the demo through app.hostsync.
type hostsyncEnv struct {
	// newIAM builds the IAM client a sync or a live key lookup reads with,
	// with the assumed role's credentials under ASSUMEROLE (nil:
	// loadHostsyncIAM, through the app's AWS configuration).
	newIAM func(ctx context.Context, cfg hostsync.Config) (hostsyncIAM, error)
	// instanceTags reads the instance's EC2 tags named keys (nil:
	// loadInstanceTags, the instance metadata).
	instanceTags func(ctx context.Context, keys []string) (map[string]string, error)
	// newS3 builds the S3 client a --snapshot sync reads the fleet
	// snapshot with (nil: loadSnapshotS3, through the app's AWS
	// configuration).
	newS3 func(ctx context.Context) (s3snapshot.SnapshotGetAPI, error)
	// newSystem returns the host, keeping hostsync's files in the layout sd.
	newSystem func(cfg hostsync.Config, sd hostsync.StateDir, log *slog.Logger) (hostsync.System, error)
	// lock takes the sync lock at path.
	lock func(path string) (release func() error, err error)
	// managed returns the check whether a local user is hostsync's own (in
	// the marker group, not reserved, UID 1000 or more), reading
	// root/etc/passwd and root/etc/group.
	managed func(cfg hostsync.Config, root string) func(linuxName string) (bool, error)
	// clock is the time of the key cache's heartbeat (which hostsync.Sync
	// records) and of the keys command's age check.
	clock iamkit.Clock
}

// hostsyncCommand is the hostsync command group on the app's environment
// (app.hostsync, else the real one).
func hostsyncCommand() *command { return hostsyncCommandWith(nil) }

// hostsyncCommandWith is the hostsync command group on env; nil means the
// app's (app.hostsync, else defaultHostsyncEnv).
func hostsyncCommandWith(env *hostsyncEnv) *command {
	return &command{
		name:    "hostsync",
		summary: "IAM users and SSH keys → Linux users on this host; sshd's AuthorizedKeysCommand",
		args:    "COMMAND [ARGS]",
		help: `Sync the IAM users the aws-ec2-ssh configuration selects to Linux users on
this host: accounts in a marker group, local groups, sudo, and a root-owned
cache of their Active SSH keys that sshd asks through hostsync-keys (or
'iamkit hostsync keys'). A drop-in replacement for aws-ec2-ssh: it reads
/etc/aws-ec2-ssh.conf as it is, and EC2 tags (IAM_AUTHORIZED_GROUPS_TAG,
SUDOERS_GROUPS_TAG) from the instance metadata, or with ec2:DescribeTags when
metadata tags are off.

Every sync plans first. It never deletes on a failed or throttled IAM read and
touches only users in the marker group. A user missing from IAM's listing is
locked once a direct read confirms it is gone (their sessions and processes
end with it, unless IAMKIT_END_SESSIONS_ON_LOCK=0), and the account is deleted
only after it was missing from several complete syncs, a few accounts per run
at most. A user renamed in IAM (same user ID) keeps the account, renamed in
place: same UID, home and keys.

With --snapshot s3://BUCKET/KEY a sync reads the fleet snapshot that
'iamkit hostsync publish' keeps in S3 (one conditional GET; the last good
snapshot and its ETag are kept in --state-dir) instead of IAM; a stale,
altered, other account's or unreadable snapshot changes nothing.

'plan' and 'apply' run one sync and exit (for cron or a systemd timer); the
daemon examples/hostsyncd runs them on an interval. Files live in --state-dir:
keys/ (the key cache), state.json, key-bodies.json and snapshot.json; the
lock is /run/iamkit-hostsync.lock.`,
		examples: []string{
			"iamkit hostsync plan",
			"sudo iamkit hostsync apply --config /etc/aws-ec2-ssh.conf",
			"iamkit hostsync keys alice SHA256:4AOVUV3rcNNy2tvuRvcQsVPTvcjvxuTmoambZhVN+Yg",
		},
		subs: []*command{
			{
				name:    "plan",
				summary: "show what a sync would change (a dry run)",
				args:    "[--config FILE] [--state-dir DIR] [--strict] [--snapshot s3://BUCKET/KEY --snapshot-account ID]",
				help: `Read IAM (or, with --snapshot, the fleet snapshot) and this host, and print
the plan: every action with its reason, and what is left alone and why.
Nothing is changed and no lock is taken.

Exit code 0 when a plan was made (DONOTSYNC set counts), 1 when IAM or the
host could not be read (the plan then says "no changes" and why), 2 when the
configuration is invalid.

--json prints the plan as one object (keys by fingerprint and ID only):
  {"actions": [{"kind", "user", "iam_name", "uid", "from", "groups", "keys",
   "reason"}], "skipped": [{"iam_name", "user", "reason"}], "notes",
   "halted", "error"}`,
				examples: []string{
					"iamkit hostsync plan",
					"iamkit hostsync plan --config ./aws-ec2-ssh.conf --state-dir /var/lib/iamkit",
				},
				run: env.runPlan,
			},
			{
				name:    "apply",
				summary: "sync once: plan, apply under the lock, report",
				args:    "[--config FILE] [--state-dir DIR] [--lock-file FILE] [--strict] [--snapshot s3://BUCKET/KEY --snapshot-account ID]",
				help: `Run one sync, as root: read IAM and this host, plan, apply the plan under the
sync lock (one sync at a time: the daemon, a timer, an admin), and print the
plan and the result of every action. A complete, successful sync is recorded
in the key cache, which keeps 'iamkit hostsync keys' answering.

Exit code 0 when every action succeeded (or DONOTSYNC is set), 1 when IAM
could not be read — nothing was changed — or an action failed (run it again:
it resumes), 2 when the configuration is invalid.`,
				examples: []string{
					"sudo iamkit hostsync apply",
					"sudo iamkit hostsync apply --snapshot s3://acme-fleet/hostsync/snapshot.json --snapshot-account 123456789012",
					"*/10 * * * * root /usr/local/bin/iamkit hostsync apply >/dev/null",
				},
				run: env.runApply,
			},
			{
				name:    "keys",
				summary: "sshd's AuthorizedKeysCommand: print a user's keys from the cache",
				args:    "[flags] USER [FINGERPRINT]",
				help: `Print the authorized_keys lines of the Linux user USER, or only the key whose
SHA256 fingerprint is FINGERPRINT, from the key cache that syncs keep. For
sshd_config:

  AuthorizedKeysCommand /usr/local/bin/iamkit hostsync keys %u %f
  AuthorizedKeysCommandUser nobody

It is fast and offline: it reads the cache and never loads AWS configuration
or touches the network while the last complete sync is younger than
--max-age. Without a cache, or with one older than --max-age, it fails
closed — unless --live-fallback is given: then it asks IAM, for at most
--timeout, under the sync's rules: the configuration file must exist, only
members of IAM_AUTHORIZED_GROUPS get keys, only Active keys, and nothing at
all when any IAM call fails.

A user hostsync does not manage (not in the marker group, or a name that maps
to no IAM user) gets no output and exit code 0: sshd refuses the key and
tries its other sources, such as the break-glass account's authorized_keys.
An error (stale or unsafe cache, unreadable configuration) prints one line on
stderr and exits 1; sshd refuses the key.

Flags go before USER: what follows it is never taken for a flag.`,
				examples: []string{
					"iamkit hostsync keys alice",
					"iamkit hostsync keys bob.at.example.com SHA256:4AOVUV3rcNNy2tvuRvcQsVPTvcjvxuTmoambZhVN+Yg",
					"iamkit hostsync keys --live-fallback --timeout 2s alice",
				},
				run: env.runKeys,
			},
			publishCommand(),
			revokeCommand(),
		},
	}
}

// syncFlags are the flags of plan and apply.
type syncFlags struct {
	config, stateDir, lockFile string
	snapshot, snapshotAccount  string
	strict                     bool
}

func (f *syncFlags) register(fs *flag.FlagSet, lock bool) {
	fs.StringVar(&f.config, "config", hostsync.DefaultConfigFile, "the aws-ec2-ssh configuration `FILE`")
	fs.StringVar(&f.stateDir, "state-dir", hostsync.DefaultStateDir, "`DIR` of hostsync's state and key cache (root-owned)")
	if lock {
		fs.StringVar(&f.lockFile, "lock-file", hostsync.DefaultLockFile, "the sync lock `FILE`, shared with hostsyncd")
	}
	fs.StringVar(&f.snapshot, "snapshot", "", "sync from the fleet snapshot at `s3://BUCKET/KEY` instead of reading IAM")
	fs.StringVar(&f.snapshotAccount, "snapshot-account", "", "accept only a snapshot of this AWS `ACCOUNT` ID's users (required with --snapshot)")
	fs.BoolVar(&f.strict, "strict", false, "refuse a configuration with an unknown key (default: warn and ignore the key, as aws-ec2-ssh's bash did)")
}

// snapshotSource returns the source of a --snapshot sync, nil without
// --snapshot. A bad URL or a missing account is a usage error.
func (env *hostsyncEnv) snapshotSource(ctx context.Context, a *app, c *command, f *syncFlags, cfg hostsync.Config, sd hostsync.StateDir, dryRun bool) (hostsync.Source, error) {
	if f.snapshot == "" {
		if f.snapshotAccount != "" {
			return nil, c.usageError("--snapshot-account needs --snapshot")
		}
		return nil, nil
	}
	bucket, key, err := s3snapshot.ParseS3URL(f.snapshot)
	if err != nil {
		return nil, c.usageError("--snapshot: %v", err)
	}
	if f.snapshotAccount == "" {
		return nil, c.usageError("--snapshot needs --snapshot-account: the account whose users the snapshot must hold")
	}
	api, err := env.newS3(ctx)
	if err != nil {
		return nil, err
	}
	opts := []hostsync.Option{hostsync.WithAccount(f.snapshotAccount), hostsync.WithClock(env.clock), hostsync.WithLogger(a.log)}
	if !dryRun {
		opts = append(opts, hostsync.WithCacheFile(sd.SnapshotFile())) // a dry run writes nothing
	}
	return s3snapshot.NewS3SnapshotSource(api, bucket, key, cfg, opts...), nil
}

// resolve returns the environment a command runs in: env itself when the
// command was built with one, else the app's, else the real one; with the
// AWS seams left nil filled in through the app's AWS configuration.
func (env *hostsyncEnv) resolve(a *app) *hostsyncEnv {
	if env == nil {
		env = a.hostsync
	}
	if env == nil {
		env = defaultHostsyncEnv()
	}
	e := *env
	if e.newIAM == nil {
		e.newIAM = func(ctx context.Context, cfg hostsync.Config) (hostsyncIAM, error) {
			return a.loadHostsyncIAM(ctx, cfg)
		}
	}
	if e.instanceTags == nil {
		e.instanceTags = a.loadInstanceTags
	}
	if e.newS3 == nil {
		e.newS3 = a.loadSnapshotS3
	}
	if e.clock == nil {
		e.clock = a.clock
	}
	return &e
}

// loadConfig reads the configuration file and the EC2 tags it names. A bad
// file or a missing tag is a usage error (exit 2: nothing changed); an
// unknown key is a warning on log, or with strict a usage error.
func (env *hostsyncEnv) loadConfig(ctx context.Context, c *command, path string, strict bool, log *slog.Logger) (hostsync.Config, error) {
	var opts []hostsync.ConfigOption
	if strict {
		opts = append(opts, hostsync.StrictConfig())
	}
	cfg, err := hostsync.ReadConfigFile(path, opts...)
	if err != nil {
		return cfg, c.usageError("%v", err)
	}
	for _, w := range cfg.Warnings {
		log.LogAttrs(ctx, slog.LevelWarn, "hostsync: configuration: unknown key ignored (--strict refuses it)",
			slog.String("file", path), slog.Int("line", w.Line), slog.String("key", w.Key))
	}
	cfg, err = hostsync.ResolveInstanceTags(ctx, cfg, env.instanceTags)
	if errors.Is(err, hostsync.ErrInvalidConfig) || errors.Is(err, hostsync.ErrTagMissing) {
		return cfg, c.usageError("%v", err)
	}
	return cfg, err
}

func (env *hostsyncEnv) sync(ctx context.Context, a *app, c *command, args []string, dryRun bool) error {
	env = env.resolve(a)
	fs := a.flagSet(c)
	var f syncFlags
	f.register(fs, !dryRun)
	var asJSON bool
	if dryRun {
		fs.BoolVar(&asJSON, "json", false, "print the plan as one JSON object (see the help) instead of text")
	}
	pos, err := a.parse(c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return c.usageError("unexpected argument %q", pos[0])
	}
	cfg, err := env.loadConfig(ctx, c, f.config, f.strict, a.log)
	if err != nil {
		return err
	}
	sd := hostsync.StateDir{Root: f.stateDir, Lock: f.lockFile}
	src, err := env.snapshotSource(ctx, a, c, &f, cfg, sd, dryRun)
	if err != nil {
		return err
	}
	if src == nil {
		api, err := env.newIAM(ctx, cfg)
		if err != nil {
			return err
		}
		// Key bodies never change for a key ID: with the cache from the
		// last run, a steady-state sync costs one ListSSHPublicKeys per
		// user.
		bodies := sd.KeyBodyCache(dryRun, a.log)
		src = iamsource.NewIAMSource(api, cfg, hostsync.WithKeyBodyCache(bodies), hostsync.WithLogger(a.log))
	}
	sys, err := env.newSystem(cfg, sd, a.log)
	if err != nil {
		return err
	}

	if !dryRun {
		release, err := env.lock(sd.LockFile())
		if err != nil {
			return fmt.Errorf("taking the sync lock: %w", err)
		}
		defer release()
	}
	// Sync records the key cache's heartbeat itself.
	p, rep, err := hostsync.Sync(ctx, src, sys, cfg, hostsync.WithDryRun(dryRun), hostsync.WithLogger(a.log), hostsync.WithClock(env.clock))
	if asJSON {
		if jerr := writeJSON(a.stdout, newHostsyncPlanJSON(p, err)); jerr != nil {
			return errors.Join(err, jerr)
		}
		if errors.Is(err, hostsync.ErrDoNotSync) {
			return nil
		}
		return err
	}
	if p.Halted != nil || len(p.Actions) > 0 || len(p.Skipped) > 0 {
		fmt.Fprint(a.stdout, p)
	}
	if !dryRun && len(rep.Results) > 0 {
		fmt.Fprintf(a.stdout, "\n%s", rep)
	}
	switch {
	case errors.Is(err, hostsync.ErrDoNotSync):
		return nil // aws-ec2-ssh's "not configured yet": not a failure
	case err != nil:
		return err
	case dryRun:
		return nil
	}
	if p.Empty() {
		fmt.Fprintln(a.stdout, "hostsync: in sync, nothing to do")
	}
	return nil
}

func (env *hostsyncEnv) runPlan(ctx context.Context, a *app, c *command, args []string) error {
	return env.sync(ctx, a, c, args, true)
}

func (env *hostsyncEnv) runApply(ctx context.Context, a *app, c *command, args []string) error {
	return env.sync(ctx, a, c, args, false)
}

// singleLine is an error printed on one line: sshd logs an
// AuthorizedKeysCommand's stderr line by line.
type singleLine struct{ err error }

func (e singleLine) Error() string { return oneLine(e.err) }
func (e singleLine) Unwrap() error { return e.err }

// runKeys is the AuthorizedKeysCommand. It must be fast: it reads a small
// configuration file, /etc/group and one cache file, and loads no AWS
// configuration unless the live fallback runs.
func (env *hostsyncEnv) runKeys(ctx context.Context, a *app, c *command, args []string) error {
	env = env.resolve(a)
	fs := a.flagSet(c)
	config := fs.String("config", hostsync.DefaultConfigFile, "the aws-ec2-ssh configuration `FILE` (its marker group and ASSUMEROLE; optional)")
	stateDir := fs.String("state-dir", hostsync.DefaultStateDir, "`DIR` whose keys/ is the key cache")
	maxAge := durflag.Duration(fs, "max-age", hostsync.DefaultMaxCacheAge, "trust the cache for this `DURATION` after the last complete sync, then fail closed")
	live := fs.Bool("live-fallback", false, "ask IAM when the cache is missing or older than --max-age")
	timeout := durflag.Duration(fs, "timeout", hostsync.DefaultLiveTimeout, "give the live lookup at most this `DURATION`")
	root := fs.String("root", "", "read `DIR`/etc/passwd and DIR/etc/group instead of /etc's (a chroot, a test)")
	// Flags come first: nothing after USER is parsed as a flag. (A USER
	// starting with '-', which no Linux account can be named, is a usage
	// error: exit 2, and sshd refuses the key.)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.usage(a.stdout, c, fs)
			return errHelp
		}
		return c.usageError("%v", err)
	}
	pos := fs.Args()
	switch {
	case len(pos) == 0:
		return c.usageError("missing the USER")
	case len(pos) > 2:
		return c.usageError("unexpected argument %q", pos[2])
	case *maxAge <= 0:
		return c.usageError("--max-age must be positive")
	case *timeout <= 0:
		return c.usageError("--timeout must be positive")
	}
	user, fingerprint := pos[0], ""
	if len(pos) == 2 {
		fingerprint = pos[1]
	}
	cfg, err := hostsync.ReadOptionalConfigFile(*config)
	if err != nil {
		return singleLine{err}
	}
	opts := []hostsync.Option{
		hostsync.WithKeyCache(hostsync.StateDir{Root: *stateDir}.KeyCache()),
		hostsync.WithMaxAge(*maxAge),
		hostsync.WithClock(env.clock),
		hostsync.WithMarkerCheck(env.managed(cfg, *root)),
	}
	if *live {
		opts = append(opts, hostsync.WithLiveTimeout(*timeout),
			hostsync.WithLive(iamsource.LiveKeysFromConfigFile(*config, env.instanceTags,
				func(ctx context.Context, cfg hostsync.Config) (iamsource.LiveKeysAPI, error) {
					return env.newIAM(ctx, cfg)
				})))
	}
	lines, err := hostsync.AuthorizedKeys(ctx, user, fingerprint, opts...)
	if errors.Is(err, hostsync.ErrNotManaged) {
		a.log.Debug("hostsync keys: not a managed user: no keys", "user", user, "reason", err)
		return nil
	}
	if err != nil {
		return singleLine{err}
	}
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	_, err = a.stdout.Write(b.Bytes())
	return err
}
