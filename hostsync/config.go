package hostsync

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/iamkit/iamkit/internal/awsname"
)

// Defaults, as aws-ec2-ssh has them where it has one.
const (
	// DefaultMarkerGroup is the local group that marks users as hostsync's
	// own (LOCAL_MARKER_GROUP).
	DefaultMarkerGroup = "iam-synced-users"
	// DefaultUseraddProgram is USERADD_PROGRAM's default.
	DefaultUseraddProgram = "/usr/sbin/useradd"
	// DefaultUseraddArgs is USERADD_ARGS's default.
	DefaultUseraddArgs = "--user-group --create-home --shell /bin/bash"
	// DefaultUserdelProgram is USERDEL_PROGRAM's default.
	DefaultUserdelProgram = "/usr/sbin/userdel"
	// DefaultUserdelArgs is USERDEL_ARGS's default.
	DefaultUserdelArgs = "--force --remove"

	// DefaultUIDMin and DefaultUIDMax bound the UIDs hostsync allocates:
	// 1,900,000,000 to 2,099,999,999, two hundred million UIDs. The range
	// lies above everything Linux distributions hand out or reserve (system
	// accounts below 1000, regular users to 60000, systemd's dynamic users
	// 61184–65519, nobody 65534, /etc/subuid ranges from 100000 up to
	// useradd's SUB_UID_MAX 600100000, systemd-nspawn's container range
	// 524288–1879048191), below 2^31 (tools that keep UIDs in a signed int,
	// NFS and EFS) and below systemd's foreign-UID range at 2147352576. With
	// so many slots, hashing a user ID almost never collides, so the same
	// IAM user gets the same UID on every host of a fleet. useradd's
	// --no-log-init avoids a large sparse /var/log/lastlog for such UIDs.
	DefaultUIDMin = 1_900_000_000
	DefaultUIDMax = 2_099_999_999

	// DefaultMissingSyncsBeforeDelete is how many consecutive complete syncs
	// must miss a user before its account is deleted.
	DefaultMissingSyncsBeforeDelete = 2
	// DefaultMinDeletions is the deletion cap of a small host: see
	// Config.MaxDeletions.
	DefaultMinDeletions = 5

	// SudoAllValue is the SUDOERS_GROUPS value that gives sudo to every
	// synced user.
	SudoAllValue = "##ALL##"

	// MinManagedUID is the smallest UID hostsync ever touches: accounts
	// below it are system accounts, even when someone put them in the
	// marker group.
	MinManagedUID = 1000
	// maxUID is the largest valid UID: (uid_t)-1 is "no UID".
	maxUID = 4294967294
)

