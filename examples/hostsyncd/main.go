// Command hostsyncd is the host-sync daemon: it keeps this host's Linux
// users, groups, sudo rights and SSH key cache in line with IAM, the way
// aws-ec2-ssh's cron job did, safely.
//
//	hostsyncd                       sync now, then every 10 minutes ± 10%
//	hostsyncd --once                one sync, for cron or a systemd timer
//	hostsyncd --once --dry-run      log what a sync would change
//	hostsyncd --snapshot s3://B/K   follow the fleet snapshot: a conditional
//	                                GET every 15 s, a sync when it changed
//
// It reads /etc/aws-ec2-ssh.conf as it is (and, before every sync, the
// instance's EC2 tags when it names IAM_AUTHORIZED_GROUPS_TAG or
// SUDOERS_GROUPS_TAG, so that a changed tag applies at the next sync; a
// missing tag fails the syncs, which then change nothing), builds its IAM
// client with config.LoadDefaultConfig (on EC2: the instance role; under
// ASSUMEROLE, the role it names, assumed once and cached), and runs
// hostsync.Sync on the Linux host under the lock file that
// 'iamkit hostsync apply' takes too. Key bodies are cached by key ID in
// --state-dir, so that a steady-state sync costs one ListSSHPublicKeys per
// user; a complete sync refreshes the key cache's heartbeat, which keeps
// 'iamkit hostsync keys' (sshd's AuthorizedKeysCommand) answering.
//
// Signals: SIGHUP reloads the configuration and syncs at once (a bad
// configuration is logged and the previous one kept); SIGTERM or SIGINT let
// the current sync finish, then exit 0 (a second one abandons the sync,
// which leaves the host consistent, and exits 1).
//
// Logs are JSON lines on stderr (journald keeps them). Exit codes: 0
// success or stopped; 1 the sync failed (--once); 2 invalid command line or
// configuration (with --once, also a configured EC2 tag the instance lacks),
// nothing changed.
//
// See examples/hostsync for the systemd units and the sshd_config drop-in.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/ec2tags"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/internal/durflag"
	"github.com/iamkit/iamkit/internal/version"
)

func main() {
	hup := make(chan os.Signal, 1)
	stop := make(chan os.Signal, 2)
	signal.Notify(hup, syscall.SIGHUP)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, hup, stop))
}

// options are the command line.
type options struct {
	config, stateDir, lockFile string
	interval                   time.Duration
	jitter                     float64
	once, dryRun, strict       bool
	endSessions                bool          // --end-sessions
	pollInterval               time.Duration // --poll-interval (snapshot mode)
	level                      slog.Level
	snap                       snapshotOptions // --snapshot (snapshot.go)
}

// minPollInterval is the shortest --poll-interval.
const minPollInterval = 5 * time.Second

const usageText = `Usage: hostsyncd [--once] [--dry-run] [--strict] [--config FILE] [--state-dir DIR]
                 [--lock-file FILE] [--interval DURATION] [--jitter PERCENT] [--log-level LEVEL]
                 [--snapshot s3://BUCKET/KEY --snapshot-account ID [--snapshot-bucket-owner ID]
                  [--snapshot-kms-key KEY] [--snapshot-max-age DURATION] [--poll-interval DURATION]]
                 [--end-sessions=false]
       hostsyncd --version

Keep this host's Linux users and SSH keys in line with IAM: sync now, then
every --interval (± --jitter), until SIGTERM; or once with --once. SIGHUP
reloads the configuration. Logs are JSON lines on stderr. With --snapshot,
read the fleet snapshot a publisher keeps in S3 (one conditional GET per
sync) instead of IAM; a stale, altered or unreadable snapshot changes nothing.
In snapshot mode the daemon polls the snapshot every --poll-interval (15s) and
syncs as soon as it changed, so a revocation reaches the host within seconds.
A locked (revoked) user's sessions and processes are ended (--end-sessions).

Exit codes: 0 success or stopped, 1 the sync failed (--once), 2 invalid
command line or configuration (nothing changed).

Flags:
`

// errVersion is parseFlags' answer once --version was printed: exit 0.
var errVersion = errors.New("version printed")

