package authkeys

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidName is wrapped by the name errors; hostsync.ErrInvalidName is
// it.
var ErrInvalidName = errors.New("hostsync: invalid user name")

func nameErr(name, format string, args ...any) error {
	return &nameError{msg: fmt.Sprintf("hostsync: user name %q: %s", name, fmt.Sprintf(format, args...))}
}

// nameError reads as hostsync.NameError and wraps ErrInvalidName.
type nameError struct{ msg string }

func (e *nameError) Error() string { return e.msg }
func (e *nameError) Unwrap() error { return ErrInvalidName }

// tokens is the aws-ec2-ssh spelling of the characters an IAM user name may
// hold but a Linux one may not (hostsync.LinuxName).
var tokens = [...]struct {
	char  byte
	token string
}{{'+', ".plus."}, {'=', ".equal."}, {',', ".comma."}, {'@', ".at."}}

// ValidLinuxName is hostsync.ValidLinuxName: 1 to 32 characters of
// [A-Za-z0-9._-], no leading '-', not "." or "..", not all digits.
func ValidLinuxName(name string) error {
	switch {
	case name == "":
		return nameErr(name, "empty Linux user name")
	case len(name) > 32:
		return nameErr(name, "Linux user name is %d characters long, more than 32", len(name))
	case name == "." || name == "..":
		return nameErr(name, "\".\" and \"..\" are not user names")
	case name[0] == '-':
		return nameErr(name, "a Linux user name must not start with '-'")
	}
	digits := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !alnum(c) && c != '.' && c != '_' && c != '-' {
			return nameErr(name, "character %q is not allowed in a Linux user name", c)
		}
		digits = digits && '0' <= c && c <= '9'
	}
	if digits {
		return nameErr(name, "an all-digit Linux user name would be taken for a UID")
	}
	return nil
}

func alnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func validIAMName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !alnum(s[i]) && strings.IndexByte("+=,.@_-", s[i]) < 0 {
			return false
		}
	}
	return true
}

// IAMName is hostsync.IAMName: the IAM user name whose Linux name is linux,
// or an error wrapping ErrInvalidName when there is none.
func IAMName(linux string) (string, error) {
	if err := ValidLinuxName(linux); err != nil {
		return "", err
	}
	var b strings.Builder
	for i := 0; i < len(linux); {
		matched := false
		if linux[i] == '.' {
			for _, t := range tokens {
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
	iam := b.String()
	if !validIAMName(iam) {
		return "", nameErr(linux, "it maps to %q, which is not a valid IAM user name", iam)
	}
	var e strings.Builder
	for i := 0; i < len(iam); i++ {
		s := string(iam[i])
		for _, t := range tokens {
			if iam[i] == t.char {
				s = t.token
			}
		}
		e.WriteString(s)
	}
	if e.String() != linux {
		return "", nameErr(linux, "no IAM user name maps to it (IAM user %q maps elsewhere)", iam)
	}
	return iam, nil
}

// reserved is hostsync.DefaultReserved() (hostsync's tests check that the
// two lists are equal).
var reserved = [...]string{
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

// DefaultReserved returns a copy of the names hostsync.IsReserved always
// reserves.
func DefaultReserved() []string { return append([]string(nil), reserved[:]...) }

// IsReserved is hostsync.IsReserved: name is in the default list or extra
// (ignoring case), or starts with "systemd-" or "_".
func IsReserved(name string, extra ...string) bool {
	for _, list := range [][]string{reserved[:], extra} {
		for _, r := range list {
			if strings.EqualFold(r, name) {
				return true
			}
		}
	}
	lower := strings.ToLower(name)
	return strings.HasPrefix(lower, "systemd-") || strings.HasPrefix(lower, "_")
}