// Config is the configuration of a host sync: the keys of aws-ec2-ssh's
// /etc/aws-ec2-ssh.conf plus iamkit's own settings. A zero field means the
// default (see DefaultConfig), so Config{} is a usable configuration that
// syncs every IAM user and gives nobody sudo.
type Config struct {
	// AuthorizedGroups are the IAM groups whose members get an account
	// (IAM_AUTHORIZED_GROUPS). Empty means every IAM user.
	AuthorizedGroups []string
	// AuthorizedGroupsTag names the instance's EC2 tag that holds the
	// authorized groups instead (IAM_AUTHORIZED_GROUPS_TAG); ResolveTags
	// reads it.
	AuthorizedGroupsTag string
	// SudoersGroups are the IAM groups whose members get sudo
	// (SUDOERS_GROUPS). Empty means nobody gets sudo from hostsync.
	SudoersGroups []string
	// SudoAll gives sudo to every synced user (SUDOERS_GROUPS="##ALL##").
	SudoAll bool
	// SudoersGroupsTag names the EC2 tag that holds the sudoers groups
	// instead (SUDOERS_GROUPS_TAG); ResolveTags reads it.
	SudoersGroupsTag string
	// TagsResolved is set by ResolveTags. Plan refuses to change anything
	// while a *Tag field is set and the tags are not resolved.
	TagsResolved bool
	// MarkerGroup is the local group that marks the users hostsync owns
	// (LOCAL_MARKER_GROUP, default "iam-synced-users"). No other user is
	// ever touched.
	MarkerGroup string
	// LocalGroups are extra local groups every synced user joins
	// (LOCAL_GROUPS). hostsync adds users to them and never removes users
	// from groups, so memberships an admin set stay.
	LocalGroups []string
	// AssumeRole is the ARN of the role to assume before reading IAM
	// (ASSUMEROLE), for users kept in another account.
	AssumeRole string
	// UseraddProgram is the absolute path of the program that creates users
	// (USERADD_PROGRAM, default /usr/sbin/useradd).
	UseraddProgram string
	// UseraddArgs are its arguments before the options hostsync adds and the
	// user name (USERADD_ARGS, split at white space like the shell does;
	// default --user-group --create-home --shell /bin/bash).
	UseraddArgs []string
	// UserdelProgram is the absolute path of the program that deletes users
	// (USERDEL_PROGRAM, default /usr/sbin/userdel).
	UserdelProgram string
	// UserdelArgs are its arguments before the user name (USERDEL_ARGS,
	// default --force --remove).
	UserdelArgs []string
	// DoNotSync stops every sync (DONOTSYNC=1), as aws-ec2-ssh does before
	// it is configured: Plan returns a plan that changes nothing.
	DoNotSync bool

	// UIDMin and UIDMax bound the UIDs hostsync allocates to new users
	// (IAMKIT_UID_MIN, IAMKIT_UID_MAX; default DefaultUIDMin–DefaultUIDMax).
	// Users that already exist keep their UID, inside the range or not.
	UIDMin, UIDMax int
	// MissingSyncsBeforeDelete is how many consecutive complete syncs must
	// miss a user before its account is deleted
	// (IAMKIT_MISSING_SYNCS_BEFORE_DELETE, default 2). The first such sync
	// locks the account at once; syncs whose source is unknown neither count
	// nor reset the count.
	MissingSyncsBeforeDelete int
	// MaxDeletions caps the accounts deleted in one run
	// (IAMKIT_MAX_DELETIONS). 0 means the default: the larger of 5 and 10% of
	// the managed users (rounded down), so a host with 30 users may lose 5 at
	// once and one with 200 users 20. A negative value disables deletion. When
	// more accounts are due than the cap allows, none is deleted and the plan
	// says why.
	MaxDeletions int
	// Reserved are user names never created, changed or deleted, in addition
	// to DefaultReserved() (IAMKIT_RESERVED, a comma list).
	Reserved []string
	// EndSessionsOnLock ends a user's sessions and processes as soon as the
	// account is locked (IAMKIT_END_SESSIONS_ON_LOCK=1), so that revoking a
	// person also cuts their open SSH sessions. On in DefaultConfig, and so
	// in every configuration ParseConfig reads unless the file sets
	// IAMKIT_END_SESSIONS_ON_LOCK=0; off in a zero Config. Sessions always
	// end right before an account is deleted.
	EndSessionsOnLock bool

	// Warnings are what ParseConfig ignored: one *ConfigError wrapping
	// ErrUnknownKey per unknown key, naming its line and the key. Frontends
	// log them. Format does not write them.
	Warnings []*ConfigError
}

// ConfigOption changes how ParseConfig, LoadConfig and ReadConfigFile read
// a configuration.
type ConfigOption func(*configOptions)

type configOptions struct {
	strict bool
}

// StrictConfig makes an unknown key an error (a *ConfigError wrapping
// ErrUnknownKey) rather than a warning in Config.Warnings: a frontend's
// --strict.
func StrictConfig() ConfigOption {
	return func(o *configOptions) { o.strict = true }
}

// DefaultConfig returns the configuration an empty aws-ec2-ssh.conf gives,
// with every default filled in.
func DefaultConfig() Config {
	return Config{
		MarkerGroup:              DefaultMarkerGroup,
		UseraddProgram:           DefaultUseraddProgram,
		UseraddArgs:              strings.Fields(DefaultUseraddArgs),
		UserdelProgram:           DefaultUserdelProgram,
		UserdelArgs:              strings.Fields(DefaultUserdelArgs),
		UIDMin:                   DefaultUIDMin,
		UIDMax:                   DefaultUIDMax,
		MissingSyncsBeforeDelete: DefaultMissingSyncsBeforeDelete,
		EndSessionsOnLock:        true,
	}
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MarkerGroup == "" {
		c.MarkerGroup = d.MarkerGroup
	}
	if c.UseraddProgram == "" {
		c.UseraddProgram = d.UseraddProgram
	}
	if len(c.UseraddArgs) == 0 {
		c.UseraddArgs = d.UseraddArgs
	}
	if c.UserdelProgram == "" {
		c.UserdelProgram = d.UserdelProgram
	}
	if len(c.UserdelArgs) == 0 {
		c.UserdelArgs = d.UserdelArgs
	}
	if c.UIDMin == 0 && c.UIDMax == 0 {
		c.UIDMin, c.UIDMax = d.UIDMin, d.UIDMax
	}
	if c.MissingSyncsBeforeDelete == 0 {
		c.MissingSyncsBeforeDelete = d.MissingSyncsBeforeDelete
	}
	return c
}

