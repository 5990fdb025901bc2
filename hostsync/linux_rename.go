package hostsync

import (
	"context"
	"errors"
	"path/filepath"
)

// Exit codes of usermod that Rename tells apart.
const (
	exitUsermodBusy    = 8 // the user has running processes
	exitUsermodNameUse = 9 // the new name is taken
)

// Rename implements System: usermod -l NEW [-d DIR/NEW -m] OLD (the home
// is moved when it is named after the user; usermod refuses, with exit
// code 8, to rename a user with running processes: ErrUserBusy), then
// groupmod -n NEW OLD when the primary group is the user's own (named OLD)
// and NEW names no group yet; the sudoers drop-in is installed under the
// new name (GrantSudo) and the old one removed; the key cache entry moves.
func (l *Linux) Rename(ctx context.Context, oldName, newName string) error {
	if err := ValidLinuxName(newName); err != nil {
		return err
	}
	e, u, err := l.account(oldName)
	if errors.Is(err, ErrNoSuchUser) {
		if e, nu, nerr := l.account(newName); nerr == nil {
			return l.finishRename(ctx, e, nu, oldName, newName)
		}
	}
	if err != nil {
		return err
	}
	if _, taken := e.find(newName); taken {
		return errorf("local user %q: %w", newName, ErrUserExists)
	}
	args := []string{"-l", newName}
	if filepath.Base(u.Home) == oldName {
		args = append(args, "-d", filepath.Join(filepath.Dir(u.Home), newName), "-m")
	}
	if err := l.run(ctx, "usermod", append(args, oldName)...); err != nil {
		switch exitCode(err) {
		case exitUsermodBusy:
			return errorf("renaming %q: %w: %w", oldName, ErrUserBusy, err)
		case exitUsermodNameUse:
			return errorf("renaming %q: %w: %w", oldName, ErrUserExists, err)
		}
		return err
	}
	own := false
	for _, g := range e.groups {
		if g.GID == u.GID && g.Name == oldName {
			own = true
		}
	}
	if own && !e.groupExists(newName) {
		if err := l.run(ctx, "groupmod", "-n", newName, oldName); err != nil {
			return err
		}
	}
	if e.sudo[SudoersFileName(oldName)] {
		if err := l.GrantSudo(ctx, newName); err != nil {
			return err
		}
		if err := l.RevokeSudo(ctx, oldName); err != nil {
			return err
		}
	}
	keys, err := l.ReadKeys(ctx, oldName)
	if err != nil {
		return err
	}
	if len(keys) > 0 {
		if err := l.WriteKeys(ctx, newName, keys); err != nil {
			return err
		}
	}
	if err := l.keys().Remove(oldName); err != nil {
		return err
	}
	l.log().InfoContext(ctx, "hostsync: account renamed", "from", oldName, "to", newName, "uid", u.UID)
	return nil
}

// finishRename ends a rename of oldName to u (newName) cut short after
// usermod: groupmod -n when u's primary group is still named oldName and
// no group is named newName; the drop-in and key cache entry of oldName
// removed. (The sync writes newName's keys and sudo itself; copying the
// old ones here could restore access IAM has taken away since.)
func (l *Linux) finishRename(ctx context.Context, e *etc, u passwdEntry, oldName, newName string) error {
	for _, g := range e.groups {
		if g.GID == u.GID && g.Name == oldName && !e.groupExists(newName) {
			if err := l.run(ctx, "groupmod", "-n", newName, oldName); err != nil {
				return err
			}
			break
		}
	}
	if err := l.RevokeSudo(ctx, oldName); err != nil {
		return err
	}
	if err := l.keys().Remove(oldName); err != nil {
		return err
	}
	l.log().InfoContext(ctx, "hostsync: rename finished", "from", oldName, "to", newName, "uid", u.UID)
	return nil
}
