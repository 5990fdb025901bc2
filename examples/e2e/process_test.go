package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// waitLimit bounds every wait for a long-running binary: to listen, to
// log something, to exit after a signal.
const waitLimit = 30 * time.Second

// pollEvery is how often a wait checks its condition again.
const pollEvery = 10 * time.Millisecond

// proc is a long-running binary (a server, a daemon) started by a test.
type proc struct {
	t       *testing.T
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
}

// start starts a built binary in w's environment (plus extra), with its
// stdout and stderr going to a log file. It is killed, if still running,
// when the test ends.
func (w *world) start(name string, extra map[string]string, args ...string) *proc {
	t := w.t
	t.Helper()
	p := &proc{t: t, name: name, logPath: filepath.Join(t.TempDir(), name+".log"), exited: make(chan struct{})}
	logFile, err := os.Create(p.logPath)
	require.NoError(t, err)
	defer logFile.Close()
	p.cmd = exec.Command(bin(t, name), args...)
	p.cmd.Env = w.environ(extra)
	p.cmd.Dir = w.home
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	require.NoError(t, p.cmd.Start())
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// logs returns what the process wrote so far.
func (p *proc) logs() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// waitUntil polls cond until it holds; it fails the test if the process
// exits first or waitLimit passes.
func (p *proc) waitUntil(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.After(waitLimit)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for !cond() {
		select {
		case <-p.exited:
			if cond() {
				return
			}
			p.t.Fatalf("%s exited (code %d) before %s\n%s", p.name, p.cmd.ProcessState.ExitCode(), what, p.logs())
		case <-deadline:
			p.t.Fatalf("%s: no %s after %s\n%s", p.name, what, waitLimit, p.logs())
		case <-tick.C:
		}
	}
}

// waitListening waits until addr accepts a TCP connection.
func (p *proc) waitListening(addr string) {
	p.t.Helper()
	p.waitUntil("listener on "+addr, func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		conn.Close()
		return true
	})
}

// waitLogged waits until the logs hold s at least n times.
func (p *proc) waitLogged(s string, n int) {
	p.t.Helper()
	p.waitUntil(strings.Repeat("'"+s+"' ", n)+"in the logs", func() bool { return strings.Count(p.logs(), s) >= n })
}

// signal sends sig to the process.
func (p *proc) signal(sig os.Signal) {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(sig))
}

// stop sends sig and waits for the process to exit; it returns the exit
// code and the logs.
func (p *proc) stop(sig os.Signal) (int, string) {
	p.t.Helper()
	p.signal(sig)
	select {
	case <-p.exited:
	case <-time.After(waitLimit):
		p.t.Fatalf("%s still running %s after %v\n%s", p.name, waitLimit, sig, p.logs())
	}
	return p.cmd.ProcessState.ExitCode(), p.logs()
}