// Validate reports the first problem of c (with defaults applied), or nil.
// ParseConfig and ResolveTags validate what they return; Plan validates its
// configuration and changes nothing when it is invalid.
func (c Config) Validate() error {
	c = c.withDefaults()
	bad := func(key, format string, args ...any) error {
		return &ConfigError{Key: key, Msg: fmt.Sprintf(format, args...), Err: ErrInvalidValue}
	}
	for _, g := range c.AuthorizedGroups {
		if err := checkIAMGroup(g); err != nil {
			return bad("IAM_AUTHORIZED_GROUPS", "%v", err)
		}
	}
	for _, g := range c.SudoersGroups {
		if err := checkIAMGroup(g); err != nil {
			return bad("SUDOERS_GROUPS", "%v", err)
		}
	}
	if c.SudoAll && len(c.SudoersGroups) > 0 {
		return bad("SUDOERS_GROUPS", "SudoAll and a list of sudoers groups exclude each other")
	}
	if err := checkLinuxGroup(c.MarkerGroup); err != nil {
		return bad("LOCAL_MARKER_GROUP", "%v", err)
	}
	for _, g := range c.LocalGroups {
		if err := checkLinuxGroup(g); err != nil {
			return bad("LOCAL_GROUPS", "%v", err)
		}
		if g == c.MarkerGroup {
			return bad("LOCAL_GROUPS", "%q is the marker group", g)
		}
	}
	if c.AuthorizedGroupsTag != "" {
		if err := checkTagKey(c.AuthorizedGroupsTag); err != nil {
			return bad("IAM_AUTHORIZED_GROUPS_TAG", "%v", err)
		}
	}
	if c.SudoersGroupsTag != "" {
		if err := checkTagKey(c.SudoersGroupsTag); err != nil {
			return bad("SUDOERS_GROUPS_TAG", "%v", err)
		}
	}
	if c.AssumeRole != "" {
		if err := checkRoleARN(c.AssumeRole); err != nil {
			return bad("ASSUMEROLE", "%v", err)
		}
	}
	if !strings.HasPrefix(c.UseraddProgram, "/") {
		return bad("USERADD_PROGRAM", "%q is not an absolute path", c.UseraddProgram)
	}
	if !strings.HasPrefix(c.UserdelProgram, "/") {
		return bad("USERDEL_PROGRAM", "%q is not an absolute path", c.UserdelProgram)
	}
	if c.UIDMin < MinManagedUID || c.UIDMax > maxUID || c.UIDMin > c.UIDMax {
		return bad("IAMKIT_UID_MIN", "UID range %d–%d must lie within %d–%d", c.UIDMin, c.UIDMax, MinManagedUID, maxUID)
	}
	if c.MissingSyncsBeforeDelete < 1 {
		return bad("IAMKIT_MISSING_SYNCS_BEFORE_DELETE", "must be at least 1, not %d", c.MissingSyncsBeforeDelete)
	}
	for _, r := range c.Reserved {
		if r == "" {
			return bad("IAMKIT_RESERVED", "empty name")
		}
	}
	return nil
}

// Authorizes reports whether a user in the given IAM groups gets an account:
// always when AuthorizedGroups is empty, otherwise when one of groups is
// among them. Group names are compared exactly up to letter case (IAM group
// names are unique regardless of case): never as patterns, so a '.' in a
// group name matches only a '.'.
func (c Config) Authorizes(groups []string) bool {
	if len(c.AuthorizedGroups) == 0 {
		return true
	}
	return intersects(groups, c.AuthorizedGroups)
}

// GrantsSudo reports whether a user in the given IAM groups gets sudo:
// always with SudoAll, otherwise when one of groups is among SudoersGroups,
// compared like Authorizes does (aws-ec2-ssh matched user names as grep
// patterns, so "bob.smith" got the sudo of "bobXsmith"; hostsync never does).
func (c Config) GrantsSudo(groups []string) bool {
	if c.SudoAll {
		return true
	}
	return intersects(groups, c.SudoersGroups)
}

