package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/iamuser"
	"github.com/iamkit/iamkit/internal/version"
	"github.com/iamkit/iamkit/mfa"
	"github.com/iamkit/iamkit/mfa/credfile"
)

// Exit codes.
const (
	exitOK     = 0 // the command did what was asked
	exitFailed = 1 // the operation failed (AWS refused, a row failed, ...)
	exitUsage  = 2 // the command line or its input is invalid; nothing was changed
)

// app is one run of the CLI: its streams and the seams tests replace. There is
// no package-level state; main builds one app and calls run.
type app struct {
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	stdoutTTY bool // stdout is a terminal: show the MFA QR code (--qr=auto)
	stderrTTY bool // stderr is a terminal: draw a progress bar
	stdinTTY  bool // stdin is a terminal: "mfa session --setup" may ask
	// readSecret reads a line from the terminal on stdin without echo
	// (term.ReadPassword); tests replace it.
	readSecret func() (string, error)
	// openTTY opens the terminal "mfa credential-process" asks for a code
	// on (nil: /dev/tty); tests replace it.
	openTTY func() (io.ReadWriteCloser, error)

	// newIAM builds the IAM client the user commands call. The default loads
	// the standard AWS configuration chain; tests hand in the fake account.
	newIAM func(ctx context.Context) (iamuser.API, error)
	// clock is the clock TOTP codes are computed with (the fake account's
	// clock in tests).
	clock iamkit.Clock
	// newSTS builds the factory of STS clients "mfa session" signs with the
	// long-term keys; tests hand in the fake account's STS.
	newSTS func(ctx context.Context) (mfa.STSFactory, error)
	// getenv reads the environment (AWS_PROFILE, MFA_DEVICE, ...).
	getenv func(string) string
	// newTrustTargets builds the accounts the trust commands work on (nil:
	// loadTrustTargets); tests hand in fake accounts.
	newTrustTargets trustTargetsFunc
	// configOptions are appended to every config.LoadDefaultConfig call
	// (loadAWSConfig), after the command's own: nil in production; the demo
	// and tests point the real command code at an iamkittest server with
	// them (base endpoint, credentials, region).
	configOptions []func(*config.LoadOptions) error
	// hostsync is the environment of the hostsync commands (nil: the real
	// one, defaultHostsyncEnv); the demo hands in a fake Linux host.
	hostsync *hostsyncEnv

	level *slog.LevelVar // Warn, or Debug with --verbose
	log   *slog.Logger   // to stderr; the library never logs a secret
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	// Library logs and the progress bar reach stderr from several goroutines.
	stderr = &syncWriter{w: stderr}
	level := new(slog.LevelVar)
	level.Set(slog.LevelWarn)
	a := &app{
		stdin:  stdin,
		stdout: stdout,
		stderr: stderr,
		clock:  iamkit.SystemClock{},
		getenv: os.Getenv,
		level:  level,
		log:    slog.New(quietHandler{slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}), level}),
	}
	a.newIAM, a.newSTS = a.loadIAM, a.loadSTS
	return a
}

// loadAWSConfig is the one place the CLI loads AWS configuration: the
// standard chain (config.LoadDefaultConfig: AWS_PROFILE and the shared
// config files, SSO, environment variables, container and instance
// credentials, AWS_ENDPOINT_URL, AWS_RETRY_MODE), for profile when it is
// not "", with the caller's extra options and then the app's
// configOptions.
func (a *app) loadAWSConfig(ctx context.Context, profile string, extra ...func(*config.LoadOptions) error) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	opts = append(opts, a.withProfileMFA(profile, "")) // MFA role profiles (profile.go)
	opts = append(opts, extra...)
	opts = append(opts, a.configOptions...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) && profile == "" {
		where := ""
		if len(missing.Filename) > 0 {
			where = " in " + strings.Join(missing.Filename, " or ")
		}
		return aws.Config{}, fmt.Errorf("AWS_PROFILE=%s: no such profile%s", missing.Profile, where)
	}
	if err != nil {
		if profile != "" {
			return aws.Config{}, fmt.Errorf("loading AWS configuration for profile %s: %w", profile, err)
		}
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return cfg, nil
}

