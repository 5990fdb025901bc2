//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package hostsync

import (
	"errors"
)

func acquireLock(path string) (func() error, error) {
	return nil, errorf("lock %s: %w", path, errors.ErrUnsupported)
}