// DeletionCap returns how many accounts one run may delete on a host with
// the given number of managed users: MaxDeletions when positive, 0 when
// negative, otherwise max(5, managed/10).
func (c Config) DeletionCap(managed int) int {
	switch {
	case c.MaxDeletions > 0:
		return c.MaxDeletions
	case c.MaxDeletions < 0:
		return 0
	}
	return max(DefaultMinDeletions, managed/10)
}

// localGroups returns the groups a synced user belongs to: the marker group
// first, then LocalGroups.
func (c Config) localGroups() []string {
	return append([]string{c.MarkerGroup}, c.LocalGroups...)
}

func intersects(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if strings.EqualFold(x, y) {
				return true
			}
		}
	}
	return false
}

// ErrTagMissing is returned by ResolveTags when the configuration names an
// EC2 tag the instance does not carry, or carries empty where a value is
// required.
var ErrTagMissing = errors.New("hostsync: EC2 tag missing")

// ResolveTags returns c with the group lists read from the instance's EC2
// tags (key → value) where IAM_AUTHORIZED_GROUPS_TAG or SUDOERS_GROUPS_TAG
// name one; a tag overrides the corresponding list, as in aws-ec2-ssh. The
// caller reads the tags (from the instance metadata: hostsync/ec2tags).
//
// Unlike aws-ec2-ssh, which warns and carries on with an empty list, a named
// tag that is absent is an error wrapping ErrTagMissing: an empty list of
// authorized groups would mean every IAM user of the account. An authorized
// groups tag that is present but blank is an error for the same reason; a
// blank sudoers tag means nobody gets sudo.
func ResolveTags(c Config, tags map[string]string) (Config, error) {
	if c.AuthorizedGroupsTag != "" {
		v, ok := tags[c.AuthorizedGroupsTag]
		if !ok {
			return c, errorf("%w: IAM_AUTHORIZED_GROUPS_TAG names tag %q, which the instance does not carry", ErrTagMissing, c.AuthorizedGroupsTag)
		}
		groups, err := parseList(v, checkIAMGroup)
		if err != nil {
			return c, errorf("tag %q (IAM_AUTHORIZED_GROUPS_TAG): %w", c.AuthorizedGroupsTag, err)
		}
		if len(groups) == 0 {
			return c, errorf("%w: tag %q (IAM_AUTHORIZED_GROUPS_TAG) is empty; it would authorize every IAM user", ErrTagMissing, c.AuthorizedGroupsTag)
		}
		c.AuthorizedGroups = groups
	}
	if c.SudoersGroupsTag != "" {
		v, ok := tags[c.SudoersGroupsTag]
		if !ok {
			return c, errorf("%w: SUDOERS_GROUPS_TAG names tag %q, which the instance does not carry", ErrTagMissing, c.SudoersGroupsTag)
		}
		all, groups, err := parseSudoers(v)
		if err != nil {
			return c, errorf("tag %q (SUDOERS_GROUPS_TAG): %w", c.SudoersGroupsTag, err)
		}
		c.SudoAll, c.SudoersGroups = all, groups
	}
	c.TagsResolved = true
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// ErrInvalidConfig is wrapped by every configuration error.
var ErrInvalidConfig = errors.New("hostsync: invalid configuration")

// ErrUnknownKey is wrapped by the error for a key aws-ec2-ssh.conf does not
// know.
var ErrUnknownKey = errors.New("unknown key")

// ErrSyntax is wrapped by the error for a line that is not KEY=value.
var ErrSyntax = errors.New("syntax error")

// ErrInvalidValue is wrapped by the error for a known key with a bad value.
var ErrInvalidValue = errors.New("invalid value")

// ConfigError is a configuration problem, naming the line (for a file) and
// the key. It wraps ErrInvalidConfig and one of ErrSyntax, ErrUnknownKey and
// ErrInvalidValue.
type ConfigError struct {
	// Line is the 1-based line number in the file, 0 when the problem is not
	// on one line (a value checked against another).
	Line int
	// Key is the configuration key concerned, if known.
	Key string
	// Msg describes the problem.
	Msg string
	// Err is ErrSyntax, ErrUnknownKey or ErrInvalidValue.
	Err error
}

// Error implements error.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("hostsync: config")
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	if e.Err != nil {
		b.WriteString(": " + unprefixed(e.Err.Error()))
	}
	if e.Msg != "" {
		fmt.Fprintf(&b, ": %s", e.Msg)
	}
	return b.String()
}

