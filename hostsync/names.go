package hostsync

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/iamkit/iamkit/hostsync/authkeys"
)

// MaxLinuxNameLen is the longest Linux user name hostsync creates: 32
// characters, the limit of utmp/wtmp records and of useradd on most
// distributions.
const MaxLinuxNameLen = 32

// MaxIAMNameLen is the longest IAM user name IAM accepts.
const MaxIAMNameLen = 64

// ErrInvalidName is wrapped by every error LinuxName, IAMName and MapNames
// return for a name that cannot be used.
var ErrInvalidName = authkeys.ErrInvalidName

// NameError explains why a user name cannot be used. It wraps ErrInvalidName.
type NameError struct {
	// Name is the name that was refused, as given.
	Name string
	// Reason says why, in words fit for a log line or a dry run.
	Reason string
}

// Error implements error.
func (e *NameError) Error() string {
	return fmt.Sprintf("hostsync: user name %q: %s", e.Name, e.Reason)
}

// Unwrap returns ErrInvalidName.
func (e *NameError) Unwrap() error { return ErrInvalidName }

// nameTokens is the aws-ec2-ssh convention for the four characters an IAM
// user name may hold but a Linux user name may not.
var nameTokens = [...]struct {
	char  byte
	token string
}{
	{'+', ".plus."},
	{'=', ".equal."},
	{',', ".comma."},
	{'@', ".at."},
}

func isIAMNameChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("+=,.@_-", c) >= 0
}

func isLinuxNameChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == '.' || c == '_' || c == '-'
}

