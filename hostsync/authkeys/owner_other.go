//go:build !unix

package authkeys

import "io/fs"

// oNoFollow is 0 where the system has no O_NOFOLLOW.
const oNoFollow = 0

// fileOwner cannot tell a file's owner on this system: the cache is refused.
func fileOwner(fs.FileInfo) (int, bool) { return 0, false }
