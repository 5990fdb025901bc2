//go:build unix

package atomicfile

import (
	"io/fs"
	"os"
	"syscall"
)

// keepOwner gives tmp the owner and group of old when they differ from the
// process's; best effort.
func keepOwner(tmp *os.File, old fs.FileInfo) {
	if old == nil {
		return
	}
	if st, ok := old.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		_ = tmp.Chown(int(st.Uid), int(st.Gid))
	}
}
