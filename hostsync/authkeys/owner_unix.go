//go:build unix

package authkeys

import (
	"io/fs"
	"syscall"
)

// oNoFollow is O_NOFOLLOW: opening a symlink fails.
const oNoFollow = syscall.O_NOFOLLOW

// fileOwner returns the UID that owns a file.
func fileOwner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