// Unwrap returns ErrInvalidConfig and Err.
func (e *ConfigError) Unwrap() []error { return []error{ErrInvalidConfig, e.Err} }

// MaxConfigSize bounds the size of a configuration file LoadConfig reads.
const MaxConfigSize = 1 << 20

// LoadConfig reads an aws-ec2-ssh.conf from r; see ParseConfig.
func LoadConfig(r io.Reader, opts ...ConfigOption) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxConfigSize+1))
	if err != nil {
		return Config{}, errorf("reading config: %w", err)
	}
	if len(data) > MaxConfigSize {
		return Config{}, &ConfigError{Msg: fmt.Sprintf("file larger than %d bytes", MaxConfigSize), Err: ErrSyntax}
	}
	return ParseConfig(data, opts...)
}

// ParseConfig parses an aws-ec2-ssh.conf: the file aws-ec2-ssh's scripts
// source into bash. Starting from DefaultConfig, each non-blank line that is
// not a comment must be one assignment KEY=value, optionally preceded by
// "export" and followed by a "# comment". The value may be unquoted
// (backslash escapes a character), single-quoted (literal) or double-quoted
// (backslash escapes $ ` " and \), or a concatenation of these, as in the
// shell. Anything the shell would expand or run — $VAR, $(...), `...`, ~,
// ;, &, |, <, >, (, ) unquoted, a second word — is refused rather than
// guessed at, as are lines continued with a trailing backslash and quotes
// left open at the end of a line. A key given twice takes its last value, as
// in the shell; an empty value means the default, as aws-ec2-ssh's
// ${KEY:=default} does.
//
// Keys: IAM_AUTHORIZED_GROUPS, IAM_AUTHORIZED_GROUPS_TAG, SUDOERS_GROUPS
// (comma list, or ##ALL##), SUDOERSGROUP (deprecated, used when
// SUDOERS_GROUPS is empty), SUDOERS_GROUPS_TAG, LOCAL_MARKER_GROUP,
// LOCAL_GROUPS, ASSUMEROLE, USERADD_PROGRAM, USERADD_ARGS, USERDEL_PROGRAM,
// USERDEL_ARGS, DONOTSYNC (0 or 1), and iamkit's own IAMKIT_UID_MIN,
// IAMKIT_UID_MAX, IAMKIT_MISSING_SYNCS_BEFORE_DELETE, IAMKIT_MAX_DELETIONS,
// IAMKIT_RESERVED and IAMKIT_END_SESSIONS_ON_LOCK (0 or 1). Lists are
// separated by commas or white space, as aws-ec2-ssh splits them.
//
// Any other key is ignored, as bash ignores it, with a warning in
// Config.Warnings naming the line and the key (StrictConfig makes it an
// error). A malformed line or an invalid value is a *ConfigError naming the
// line and the key.
func ParseConfig(data []byte, opts ...ConfigOption) (Config, error) {
	var o configOptions
	for _, opt := range opts {
		opt(&o)
	}
	c := DefaultConfig()
	var warnings []*ConfigError
	var sudoersGroup, sudoersGroups string
	var sudoersGroupLine, sudoersGroupsLine int
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxConfigSize+1)
	line := 0
	for sc.Scan() {
		line++
		raw := strings.TrimSuffix(sc.Text(), "\r")
		key, value, ok, err := parseAssignment(raw)
		if err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) {
				ce.Line = line
				return Config{}, ce
			}
			return Config{}, &ConfigError{Line: line, Msg: err.Error(), Err: ErrSyntax}
		}
		if !ok {
			continue
		}
		bad := func(format string, args ...any) error {
			return &ConfigError{Line: line, Key: key, Msg: fmt.Sprintf(format, args...), Err: ErrInvalidValue}
		}
		switch key {
		case "IAM_AUTHORIZED_GROUPS":
			groups, err := parseList(value, checkIAMGroup)
			if err != nil {
				return Config{}, bad("%v", err)
			}
			c.AuthorizedGroups = groups
		case "IAM_AUTHORIZED_GROUPS_TAG":
			if value != "" {
				if err := checkTagKey(value); err != nil {
					return Config{}, bad("%v", err)
				}
			}
			c.AuthorizedGroupsTag = value
		case "SUDOERS_GROUPS":
			if _, _, err := parseSudoers(value); err != nil {
				return Config{}, bad("%v", err)
			}
			sudoersGroups, sudoersGroupsLine = value, line
		case "SUDOERSGROUP":
			if _, _, err := parseSudoers(value); err != nil {
				return Config{}, bad("%v", err)
			}
			sudoersGroup, sudoersGroupLine = value, line
		case "SUDOERS_GROUPS_TAG":
			if value != "" {
				if err := checkTagKey(value); err != nil {
					return Config{}, bad("%v", err)
				}
			}
			c.SudoersGroupsTag = value
		case "LOCAL_MARKER_GROUP":
			if value == "" {
				value = DefaultMarkerGroup
			}
			if err := checkLinuxGroup(value); err != nil {
				return Config{}, bad("%v", err)
			}
			c.MarkerGroup = value
		case "LOCAL_GROUPS":
			groups, err := parseList(value, checkLinuxGroup)
			if err != nil {
				return Config{}, bad("%v", err)
			}
			c.LocalGroups = groups
		case "ASSUMEROLE":
			if value != "" {
				if err := checkRoleARN(value); err != nil {
					return Config{}, bad("%v", err)
				}
			}
			c.AssumeRole = value
		case "USERADD_PROGRAM", "USERDEL_PROGRAM":
			if value != "" && !strings.HasPrefix(value, "/") {
				return Config{}, bad("%q is not an absolute path", value)
			}
			if key == "USERADD_PROGRAM" {
				c.UseraddProgram = cmp.Or(value, DefaultUseraddProgram)
			} else {
				c.UserdelProgram = cmp.Or(value, DefaultUserdelProgram)
			}
		case "USERADD_ARGS":
			if value == "" {
				value = DefaultUseraddArgs
			}
			c.UseraddArgs = strings.Fields(value)
		case "USERDEL_ARGS":
			if value == "" {
				value = DefaultUserdelArgs
			}
			c.UserdelArgs = strings.Fields(value)
		case "DONOTSYNC", "IAMKIT_END_SESSIONS_ON_LOCK":
			b, err := parseFlag(value)
			if err != nil {
				return Config{}, bad("%v", err)
			}
			if key != "DONOTSYNC" && strings.TrimSpace(value) == "" {
				b = true // empty means the default
			}
			if key == "DONOTSYNC" {
				c.DoNotSync = b
			} else {
				c.EndSessionsOnLock = b
			}
		case "IAMKIT_UID_MIN", "IAMKIT_UID_MAX":
			n, err := parseInt(value, MinManagedUID, maxUID)
			if err != nil {
				return Config{}, bad("%v", err)
			}
			if key == "IAMKIT_UID_MIN" {
				c.UIDMin = cmp.Or(n, DefaultUIDMin)
			} else {
				c.UIDMax = cmp.Or(n, DefaultUIDMax)
			}
		case "IAMKIT_MISSING_SYNCS_BEFORE_DELETE":
			n, err := parseInt(value, 1, 1_000_000)
			if err != nil {
				return Config{}, bad("%v", err)
			}
			if n == 0 {
				n = DefaultMissingSyncsBeforeDelete
			}
			c.MissingSyncsBeforeDelete = n
		case "IAMKIT_MAX_DELETIONS":
			n, err := parseInt(value, -1, 1_000_000)
			if err != nil {
				return Config{}, bad("%v", err)
			}
			c.MaxDeletions = n
		case "IAMKIT_RESERVED":
			names, err := parseList(value, func(string) error { return nil })
			if err != nil {
				return Config{}, bad("%v", err)
			}
			c.Reserved = names
		default:
			ce := &ConfigError{Line: line, Key: key, Msg: "not an aws-ec2-ssh.conf or iamkit key", Err: ErrUnknownKey}
			if o.strict {
				return Config{}, ce
			}
			ce.Msg += "; ignored"
			warnings = append(warnings, ce)
		}
	}
	if err := sc.Err(); err != nil {
		return Config{}, &ConfigError{Line: line + 1, Msg: err.Error(), Err: ErrSyntax}
	}
	// aws-ec2-ssh: : ${SUDOERS_GROUPS:="${SUDOERSGROUP}"}
	sudo, sudoLine, sudoKey := sudoersGroups, sudoersGroupsLine, "SUDOERS_GROUPS"
	if sudo == "" && sudoersGroup != "" {
		sudo, sudoLine, sudoKey = sudoersGroup, sudoersGroupLine, "SUDOERSGROUP"
	}
	all, groups, err := parseSudoers(sudo)
	if err != nil {
		return Config{}, &ConfigError{Line: sudoLine, Key: sudoKey, Msg: err.Error(), Err: ErrInvalidValue}
	}
	c.SudoAll, c.SudoersGroups = all, groups
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	c.Warnings = warnings
	return c, nil
}