// encodeName applies the aws-ec2-ssh substitutions.
func encodeName(iam string) string {
	var b strings.Builder
	b.Grow(len(iam) + 8)
	for i := 0; i < len(iam); i++ {
		c := iam[i]
		done := false
		for _, t := range nameTokens {
			if c == t.char {
				b.WriteString(t.token)
				done = true
				break
			}
		}
		if !done {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// decodeName reverses encodeName, reading tokens left to right and
// case-insensitively (".AT." decodes like ".at.").
func decodeName(linux string) string {
	var b strings.Builder
	b.Grow(len(linux))
	for i := 0; i < len(linux); {
		matched := false
		if linux[i] == '.' {
			for _, t := range nameTokens {
				if len(linux)-i >= len(t.token) && strings.EqualFold(linux[i:i+len(t.token)], t.token) {
					b.WriteByte(t.char)
					i += len(t.token)
					matched = true
					break
				}
			}
		}
		if !matched {
			b.WriteByte(linux[i])
			i++
		}
	}
	return b.String()
}

// checkIAMName reports whether s is a syntactically valid IAM user name.
func checkIAMName(s string) error {
	if s == "" {
		return &NameError{Name: s, Reason: "empty IAM user name"}
	}
	if len(s) > MaxIAMNameLen {
		return &NameError{Name: s, Reason: fmt.Sprintf("IAM user name longer than %d characters", MaxIAMNameLen)}
	}
	for i := 0; i < len(s); i++ {
		if !isIAMNameChar(s[i]) {
			return &NameError{Name: s, Reason: fmt.Sprintf("character %q is not allowed in an IAM user name", s[i])}
		}
	}
	return nil
}

// ValidLinuxName reports why name is not a Linux user name hostsync would
// create or answer for, or nil if it is one. The rules: 1 to 32 characters
// from [A-Za-z0-9._-]; no leading '-' (it would read as an option to
// useradd, userdel, pkill...); not "." or ".."; not all digits (tools take a
// numeric name for a UID).
func ValidLinuxName(name string) error {
	switch {
	case name == "":
		return &NameError{Name: name, Reason: "empty Linux user name"}
	case len(name) > MaxLinuxNameLen:
		return &NameError{Name: name, Reason: fmt.Sprintf("Linux user name is %d characters long, more than %d", len(name), MaxLinuxNameLen)}
	case name == "." || name == "..":
		return &NameError{Name: name, Reason: "\".\" and \"..\" are not user names"}
	case name[0] == '-':
		return &NameError{Name: name, Reason: "a Linux user name must not start with '-'"}
	}
	digits := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isLinuxNameChar(c) {
			return &NameError{Name: name, Reason: fmt.Sprintf("character %q is not allowed in a Linux user name", c)}
		}
		if c < '0' || c > '9' {
			digits = false
		}
	}
	if digits {
		return &NameError{Name: name, Reason: "an all-digit Linux user name would be taken for a UID"}
	}
	return nil
}

// LinuxName maps an IAM user name to its Linux user name with the
// aws-ec2-ssh convention: '+' becomes ".plus.", '=' ".equal.", ','
// ".comma." and '@' ".at."; every other character, including upper-case
// letters, is kept as it is, so hosts converted from aws-ec2-ssh keep their
// users.
//
// LinuxName refuses, with a *NameError:
//   - a name that is not a valid IAM user name;
//   - a name whose Linux form breaks the Linux rules of ValidLinuxName
//     (for example longer than 32 characters once mapped);
//   - a name whose Linux form would not read back as itself, because it
//     already holds one of the tokens (in any letter case): IAM user
//     "bob.at.corp.com" would become Linux user "bob.at.corp.com", which
//     IAMName reads as IAM user "bob@corp.com". Such a name is refused even
//     when no "bob@corp.com" exists today, so that creating one tomorrow can
//     never hand an existing Linux account, its home and its files to a
//     different person.
//
// On the names it accepts, IAMName(LinuxName(n)) == n, so the mapping is
// injective, and two accepted names whose Linux forms differ only in letter
// case are themselves equal up to case, which IAM's case-insensitive
// uniqueness rules out (see MapNames for a whole set).
func LinuxName(iamName string) (string, error) {
	if err := checkIAMName(iamName); err != nil {
		return "", err
	}
	linux := encodeName(iamName)
	if err := ValidLinuxName(linux); err != nil {
		var ne *NameError
		if errors.As(err, &ne) {
			return "", &NameError{Name: iamName, Reason: fmt.Sprintf("its Linux name %q is not valid: %s", linux, ne.Reason)}
		}
		return "", err
	}
	if back := decodeName(linux); back != iamName {
		return "", &NameError{Name: iamName, Reason: fmt.Sprintf("its Linux name %q would read back as IAM user %q (the name already holds one of the tokens .plus. .equal. .comma. .at.)", linux, back)}
	}
	return linux, nil
}

// IAMName is the inverse of LinuxName: it returns the IAM user name whose
// Linux name is linux, or a *NameError if LinuxName produces linux for no
// IAM user name (an invalid Linux name, or one such as "bob.AT.corp.com"
// that LinuxName would spell differently). The AuthorizedKeysCommand uses it
// to find the IAM user behind the name sshd hands it.
func IAMName(linux string) (string, error) {
	if err := ValidLinuxName(linux); err != nil {
		return "", err
	}
	iam := decodeName(linux)
	if err := checkIAMName(iam); err != nil {
		return "", &NameError{Name: linux, Reason: fmt.Sprintf("it maps to %q, which is not a valid IAM user name", iam)}
	}
	if again, err := LinuxName(iam); err != nil || again != linux {
		return "", &NameError{Name: linux, Reason: fmt.Sprintf("no IAM user name maps to it (IAM user %q maps elsewhere)", iam)}
	}
	return iam, nil
}

// MapNames maps a whole set of IAM user names to Linux names and refuses,
// with a reason, every name that cannot be used safely. mapped holds the
// accepted names (IAM name → Linux name), refused the others (IAM name →
// *NameError). Every distinct input name lands in exactly one of the two.
//
// A name is refused when LinuxName refuses it, or when its Linux name
// equals another name's Linux name up to letter case. Linux names are case
// sensitive but people, shells and IAM (whose user names are unique
// regardless of case) treat "Bob" and "bob" as one, so both sides of such a
// collision are refused: the result never depends on input order or on which
// user was created first. Duplicated input names count once.
func MapNames(iamNames []string) (mapped map[string]string, refused map[string]error) {
	mapped = make(map[string]string, len(iamNames))
	refused = make(map[string]error)
	byFold := make(map[string][]string)
	seen := make(map[string]bool, len(iamNames))
	for _, n := range iamNames {
		if seen[n] {
			continue
		}
		seen[n] = true
		linux, err := LinuxName(n)
		if err != nil {
			refused[n] = err
			continue
		}
		mapped[n] = linux
		k := strings.ToLower(linux)
		byFold[k] = append(byFold[k], n)
	}
	for _, names := range byFold {
		if len(names) < 2 {
			continue
		}
		sort.Strings(names)
		for _, n := range names {
			others := make([]string, 0, len(names)-1)
			for _, o := range names {
				if o != n {
					others = append(others, fmt.Sprintf("%q", o))
				}
			}
			refused[n] = &NameError{Name: n, Reason: fmt.Sprintf("its Linux name %q collides (ignoring case) with that of IAM user %s; all of them are refused", mapped[n], strings.Join(others, ", "))}
			delete(mapped, n)
		}
	}
	return mapped, refused
}

// DefaultReserved returns the user names hostsync never creates, changes or
// deletes, whatever the configuration says: the superuser, the default login
// accounts of common cloud images, and service accounts that distribution
// packages create on install (an IAM user holding such a name would
// otherwise own, say, a database's files once the package is installed).
// Names are compared ignoring case; any name starting with "systemd-" or
// "_" is reserved as well. Config.Reserved adds to this list. The result is
// a fresh copy on each call.
func DefaultReserved() []string {
	return append([]string(nil), defaultReserved[:]...)
}

// defaultReserved backs DefaultReserved; it is never modified.
var defaultReserved = [...]string{
	"root", "toor", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news",
	"uucp", "proxy", "www-data", "backup", "list", "irc", "gnats", "nobody", "nogroup",
	"adm", "wheel", "sudo", "sudoers", "admin", "administrator", "operator", "halt",
	"shutdown", "ftp", "sshd", "messagebus", "syslog", "uuidd", "tcpdump", "tss", "dbus",
	"polkitd", "rpc", "rpcuser", "nfsnobody", "chrony", "ntp", "postfix", "dnsmasq",
	"nscd", "lxd", "pollinate", "landscape", "docker", "postgres", "mysql", "redis",
	"nginx", "apache", "httpd", "ec2-user", "ec2-instance-connect", "ssm-user", "ubuntu",
	"debian", "centos", "fedora", "rocky", "almalinux", "cloud-user", "opc", "bitnami",
	"alpine", "arch", "suse", "iamkit",
}

// reservedPrefixes are name prefixes reserved like DefaultReserved; never
// modified.
var reservedPrefixes = [...]string{"systemd-", "_"}

// IsReserved reports whether a Linux user name is reserved: listed in
// DefaultReserved() or extra (ignoring case), or starting with one of the
// reserved prefixes ("systemd-", "_").
func IsReserved(name string, extra ...string) bool {
	for _, lists := range [][]string{defaultReserved[:], extra} {
		for _, r := range lists {
			if strings.EqualFold(r, name) {
				return true
			}
		}
	}
	lower := strings.ToLower(name)
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	return false
}

// DefaultSystemGroups returns the standard system group names: those of
// Debian's base-passwd and Fedora's setup package, and the groups common
// packages and systemd create (docker, libvirt, kvm, render, input...).
// hostsync never creates an account with such a name, whether or not the
// group exists on the host: an account named like a privileged group (disk,
// shadow, kmem, sudo...) is mistaken for it in sudoers rules and file
// listings, and useradd refuses it wherever the group exists. Existing
// accounts are not affected: one hostsync created before keeps being
// managed. Names are compared ignoring case; any name starting with
// "systemd-" or "_" is covered too (see IsReserved). Any other group that
// exists on the host blocks creation as well (Plan reads them from
// HostState). The result is a fresh copy on each call.
func DefaultSystemGroups() []string {
	return append([]string(nil), defaultSystemGroups[:]...)
}

// defaultSystemGroups backs DefaultSystemGroups; it is never modified.
var defaultSystemGroups = [...]string{
	// Debian base-passwd.
	"root", "daemon", "bin", "sys", "adm", "tty", "disk", "lp", "mail", "news", "uucp",
	"man", "proxy", "kmem", "dialout", "fax", "voice", "cdrom", "floppy", "tape", "sudo",
	"audio", "dip", "www-data", "backup", "operator", "list", "irc", "src", "gnats",
	"shadow", "utmp", "video", "sasl", "plugdev", "staff", "games", "users", "nogroup",
	// Fedora / RHEL / Amazon Linux setup.
	"wheel", "mem", "lock", "ftp", "nobody", "utempter", "ssh_keys", "cgred", "printadmin",
	// systemd, udev and common packages.
	"input", "kvm", "render", "sgx", "crontab", "netdev", "lpadmin", "ssh", "admin",
	"bluetooth", "scanner", "pulse", "pulse-access", "docker", "libvirt", "lxd",
	"wireshark", "sambashare", "messagebus", "polkitd", "tss", "chrony", "sshd",
}

// IsSystemGroup reports whether name is a standard system group name:
// listed in DefaultSystemGroups() (ignoring case) or starting with one of
// the reserved prefixes ("systemd-", "_").
func IsSystemGroup(name string) bool {
	for _, g := range defaultSystemGroups {
		if strings.EqualFold(g, name) {
			return true
		}
	}
	lower := strings.ToLower(name)
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	return false
}

// SudoersFileName returns the name of the /etc/sudoers.d drop-in that grants
// sudo to a Linux user: "iamkit-" followed by the user name with every '.'
// replaced by '%'. sudo silently skips drop-ins whose name holds a '.', so a
// user such as "bob.at.corp.com" needs the substitution; '%' never occurs in
// a user name, so distinct users get distinct files, and the prefix keeps
// hostsync's files apart from the admin's and cloud-init's (an IAM user named
// "90-cloud-init-users" must never overwrite that file).
func SudoersFileName(linux string) string {
	return "iamkit-" + strings.ReplaceAll(linux, ".", "%")
}

// SudoersLine returns the line the drop-in for a Linux user holds, the one
// aws-ec2-ssh writes: "<name> ALL=(ALL) NOPASSWD:ALL".
func SudoersLine(linux string) string {
	return linux + " ALL=(ALL) NOPASSWD:ALL"
}
