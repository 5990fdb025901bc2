package hostsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iamkit/iamkit"
)

// Defaults of the Linux System.
const (
	// DefaultStateFile is where Linux keeps hostsync's persisted State.
	DefaultStateFile = DefaultStateDir + "/" + StateFileName
	// DefaultSudoersDir is the directory of the sudoers drop-ins.
	DefaultSudoersDir = "/etc/sudoers.d"
	// DefaultVisudo is the program that checks a drop-in before it is
	// installed.
	DefaultVisudo = "/usr/sbin/visudo"
	// DefaultShell is the login shell Unlock restores when USERADD_ARGS
	// names none.
	DefaultShell = "/bin/bash"
)

// securePath is the PATH of the programs Linux runs, whatever the PATH of
// the calling process.
const securePath = "/usr/sbin:/usr/bin:/sbin:/bin"

// maxCommandOutput bounds the output of a command kept for its error.
const maxCommandOutput = 4096

// Exit codes of the shadow tools that Linux tells apart.
const (
	exitUseraddUIDInUse  = 4
	exitNameInUse        = 9 // useradd, groupadd
	exitUserdelNoSuch    = 6
	exitPkillNoneMatched = 1
)

// Linux is the System of a real Linux host: /etc/passwd, /etc/group and
// /etc/shadow are read directly, and every change to an account goes
// through the shadow tools, run with Run:
//
//   - CreateUser: groupadd for each missing group, then USERADD_PROGRAM
//     USERADD_ARGS --uid UID --groups MARKER[,LOCAL_GROUPS...] --no-log-init
//     NAME (a --groups/-G in USERADD_ARGS is merged into hostsync's list).
//     The account is created in the marker group at once; should a custom
//     USERADD_PROGRAM ignore --groups, the user is added with usermod
//     before CreateUser returns.
//   - AddGroups: usermod -a -G GROUPS NAME (groupadd for missing groups);
//     never removes a user from a group.
//   - Lock: usermod -L -e 1 -s /usr/sbin/nologin NAME: password locked,
//     account expired since 1970-01-02 (which is what stops a public-key
//     login: sshd's PAM account check and its own shadow check refuse an
//     expired account, while a locked password alone does not stop a key),
//     and the login shell set to nologin. An account counts as locked when
//     its shell is nologin or false, or it has expired.
//   - Unlock: usermod [-U] -e "" -s SHELL NAME, where SHELL is the --shell
//     of USERADD_ARGS, or DefaultShell (/bin/bash). The shell an account had
//     before Lock is logged, not restored: hostsync creates every account
//     with the same shell.
//   - EndSessions: loginctl terminate-user NAME where systemd runs (its
//     failure is only logged), then pkill -HUP -u NAME and, if a process
//     got it, pgrep -u NAME every EndSessionsPoll until none is left, or
//     pkill -KILL -u NAME after EndSessionsGrace (no process left is
//     success). Never for an account with a UID below MinManagedUID.
//   - Delete: the key cache entry and the sudoers drop-in go first, so that
//     access is gone even if the rest fails, then USERDEL_PROGRAM
//     USERDEL_ARGS NAME.
//   - GrantSudo: SudoersDir/SudoersFileName(NAME) holding SudoersLine(NAME),
//     mode 0440, written to a temporary file (whose name holds a '.', which
//     sudo's #includedir skips), checked with visudo -cf, and only then
//     renamed into place; RevokeSudo removes it, and the user's
//     aws-ec2-ssh sudoers file too (see AdoptSudo).
//   - ReadKeys/WriteKeys: the KeyCache; LoadState/SaveState: StateFile,
//     written atomically with mode 0600.
//
// Accounts are created without a password (useradd's "!" on Debian, "!!"
// on RHEL), as aws-ec2-ssh creates them: sshd must run with UsePAM yes, the
// default of Debian, Ubuntu and Amazon Linux, since with UsePAM no it
// refuses any account whose password field starts with '!'.
//
// Every method reads the current state first and does nothing — no
// process, no write — when the host is already as asked. Names are checked
// with ValidLinuxName before they reach a command line; commands run
// without a shell, with PATH set to /usr/sbin:/usr/bin:/sbin:/bin and
// LC_ALL=C.
type Linux struct {
	// Config supplies USERADD_PROGRAM/ARGS, USERDEL_PROGRAM/ARGS, the
	// marker group and the reserved names (IsManaged). Zero fields are the
	// defaults.
	Config Config
	// Root prefixes every file Linux reads or writes itself (/etc/passwd,
	// /etc/group, /etc/shadow, the default SudoersDir, StateFile and key
	// cache): "" means /. It does not apply to the programs Run starts,
	// which change the real /etc: a Root other than "" is for tests with an
	// injected Run (or a Run that enters the same root).
	Root string
	// Keys is the key cache; an empty Dir means Root+DefaultKeyCacheDir.
	Keys KeyCache
	// StateFile holds the persisted State; empty means
	// Root+DefaultStateFile.
	StateFile string
	// SudoersDir is the drop-in directory; empty means
	// Root+DefaultSudoersDir. It must exist for GrantSudo.
	SudoersDir string
	// Visudo is the program that checks a drop-in (visudo -cf FILE); empty
	// means DefaultVisudo. Without it, GrantSudo fails: no unchecked file
	// ever lands in SudoersDir.
	Visudo string
	// Run runs a program and returns an error for a non-zero exit, ideally
	// one with an ExitCode() int method (like *CommandError or
	// *exec.ExitError). A bare name is looked up in
	// /usr/sbin:/usr/bin:/sbin:/bin. Nil means RunCommand.
	Run func(ctx context.Context, name string, args ...string) error
	// Logger receives one Info record per command run; nil discards.
	Logger *slog.Logger
	// Clock gives the current time (the day an account expiry is compared
	// with); nil means iamkit.SystemClock.
	Clock iamkit.Clock
}