// parseAssignment parses one line. ok is false for blank and comment lines.
func parseAssignment(line string) (key, value string, ok bool, err error) {
	s := strings.TrimLeft(line, " \t")
	if s == "" || s[0] == '#' {
		return "", "", false, nil
	}
	if !utf8.ValidString(s) {
		return "", "", false, &ConfigError{Msg: "line is not valid UTF-8", Err: ErrSyntax}
	}
	if rest, found := strings.CutPrefix(s, "export"); found && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		s = strings.TrimLeft(rest, " \t")
	}
	i := 0
	for i < len(s) && (s[i] == '_' || 'A' <= s[i] && s[i] <= 'Z' || 'a' <= s[i] && s[i] <= 'z' || i > 0 && '0' <= s[i] && s[i] <= '9') {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != '=' {
		word := s
		if j := strings.IndexAny(word, " \t="); j >= 0 {
			word = word[:j]
		}
		return "", "", false, &ConfigError{Msg: fmt.Sprintf("expected KEY=value, found %q", truncate(word, 40)), Err: ErrSyntax}
	}
	key = s[:i]
	value, rest, err := parseWord(s[i+1:])
	if err != nil {
		return "", "", false, &ConfigError{Key: key, Msg: err.Error(), Err: ErrSyntax}
	}
	rest = strings.TrimLeft(rest, " \t")
	if rest != "" && rest[0] != '#' {
		return "", "", false, &ConfigError{Key: key, Msg: fmt.Sprintf("unexpected %q after the value (one assignment per line; quote values with spaces)", truncate(rest, 40)), Err: ErrSyntax}
	}
	return key, value, true, nil
}

