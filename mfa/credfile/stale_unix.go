//go:build unix

package credfile

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedByUs reports whether fi's file belongs to the process's effective
// user.
func ownedByUs(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
