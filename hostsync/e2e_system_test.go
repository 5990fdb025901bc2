//go:build linux

package hostsync_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/iamkittest"
)

// TestE2ESystem runs iamkittest.TestSystem against the real
// hostsync.Linux — useradd, usermod, userdel, groupadd, pkill, visudo —
// in the end-to-end mount namespace (see TestE2ESSHLogin): TestSystem
// creates and deletes users, so it never runs on the machine's own /etc.
// The parent checks afterwards that the machine's account databases and
// sudoers drop-ins did not change.
func TestE2ESystem(t *testing.T) {
	if e2eChild(t.Name()) {
		e2eSystemChild(t)
		return
	}
	e2ePrereqs(t, hostsync.DefaultVisudo, "/usr/bin/pkill")
	out := runE2EChild(t, 60*time.Second)
	for _, sub := range []string{"Linux", "LinuxObserved", "RenameKeepsHome", "AdoptAWSEC2SSHSudoers"} {
		assert.Contains(t, out, "--- PASS: "+t.Name()+"/"+sub)
	}
}

// observedLinux is hostsync.Linux with the two read-only methods
// TestSystem uses when a System has them: Shell (the login shell, from
// /etc/passwd), so the check covers Lock's nologin, and LastSync (the key
// cache's heartbeat), so it covers MarkSynced's time.
type observedLinux struct {
	*hostsync.Linux
	cache hostsync.KeyCache
	procs *userProcs
}

// userProcs are processes started as test users (StartSession), so that
// TestSystem checks that Rename refuses a user with running processes.
type userProcs struct {
	mu   sync.Mutex
	done map[string][]chan struct{}
}

// StartSession starts "sleep 600" as the user, which EndSessions kills.
func (o observedLinux) StartSession(name string) {
	u, err := o.LookupUser(context.Background(), name)
	if err != nil {
		return
	}
	cmd := exec.Command("/bin/sleep", "600")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(u.UID), Gid: uint32(u.UID)}}
	if cmd.Start() != nil {
		return
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	o.procs.mu.Lock()
	o.procs.done[name] = append(o.procs.done[name], done)
	o.procs.mu.Unlock()
}

// EndSessions ends the sessions with Linux, then waits until the processes
// StartSession started are reaped, so that none is left as a zombie.
func (o observedLinux) EndSessions(ctx context.Context, name string) error {
	err := o.Linux.EndSessions(ctx, name)
	o.procs.mu.Lock()
	done := o.procs.done[name]
	delete(o.procs.done, name)
	o.procs.mu.Unlock()
	for _, d := range done {
		select {
		case <-d:
		case <-time.After(10 * time.Second):
			return errors.New("a process of the user outlived EndSessions")
		}
	}
	return err
}

func (o observedLinux) LastSync() (time.Time, error) { return o.cache.LastSync() }

func (o observedLinux) Shell(name string) string {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Split(sc.Text(), ":"); len(fields) == 7 && fields[0] == name {
			return fields[6]
		}
	}
	return ""
}

// lockedBuffer is a bytes.Buffer safe for concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// e2eSystemChild is TestE2ESystem proper, run in the child.
func e2eSystemChild(t *testing.T) {
	enterE2ENamespace(t)
	// The namespace's /etc is a copy: where sudo is installed it has
	// sudoers.d already; Linux needs the directory for GrantSudo.
	require.NoError(t, os.MkdirAll("/etc/sudoers.d", 0o755))

	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(io.MultiWriter(testWriter{t}, &logs), &slog.HandlerOptions{Level: slog.LevelInfo}))
	sd := hostsync.StateDir{Root: e2eStateDir}
	passwdBefore := readFile(t, "/etc/passwd")

	t.Run("Linux", func(t *testing.T) {
		iamkittest.TestSystem(t, sd.Linux(hostsync.DefaultConfig(), log))
	})
	t.Run("LinuxObserved", func(t *testing.T) {
		iamkittest.TestSystem(t, observedLinux{Linux: sd.Linux(hostsync.DefaultConfig(), log), cache: sd.KeyCache(), procs: &userProcs{done: map[string][]chan struct{}{}}})
		last, err := sd.KeyCache().LastSync()
		require.NoError(t, err, "a state directory without a heartbeat is left with one")
		assert.Greater(t, time.Since(last), hostsync.DefaultMaxCacheAge, "so old that the key cache does not trust it")
	})
	t.Run("AdoptAWSEC2SSHSudoers", func(t *testing.T) { e2eAdoptSudo(t, sd, log) })
	t.Run("RenameBusy", func(t *testing.T) { e2eRenameBusy(t, sd, log) })

	t.Run("RenameKeepsHome", func(t *testing.T) {
		ctx := context.Background()
		sys := sd.Linux(hostsync.DefaultConfig(), log)
		old, name, uid := iamkittest.TestSystemUserPrefix+"rn1", iamkittest.TestSystemUserPrefix+"rn2", iamkittest.TestSystemUIDBase+999
		require.NoError(t, sys.CreateUser(ctx, old, uid, []string{iamkittest.TestSystemMarkerGroup}))
		require.NoError(t, os.WriteFile("/home/"+old+"/notes.txt", []byte("kept"), 0o600))
		require.NoError(t, sys.Rename(ctx, old, name))
		data, err := os.ReadFile("/home/" + name + "/notes.txt")
		require.NoError(t, err, "the home moved with its files")
		assert.Equal(t, "kept", string(data))
		assert.NoDirExists(t, "/home/"+old)
		fi, err := os.Stat("/home/" + name)
		require.NoError(t, err)
		assert.Equal(t, uint32(uid), fi.Sys().(*syscall.Stat_t).Uid, "the home is still the user's")
		group := readFile(t, "/etc/group")
		assert.Contains(t, group, "\n"+name+":", "the user's own primary group is renamed")
		assert.NotContains(t, group, "\n"+old+":")
		u, err := sys.LookupUser(ctx, name)
		require.NoError(t, err)
		assert.Equal(t, uid, u.UID)
		require.NoError(t, sys.Delete(ctx, name))
	})

	// The real tools ran, and TestSystem cleaned up after itself: its
	// users are gone with their homes, key cache entries and drop-ins (its
	// groups stay, as its doc says).
	for _, tool := range []string{"groupadd ", "useradd ", "usermod -a -G ", "usermod -L -e 1 ", "usermod -e  -s ", "pkill -HUP -u ", "pgrep -u ", "visudo -cf ", "userdel ", "usermod -l ", "groupmod -n "} {
		ran := regexp.MustCompile(`cmd="(\S*/)?` + regexp.QuoteMeta(tool))
		assert.True(t, ran.MatchString(logs.String()), "Linux ran %s", tool)
	}
	passwdAfter := readFile(t, "/etc/passwd")
	assert.Equal(t, passwdBefore, passwdAfter, "the namespace's /etc/passwd is as before: the test users are deleted")
	assert.NotContains(t, passwdAfter, "\n"+iamkittest.TestSystemUserPrefix)
	assert.Contains(t, readFile(t, "/etc/group"), "\n"+iamkittest.TestSystemMarkerGroup+":")
	for _, pattern := range []string{"/home/" + iamkittest.TestSystemUserPrefix + "*", "/etc/sudoers.d/*" + iamkittest.TestSystemUserPrefix + "*", filepath.Join(sd.KeyCacheDir(), iamkittest.TestSystemUserPrefix+"*")} {
		left, err := filepath.Glob(pattern)
		require.NoError(t, err)
		assert.Empty(t, left, "nothing of the test users is left (%s)", pattern)
	}
}