// loadIAM builds an IAM client from the standard AWS configuration chain
// (loadAWSConfig; AWS_ENDPOINT_URL_IAM too). IAM is a global service; when
// no region is configured, us-east-1 (where IAM's endpoint lives) is used.
func (a *app) loadIAM(ctx context.Context) (iamuser.API, error) {
	cfg, err := a.loadAWSConfig(ctx, "")
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if err := a.checkCredentials(ctx, cfg); err != nil {
		return nil, err
	}
	return iam.NewFromConfig(cfg), nil
}

// credentialsHelp is what to set when no credentials were found.
const credentialsHelp = "set AWS_PROFILE (a profile in ~/.aws/config or ~/.aws/credentials), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or run where an instance or container role is available"

// checkCredentials retrieves cfg's credentials once (the client built from
// cfg reuses them: cfg.Credentials caches), so that a run without any fails
// before it creates a directory or calls AWS, naming what to set rather than
// the SDK's chain of attempts (shown with --verbose).
func (a *app) checkCredentials(ctx context.Context, cfg aws.Config) error {
	if cfg.Credentials == nil {
		return errors.New("no AWS credentials: " + credentialsHelp)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a.log.Debug("retrieving AWS credentials", "error", err.Error())
		if p := a.getenv("AWS_PROFILE"); p != "" {
			return fmt.Errorf("no AWS credentials from AWS_PROFILE=%s (check the profile, or run 'aws sso login' for an SSO one): %s", p, oneLine(err))
		}
		return errors.New("no AWS credentials: " + credentialsHelp)
	}
	return nil
}

// manager returns an iamuser.Manager on api with the app's clock and logger.
func (a *app) manager(api iamuser.OnboardAPI) *iamuser.Manager {
	return iamuser.New(api, iamuser.WithClock(a.clock), iamuser.WithLogger(a.log))
}

// offboarder returns an iamuser.Offboarder on api with the app's logger.
func (a *app) offboarder(api iamuser.OffboardAPI, opts ...iamuser.Option) *iamuser.Offboarder {
	return iamuser.NewOffboarder(api, append([]iamuser.Option{iamuser.WithLogger(a.log)}, opts...)...)
}

// command is one entry of the command tree: a group (subs) or a leaf (run).
// Later command groups (hostsync, mfa, console, trust) are added to
// commands() and need nothing else from the dispatcher.
type command struct {
	name     string
	summary  string   // one line, shown in the parent's list
	args     string   // what follows the command path in the usage line
	help     string   // shown by --help after the usage line
	examples []string // shown by --help
	run      func(ctx context.Context, a *app, c *command, args []string) error
	subs     []*command

	path string // "iamkit user create", set by the dispatcher
}

// commands is the top level of the command tree.
func commands() []*command {
	return []*command{
		userCommand(),
		hostsyncCommand(),
		mfaCommand(),
		consoleCommand(),
		trustCommand(),
		demoCommand(),
		fakeCommand(),
	}
}

func rootCommand() *command {
	return &command{
		name: "iamkit",
		args: "[--verbose] [--version] COMMAND [ARGS]",
		help: `iamkit automates AWS IAM chores: onboarding and offboarding people with
MFA enabled at once (also in bulk from CSV), MFA session credentials the
aws-mfa way, syncing IAM users and SSH keys to Linux hosts, editing role trust
policies across accounts, and console sign-in URLs for people without an IAM
user. Commands that call AWS use the
standard configuration chain (AWS_PROFILE, SSO, environment variables,
instance roles, AWS_ENDPOINT_URL).

Exit codes: 0 success, 1 the operation failed, 2 invalid command line or
input (nothing was changed).`,
		examples: []string{
			"iamkit demo",
			"iamkit user create --help",
			"iamkit fake serve > fake.env &",
		},
		subs: commands(),
	}
}