var _ System = (*Linux)(nil)

// CommandError is the error of a command that failed.
type CommandError struct {
	// Name and Args are the command line.
	Name string
	Args []string
	// Code is the exit code; -1 when the command did not exit normally or
	// did not start.
	Code int
	// Output is the start of what the command wrote to stdout and stderr.
	Output string
	// Err is the underlying error.
	Err error
}

// Error implements error.
func (e *CommandError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hostsync: %s", strings.Join(append([]string{e.Name}, e.Args...), " "))
	if e.Code >= 0 {
		fmt.Fprintf(&b, ": exit status %d", e.Code)
	} else if e.Err != nil {
		b.WriteString(": " + unprefixed(e.Err.Error()))
	}
	if out := strings.TrimSpace(e.Output); out != "" {
		fmt.Fprintf(&b, ": %s", out)
	}
	return b.String()
}

// Unwrap returns Err.
func (e *CommandError) Unwrap() error { return e.Err }

// ExitCode returns Code.
func (e *CommandError) ExitCode() int { return e.Code }

// exitCode returns the exit code carried by err, or -1.
func exitCode(err error) int {
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return -1
}

// lookSecure finds a program in securePath.
func lookSecure(name string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, dir := range filepath.SplitList(securePath) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w", name, exec.ErrNotFound)
}

// cappedBuffer keeps the first maxCommandOutput bytes written to it. (It
// must not embed bytes.Buffer, whose ReadFrom io.Copy would use instead.)
type cappedBuffer struct{ buf bytes.Buffer }

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := maxCommandOutput - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *cappedBuffer) String() string { return b.buf.String() }

// RunCommand is Linux's default Run: it runs the program without a shell,
// a bare name looked up in /usr/sbin:/usr/bin:/sbin:/bin, with that PATH,
// LC_ALL=C and no stdin, and returns a *CommandError with the exit code and
// the start of the output when it fails.
func RunCommand(ctx context.Context, name string, args ...string) error {
	path, err := lookSecure(name)
	if err != nil {
		return &CommandError{Name: name, Args: args, Code: -1, Err: err}
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = []string{"PATH=" + securePath, "LC_ALL=C"}
	var out cappedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return &CommandError{Name: name, Args: args, Code: code, Output: out.String(), Err: err}
	}
	return nil
}

func (l *Linux) cfg() Config { return l.Config.withDefaults() }

func (l *Linux) log() *slog.Logger {
	if l.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l.Logger
}

func (l *Linux) now() time.Time {
	if l.Clock == nil {
		return time.Now()
	}
	return l.Clock.Now()
}

func (l *Linux) path(p string) string {
	if l.Root == "" {
		return p
	}
	return filepath.Join(l.Root, p)
}

func (l *Linux) keys() KeyCache {
	if l.Keys.Dir == "" {
		return KeyCache{Dir: l.path(DefaultKeyCacheDir)}
	}
	return l.Keys
}

func (l *Linux) stateFile() string {
	if l.StateFile == "" {
		return l.path(DefaultStateFile)
	}
	return l.StateFile
}

func (l *Linux) sudoersDir() string {
	if l.SudoersDir == "" {
		return l.path(DefaultSudoersDir)
	}
	return l.SudoersDir
}

