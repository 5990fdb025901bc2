package hostsync

import (
	"errors"
	"fmt"
)

// DefaultLockFile is where a host sync takes its lock by default.
const DefaultLockFile = "/run/iamkit-hostsync.lock"

// ErrLocked is wrapped by AcquireLock's error when another process holds
// the lock.
var ErrLocked = errors.New("hostsync: another sync is running")

// LockedError is AcquireLock's error when another process holds the lock.
// It wraps ErrLocked.
type LockedError struct {
	// Path is the lock file.
	Path string
	// PID is the process ID the holder wrote into the lock file; 0 when
	// unknown.
	PID int
}

// Error implements error.
func (e *LockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("hostsync: another sync is running (pid %d, lock %s)", e.PID, e.Path)
	}
	return fmt.Sprintf("hostsync: another sync is running (lock %s)", e.Path)
}

// Unwrap returns ErrLocked.
func (e *LockedError) Unwrap() error { return ErrLocked }

// AcquireLock takes the exclusive, non-blocking lock that keeps two syncs
// from running at once on a host: flock(2) on path, created (mode 0600) if
// missing, never through a symlink. The holder's process ID is written into
// the file for the error message of whoever comes second, which is a
// *LockedError wrapping ErrLocked ("another sync is running (pid N)").
//
// The lock belongs to the open file, not the process: it is released by
// release, or by the kernel when the process exits however it exits, so a
// crashed sync never leaves a stale lock behind. The file itself is left in
// place (removing it would let two processes lock two different files).
// Two AcquireLock calls in one process exclude each other too.
func AcquireLock(path string) (release func() error, err error) {
	if path == "" {
		path = DefaultLockFile
	}
	return acquireLock(path)
}
