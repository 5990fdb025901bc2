// Package trustfs opens and reads the root-owned files hostsync trusts (the
// key cache, the state file, the sudoers drop-ins) without following a
// symlink and only after checking owner and mode. hostsync and
// hostsync/authkeys (hostsync-keys's read path) share it; it imports only
// what hostsync-keys may link.
package trustfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/iamkit/iamkit/hostsync/internal/hserr"
)

// ErrUnsafe is hostsync.ErrUnsafeCache: a path is a symlink, not
// root-owned, group- or world-writable, or not a regular file or directory.
var ErrUnsafe = errors.New("hostsync: unsafe path")

func unsafe(format string, args ...any) error {
	return hserr.Errorf("%w: %s", ErrUnsafe, fmt.Sprintf(format, args...))
}

// Check checks that fi (from Lstat) is a root-owned directory (wantDir) or
// regular file that neither group nor others may write.
func Check(path string, fi fs.FileInfo, wantDir bool) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return unsafe("%s is a symlink", path)
	case wantDir && !fi.IsDir():
		return unsafe("%s is not a directory", path)
	case !wantDir && !fi.Mode().IsRegular():
		return unsafe("%s is not a regular file", path)
	case fi.Mode().Perm()&0o022 != 0:
		return unsafe("%s is group- or world-writable (mode %04o)", path, fi.Mode().Perm())
	}
	uid, ok := FileOwner(fi)
	if !ok {
		return unsafe("%s: cannot tell the owner of files on this system", path)
	}
	if uid != 0 {
		return unsafe("%s is owned by UID %d, not root", path, uid)
	}
	return nil
}

// OpenDir opens dir after checking it (Check), and checks that the
// directory opened is the one checked. A missing directory is an error
// wrapping fs.ErrNotExist.
func OpenDir(dir string) (*os.Root, error) {
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	if err := Check(dir, fi, true); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if opened, err := root.Stat("."); err != nil || !os.SameFile(fi, opened) {
		root.Close()
		return nil, unsafe("%s changed while it was opened", dir)
	}
	return root, nil
}

// ReadFile reads the file name of root without following a symlink, after
// Check; a missing file is (nil, nil). A file larger than limit is an error
// wrapping tooLarge.
func ReadFile(root *os.Root, name string, limit int64, tooLarge error) ([]byte, error) {
	path := filepath.Join(root.Name(), name)
	fi, err := root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := Check(path, fi, false); err != nil {
		return nil, err
	}
	f, err := root.OpenFile(name, os.O_RDONLY|ONoFollow, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if opened, err := f.Stat(); err != nil || !os.SameFile(fi, opened) {
		return nil, unsafe("%s changed while it was opened", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, hserr.Errorf("%w: %s is larger than %d bytes", tooLarge, path, limit)
	}
	return data, nil
}