func (c *command) find(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// errHelp is returned once help was printed on request: exit 0.
var errHelp = errors.New("help requested")

// usageError is a bad command line: exit 2, with a pointer to --help.
type usageError struct {
	path string
	msg  string
}

func (e *usageError) Error() string { return e.path + ": " + e.msg }

func (c *command) usageError(format string, args ...any) error {
	return &usageError{path: c.path, msg: fmt.Sprintf(format, args...)}
}

// cmdError is any other error of a command, prefixed with its path.
type cmdError struct {
	path string
	err  error
}

func (e *cmdError) Error() string { return e.path + ": " + e.err.Error() }
func (e *cmdError) Unwrap() error { return e.err }

// run executes the command line args (without the program name) and returns
// the exit code. Errors are reported on stderr.
func (a *app) run(ctx context.Context, args []string) int {
	return a.exitCode(a.dispatch(ctx, rootCommand(), "iamkit", args))
}

func (a *app) dispatch(ctx context.Context, c *command, path string, args []string) error {
	c.path = path
	if c.run != nil {
		err := c.run(ctx, a, c, args)
		var ue *usageError
		if err == nil || errors.Is(err, errHelp) || errors.As(err, &ue) {
			return err
		}
		return &cmdError{path: path, err: err}
	}
	// A group: its own flags (--verbose, --help; --version at the top),
	// then a subcommand.
	fs := a.flagSet(c)
	var showVersion bool
	if c.name == "iamkit" {
		fs.BoolVar(&showVersion, "version", false, "print the version (module version, VCS revision, Go version) and exit")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.usage(a.stdout, c, fs)
			return errHelp
		}
		return c.usageError("%v", err)
	}
	args = fs.Args()
	if showVersion {
		if len(args) > 0 {
			return c.usageError("--version takes no command: unexpected %q", args[0])
		}
		version.Print(a.stdout, "iamkit")
		return nil
	}
	if len(args) == 0 {
		a.usage(a.stderr, c, fs)
		return c.usageError("missing command")
	}
	if args[0] == "help" {
		if len(args) == 1 {
			a.usage(a.stdout, c, fs)
			return errHelp
		}
		return a.dispatch(ctx, c, path, append(append([]string{}, args[1:]...), "--help"))
	}
	sub := c.find(args[0])
	if sub == nil {
		return c.usageError("unknown command %q", args[0])
	}
	return a.dispatch(ctx, sub, path+" "+sub.name, args[1:])
}

func (a *app) exitCode(err error) int {
	if err == nil || errors.Is(err, errHelp) {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(a.stderr, "%s\nRun '%s --help' for usage.\n", ue, ue.path)
		return exitUsage
	}
	if isInputError(err) {
		fmt.Fprintln(a.stderr, oneLine(err))
		return exitUsage // bad input found before anything was changed
	}
	fmt.Fprintln(a.stderr, err)
	return exitFailed
}

// isInputError reports whether err is the library refusing the input (a
// user spec or CSV row, an MFA profile, suffix, duration, role, device or
// code, a malformed credentials file) before it changed anything.
func isInputError(err error) bool {
	var ve *iamuser.ValidationError
	var ce *iamuser.CSVError
	var pe *credfile.ParseError
	if errors.As(err, &ve) || errors.As(err, &ce) || errors.As(err, &pe) {
		return true
	}
	for _, target := range []error{mfa.ErrInvalidProfile, mfa.ErrInvalidDuration, mfa.ErrInvalidRole,
		mfa.ErrNoDevice, mfa.ErrNoLongTerm, mfa.ErrInvalidToken, mfa.ErrInvalidSeed,
		mfa.ErrInvalidAccessKey, mfa.ErrSectionExists} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// flagSet returns a flag set for c that reports errors to the caller instead
// of printing them, with the flags every command has.
func (a *app) flagSet(c *command) *flag.FlagSet {
	fs := flag.NewFlagSet(c.path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	verbose := func(string) error { a.level.Set(slog.LevelDebug); return nil }
	fs.BoolFunc("verbose", "log debug messages to stderr", verbose)
	fs.BoolFunc("v", aliasPrefix+"-verbose", verbose)
	fs.Func("log-level", "log messages at `LEVEL` and above to stderr: debug, info, warning, error or critical, as aws-mfa (default warning; debug is --verbose)", func(v string) error {
		l, err := parseLogLevel(v)
		if err == nil {
			a.level.Set(l)
		}
		return err
	})
	return fs
}

// levelCritical is Python's CRITICAL, above slog's Error.
const levelCritical = slog.LevelError + 4

// parseLogLevel reads aws-mfa's --log-level names (Python logging's:
// DEBUG, INFO, WARNING, ERROR, CRITICAL; NOTSET logs everything), in any
// case, and slog's "warn".
func parseLogLevel(v string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "debug", "notset":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warning", "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	case "critical", "fatal":
		return levelCritical, nil
	}
	return 0, fmt.Errorf("%q is not debug, info, warning, error or critical", v)
}

// parse parses a leaf command's args, flags and positional arguments in any
// order ("--" ends the flags). On -h or --help it prints the usage to stdout
// and returns errHelp.
func (a *app) parse(c *command, fs *flag.FlagSet, args []string) ([]string, error) {
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		a.usage(a.stdout, c, fs)
		return nil, errHelp
	}
	if err != nil {
		return nil, c.usageError("%v", err)
	}
	return pos, nil
}