// run runs one command, logging it.
func (l *Linux) run(ctx context.Context, name string, args ...string) error {
	l.log().InfoContext(ctx, "hostsync: run", "cmd", strings.Join(append([]string{name}, args...), " "))
	run := l.Run
	if run == nil {
		run = RunCommand
	}
	err := run(ctx, name, args...)
	if err != nil {
		var ce *CommandError
		if !errors.As(err, &ce) {
			err = &CommandError{Name: name, Args: args, Code: exitCode(err), Err: err}
		}
	}
	return err
}

// passwdEntry is one line of /etc/passwd.
type passwdEntry struct {
	Name, Password  string
	UID, GID        int
	Gecos, Home, Sh string
}

// groupEntry is one line of /etc/group.
type groupEntry struct {
	Name, Password string
	GID            int
	Members        []string
}

// shadowEntry is what Linux uses of a line of /etc/shadow.
type shadowEntry struct {
	Name, Password string
	// Expire is the account expiry in days since 1970-01-01; -1 for none.
	Expire int
}

// etcLines splits a database file into its entry lines: blank lines,
// comments and NIS compat lines ("+..." / "-...") are skipped, as glibc's
// files backend does.
func etcLines(data []byte) []string {
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l == "" || l[0] == '#' || l[0] == '+' || l[0] == '-' {
			continue
		}
		out = append(out, l)
	}
	return out
}

func parseID(s string) (int, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || uint64(n) > math.MaxInt {
		return 0, false
	}
	return int(n), true
}

// parseEtcPasswd parses /etc/passwd. Lines that are not seven
// colon-separated fields with a name and numeric UID and GID are skipped
// and counted in bad, as glibc skips them.
func parseEtcPasswd(data []byte) (entries []passwdEntry, bad int) {
	for _, l := range etcLines(data) {
		f := strings.Split(l, ":")
		if len(f) != 7 || f[0] == "" {
			bad++
			continue
		}
		uid, ok1 := parseID(f[2])
		gid, ok2 := parseID(f[3])
		if !ok1 || !ok2 {
			bad++
			continue
		}
		entries = append(entries, passwdEntry{Name: f[0], Password: f[1], UID: uid, GID: gid, Gecos: f[4], Home: f[5], Sh: f[6]})
	}
	return entries, bad
}

// parseEtcGroup parses /etc/group: four colon-separated fields, the last a
// comma list of members (empty items dropped). Malformed lines are skipped
// and counted.
func parseEtcGroup(data []byte) (entries []groupEntry, bad int) {
	for _, l := range etcLines(data) {
		f := strings.Split(l, ":")
		if len(f) != 4 || f[0] == "" {
			bad++
			continue
		}
		gid, ok := parseID(f[2])
		if !ok {
			bad++
			continue
		}
		var members []string
		for _, m := range strings.Split(f[3], ",") {
			if m != "" {
				members = append(members, m)
			}
		}
		entries = append(entries, groupEntry{Name: f[0], Password: f[1], GID: gid, Members: members})
	}
	return entries, bad
}

// parseEtcShadow parses /etc/shadow into name → entry; an empty or invalid
// expiry field is -1 (none). Lines without nine fields are skipped.
func parseEtcShadow(data []byte) map[string]shadowEntry {
	out := map[string]shadowEntry{}
	for _, l := range etcLines(data) {
		f := strings.Split(l, ":")
		if len(f) != 9 || f[0] == "" {
			continue
		}
		e := shadowEntry{Name: f[0], Password: f[1], Expire: -1}
		if n, err := strconv.Atoi(f[7]); err == nil && n >= 0 {
			e.Expire = n
		}
		if _, dup := out[e.Name]; !dup {
			out[e.Name] = e
		}
	}
	return out
}

// etc is one reading of the account databases.
type etc struct {
	users  []passwdEntry
	groups []groupEntry
	shadow map[string]shadowEntry // nil when not read
	sudo   map[string]bool        // drop-in file names; nil when not read
	legacy map[string]bool        // users with an aws-ec2-ssh sudoers file
	today  int
}