// parseWord reads one shell word from s and returns its value and the rest
// of s, starting at the first unquoted blank.
func parseWord(s string) (string, string, error) {
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		switch c {
		case ' ', '\t':
			return b.String(), s[i:], nil
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", "", errors.New("single quote not closed on this line")
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 2
		case '"':
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '"' {
					closed = true
					i++
					break
				}
				if c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0 {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '$' || c == '`' {
					return "", "", fmt.Errorf("shell expansion (%c) is not supported", c)
				}
				b.WriteByte(c)
				i++
			}
			if !closed {
				return "", "", errors.New("double quote not closed on this line")
			}
		case '\\':
			if i+1 >= len(s) {
				return "", "", errors.New("line continuation (trailing backslash) is not supported")
			}
			b.WriteByte(s[i+1])
			i += 2
		case '$', '`', ';', '&', '|', '<', '>', '(', ')', '~':
			return "", "", fmt.Errorf("unquoted %q is not supported (quote the value)", c)
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), "", nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// parseList splits a list at commas and white space, drops empty items and
// duplicates, and checks each item.
func parseList(v string, check func(string) error) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, item := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if err := check(item); err != nil {
			return nil, err
		}
		if !seen[item] {
			seen[item] = true
			out = append(out, item)
		}
	}
	return out, nil
}

// parseSudoers parses a SUDOERS_GROUPS value.
func parseSudoers(v string) (all bool, groups []string, err error) {
	if strings.TrimSpace(v) == SudoAllValue {
		return true, nil, nil
	}
	groups, err = parseList(v, func(g string) error {
		if g == SudoAllValue {
			return fmt.Errorf("%s must be the whole value, not one item of a list", SudoAllValue)
		}
		return checkIAMGroup(g)
	})
	return false, groups, err
}

func parseFlag(v string) (bool, error) {
	switch strings.TrimSpace(v) {
	case "", "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, fmt.Errorf("%q is neither 0 nor 1", v)
}

// parseInt parses a decimal integer within [lo, hi]; empty is 0.
func parseInt(v string, lo, hi int) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", v)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is outside %d–%d", n, lo, hi)
	}
	return n, nil
}

// checkIAMGroup checks an IAM group name: 1–128 characters of
// [A-Za-z0-9+=.@_-] (IAM also allows ',', which the list syntax cannot
// carry).
func checkIAMGroup(g string) error {
	if g == "" || len(g) > 128 {
		return fmt.Errorf("IAM group name %q must be 1 to 128 characters", g)
	}
	for i := 0; i < len(g); i++ {
		if !isIAMNameChar(g[i]) || g[i] == ',' {
			return fmt.Errorf("character %q is not allowed in IAM group name %q", g[i], g)
		}
	}
	return nil
}

