//go:build linux

package hostsync_test

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// liveSession is an SSH session held open by a long-running command.
type liveSession struct {
	client *ssh.Client
	done   chan error // the session's end: Wait's error
}

// startLiveSession logs in as user with key and runs a command that
// outlives any test step ("sleep 600"), returning once the command runs.
func startLiveSession(t *testing.T, addr string, hostKey ssh.PublicKey, user string, key ssh.Signer) *liveSession {
	t.Helper()
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(key)},
		HostKeyCallback: ssh.FixedHostKey(hostKey), Timeout: 10 * time.Second,
	})
	require.NoError(t, err, "the live session's login")
	t.Cleanup(func() { _ = c.Close() })
	sess, err := c.NewSession()
	require.NoError(t, err)
	out, err := sess.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, sess.Start("echo started; exec sleep 600"))
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "started", strings.TrimSpace(line))
	ls := &liveSession{client: c, done: make(chan error, 1)}
	go func() { ls.done <- sess.Wait() }()
	return ls
}

// requireEnded fails the test unless the session ends within timeout.
func (ls *liveSession) requireEnded(t *testing.T, timeout time.Duration, why string) {
	t.Helper()
	select {
	case err := <-ls.done:
		t.Logf("%s: the live session ended: %v", why, err)
	case <-time.After(timeout):
		t.Fatalf("%s: the live SSH session is still open after %s", why, timeout)
	}
}

// requireOpen fails the test if the session has ended.
func (ls *liveSession) requireOpen(t *testing.T, why string) {
	t.Helper()
	select {
	case err := <-ls.done:
		t.Fatalf("%s: the live session ended early: %v", why, err)
	default:
	}
}
