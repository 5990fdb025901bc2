//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package credfile

import (
	"context"
	"errors"
)

// lock is not implemented on this platform: Update refuses rather than
// editing without a lock.
func lock(context.Context, string) (func(), error) {
	return nil, errors.New("credfile: file locking is not supported on this platform")
}
