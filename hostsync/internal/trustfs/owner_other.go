//go:build !unix

package trustfs

import "io/fs"

// ONoFollow is 0 where the system has no O_NOFOLLOW.
const ONoFollow = 0

// FileOwner cannot tell a file's owner on this system: the key cache, which
// must be root-owned, refuses to work.
func FileOwner(fs.FileInfo) (int, bool) { return 0, false }
