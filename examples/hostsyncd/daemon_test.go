package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/internal/fakes"
)

// world is a daemon wired to one fake account and one fake host, with a
// fake timer: no test sleeps.
type world struct {
	t    *testing.T
	acct *fakes.Account
	host *fakes.Host

	mu       sync.Mutex
	cfg      hostsync.Config
	cfgErr   error
	loads    int
	resolves int
	iamBuilt int
	tags     map[string]string
	tagErr   error
	locks    int
	held     bool
	delays   []time.Duration
	onAfter  func(n int) <-chan time.Time // the n-th wait (1-based)
	wrap     func(hostsync.Source) hostsync.Source

	hup, stop chan os.Signal
	logs      bytes.Buffer
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{
		t:    t,
		acct: fakes.NewAccount(),
		host: fakes.NewHost(),
		cfg:  hostsync.Config{AuthorizedGroups: []string{"devs"}, SudoersGroups: []string{"ops"}},
		hup:  make(chan os.Signal, 1),
		stop: make(chan os.Signal, 2),
	}
	w.group("devs")
	w.group("ops")
	w.user("alice", "devs")
	w.user("bob", "ops")
	w.acct.ResetCalls()
	return w
}

func (w *world) group(name string) {
	w.t.Helper()
	_, err := w.acct.IAM().CreateGroup(context.Background(), &iam.CreateGroupInput{GroupName: aws.String(name)})
	require.NoError(w.t, err)
}

// user creates an IAM user in group with one fresh ed25519 SSH key.
func (w *world) user(name, group string) {
	w.t.Helper()
	ctx := context.Background()
	api := w.acct.IAM()
	_, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	require.NoError(w.t, err)
	_, err = api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(name), GroupName: aws.String(group)})
	require.NoError(w.t, err)
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(w.t, err)
	k, err := ssh.NewPublicKey(pub)
	require.NoError(w.t, err)
	_, err = api.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{
		UserName: aws.String(name), SSHPublicKeyBody: aws.String(string(ssh.MarshalAuthorizedKey(k))),
	})
	require.NoError(w.t, err)
}

func (w *world) daemon(once bool) *daemon {
	return &daemon{
		interval: 10 * time.Minute,
		jitter:   0.1,
		once:     once,
		log:      slog.New(slog.NewJSONHandler(&w.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		loadConfig: func(context.Context) (hostsync.Config, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.loads++
			return w.cfg, w.cfgErr
		},
		resolve: func(_ context.Context, cfg hostsync.Config) (hostsync.Config, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.resolves++
			if w.tagErr != nil {
				return cfg, w.tagErr
			}
			return hostsync.ResolveTags(cfg, w.tags)
		},
		newIAM: func(context.Context, hostsync.Config) (iamsource.IAMAPI, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.iamBuilt++
			return w.acct.IAM(), nil
		},
		newSource: func(api iamsource.IAMAPI, cfg hostsync.Config) hostsync.Source {
			var src hostsync.Source = iamsource.NewIAMSource(api, cfg)
			if w.wrap != nil {
				src = w.wrap(src)
			}
			return src
		},
		newSystem: func(hostsync.Config) hostsync.System { return w.host },
		lock: func() (func() error, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			require.False(w.t, w.held, "two syncs at once")
			w.locks++
			w.held = true
			return func() error {
				w.mu.Lock()
				defer w.mu.Unlock()
				w.held = false
				return nil
			}, nil
		},
		clock: w.acct.Clock(),
		after: func(d time.Duration) <-chan time.Time {
			w.delays = append(w.delays, d)
			if w.onAfter != nil {
				return w.onAfter(len(w.delays))
			}
			w.stop <- syscall.SIGTERM
			return nil
		},
		rand: func() float64 { return 0.5 },
		hup:  w.hup,
		stop: w.stop,
	}
}

// marks counts the heartbeats hostsync.Sync recorded on the host.
func (w *world) marks() int { return w.host.Calls("MarkSynced") }

func (w *world) run(d *daemon) int {
	w.t.Helper()
	done := make(chan int, 1)
	go func() { done <- d.run(context.Background()) }()
	select {
	case code := <-done:
		return code
	case <-time.After(30 * time.Second):
		w.t.Fatal("the daemon did not return")
		return -1
	}
}

// managed returns the managed users on the host with their key IDs.
func (w *world) managed() map[string]int {
	out := map[string]int{}
	for _, u := range w.host.Users() {
		if u.MemberOf(hostsync.DefaultMarkerGroup) && !u.Locked {
			out[u.Name] = len(w.host.Keys(u.Name))
		}
	}
	return out
}

// messages returns the "msg" of every JSON log record, checking each line
// is one JSON object.
func (w *world) messages() []string {
	w.t.Helper()
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(w.logs.String()), "\n") {
		var rec map[string]any
		require.NoError(w.t, json.Unmarshal([]byte(line), &rec), line)
		msgs = append(msgs, rec["msg"].(string))
	}
	return msgs
}

func fired() <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- time.Time{}
	return ch
}