// checkLinuxGroup checks a local group name with the user name rules.
func checkLinuxGroup(g string) error {
	if err := ValidLinuxName(g); err != nil {
		var ne *NameError
		if errors.As(err, &ne) {
			return fmt.Errorf("local group %q: %s", g, ne.Reason)
		}
		return err
	}
	return nil
}

// checkTagKey checks an EC2 tag key: 1–128 characters, no "aws:" prefix
// needed or refused, no control characters.
func checkTagKey(k string) error {
	if k == "" || utf8.RuneCountInString(k) > 128 || !utf8.ValidString(k) {
		return fmt.Errorf("tag key %q must be 1 to 128 characters", k)
	}
	for _, r := range k {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("tag key %q holds a control character", k)
		}
	}
	return nil
}

// checkRoleARN checks the shape of an IAM role ARN, parsed with
// aws/arn: arn:<partition>:iam::<12 digits>:role/<path/name>.
func checkRoleARN(a string) error {
	_, err := awsname.RoleARN(a)
	return err
}

// Format renders c as an aws-ec2-ssh.conf that ParseConfig reads back to an
// equal Config (TagsResolved aside). Every key is written, defaults
// included, in a fixed order.
func (c Config) Format() string {
	c = c.withDefaults()
	var b strings.Builder
	w := func(key, value string) { fmt.Fprintf(&b, "%s=%s\n", key, shellQuote(value)) }
	b.WriteString("# aws-ec2-ssh.conf written by iamkit hostsync\n")
	w("IAM_AUTHORIZED_GROUPS", strings.Join(c.AuthorizedGroups, ","))
	w("IAM_AUTHORIZED_GROUPS_TAG", c.AuthorizedGroupsTag)
	if c.SudoAll {
		w("SUDOERS_GROUPS", SudoAllValue)
	} else {
		w("SUDOERS_GROUPS", strings.Join(c.SudoersGroups, ","))
	}
	w("SUDOERS_GROUPS_TAG", c.SudoersGroupsTag)
	w("LOCAL_MARKER_GROUP", c.MarkerGroup)
	w("LOCAL_GROUPS", strings.Join(c.LocalGroups, ","))
	w("ASSUMEROLE", c.AssumeRole)
	w("USERADD_PROGRAM", c.UseraddProgram)
	w("USERADD_ARGS", strings.Join(c.UseraddArgs, " "))
	w("USERDEL_PROGRAM", c.UserdelProgram)
	w("USERDEL_ARGS", strings.Join(c.UserdelArgs, " "))
	w("DONOTSYNC", flag(c.DoNotSync))
	w("IAMKIT_UID_MIN", strconv.Itoa(c.UIDMin))
	w("IAMKIT_UID_MAX", strconv.Itoa(c.UIDMax))
	w("IAMKIT_MISSING_SYNCS_BEFORE_DELETE", strconv.Itoa(c.MissingSyncsBeforeDelete))
	w("IAMKIT_MAX_DELETIONS", strconv.Itoa(c.MaxDeletions))
	w("IAMKIT_RESERVED", strings.Join(c.Reserved, ","))
	w("IAMKIT_END_SESSIONS_ON_LOCK", flag(c.EndSessionsOnLock))
	return b.String()
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// shellQuote quotes v so that parseWord (and bash) read it back unchanged.
func shellQuote(v string) string {
	if !strings.Contains(v, "'") {
		return "'" + v + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if strings.IndexByte("$`\"\\", v[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
	return b.String()
}

// ReadOptionalConfigFile reads the configuration file at path as
// ReadConfigFile does, except that a missing file is no error: it returns
// DefaultConfig. An AuthorizedKeysCommand reads its configuration so — it
// needs only the marker group, whose default serves. A live lookup
// (LiveKeys) must not: the defaults authorize every IAM user, so its
// configuration is read with ReadConfigFile.
func ReadOptionalConfigFile(path string) (Config, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return DefaultConfig(), nil
	}
	return ReadConfigFile(path)
}

// DefaultConfigFile is where aws-ec2-ssh, and every hostsync frontend by
// default, reads its configuration.
const DefaultConfigFile = "/etc/aws-ec2-ssh.conf"
