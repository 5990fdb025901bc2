package credfile

import (
	"os"
	"path/filepath"

	"github.com/iamkit/iamkit/internal/atomicfile"
)

// removeStale removes the temporary files a killed writer left beside
// target (".credentials.iamkit-tmp-*": each a full copy of the file, session
// tokens included) and returns their paths. It runs under the lock, so no
// other locking writer is mid-update; it removes only regular files with
// that name which belong to this process's user (ownedByUs). Best effort:
// a file it cannot remove is left for the next writer.
func removeStale(target string) []string {
	dir := filepath.Dir(target)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !atomicfile.IsTemp(target, e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() || !ownedByUs(fi) {
			continue
		}
		if os.Remove(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}