func TestOnce(t *testing.T) {
	w := newWorld(t)
	require.Equal(t, exitOK, w.run(w.daemon(true)))
	assert.Equal(t, map[string]int{"alice": 1}, w.managed())
	assert.Equal(t, 1, w.locks)
	assert.False(t, w.held, "the lock is released")
	assert.Equal(t, 1, w.marks(), "a successful sync is recorded in the key cache")
	last, ok := w.host.LastSync()
	require.True(t, ok)
	assert.True(t, last.Equal(w.acct.Clock().Now()), "the heartbeat is the daemon's clock's time")
	assert.Empty(t, w.delays, "--once never waits")
	assert.Contains(t, w.messages(), "hostsyncd: sync succeeded")

	// The next run finds nothing to do.
	writes := w.host.Writes()
	require.Equal(t, exitOK, w.run(w.daemon(true)))
	assert.Equal(t, writes, w.host.Writes())
}

func TestOnceSourceFailureDeletesNothing(t *testing.T) {
	w := newWorld(t)
	require.Equal(t, exitOK, w.run(w.daemon(true)))
	require.Equal(t, map[string]int{"alice": 1}, w.managed())

	w.acct.Throttle("iam:ListSSHPublicKeys", 0)
	w.logs.Reset()
	assert.Equal(t, exitFailed, w.run(w.daemon(true)))
	assert.Equal(t, map[string]int{"alice": 1}, w.managed(), "an unknown source changes nothing")
	assert.Equal(t, 1, w.marks(), "a failed sync is not recorded as a sync")
	assert.Contains(t, w.messages(), "hostsyncd: sync failed")
	assert.False(t, w.held)
}

func TestOnceDoNotSync(t *testing.T) {
	w := newWorld(t)
	w.cfg.DoNotSync = true
	assert.Equal(t, exitOK, w.run(w.daemon(true)))
	assert.Empty(t, w.managed())
	assert.Zero(t, w.acct.CallsWithPrefix("iam:"), "DONOTSYNC costs no IAM call")
	assert.Zero(t, w.marks())
	assert.Contains(t, w.messages(), "hostsyncd: DONOTSYNC is set in the configuration: nothing was synced")
}

func TestConfigErrorAtStart(t *testing.T) {
	for _, once := range []bool{true, false} {
		w := newWorld(t)
		w.cfgErr = errors.New("/etc/aws-ec2-ssh.conf: line 3: unknown key")
		assert.Equal(t, exitUsage, w.run(w.daemon(once)))
		assert.Zero(t, w.locks)
		assert.Zero(t, w.acct.CallsWithPrefix("iam:"))
		assert.Contains(t, w.logs.String(), "line 3: unknown key")
	}
}

// TestConfigWarningsAreLogged: an unknown key is logged as a warning
// naming it, and the sync runs.
func TestConfigWarningsAreLogged(t *testing.T) {
	w := newWorld(t)
	cfg, err := hostsync.ParseConfig([]byte("IAM_AUTHORIZED_GROUPS=devs\nSUDOER_GROUPS=ops\n"))
	require.NoError(t, err)
	w.cfg.Warnings = cfg.Warnings
	assert.Equal(t, exitOK, w.run(w.daemon(true)))
	assert.Contains(t, w.logs.String(), `"level":"WARN","msg":"hostsyncd: configuration: unknown key ignored (--strict refuses it)","key":"SUDOER_GROUPS","line":2`)
	assert.Equal(t, 1, w.locks, "the sync ran")
}

func TestLockBusy(t *testing.T) {
	w := newWorld(t)
	d := w.daemon(true)
	d.lock = func() (func() error, error) { return nil, errors.New("another sync holds /var/lib/iamkit/sync.lock") }
	assert.Equal(t, exitFailed, w.run(d))
	assert.Zero(t, w.acct.CallsWithPrefix("iam:"))
	assert.Contains(t, w.logs.String(), "taking the sync lock: another sync holds")
}

func TestIntervalWithJitter(t *testing.T) {
	w := newWorld(t)
	d := w.daemon(false)
	rands := []float64{0, 0.5, 0.999999}
	d.rand = func() float64 { r := rands[0]; rands = rands[1:]; return r }
	w.onAfter = func(n int) <-chan time.Time {
		if n == 3 {
			w.stop <- syscall.SIGTERM
			return nil
		}
		return fired()
	}
	require.Equal(t, exitOK, w.run(d))
	assert.Equal(t, 3, w.locks, "a sync at start, then one per interval")
	require.Len(t, w.delays, 3)
	assert.Equal(t, 9*time.Minute, w.delays[0])
	assert.Equal(t, 10*time.Minute, w.delays[1])
	assert.InDelta(t, float64(11*time.Minute), float64(w.delays[2]), float64(time.Second))
	assert.Equal(t, 3, w.marks())
	assert.Equal(t, 1, w.loads, "the configuration is read once without SIGHUP")
	assert.Equal(t, 1, w.iamBuilt, "one IAM client for every sync")
}

