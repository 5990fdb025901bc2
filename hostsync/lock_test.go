//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package hostsync_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/testenv"
)

func TestAcquireLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sync.lock")
	release, err := hostsync.AcquireLock(path)
	require.NoError(t, err)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(os.Getpid())+"\n", string(data), "the holder's PID is recorded")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	_, err = hostsync.AcquireLock(path)
	require.ErrorIs(t, err, hostsync.ErrLocked)
	var le *hostsync.LockedError
	require.True(t, errors.As(err, &le))
	assert.Equal(t, os.Getpid(), le.PID)
	assert.Contains(t, err.Error(), "another sync is running (pid "+strconv.Itoa(os.Getpid())+",")

	require.NoError(t, release())
	require.NoError(t, release(), "release is idempotent")

	release2, err := hostsync.AcquireLock(path)
	require.NoError(t, err, "free again after release")
	require.NoError(t, release2())
	_, err = os.Stat(path)
	assert.NoError(t, err, "the lock file stays")
}

func TestAcquireLockRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	require.NoError(t, os.WriteFile(target, []byte("precious\n"), 0o644))
	link := filepath.Join(dir, "sync.lock")
	require.NoError(t, os.Symlink(target, link))
	_, err := hostsync.AcquireLock(link)
	require.Error(t, err)
	data, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "precious\n", string(data))
}

func TestAcquireLockOtherProcess(t *testing.T) {
	flock, err := exec.LookPath("flock")
	if err != nil {
		testenv.Skip(t, "flock(1) not installed (util-linux)")
	}
	path := filepath.Join(t.TempDir(), "sync.lock")
	// Another process holds the lock, then dies: the kernel frees the lock.
	cmd := exec.Command(flock, "--exclusive", "--close", path, "sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	killAll := func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() }
	t.Cleanup(killAll)
	require.Eventually(t, func() bool {
		release, err := hostsync.AcquireLock(path)
		if err == nil {
			_ = release() // flock(1) has not got it yet
		}
		return errors.Is(err, hostsync.ErrLocked)
	}, 5*time.Second, 10*time.Millisecond)
	_, err = hostsync.AcquireLock(path)
	assert.True(t, strings.HasPrefix(err.Error(), "hostsync: another sync is running"), err.Error())

	killAll()
	// The kernel drops the lock once the killed holder's descriptors are
	// closed, which a loaded machine may take a moment to finish.
	var release func() error
	require.Eventually(t, func() bool {
		release, err = hostsync.AcquireLock(path)
		return err == nil
	}, 10*time.Second, 10*time.Millisecond, "a dead holder leaves no stale lock")
	require.NoError(t, release())
}
