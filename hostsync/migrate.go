package hostsync

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxLegacySudoersSize bounds what Linux reads of a file that may be an
// aws-ec2-ssh sudoers file: the real ones are one line.
const maxLegacySudoersSize = 4 << 10

// LegacySudoersFileName returns the name of the /etc/sudoers.d file that
// aws-ec2-ssh's import_users.sh writes to grant sudo to a Linux user: the
// user name with every '.' turned into a space (sudo skips file names
// holding a '.'), e.g. "bob smith" for "bob.smith". Its content is
// SudoersLine(linux) and a newline.
func LegacySudoersFileName(linux string) string {
	return strings.ReplaceAll(linux, ".", " ")
}

// IsLegacySudoers reports whether data is the content aws-ec2-ssh writes in
// a user's sudoers file: SudoersLine(linux), surrounding white space
// ignored. A file of that name with any other content is the admin's, and
// hostsync leaves it alone.
func IsLegacySudoers(linux string, data []byte) bool {
	return strings.TrimSpace(string(data)) == SudoersLine(linux)
}

// legacySudoers returns, among the regular files of the drop-in directory,
// the users whose aws-ec2-ssh sudoers file is there (IsLegacySudoers);
// exists says which user names exist. A file that cannot be read safely
// (not root-owned, writable by others, a symlink) does not count: sudo
// ignores such a file too.
func (l *Linux) legacySudoers(files map[string]bool, exists func(string) bool) map[string]bool {
	var out map[string]bool
	var root *os.Root
	defer func() {
		if root != nil {
			root.Close()
		}
	}()
	for file := range files {
		if strings.HasPrefix(file, "iamkit-") || strings.Contains(file, ".") {
			continue
		}
		user := strings.ReplaceAll(file, " ", ".")
		if ValidLinuxName(user) != nil || !exists(user) {
			continue
		}
		if root == nil {
			r, err := os.OpenRoot(l.sudoersDir())
			if err != nil {
				return out
			}
			root = r
		}
		data, err := readTrusted(root, file, maxLegacySudoersSize)
		if err != nil {
			l.log().Debug("hostsync: sudoers file not read", "file", file, "err", err)
			continue
		}
		if data != nil && IsLegacySudoers(user, data) {
			if out == nil {
				out = map[string]bool{}
			}
			out[user] = true
		}
	}
	return out
}

// removeLegacySudo removes the user's aws-ec2-ssh sudoers file from the
// drop-in directory, if it is there and holds what aws-ec2-ssh writes.
func (l *Linux) removeLegacySudo(ctx context.Context, root *os.Root, name string) error {
	file := LegacySudoersFileName(name)
	data, err := readTrusted(root, file, maxLegacySudoersSize)
	if err != nil || data == nil || !IsLegacySudoers(name, data) {
		return nil
	}
	if err := root.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return errorf("removing aws-ec2-ssh sudoers file: %w", err)
	}
	l.log().InfoContext(ctx, "hostsync: aws-ec2-ssh sudoers file removed", "user", name, "file", filepath.Join(root.Name(), file))
	return syncDir(root)
}

// AdoptSudo implements System: GrantSudo, then the user's aws-ec2-ssh
// sudoers file (LegacySudoersFileName) is removed. The user holds sudo
// throughout: iamkit's drop-in is in place, checked with visudo, before the
// old file goes.
func (l *Linux) AdoptSudo(ctx context.Context, name string) error {
	if err := l.GrantSudo(ctx, name); err != nil {
		return err
	}
	root, err := openTrustedDir(l.sudoersDir(), false)
	if err != nil {
		return errorf("sudoers drop-in directory: %w", err)
	}
	defer root.Close()
	return l.removeLegacySudo(ctx, root, name)
}

// adoptSudo is the action that migrates the aws-ec2-ssh sudoers file of a
// user who keeps sudo.
func adoptSudo(name, iam string, cfg Config) Action {
	return Action{Kind: ActAdoptSudo, User: name, IAMName: iam,
		Reason: sudoReason(cfg) + "; replaces the aws-ec2-ssh sudoers file \"" + LegacySudoersFileName(name) + "\" with iamkit's drop-in"}
}

// legacyNote names the aws-ec2-ssh sudoers file a revocation removes too.
func legacyNote(hu HostUser) string {
	if !hu.LegacySudo {
		return ""
	}
	return "; removes the aws-ec2-ssh sudoers file \"" + LegacySudoersFileName(hu.Name) + "\""
}