// readEtc reads /etc/passwd and /etc/group, and with full also /etc/shadow
// (missing is fine) and the drop-in directory.
func (l *Linux) readEtc(full bool) (*etc, error) {
	read := func(p string) ([]byte, error) {
		data, err := os.ReadFile(l.path(p))
		if err != nil {
			return nil, errorf("%w", err)
		}
		return data, nil
	}
	pw, err := read("/etc/passwd")
	if err != nil {
		return nil, err
	}
	gr, err := read("/etc/group")
	if err != nil {
		return nil, err
	}
	e := &etc{today: int(l.now().Unix() / 86400)}
	var badPw, badGr int
	e.users, badPw = parseEtcPasswd(pw)
	e.groups, badGr = parseEtcGroup(gr)
	if badPw+badGr > 0 {
		l.log().Warn("hostsync: skipped malformed lines", "passwd", badPw, "group", badGr)
	}
	if !full {
		return e, nil
	}
	sh, err := os.ReadFile(l.path("/etc/shadow"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		e.shadow = map[string]shadowEntry{}
	case errors.Is(err, fs.ErrPermission):
		// Not root (a dry run): Locked then follows the login shell alone,
		// which Lock always sets; an account expired by other means
		// shows as unlocked. Applying needs root anyway.
		l.log().Debug("hostsync: /etc/shadow is not readable: account expiry not checked", "err", err)
		e.shadow = map[string]shadowEntry{}
	case err != nil:
		return nil, errorf("%w", err)
	default:
		e.shadow = parseEtcShadow(sh)
	}
	e.sudo = map[string]bool{}
	ents, err := os.ReadDir(l.sudoersDir())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, errorf("%w", err)
	}
	for _, de := range ents {
		if de.Type().IsRegular() {
			e.sudo[de.Name()] = true
		}
	}
	e.legacy = l.legacySudoers(e.sudo, func(n string) bool { _, ok := e.find(n); return ok })
	return e, nil
}

func (e *etc) find(name string) (passwdEntry, bool) {
	for _, u := range e.users {
		if u.Name == name {
			return u, true
		}
	}
	return passwdEntry{}, false
}

func (e *etc) groupExists(name string) bool {
	for _, g := range e.groups {
		if g.Name == name {
			return true
		}
	}
	return false
}

// memberships returns, per user name, its primary group (by GID) and then
// the groups listing it, in /etc/group order.
func (e *etc) memberships() map[string][]string {
	byGID := make(map[int]string, len(e.groups))
	for _, g := range e.groups {
		if _, dup := byGID[g.GID]; !dup {
			byGID[g.GID] = g.Name
		}
	}
	out := make(map[string][]string, len(e.users))
	for _, u := range e.users {
		if g, ok := byGID[u.GID]; ok {
			out[u.Name] = []string{g}
		}
	}
	for _, g := range e.groups {
		for _, m := range g.Members {
			if !slices.Contains(out[m], g.Name) {
				out[m] = append(out[m], g.Name)
			}
		}
	}
	return out
}

func nologinShell(sh string) bool {
	b := filepath.Base(sh)
	return b == "nologin" || b == "false"
}

// expired reports whether the account's expiry day has come, as pam_unix
// decides it.
func (e *etc) expired(name string) bool {
	s, ok := e.shadow[name]
	return ok && s.Expire >= 0 && e.today >= s.Expire
}

func (e *etc) hostUser(u passwdEntry, groups []string) HostUser {
	return HostUser{
		Name:   u.Name,
		UID:    u.UID,
		Groups: slices.Clone(groups),
		Locked: nologinShell(u.Sh) || e.expired(u.Name),
		Sudo:   e.sudo[SudoersFileName(u.Name)],

		LegacySudo: e.legacy[u.Name],
	}
}

// ListUsers implements System: every line of /etc/passwd, with the groups
// from /etc/group, Locked from the shell and /etc/shadow's expiry, and Sudo
// from the drop-in directory. Malformed lines are skipped (and logged), as
// glibc skips them.
func (l *Linux) ListUsers(ctx context.Context) ([]HostUser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, err := l.readEtc(true)
	if err != nil {
		return nil, err
	}
	member := e.memberships()
	out := make([]HostUser, 0, len(e.users))
	for _, u := range e.users {
		out = append(out, e.hostUser(u, member[u.Name]))
	}
	return out, nil
}

// LookupUser implements System.
func (l *Linux) LookupUser(ctx context.Context, name string) (HostUser, error) {
	if err := ctx.Err(); err != nil {
		return HostUser{}, err
	}
	e, err := l.readEtc(true)
	if err != nil {
		return HostUser{}, err
	}
	u, ok := e.find(name)
	if !ok {
		return HostUser{}, errorf("local user %q: %w", name, ErrNoSuchUser)
	}
	return e.hostUser(u, e.memberships()[name]), nil
}