func TestTagsAreReadBeforeEverySync(t *testing.T) {
	w := newWorld(t)
	w.cfg = hostsync.Config{AuthorizedGroupsTag: "ssh-groups"}
	w.tags = map[string]string{"ssh-groups": "devs"}
	d := w.daemon(false)
	w.onAfter = func(n int) <-chan time.Time {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch n {
		case 1:
			assert.Equal(t, map[string]int{"alice": 1}, w.managed())
			w.tags = map[string]string{"ssh-groups": "devs,ops"} // the instance's tag changes: no SIGHUP
		case 2:
			assert.Equal(t, map[string]int{"alice": 1, "bob": 1}, w.managed(), "the new tag applies at the next sync")
			w.tagErr = errors.New("instance metadata unreachable")
		case 3:
			w.stop <- syscall.SIGTERM
			return nil
		}
		return fired()
	}
	require.Equal(t, exitOK, w.run(d))
	assert.Equal(t, map[string]int{"alice": 1, "bob": 1}, w.managed(), "a failed tag read changes nothing")
	assert.Equal(t, 2, w.marks())
	assert.Contains(t, w.logs.String(), "nothing changed: EC2 tags: instance metadata unreachable")
	assert.Equal(t, 1, w.loads)
	assert.Equal(t, 1, w.iamBuilt)
	assert.Equal(t, 3, w.resolves, "before each of the three syncs")
}

func TestTagProblems(t *testing.T) {
	missing := fmt.Errorf("%w: IAM_AUTHORIZED_GROUPS_TAG names tag %q, which the instance does not carry", hostsync.ErrTagMissing, "ssh-groups")
	for _, c := range []struct {
		err  error
		want int
	}{
		{missing, exitUsage},
		{errors.New("instance metadata unreachable"), exitFailed},
	} {
		w := newWorld(t)
		w.cfg = hostsync.Config{AuthorizedGroupsTag: "ssh-groups"}
		w.tagErr = c.err
		assert.Equal(t, c.want, w.run(w.daemon(true)), "%v", c.err)
		assert.Empty(t, w.managed())
		assert.Zero(t, w.acct.CallsWithPrefix("iam:"))
	}

	// The daemon does not exit on a missing tag: it syncs once the
	// instance is tagged.
	w := newWorld(t)
	w.cfg = hostsync.Config{AuthorizedGroupsTag: "ssh-groups"}
	w.tagErr = missing
	d := w.daemon(false)
	w.onAfter = func(n int) <-chan time.Time {
		w.mu.Lock()
		defer w.mu.Unlock()
		if n == 2 {
			w.stop <- syscall.SIGTERM
			return nil
		}
		w.tagErr, w.tags = nil, map[string]string{"ssh-groups": "devs"}
		return fired()
	}
	require.Equal(t, exitOK, w.run(d))
	assert.Equal(t, map[string]int{"alice": 1}, w.managed())
}

func TestDelay(t *testing.T) {
	cases := []struct {
		interval time.Duration
		jitter   float64
		rand     float64
		want     time.Duration
	}{
		{10 * time.Minute, 0.1, 0, 9 * time.Minute},
		{10 * time.Minute, 0.1, 0.5, 10 * time.Minute},
		{10 * time.Minute, 0.1, 0.75, 10*time.Minute + 30*time.Second},
		{10 * time.Minute, 0, 0.9, 10 * time.Minute},
		{time.Minute, 0.5, 0.25, 45 * time.Second},
		{time.Second, 0.9, 0, time.Second}, // never less than a second
	}
	for _, c := range cases {
		d := &daemon{interval: c.interval, jitter: c.jitter, rand: func() float64 { return c.rand }}
		assert.Equal(t, c.want, d.delay(), "%+v", c)
	}
}

