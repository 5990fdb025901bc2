//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package hostsync

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

func acquireLock(path string) (func() error, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, errorf("opening lock file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = errors.New("not a regular file")
		}
		return nil, errorf("lock file %s: %w", path, err)
	}
	fd := int(f.Fd())
	for {
		err = syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			le := &LockedError{Path: path}
			if data, rerr := io.ReadAll(io.LimitReader(f, 32)); rerr == nil {
				le.PID, _ = strconv.Atoi(strings.TrimSpace(string(data)))
			}
			return nil, le
		}
		return nil, errorf("locking %s: %w", path, err)
	}
	// Record who holds it; a failure here does not matter for the lock.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	var once sync.Once
	var rerr error
	return func() error {
		once.Do(func() {
			_ = f.Truncate(0)
			uerr := syscall.Flock(fd, syscall.LOCK_UN)
			rerr = errors.Join(uerr, f.Close())
		})
		return rerr
	}, nil
}