// ListGroups implements GroupLister: the name of every line of /etc/group
// (malformed lines skipped, as ListUsers skips them).
func (l *Linux) ListGroups(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, err := l.readEtc(false)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(e.groups))
	for _, g := range e.groups {
		out = append(out, g.Name)
	}
	return out, nil
}

// IsManaged reports whether a local user is one hostsync manages: it
// exists, is in the marker group, has a UID of at least MinManagedUID and a
// name that is not reserved. It reads /etc/passwd and /etc/group only, so
// the AuthorizedKeysCommand can use it as WithMarkerCheck as an
// unprivileged user.
func (l *Linux) IsManaged(linuxName string) (bool, error) {
	if ValidLinuxName(linuxName) != nil {
		return false, nil
	}
	cfg := l.cfg()
	e, err := l.readEtc(false)
	if err != nil {
		return false, err
	}
	u, ok := e.find(linuxName)
	if !ok || u.UID < MinManagedUID {
		return false, nil
	}
	if IsReserved(linuxName, slices.Concat(cfg.Reserved, cfg.LocalGroups, []string{cfg.MarkerGroup})...) {
		return false, nil
	}
	return slices.Contains(e.memberships()[linuxName], cfg.MarkerGroup), nil
}

// ensureGroups creates the groups of names that do not exist yet.
func (l *Linux) ensureGroups(ctx context.Context, e *etc, names []string) error {
	for _, g := range names {
		if err := checkLinuxGroup(g); err != nil {
			return errorf("%w", err)
		}
		if e.groupExists(g) {
			continue
		}
		if err := l.run(ctx, "groupadd", g); err != nil && exitCode(err) != exitNameInUse {
			return err
		}
	}
	return nil
}

// useraddArgs returns USERADD_ARGS without any --groups/-G option, and the
// groups that option named.
func useraddArgs(args []string) (rest, groups []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		var v string
		switch {
		case a == "-G" || a == "--groups":
			if i+1 < len(args) {
				v = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--groups="):
			v = strings.TrimPrefix(a, "--groups=")
		case strings.HasPrefix(a, "-G") && !strings.HasPrefix(a, "--"):
			v = strings.TrimPrefix(a, "-G")
		default:
			rest = append(rest, a)
			continue
		}
		for _, g := range strings.Split(v, ",") {
			if g != "" {
				groups = append(groups, g)
			}
		}
	}
	return rest, groups
}

// shell returns the login shell USERADD_ARGS gives new users, or
// DefaultShell.
func (l *Linux) shell() string {
	args := l.cfg().UseraddArgs
	sh := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "-s" || a == "--shell") && i+1 < len(args):
			sh = args[i+1]
			i++
		case strings.HasPrefix(a, "--shell="):
			sh = strings.TrimPrefix(a, "--shell=")
		case strings.HasPrefix(a, "-s") && len(a) > 2 && !strings.HasPrefix(a, "--"):
			sh = a[2:]
		}
	}
	if sh == "" || nologinShell(sh) {
		return DefaultShell
	}
	return sh
}

// nologin returns the nologin program of the host.
func (l *Linux) nologin() string {
	for _, p := range []string{"/usr/sbin/nologin", "/sbin/nologin"} {
		if _, err := os.Stat(l.path(p)); err == nil {
			return p
		}
	}
	return "/usr/sbin/nologin"
}

// CreateUser implements System: see Linux.
func (l *Linux) CreateUser(ctx context.Context, name string, uid int, groups []string) error {
	cfg := l.cfg()
	if err := ValidLinuxName(name); err != nil {
		return err
	}
	if uid < MinManagedUID || uid > maxUID {
		return errorf("UID %d is outside %d–%d", uid, MinManagedUID, maxUID)
	}
	if len(groups) == 0 {
		return errors.New("hostsync: a new user needs the marker group")
	}
	e, err := l.readEtc(false)
	if err != nil {
		return err
	}
	if _, ok := e.find(name); ok {
		return errorf("local user %q: %w", name, ErrUserExists)
	}
	for _, u := range e.users {
		if u.UID == uid {
			return errorf("UID %d is taken by local user %q", uid, u.Name)
		}
	}
	args, extra := useraddArgs(cfg.UseraddArgs)
	all := slices.Clone(groups)
	for _, g := range extra {
		if !slices.Contains(all, g) {
			all = append(all, g)
		}
	}
	if err := l.ensureGroups(ctx, e, all); err != nil {
		return err
	}
	args = append(args, "--uid", strconv.Itoa(uid), "--groups", strings.Join(all, ","), "--no-log-init", name)
	if err := l.run(ctx, cfg.UseraddProgram, args...); err != nil {
		switch exitCode(err) {
		case exitNameInUse:
			return errorf("%w: %w", ErrUserExists, err)
		case exitUseraddUIDInUse:
			return errorf("UID %d is taken: %w", uid, err)
		}
		return err
	}
	// A custom USERADD_PROGRAM may ignore --groups: the account must not
	// stay outside the marker group.
	u, err := l.LookupUser(ctx, name)
	if err != nil {
		return errorf("%s did not create %q: %w", cfg.UseraddProgram, name, err)
	}
	if !u.MemberOf(groups[0]) {
		l.log().WarnContext(ctx, "hostsync: USERADD_PROGRAM ignored --groups; adding the marker group", "user", name)
		return l.AddGroups(ctx, name, groups)
	}
	return nil
}