func TestHUPReloadsAndSyncsNow(t *testing.T) {
	w := newWorld(t)
	d := w.daemon(false)
	w.onAfter = func(n int) <-chan time.Time {
		switch n {
		case 1:
			assert.Equal(t, map[string]int{"alice": 1}, w.managed())
			w.mu.Lock()
			w.cfg.AuthorizedGroups = []string{"devs", "ops"}
			w.mu.Unlock()
			w.hup <- syscall.SIGHUP
		case 2:
			assert.Equal(t, map[string]int{"alice": 1, "bob": 1}, w.managed(), "synced at once with the new configuration")
			u, ok := w.host.User("bob")
			assert.True(t, ok && u.Sudo, "bob is in ops, the sudoers group")
			w.mu.Lock()
			w.cfgErr = errors.New("line 1: syntax error")
			w.mu.Unlock()
			w.hup <- syscall.SIGHUP
		case 3:
			w.stop <- syscall.SIGTERM
		}
		return nil // the timer never fires: only the signals move the daemon on
	}
	require.Equal(t, exitOK, w.run(d))
	assert.Equal(t, 3, w.loads)
	assert.Equal(t, 2, w.iamBuilt, "a new IAM client for the reloaded configuration")
	assert.Equal(t, 3, w.locks, "a sync at start and one after each SIGHUP")
	assert.Equal(t, map[string]int{"alice": 1, "bob": 1}, w.managed(), "a bad reload keeps the previous configuration")
	msgs := w.messages()
	assert.Contains(t, msgs, "hostsyncd: SIGHUP: configuration reloaded")
	assert.Contains(t, msgs, "hostsyncd: SIGHUP: reloading the configuration failed; keeping the previous one")
	assert.Contains(t, w.logs.String(), "line 1: syntax error")
}

// stopDuring sends n stop signals while the source is being read, as a
// SIGTERM arriving in the middle of a sync; with wait, it then waits for the
// sync's context to end before reading.
type stopDuring struct {
	hostsync.Source
	stop chan<- os.Signal
	n    int
	wait bool
	t    *testing.T
}

func (s stopDuring) Desired(ctx context.Context) hostsync.Desired {
	for range s.n {
		s.stop <- syscall.SIGTERM
	}
	if s.wait {
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
			s.t.Error("the second signal did not cancel the sync")
		}
	}
	return s.Source.Desired(ctx)
}

func TestTERMFinishesTheCurrentSync(t *testing.T) {
	for _, once := range []bool{false, true} {
		w := newWorld(t)
		w.wrap = func(src hostsync.Source) hostsync.Source {
			return stopDuring{Source: src, stop: w.stop, n: 1, t: t}
		}
		require.Equal(t, exitOK, w.run(w.daemon(once)))
		assert.Equal(t, map[string]int{"alice": 1}, w.managed(), "the sync ran to its end")
		assert.Equal(t, 1, w.locks)
		assert.Empty(t, w.delays, "no wait after a stop")
		assert.Equal(t, 1, w.marks())
		assert.Contains(t, w.messages(), "hostsyncd: signal received: finishing the current sync, then exiting (send it again to abandon the sync)")
	}
}

func TestSecondSignalAbandonsTheSync(t *testing.T) {
	w := newWorld(t)
	w.wrap = func(src hostsync.Source) hostsync.Source {
		return stopDuring{Source: src, stop: w.stop, n: 2, wait: true, t: t}
	}
	assert.Equal(t, exitFailed, w.run(w.daemon(false)))
	assert.Empty(t, w.managed(), "the abandoned sync changed nothing")
	assert.Zero(t, w.marks())
	assert.False(t, w.held)
	assert.Contains(t, w.messages(), "hostsyncd: second signal: abandoning the current sync")
}

func TestTERMWhileWaiting(t *testing.T) {
	w := newWorld(t)
	require.Equal(t, exitOK, w.run(w.daemon(false))) // the default onAfter sends SIGTERM
	assert.Equal(t, 1, w.locks)
	assert.Len(t, w.delays, 1)
	assert.Contains(t, w.messages(), "hostsyncd: stopped")
}

func TestFailedSyncKeepsTheDaemonRunning(t *testing.T) {
	w := newWorld(t)
	w.acct.Throttle("iam:GetGroup", 1)
	d := w.daemon(false)
	w.onAfter = func(n int) <-chan time.Time {
		if n == 2 {
			w.stop <- syscall.SIGTERM
			return nil
		}
		assert.Empty(t, w.managed(), "the throttled sync changed nothing")
		return fired()
	}
	require.Equal(t, exitOK, w.run(d), "a failed sync is logged, not fatal, in daemon mode")
	assert.Equal(t, map[string]int{"alice": 1}, w.managed(), "the next sync succeeded")
	assert.Equal(t, 1, w.marks())
}

func TestDryRunChangesNothing(t *testing.T) {
	w := newWorld(t)
	d := w.daemon(true)
	d.dryRun = true
	require.Equal(t, exitOK, w.run(d))
	assert.Empty(t, w.managed())
	assert.Zero(t, w.host.Writes())
	assert.Zero(t, w.marks(), "a dry run is not a sync")
	assert.Contains(t, w.messages(), "hostsync: would run")
}
