package atomicfile

import (
	"path/filepath"
	"strings"
)

// tempInfix marks WriteFile's temporary files: ".NAME.iamkit-tmp-RANDOM"
// beside the file NAME, so that one left by a killed writer is recognised
// for what it is (a full copy of the file) and can be removed.
const tempInfix = ".iamkit-tmp-"

// TempPattern is the os.CreateTemp pattern of WriteFile's temporary file
// for target: ".BASE.iamkit-tmp-*", in target's directory.
func TempPattern(target string) string { return "." + filepath.Base(target) + tempInfix + "*" }

// IsTemp reports whether name, a base name in target's directory, is one
// of WriteFile's temporary files for target.
func IsTemp(target, name string) bool {
	rest, ok := strings.CutPrefix(name, "."+filepath.Base(target)+tempInfix)
	return ok && rest != "" && !strings.ContainsRune(rest, filepath.Separator)
}

// BeforeRename sets a hook WriteFile calls with the temporary file's path
// once it is written, synced and closed, just before it is moved into
// place; an error from the hook aborts the write (the temporary file is
// removed, the target untouched). It lets tests interrupt a writer at its
// most delicate moment (and kill it there).
func BeforeRename(hook func(tmp string) error) Option {
	return func(o *options) { o.beforeRename = hook }
}
