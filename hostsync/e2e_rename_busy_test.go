//go:build linux

package hostsync_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/iamkittest"
)

// e2eRenameBusy runs in TestE2ESystem's namespace: the real usermod refuses
// to rename a user with a running process (exit code 8), which Linux.Rename
// reports as ErrUserBusy with the account left exactly as it was; once the
// process is gone the rename goes through.
func e2eRenameBusy(t *testing.T, sd hostsync.StateDir, log *slog.Logger) {
	ctx := context.Background()
	sys := sd.Linux(hostsync.DefaultConfig(), log)
	old, name, uid := iamkittest.TestSystemUserPrefix+"rb1", iamkittest.TestSystemUserPrefix+"rb2", iamkittest.TestSystemUIDBase+998
	require.NoError(t, sys.CreateUser(ctx, old, uid, []string{iamkittest.TestSystemMarkerGroup}))
	t.Cleanup(func() {
		for _, n := range []string{old, name} {
			if _, err := sys.LookupUser(ctx, n); err == nil {
				assert.NoError(t, sys.Delete(ctx, n))
			}
		}
	})
	before, err := sys.LookupUser(ctx, old)
	require.NoError(t, err)
	passwd := readFile(t, "/etc/passwd")

	// A process of the user, as an open SSH session would leave.
	sleep := exec.Command("/bin/sleep", "60")
	sleep.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	require.NoError(t, sleep.Start())
	waited := false
	t.Cleanup(func() {
		if !waited {
			_ = sleep.Process.Kill()
			_ = sleep.Wait()
		}
	})

	err = sys.Rename(ctx, old, name)
	require.ErrorIs(t, err, hostsync.ErrUserBusy, "usermod refuses while the user has a process")
	assert.Equal(t, passwd, readFile(t, "/etc/passwd"), "nothing changed")
	after, err := sys.LookupUser(ctx, old)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	assert.DirExists(t, "/home/"+old)
	assert.Nil(t, sleep.ProcessState, "the rename ended no process")

	require.NoError(t, sleep.Process.Kill())
	_ = sleep.Wait()
	waited = true
	require.NoError(t, sys.Rename(ctx, old, name), "retried once the process is gone")
	u, err := sys.LookupUser(ctx, name)
	require.NoError(t, err)
	assert.Equal(t, uid, u.UID)
	_, err = os.Stat("/home/" + name)
	assert.NoError(t, err, "the home moved")
}