// parseInterspersed is fs.Parse letting positional arguments come before,
// between or after the flags, as in "iamkit user delete alice --dry-run".
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usage prints c's help: usage line, description, subcommands, flags and
// examples.
func (a *app) usage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s %s\n", c.path, c.args)
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.help))
	}
	if len(c.subs) > 0 {
		fmt.Fprintf(w, "\nCommands:\n")
		tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		for _, s := range c.subs {
			fmt.Fprintf(tw, "  %s\t%s\n", s.name, s.summary)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nFlags:\n")
	printFlags(w, fs)
	if len(c.examples) > 0 {
		fmt.Fprintf(w, "\nExamples:\n")
		for _, e := range c.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	if len(c.subs) > 0 {
		fmt.Fprintf(w, "\nRun '%s COMMAND --help' for the flags and examples of a command.\n", c.path)
	}
}

// aliasPrefix starts the usage of a flag that is another name for one
// defined before it: "same as -u". printFlags shows the two together.
const aliasPrefix = "same as -"

// printFlags lists fs's flags as "-u, --user NAME" with the usage below,
// aliases merged, long names with two dashes (one works as well).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	dash := func(name string) string {
		if len(name) == 1 {
			return "-" + name
		}
		return "--" + name
	}
	aliases := map[string][]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if target, ok := strings.CutPrefix(f.Usage, aliasPrefix); ok {
			target = strings.TrimLeft(target, "-")
			aliases[target] = append(aliases[target], f.Name)
		}
	})
	fs.VisitAll(func(f *flag.Flag) {
		if strings.HasPrefix(f.Usage, aliasPrefix) {
			return
		}
		names := []string{dash(f.Name)}
		for _, a := range aliases[f.Name] {
			if len(a) == 1 {
				names = append([]string{dash(a)}, names...) // short names first
			} else {
				names = append(names, dash(a))
			}
		}
		arg, usage := flag.UnquoteUsage(f)
		line := "  " + strings.Join(names, ", ")
		if arg != "" {
			line += " " + arg
		}
		switch f.DefValue {
		case "", "false", "0", "0s", "[]": // no default worth showing
		default:
			if !strings.Contains(usage, "(default") {
				usage += " (default " + f.DefValue + ")"
			}
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, usage)
	})
}

// quietHandler leaves the "error" attribute out of log records unless
// --verbose is on: a command that fails prints its error once, as its last
// line, and a warning about the same failure would only repeat it.
// --verbose shows everything.
type quietHandler struct {
	slog.Handler
	level *slog.LevelVar
}

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.level.Level() <= slog.LevelDebug {
		return h.Handler.Handle(ctx, r)
	}
	q := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(at slog.Attr) bool {
		if at.Key != "error" && at.Key != "err" {
			q.AddAttrs(at)
		}
		return true
	})
	return h.Handler.Handle(ctx, q)
}

func (h quietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(attrs), h.level}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name), h.level}
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// stringList is a repeatable string flag.
type stringList []string

var _ flag.Value = (*stringList)(nil)

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// mask stands in for a secret in output: its length only, never a character.
func mask(secret string) string {
	if secret == "" {
		return "(none)"
	}
	return fmt.Sprintf("%s (%d characters)", strings.Repeat("*", 8), len(secret))
}