// AddGroups implements System.
func (l *Linux) AddGroups(ctx context.Context, name string, groups []string) error {
	if err := ValidLinuxName(name); err != nil {
		return err
	}
	e, err := l.readEtc(false)
	if err != nil {
		return err
	}
	if _, ok := e.find(name); !ok {
		return errorf("local user %q: %w", name, ErrNoSuchUser)
	}
	have := e.memberships()[name]
	var missing []string
	for _, g := range groups {
		if !slices.Contains(have, g) && !slices.Contains(missing, g) {
			missing = append(missing, g)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := l.ensureGroups(ctx, e, missing); err != nil {
		return err
	}
	return l.run(ctx, "usermod", "-a", "-G", strings.Join(missing, ","), name)
}

// account reads the databases and returns a user's entries.
func (l *Linux) account(name string) (*etc, passwdEntry, error) {
	if err := ValidLinuxName(name); err != nil {
		return nil, passwdEntry{}, err
	}
	e, err := l.readEtc(true)
	if err != nil {
		return nil, passwdEntry{}, err
	}
	u, ok := e.find(name)
	if !ok {
		return nil, passwdEntry{}, errorf("local user %q: %w", name, ErrNoSuchUser)
	}
	return e, u, nil
}

// Lock implements System: usermod -L -e 1 -s nologin, unless the account is
// locked that way already.
func (l *Linux) Lock(ctx context.Context, name string) error {
	e, u, err := l.account(name)
	if err != nil {
		return err
	}
	pwLocked := strings.HasPrefix(e.shadow[name].Password, "!")
	if nologinShell(u.Sh) && e.expired(name) && pwLocked {
		return nil
	}
	if !nologinShell(u.Sh) && u.Sh != l.shell() {
		l.log().InfoContext(ctx, "hostsync: locking replaces a login shell that Unlock will not restore", "user", name, "shell", u.Sh, "unlock_shell", l.shell())
	}
	return l.run(ctx, "usermod", "-L", "-e", "1", "-s", l.nologin(), name)
}

// Unlock implements System: usermod -U -e "" -s SHELL (-U only when the
// password is locked with something left to unlock), unless the account is
// not locked.
func (l *Linux) Unlock(ctx context.Context, name string) error {
	e, u, err := l.account(name)
	if err != nil {
		return err
	}
	pw := e.shadow[name].Password
	pwLocked := strings.HasPrefix(pw, "!!") || (strings.HasPrefix(pw, "!") && pw != "!")
	if !nologinShell(u.Sh) && !e.expired(name) && !pwLocked {
		return nil
	}
	args := []string{}
	if pwLocked {
		args = append(args, "-U")
	}
	sh := u.Sh
	if nologinShell(sh) || sh == "" {
		sh = l.shell()
	}
	args = append(args, "-e", "", "-s", sh, name)
	return l.run(ctx, "usermod", args...)
}

// systemdRunning reports whether systemd is the init system (sd_booted).
func (l *Linux) systemdRunning() bool {
	fi, err := os.Lstat(l.path("/run/systemd/system"))
	return err == nil && fi.IsDir()
}

// EndSessionsGrace is how long Linux.EndSessions waits, on its Clock,
// between SIGHUP and SIGKILL to the user's processes.
const EndSessionsGrace = 5 * time.Second

// EndSessionsPoll is how often, within EndSessionsGrace, Linux.EndSessions
// checks (pgrep -u NAME) whether the user's processes are gone.
const EndSessionsPoll = 250 * time.Millisecond

// EndSessions implements System: loginctl terminate-user where systemd
// (logind) runs (failures are logged only); then SIGHUP to every process
// of the user (pkill -HUP -u: sshd's session processes and shells end on
// it, as on a dropped connection) and, if any got it, SIGKILL to what is
// left after EndSessionsGrace on the Clock (pkill -KILL -u). An account
// whose UID is below MinManagedUID (root, "toor", a daemon) is refused with
// ErrNotManaged and nothing is run: pkill -u matches the UID, so it would
// reach every process of a system user.
func (l *Linux) EndSessions(ctx context.Context, name string) error {
	_, u, err := l.account(name)
	if err != nil {
		return err
	}
	if u.UID < MinManagedUID {
		return errorf("%w: local user %q has UID %d, below %d: its processes are not signalled", ErrNotManaged, name, u.UID, MinManagedUID)
	}
	if l.systemdRunning() {
		if err := l.run(ctx, "loginctl", "terminate-user", name); err != nil {
			l.log().DebugContext(ctx, "hostsync: loginctl terminate-user failed (no session?)", "user", name, "err", err)
		}
	}
	err = l.run(ctx, "pkill", "-HUP", "-u", name)
	switch {
	case err != nil && exitCode(err) == exitPkillNoneMatched:
		return nil // no process left
	case err != nil:
		return err
	}
	clk := l.Clock
	if clk == nil {
		clk = iamkit.SystemClock{}
	}
	// Wait for them to go (pgrep -u NAME exits 1 when none is left), at
	// most EndSessionsGrace: a sync does not sit out the whole grace period
	// for processes that ended at once.
	for waited := time.Duration(0); waited < EndSessionsGrace; {
		step := min(EndSessionsPoll, EndSessionsGrace-waited)
		if err := clk.Sleep(ctx, step); err != nil {
			return err
		}
		waited += step
		if err := l.run(ctx, "pgrep", "-u", name); err != nil && exitCode(err) == exitPkillNoneMatched {
			return nil
		}
	}
	if err := l.run(ctx, "pkill", "-KILL", "-u", name); err != nil && exitCode(err) != exitPkillNoneMatched {
		return err
	}
	return nil
}

// Delete implements System: key cache entry and sudoers drop-in first,
// then USERDEL_PROGRAM USERDEL_ARGS NAME.
func (l *Linux) Delete(ctx context.Context, name string) error {
	if _, _, err := l.account(name); err != nil {
		return err
	}
	if err := l.keys().Remove(name); err != nil {
		return err
	}
	if err := l.RevokeSudo(ctx, name); err != nil {
		return err
	}
	cfg := l.cfg()
	args := append(slices.Clone(cfg.UserdelArgs), name)
	if err := l.run(ctx, cfg.UserdelProgram, args...); err != nil {
		if exitCode(err) == exitUserdelNoSuch {
			return errorf("%w: %w", ErrNoSuchUser, err)
		}
		return err
	}
	return nil
}

// ReadKeys implements System with the key cache. An entry that is corrupt,
// or is not a root-owned regular file, reads as no keys (and is logged), so
// that the sync replaces it rather than stop; an unsafe cache directory is
// an error.
func (l *Linux) ReadKeys(ctx context.Context, name string) ([]Key, error) {
	c := l.keys()
	keys, err := c.Read(name)
	if err == nil || !(errors.Is(err, ErrCorruptKeyCache) || errors.Is(err, ErrUnsafeCache)) {
		return keys, err
	}
	if errors.Is(err, ErrUnsafeCache) {
		root, derr := c.openDir(false)
		if derr != nil {
			return nil, err // the directory itself is unsafe
		}
		root.Close()
	}
	l.log().WarnContext(ctx, "hostsync: unusable key cache entry: the sync replaces it", "user", name, "err", err)
	return nil, nil
}

// WriteKeys implements System with the key cache.
func (l *Linux) WriteKeys(ctx context.Context, name string, keys []Key) error {
	changed, err := l.keys().Write(name, keys)
	if changed {
		l.log().InfoContext(ctx, "hostsync: key cache updated", "user", name, "keys", len(keys))
	}
	return err
}

// sudoersContent is the drop-in of a user.
func sudoersContent(name string) []byte {
	return []byte("# Managed by iamkit hostsync: rewritten or removed by the next sync.\n" + SudoersLine(name) + "\n")
}

// GrantSudo implements System: see Linux.
func (l *Linux) GrantSudo(ctx context.Context, name string) error {
	if _, _, err := l.account(name); err != nil {
		return err
	}
	dir := l.sudoersDir()
	root, err := openTrustedDir(dir, false)
	if err != nil {
		return errorf("sudoers drop-in directory: %w", err)
	}
	defer root.Close()
	file := SudoersFileName(name)
	want := sudoersContent(name)
	if cur, err := readTrusted(root, file, 64<<10); err == nil && bytes.Equal(cur, want) {
		if fi, err := root.Lstat(file); err == nil && fi.Mode().Perm() == 0o440 {
			return nil
		}
	}
	visudo := l.Visudo
	if visudo == "" {
		visudo = DefaultVisudo
	}
	err = writeAtomic(root, file, "."+file+".tmp", want, 0o440, func(tmp string) error {
		return l.run(ctx, visudo, "-cf", tmp)
	})
	if err != nil {
		return errorf("installing %s: %w", filepath.Join(dir, file), err)
	}
	l.log().InfoContext(ctx, "hostsync: sudo granted", "user", name, "file", filepath.Join(dir, file))
	return nil
}

// RevokeSudo implements System: the drop-in is removed, whatever it is, and
// so is the user's aws-ec2-ssh sudoers file (LegacySudoersFileName, when it
// holds what aws-ec2-ssh writes). The drop-in directory is checked as
// GrantSudo checks it (root-owned, not a symlink, not group- or
// world-writable; else an error wrapping ErrUnsafeCache and nothing is
// removed); a missing directory holds no drop-in.
func (l *Linux) RevokeSudo(ctx context.Context, name string) error {
	if err := ValidLinuxName(name); err != nil {
		return err
	}
	root, err := openTrustedDir(l.sudoersDir(), false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return errorf("sudoers drop-in directory: %w", err)
	}
	defer root.Close()
	if err := l.removeLegacySudo(ctx, root, name); err != nil {
		return err
	}
	file := SudoersFileName(name)
	_ = root.Remove("." + file + ".tmp")
	if _, err := root.Lstat(file); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := root.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return errorf("%w", err)
	}
	l.log().InfoContext(ctx, "hostsync: sudo revoked", "user", name)
	return syncDir(root)
}

// LoadState implements System: the bytes of StateFile, nil if there is
// none. The file and its directory must be root-owned and not group- or
// world-writable, and the file not a symlink.
func (l *Linux) LoadState(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := l.stateFile()
	root, err := openTrustedDir(filepath.Dir(path), false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errorf("state: %w", err)
	}
	defer root.Close()
	data, err := readTrusted(root, filepath.Base(path), MaxStateSize)
	if err != nil {
		return nil, errorf("state: %w", err)
	}
	return data, nil
}

// SaveState implements System: StateFile is replaced atomically (mode
// 0600), and only when its content changes. Its directory is created (mode
// 0755) if missing.
func (l *Linux) SaveState(ctx context.Context, state []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	path := l.stateFile()
	root, err := openTrustedDir(filepath.Dir(path), true)
	if err != nil {
		return errorf("state: %w", err)
	}
	defer root.Close()
	name := filepath.Base(path)
	if cur, err := readTrusted(root, name, MaxStateSize); err == nil && cur != nil && bytes.Equal(cur, state) {
		if fi, err := root.Lstat(name); err == nil && fi.Mode().Perm() == 0o600 {
			return nil
		}
	}
	if err := writeAtomic(root, name, "."+name+".tmp", state, 0o600, nil); err != nil {
		return errorf("saving state: %w", err)
	}
	return nil
}

// MarkSynced implements System: the key cache's heartbeat
// (KeyCache.MarkSynced). It then warns (Logger) when sshd's
// AuthorizedKeysCommandUser, typically nobody, could not read the cache:
// the key cache directory and its parent must be readable and searchable by
// others (mode 0755), or every login with an IAM key fails.
func (l *Linux) MarkSynced(ctx context.Context, t time.Time) error {
	return l.markSynced(ctx, t)
}

// LastSync returns the heartbeat MarkSynced recorded last (KeyCache.LastSync
// of the Linux's key cache): an error wrapping ErrNoCache when there is
// none. iamkittest.TestSystem uses it to put the heartbeat back.
func (l *Linux) LastSync() (time.Time, error) { return l.keys().LastSync() }

func (l *Linux) markSynced(ctx context.Context, t time.Time) error {
	c := l.keys()
	if err := c.MarkSynced(t); err != nil {
		return err
	}
	for _, dir := range []string{filepath.Dir(c.dir()), c.dir()} {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm()&0o005 == 0o005 {
			continue
		}
		l.log().WarnContext(ctx, "hostsync: the key cache is not readable by sshd's AuthorizedKeysCommandUser (nobody): logins with IAM keys will fail; chmod 0755 the directory",
			"dir", dir, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
	}
	return nil
}
