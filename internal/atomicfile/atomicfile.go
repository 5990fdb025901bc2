// Package atomicfile is iamkit's one writer of files that hold secrets or
// state: the credentials bundle (iamuser), ~/.aws/credentials and the MFA
// state file (mfa/credfile), and hostsync's caches.
//
// WriteFile writes the data to a temporary file in the target's directory,
// created with mode 0600 (or the mode given) whatever the umask, syncs it,
// then renames it over the target — or, with NoReplace, links it into place
// only if the target does not exist — and syncs the directory. Readers see
// the old content or the new, never a part. On every failure path the
// temporary file is removed: no copy of a secret outlives its writer.
//
// By default a symbolic link at the target is followed, so the temporary
// file lands beside the real file and the link is kept (a credentials file
// kept in a dotfiles repository stays linked); a link whose target does not
// exist is replaced. NoFollow always replaces a link. Locking, where a caller needs it for a read-modify-write, is the
// caller's (mfa/credfile takes a flock around it).
//
// Errors are the os package's, with the step that failed; they carry no
// package prefix, so the exported package that calls WriteFile adds its own.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// DefaultPerm is the mode of the files WriteFile writes unless WithPerm says
// otherwise: readable and writable by the owner only.
const DefaultPerm fs.FileMode = 0o600

type options struct {
	perm      fs.FileMode
	noFollow  bool
	noReplace bool
	keepOwner bool
	link      func(oldname, newname string) error // os.Link; tests replace it

	beforeRename func(tmp string) error // BeforeRename
}

// Option configures WriteFile.
type Option func(*options)

// WithPerm sets the mode of the file (default DefaultPerm, 0600). It is set
// with chmod, so the umask does not narrow or widen it.
func WithPerm(perm fs.FileMode) Option { return func(o *options) { o.perm = perm.Perm() } }

// NoFollow makes WriteFile replace a symbolic link at the target instead of
// writing the file it points to. For files in directories only root can
// write, where a link is never expected.
func NoFollow() Option { return func(o *options) { o.noFollow = true } }

// NoReplace makes WriteFile fail, with an error matching fs.ErrExist, when
// the target already exists, instead of replacing it. The check and the
// creation are one atomic step (a hard link of the temporary file), so two
// writers racing for one name cannot both succeed. On a file system without
// hard links (FAT, some network and FUSE file systems) it falls back to
// checking that the target does not exist and renaming, which leaves a
// writer racing for the same name a window of a few microseconds.
func NoReplace() Option { return func(o *options) { o.noReplace = true } }

// KeepOwner gives the new file the owner and group of the file it replaces
// (best effort: only a privileged process may), so that a file edited with
// sudo stays readable by its owner.
func KeepOwner() Option { return func(o *options) { o.keepOwner = true } }

// WriteFile atomically writes data to path (see the package documentation)
// and returns the path of the file actually written: path itself, or the
// file a symbolic link at path leads to. The parent directory must exist.
// An error with a non-empty written means the new file is in place but a
// later step failed (syncing the directory, removing NoReplace's second
// name): a caller that must leave nothing behind removes it.
func WriteFile(path string, data []byte, opts ...Option) (written string, err error) {
	o := options{perm: DefaultPerm, link: os.Link}
	for _, f := range opts {
		f(&o)
	}
	target := path
	if !o.noFollow {
		target = Resolve(path)
	}
	var old fs.FileInfo
	if o.keepOwner {
		old, _ = os.Stat(target) // none when it does not exist yet
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, TempPattern(target))
	if err != nil {
		return "", fmt.Errorf("create temporary file: %w", err)
	}
	tmpName := tmp.Name()
	placed := false
	defer func() {
		if err != nil {
			_ = tmp.Close() // a second Close only reports os.ErrClosed
		}
		if !placed || o.noReplace {
			// Before the rename the temporary file is ours to remove; with
			// NoReplace the link left a second name that must go either way.
			if rerr := os.Remove(tmpName); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
				err = fmt.Errorf("remove temporary file: %w", rerr)
			}
		}
	}()
	if err = tmp.Chmod(o.perm); err != nil {
		return "", fmt.Errorf("chmod temporary file: %w", err)
	}
	if o.keepOwner {
		keepOwner(tmp, old)
	}
	if _, err = tmp.Write(data); err != nil {
		return "", fmt.Errorf("write temporary file: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return "", fmt.Errorf("sync temporary file: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return "", fmt.Errorf("close temporary file: %w", err)
	}
	if o.beforeRename != nil {
		if err = o.beforeRename(tmpName); err != nil {
			return "", err
		}
	}
	if o.noReplace {
		err = o.link(tmpName, target)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			err = renameIfAbsent(tmpName, target)
		}
	} else {
		err = os.Rename(tmpName, target)
	}
	if err != nil {
		return "", err // an *os.LinkError names both paths
	}
	placed = true
	// The new file is in place; a failed directory sync only weakens
	// durability across a crash: report it, remove nothing.
	if err := syncDir(dir); err != nil {
		return target, fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return target, nil
}

// Resolve returns the file path leads to when path is a symbolic link (or
// has one among its parents), and path itself when it is not a link, does
// not exist, or is a link whose target does not exist (which WriteFile then
// replaces). It never fails: mfa/credfile has always written this way.
func Resolve(path string) string {
	if t, err := filepath.EvalSymlinks(path); err == nil {
		return t
	}
	return path
}

// renameIfAbsent renames tmp to target unless target exists: NoReplace
// where hard links are not available.
func renameIfAbsent(tmp, target string) error {
	if _, err := os.Lstat(target); err == nil {
		return &fs.PathError{Op: "create", Path: target, Err: fs.ErrExist}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.Rename(tmp, target)
}

// syncDir makes a rename in dir durable. File systems that cannot sync a
// directory (EINVAL) are not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
