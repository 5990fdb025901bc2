//go:build unix

package trustfs

import (
	"io/fs"
	"syscall"
)

// ONoFollow is O_NOFOLLOW: opening a symlink fails. (os.Root resolves a
// symlink that stays inside the root by itself, so every open is also
// checked against what Lstat saw.)
const ONoFollow = syscall.O_NOFOLLOW

// FileOwner returns the UID that owns a file.
func FileOwner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
