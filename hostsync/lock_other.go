//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package hostsync

import (
	"errors"
	"fmt"
)

func acquireLock(path string) (func() error, error) {
	return nil, fmt.Errorf("hostsync: lock %s: %w", path, errors.ErrUnsupported)
}