// parseFlags parses the command line. -h prints the usage to stdout and
// returns flag.ErrHelp; --version prints the version and returns
// errVersion.
func parseFlags(args []string, stdout io.Writer) (options, error) {
	o := options{jitter: 0.1, endSessions: true, pollInterval: s3snapshot.DefaultPollInterval}
	fs := flag.NewFlagSet("hostsyncd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.config, "config", hostsync.DefaultConfigFile, "the aws-ec2-ssh configuration `FILE`")
	fs.StringVar(&o.stateDir, "state-dir", hostsync.DefaultStateDir, "`DIR` of hostsync's state and key cache (root-owned, mode 0755)")
	fs.StringVar(&o.lockFile, "lock-file", hostsync.DefaultLockFile, "the sync lock `FILE`, shared with 'iamkit hostsync apply'")
	durflag.Var(fs, &o.interval, "interval", 10*time.Minute, "time between syncs")
	fs.Func("jitter", "spread each interval by up to ± this `PERCENT` of it (\"10%\" or 0.1; default 10%)", func(s string) error {
		v, err := parseJitter(s)
		o.jitter = v
		return err
	})
	fs.BoolVar(&o.once, "once", false, "sync once and exit (for cron or a systemd timer)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "plan only: log what a sync would change, change nothing")
	fs.BoolVar(&o.strict, "strict", false, "refuse a configuration with an unknown key (default: log a warning and ignore the key, as aws-ec2-ssh's bash did)")
	fs.BoolVar(&o.endSessions, "end-sessions", true, "end a user's sessions and processes when the account is locked (revoked); --end-sessions=false, or IAMKIT_END_SESSIONS_ON_LOCK=0 in the configuration, leaves them running")
	durflag.Var(fs, &o.pollInterval, "poll-interval", o.pollInterval, "with --snapshot: poll the snapshot (one conditional GET, a 304 while unchanged) every `DURATION` plus up to 10%, and sync as soon as it changed; full syncs still run every --interval. 0: no polling, sync every --interval only")
	fs.TextVar(&o.level, "log-level", slog.LevelInfo, "log `LEVEL`: debug, info, warn or error")
	o.snap.register(fs)
	showVersion := fs.Bool("version", false, "print the version (module version, VCS revision, Go version) and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(stdout, usageText)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case *showVersion:
		version.Print(stdout, "hostsyncd")
		return o, errVersion
	case o.interval < time.Minute:
		return o, fmt.Errorf("--interval %s is too short: IAM is not a database (at least 1m)", o.interval)
	case o.pollInterval != 0 && o.pollInterval < minPollInterval:
		return o, fmt.Errorf("--poll-interval %s is too short (at least %s, or 0 for no polling)", o.pollInterval, minPollInterval)
	case o.pollInterval < 0:
		return o, errors.New("--poll-interval must not be negative")
	}
	pollSet := false
	fs.Visit(func(f *flag.Flag) { pollSet = pollSet || f.Name == "poll-interval" })
	if pollSet && o.snap.url == "" {
		return o, errors.New("--poll-interval needs --snapshot: without it, hostsyncd reads IAM every --interval")
	}
	return o, o.snap.check()
}

// configOptions are the options of ReadConfigFile: StrictConfig with
// --strict.
func (o options) configOptions() []hostsync.ConfigOption {
	if o.strict {
		return []hostsync.ConfigOption{hostsync.StrictConfig()}
	}
	return nil
}

// readConfig reads --config (hostsync.ReadConfigFile).
func (o options) readConfig() (hostsync.Config, error) {
	return hostsync.ReadConfigFile(o.config, o.configOptions()...)
}

// parseJitter parses "10%" or "0.1": a fraction from 0 up to, not
// including, 1.
func parseJitter(s string) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, errors.New("not a number or a percentage")
	}
	if pct {
		v /= 100
	}
	if v < 0 || v >= 1 {
		return 0, errors.New("must be at least 0% and under 100%")
	}
	return v, nil
}

// run is main without the process: parse, wire, run the daemon, return the
// exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, hup, stop <-chan os.Signal) int {
	o, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) || errors.Is(err, errVersion) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "hostsyncd: %v\nRun 'hostsyncd --help' for usage.\n", err)
		return exitUsage
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: o.level}))
	if !o.dryRun && os.Geteuid() != 0 {
		log.Error("hostsyncd: must run as root: it manages local users (--dry-run works without)")
		return exitUsage
	}
	d := newDaemon(o, log)
	d.hup, d.stop = hup, stop
	return d.run(ctx)
}

// newDaemon wires the daemon to the real world: AWS, the instance
// metadata, this Linux host, the state directory (hostsync.StateDir: key
// cache, state, key body cache, snapshot cache, lock) and the wall clock.
func newDaemon(o options, log *slog.Logger) *daemon {
	hostname, _ := os.Hostname()
	sd := o.stateDirLayout()
	// Key bodies by key ID, kept across syncs and restarts; only a cache.
	bodies := sd.KeyBodyCache(o.dryRun, log)
	d := &daemon{
		interval:   o.interval,
		jitter:     o.jitter,
		once:       o.once,
		dryRun:     o.dryRun,
		log:        log,
		loadConfig: func(context.Context) (hostsync.Config, error) { return o.readConfig() },
		resolve: func(ctx context.Context, cfg hostsync.Config) (hostsync.Config, error) {
			return hostsync.ResolveInstanceTags(ctx, cfg, func(ctx context.Context, keys []string) (map[string]string, error) {
				awsCfg, err := loadAWS(ctx)
				if err != nil {
					return nil, err
				}
				return ec2tags.FromConfig(awsCfg)(ctx, keys)
			})
		},
		newIAM: func(ctx context.Context, cfg hostsync.Config) (iamsource.IAMAPI, error) {
			awsCfg, err := loadAWS(ctx)
			if err != nil {
				return nil, err
			}
			return newIAM(awsCfg, cfg, hostname), nil
		},
		newSource: func(api iamsource.IAMAPI, cfg hostsync.Config) hostsync.Source {
			return iamsource.NewIAMSource(api, cfg, hostsync.WithKeyBodyCache(bodies), hostsync.WithLogger(log))
		},
		newSystem: func(cfg hostsync.Config) hostsync.System { return sd.Linux(cfg, log) },
		lock:      sd.AcquireLock,
		clock:     iamkit.SystemClock{},
		after:     time.After,
		rand:      rand.Float64,

		keepSessions: !o.endSessions,
	}
	useSnapshot(d, o, log)
	return d
}

// stateDirLayout is the layout of --state-dir and --lock-file.
func (o options) stateDirLayout() hostsync.StateDir {
	return hostsync.StateDir{Root: o.stateDir, Lock: o.lockFile}
}
