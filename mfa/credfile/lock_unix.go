//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package credfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lock takes an exclusive flock on path, creating it with mode 0600. With a
// context that can be cancelled it polls, so that cancellation is honoured.
func lock(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("credfile: lock: %w", err)
	}
	fd := int(f.Fd())
	if ctx.Done() == nil {
		for {
			err = syscall.Flock(fd, syscall.LOCK_EX)
			if !errors.Is(err, syscall.EINTR) {
				break
			}
		}
	} else {
		err = pollLock(ctx, fd)
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("credfile: lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}

func pollLock(ctx context.Context, fd int) error {
	wait := time.Millisecond
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 25*time.Millisecond)
	}
}
