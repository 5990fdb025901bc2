package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/fakes"
	"github.com/iamkit/iamkit/internal/testenv"
)

// hsEnv is the CLI's hostsync commands wired to the fake account and a fake
// host, with a state directory and a configuration file of their own.
type hsEnv struct {
	*env
	host     *fakes.Host
	hs       *hostsyncEnv
	stateDir string
	conf     string
	lockFile string
	tags     map[string]string
	tagCalls int
}

func newHostsyncEnv(t *testing.T, conf string) *hsEnv {
	t.Helper()
	e := newEnv(t)
	dir := t.TempDir()
	h := &hsEnv{
		env:      e,
		host:     fakes.NewHost(),
		stateDir: filepath.Join(dir, "state"),
		conf:     filepath.Join(dir, "aws-ec2-ssh.conf"),
		lockFile: filepath.Join(dir, "hostsync.lock"),
	}
	require.NoError(t, os.Mkdir(h.stateDir, 0o755))
	require.NoError(t, os.WriteFile(h.conf, []byte(conf), 0o644))
	h.hs = &hostsyncEnv{
		newIAM: func(context.Context, hostsync.Config) (hostsyncIAM, error) {
			e.iamBuilt++
			return e.acct.IAM(), nil
		},
		instanceTags: func(_ context.Context, keys []string) (map[string]string, error) {
			h.tagCalls++
			return h.tags, nil
		},
		newSystem: func(hostsync.Config, hostsync.StateDir, *slog.Logger) (hostsync.System, error) { return h.host, nil },
		lock:      hostsync.AcquireLock,
		managed: func(cfg hostsync.Config, _ string) func(string) (bool, error) {
			return func(name string) (bool, error) {
				u, ok := h.host.User(name)
				return ok && u.MemberOf(cfg.MarkerGroup), nil
			}
		},
		clock: e.acct.Clock(),
	}
	return h
}

// marks counts the heartbeats hostsync.Sync recorded on the host.
func (h *hsEnv) marks() int { return h.host.Calls("MarkSynced") }

// run runs "iamkit hostsync ARGS..." with the test environment.
func (h *hsEnv) run(args ...string) int {
	h.t.Helper()
	h.stdout.Reset()
	h.stderr.Reset()
	return h.a.exitCode(h.a.dispatch(context.Background(), hostsyncCommandWith(h.hs), "iamkit hostsync", args))
}

// sync runs plan or apply with the environment's files.
func (h *hsEnv) sync(cmd string, extra ...string) int {
	h.t.Helper()
	args := []string{cmd, "--config", h.conf, "--state-dir", h.stateDir}
	if cmd == "apply" {
		args = append(args, "--lock-file", h.lockFile)
	}
	return h.run(append(args, extra...)...)
}

// iamUser creates an IAM user in group with SSH keys and returns their IDs.
func (h *hsEnv) iamUser(name, group string, keys int) []string {
	h.t.Helper()
	ctx := context.Background()
	api := h.acct.IAM()
	_, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	require.NoError(h.t, err)
	if group != "" {
		_, err = api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(name), GroupName: aws.String(group)})
		require.NoError(h.t, err)
	}
	var ids []string
	for range keys {
		out, err := api.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String(name), SSHPublicKeyBody: aws.String(newKeyLine(h.t))})
		require.NoError(h.t, err)
		ids = append(ids, aws.ToString(out.SSHPublicKey.SSHPublicKeyId))
	}
	return ids
}

func newKeyLine(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	k, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + " user@laptop"
}

func (h *hsEnv) managedUsers() []string {
	var out []string
	for _, u := range h.host.Users() {
		if u.MemberOf(hostsync.DefaultMarkerGroup) {
			out = append(out, u.Name)
		}
	}
	return out
}

const devsConf = "IAM_AUTHORIZED_GROUPS=\"devs\"\nSUDOERS_GROUPS=\"ops\"\n"

func newHostsyncWorld(t *testing.T, conf string) *hsEnv {
	h := newHostsyncEnv(t, conf)
	h.createGroup("devs")
	h.createGroup("ops")
	h.iamUser("alice", "devs", 2)
	h.iamUser("bob", "ops", 1)
	h.acct.ResetCalls()
	return h
}

func TestHostsyncPlanChangesNothing(t *testing.T) {
	h := newHostsyncWorld(t, devsConf)
	require.Equal(t, exitOK, h.sync("plan"), h.stderr.String())
	out := h.stdout.String()
	assert.Contains(t, out, "hostsync plan: ")
	assert.Regexp(t, `create-user alice uid=\d+ groups=iam-synced-users`, out)
	assert.Contains(t, out, "write-keys alice keys=")
	assert.NotContains(t, out, "bob", "bob is in no authorized group")
	assert.Empty(t, h.managedUsers(), "a plan changes nothing")
	assert.Zero(t, h.host.Writes())
	assert.Zero(t, h.marks())
	assert.NoFileExists(t, h.lockFile, "a plan takes no lock")
	assert.NoFileExists(t, hostsync.StateDir{Root: h.stateDir}.KeyBodiesFile(), "a plan writes no cache")
	assert.Zero(t, h.tagCalls, "no tag is read when the configuration names none")
}

func TestHostsyncApply(t *testing.T) {
	h := newHostsyncWorld(t, devsConf)
	require.Equal(t, exitOK, h.sync("apply"), h.stderr.String())
	out := h.stdout.String()
	assert.Contains(t, out, "hostsync plan: ")
	assert.Contains(t, out, "hostsync apply: ")
	assert.Regexp(t, `done\s+create-user alice`, out)
	assert.Equal(t, []string{"alice"}, h.managedUsers())
	assert.Len(t, h.host.Keys("alice"), 2)
	assert.Equal(t, 1, h.marks(), "a successful sync is recorded in the key cache")
	assert.FileExists(t, hostsync.StateDir{Root: h.stateDir}.KeyBodiesFile())
	assert.Equal(t, 2, h.acct.Calls("iam:GetSSHPublicKey"))

	// Steady state: nothing to do, and no key body fetched again (the
	// bodies are cached in the state directory across runs).
	h.acct.ResetCalls()
	writes := h.host.Writes()
	require.Equal(t, exitOK, h.sync("apply"), h.stderr.String())
	assert.Equal(t, writes, h.host.Writes())
	assert.Zero(t, h.acct.Calls("iam:GetSSHPublicKey"))
	assert.Equal(t, 1, h.acct.Calls("iam:ListSSHPublicKeys"), "one call per user")
	assert.Equal(t, 2, h.marks())
}

func TestHostsyncApplySourceFailureChangesNothing(t *testing.T) {
	h := newHostsyncWorld(t, devsConf)
	require.Equal(t, exitOK, h.sync("apply"))
	require.Equal(t, []string{"alice"}, h.managedUsers())

	h.acct.Throttle("iam:GetGroup", 0)
	writes := h.host.Writes()
	assert.Equal(t, exitFailed, h.sync("apply"))
	assert.Contains(t, h.stdout.String(), "hostsync plan: no changes:")
	assert.Contains(t, h.stderr.String(), "iamkit hostsync apply: ")
	assert.Equal(t, writes, h.host.Writes(), "an unknown source changes nothing")
	assert.Len(t, h.host.Keys("alice"), 2, "keys stay")
	assert.Equal(t, 1, h.marks(), "a failed sync is not recorded")

	assert.Equal(t, exitFailed, h.sync("plan"), "plan fails the same way")
	assert.Contains(t, h.stdout.String(), "hostsync plan: no changes:")
}

func TestHostsyncApplyLockBusy(t *testing.T) {
	h := newHostsyncWorld(t, devsConf)
	release, err := hostsync.AcquireLock(h.lockFile)
	require.NoError(t, err)
	defer release()
	assert.Equal(t, exitFailed, h.sync("apply"))
	assert.Contains(t, h.stderr.String(), "taking the sync lock: hostsync: another sync is running")
	assert.Empty(t, h.managedUsers())
	assert.Zero(t, h.acct.CallsWithPrefix("iam:"), "no IAM call while another sync runs")
}

func TestHostsyncDoNotSync(t *testing.T) {
	h := newHostsyncWorld(t, "DONOTSYNC=1\n")
	for _, cmd := range []string{"plan", "apply"} {
		require.Equal(t, exitOK, h.sync(cmd), h.stderr.String())
		assert.Contains(t, h.stdout.String(), "no changes: hostsync: DONOTSYNC is set")
		assert.Zero(t, h.acct.CallsWithPrefix("iam:"))
	}
	assert.Zero(t, h.marks())
}

func TestHostsyncTags(t *testing.T) {
	h := newHostsyncWorld(t, "IAM_AUTHORIZED_GROUPS_TAG=ssh-groups\nSUDOERS_GROUPS_TAG=ssh-sudo\n")
	h.tags = map[string]string{"ssh-groups": "devs,ops", "ssh-sudo": "ops"}
	require.Equal(t, exitOK, h.sync("apply"), h.stderr.String())
	assert.Equal(t, 1, h.tagCalls)
	assert.ElementsMatch(t, []string{"alice", "bob"}, h.managedUsers())
	bob, _ := h.host.User("bob")
	assert.True(t, bob.Sudo)

	h.tags = map[string]string{"ssh-sudo": "ops"}
	assert.Equal(t, exitUsage, h.sync("plan"))
	assert.Contains(t, h.stderr.String(), `IAM_AUTHORIZED_GROUPS_TAG names tag "ssh-groups", which the instance does not carry`)
}

// TestHostsyncUnknownConfigKey: without --strict an unknown key is a
// warning naming it, and the sync runs.
func TestHostsyncUnknownConfigKey(t *testing.T) {
	h := newHostsyncWorld(t, "IAM_AUTHORIZED_GROUPS=devs\nSUDOER_GROUPS=ops # a typo\n")
	require.Equal(t, exitOK, h.sync("apply"), h.stderr.String())
	assert.Contains(t, h.stderr.String(), `level=WARN msg="hostsync: configuration: unknown key ignored (--strict refuses it)"`)
	assert.Contains(t, h.stderr.String(), "line=2 key=SUDOER_GROUPS")
	assert.NotEmpty(t, h.managedUsers(), "the sync ran")
}

func TestHostsyncUsageErrors(t *testing.T) {
	cases := []struct {
		conf *string // nil: no file
		args []string
		want string
	}{
		{args: []string{"plan", "extra"}, want: `unexpected argument "extra"`},
		{args: []string{"apply", "--bogus"}, want: "flag provided but not defined: -bogus"},
		{args: []string{"plan", "--lock-file", "x"}, want: "flag provided but not defined: -lock-file"},
		{conf: nil, args: []string{"plan"}, want: "does not exist (an empty file syncs every IAM user of the account)"},
		{conf: aws.String("SUDOER_GROUPS=admins\n"), args: []string{"apply", "--strict"}, want: "config line 1: SUDOER_GROUPS: unknown key"},
		{conf: aws.String("SUDOER_GROUPS=admins\n"), args: []string{"plan", "--strict"}, want: "config line 1: SUDOER_GROUPS: unknown key"},
		{conf: aws.String("IAM_AUTHORIZED_GROUPS=\"bad!group\"\n"), args: []string{"plan"}, want: "IAM_AUTHORIZED_GROUPS"},
		{args: []string{"keys"}, want: "missing the USER"},
		{args: []string{"keys", "a", "b", "c"}, want: `unexpected argument "c"`},
		{args: []string{"keys", "--max-age", "0s", "alice"}, want: "--max-age must be positive"},
		{args: []string{"keys", "--timeout", "-1s", "alice"}, want: "cannot be negative"},
		{args: []string{"keys", "--timeout", "0", "alice"}, want: "--timeout must be positive"},
		{args: []string{"keys", "alice", "SHA256:x", "--live-fallback"}, want: `unexpected argument "--live-fallback"`},
		{args: []string{"keys", "-rf"}, want: "flag provided but not defined: -rf"},
		{args: []string{"bogus"}, want: `unknown command "bogus"`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			h := newHostsyncWorld(t, "")
			switch {
			case c.conf != nil:
				require.NoError(t, os.WriteFile(h.conf, []byte(*c.conf), 0o644))
			case len(c.args) > 0 && c.args[0] != "keys" && strings.Contains(c.want, "does not exist"):
				require.NoError(t, os.Remove(h.conf))
			}
			args := c.args
			if args[0] == "plan" || args[0] == "apply" {
				args = append([]string{args[0], "--config", h.conf, "--state-dir", h.stateDir}, args[1:]...)
			}
			assert.Equal(t, exitUsage, h.run(args...))
			assert.Contains(t, h.stderr.String(), c.want)
			assert.Zero(t, h.iamBuilt, "a usage error builds no AWS client")
			assert.Empty(t, h.managedUsers())
		})
	}
}

func TestHostsyncHelp(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitOK, e.run("hostsync", "--help"))
	for _, w := range []string{"Usage: iamkit hostsync COMMAND", "plan", "apply", "keys", "aws-ec2-ssh"} {
		assert.Contains(t, e.stdout.String(), w)
	}
	require.Equal(t, exitOK, e.run("help", "hostsync", "keys"))
	for _, w := range []string{"Usage: iamkit hostsync keys [flags] USER [FINGERPRINT]", "AuthorizedKeysCommand /usr/local/bin/iamkit hostsync keys %u %f",
		"-live-fallback", "-timeout DURATION", "-max-age DURATION", "(default 2s)", "(default 24h0m0s)"} {
		assert.Contains(t, e.stdout.String(), w)
	}
	require.Equal(t, exitOK, e.run("hostsync", "apply", "-h"))
	assert.Contains(t, e.stdout.String(), "-lock-file FILE")
	assert.Contains(t, e.stdout.String(), "(default /run/iamkit-hostsync.lock)")
	assert.Zero(t, e.iamBuilt)
}

// ---- keys: the AuthorizedKeysCommand ----

// requireRoot skips tests of the real key cache, which must be root-owned.
func requireRoot(t testing.TB) {
	t.Helper()
	testenv.RequireRoot(t, "the key cache must be owned by root")
}

// cacheKeys syncs alice (2 keys) and bob into the host and writes their keys
// into a real key cache in the state directory, synced at the fake clock's
// now minus age.
func (h *hsEnv) cacheKeys(age time.Duration) hostsync.KeyCache {
	h.t.Helper()
	requireRoot(h.t)
	require.Equal(h.t, exitOK, h.sync("apply"), h.stderr.String())
	kc := hostsync.StateDir{Root: h.stateDir}.KeyCache()
	for _, u := range h.managedUsers() {
		_, err := kc.Write(u, h.host.Keys(u))
		require.NoError(h.t, err)
	}
	require.NoError(h.t, kc.MarkSynced(h.acct.Clock().Now().Add(-age)))
	h.acct.ResetCalls()
	h.iamBuilt = 0
	return kc
}

// keys runs "iamkit hostsync keys" with the environment's files and args
// (flags first, as sshd_config has them).
func (h *hsEnv) keys(args ...string) int {
	h.t.Helper()
	return h.run(append([]string{"keys", "--config", h.conf, "--state-dir", h.stateDir}, args...)...)
}

func TestHostsyncKeysFromCache(t *testing.T) {
	h := newHostsyncWorld(t, "IAM_AUTHORIZED_GROUPS=\"devs,ops\"\n")
	h.cacheKeys(time.Hour)
	alice := h.host.Keys("alice")
	require.Len(t, alice, 2)

	require.Equal(t, exitOK, h.keys("--live-fallback", "alice"), h.stderr.String())
	assert.Equal(t, alice[0].Body+" "+alice[0].ID+"\n"+alice[1].Body+" "+alice[1].ID+"\n", h.stdout.String())
	assert.Empty(t, h.stderr.String())

	// %f: only the key sshd asks about.
	require.Equal(t, exitOK, h.keys("alice", alice[1].Fingerprint))
	assert.Equal(t, alice[1].Body+" "+alice[1].ID+"\n", h.stdout.String())
	require.Equal(t, exitOK, h.keys("alice", h.host.Keys("bob")[0].Fingerprint))
	assert.Empty(t, h.stdout.String(), "bob's key is not alice's")

	assert.Zero(t, h.iamBuilt, "a fresh cache answers without AWS")
	assert.Zero(t, h.acct.CallsWithPrefix("iam:"))
}

func TestHostsyncKeysUnmanagedUsers(t *testing.T) {
	h := newHostsyncWorld(t, devsConf)
	h.cacheKeys(0)
	for _, user := range []string{"root", "ec2-user", "ubuntu", "nobody", "carol", "..", "bob.at.x.at.y", "a/b", strings.Repeat("a", 40)} {
		t.Run(user, func(t *testing.T) {
			assert.Equal(t, exitOK, h.keys("--live-fallback", user))
			assert.Empty(t, h.stdout.String())
			assert.Empty(t, h.stderr.String())
		})
	}
	// A user taken out of the marker group by an admin is not hostsync's
	// any more, whatever the cache still holds.
	h.host.RemoveFromGroup("alice", hostsync.DefaultMarkerGroup)
	assert.Equal(t, exitOK, h.keys("alice"))
	assert.Empty(t, h.stdout.String())
	assert.Zero(t, h.iamBuilt)
}

func TestHostsyncKeysFailClosed(t *testing.T) {
	h := newHostsyncWorld(t, devsConf)
	kc := h.cacheKeys(25 * time.Hour)

	assert.Equal(t, exitFailed, h.keys("alice"))
	assert.Empty(t, h.stdout.String())
	stderr := h.stderr.String()
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
	assert.True(t, strings.HasPrefix(stderr, "iamkit hostsync keys: hostsync: key cache is stale: last complete sync 25h0m0s ago"), stderr)
	assert.Zero(t, h.iamBuilt)

	// A longer --max-age trusts it.
	require.Equal(t, exitOK, h.keys("--max-age", "48h", "alice"))
	assert.Equal(t, 2, strings.Count(h.stdout.String(), "\n"))

	// An unsafe cache is never read.
	require.NoError(t, os.Chmod(kc.Dir, 0o777))
	assert.Equal(t, exitFailed, h.keys("--max-age", "48h", "--live-fallback", "alice"))
	assert.Contains(t, h.stderr.String(), "is group- or world-writable")
	assert.Empty(t, h.stdout.String())
	assert.Zero(t, h.iamBuilt, "an unsafe cache is an error, not a reason to ask IAM")
}

func TestHostsyncKeysLiveFallback(t *testing.T) {
	h := newHostsyncWorld(t, devsConf)
	h.cacheKeys(25 * time.Hour)
	ids := h.iamUser("carol", "devs", 0)
	require.Empty(t, ids)
	alice := h.host.Keys("alice")
	// alice deactivates one key in IAM; the stale cache still has both.
	_, err := h.acct.IAM().UpdateSSHPublicKey(context.Background(), &iam.UpdateSSHPublicKeyInput{
		UserName: aws.String("alice"), SSHPublicKeyId: aws.String(alice[0].ID), Status: types.StatusTypeInactive,
	})
	require.NoError(t, err)
	h.acct.ResetCalls()

	require.Equal(t, exitOK, h.keys("--live-fallback", "alice"), h.stderr.String())
	assert.Equal(t, alice[1].Body+" "+alice[1].ID+"\n", h.stdout.String(), "only the Active key, from IAM")
	assert.Equal(t, 1, h.iamBuilt)
	assert.Equal(t, 1, h.acct.Calls("iam:GetSSHPublicKey"), "the inactive key's body is not even fetched")

	// alice leaves the authorized group in IAM: the live lookup gives her
	// nothing, though the stale cache and her Active key still exist.
	_, err = h.acct.IAM().RemoveUserFromGroup(context.Background(), &iam.RemoveUserFromGroupInput{UserName: aws.String("alice"), GroupName: aws.String("devs")})
	require.NoError(t, err)
	require.Equal(t, exitOK, h.keys("--live-fallback", "alice"), h.stderr.String())
	assert.Empty(t, h.stdout.String(), "outside IAM_AUTHORIZED_GROUPS: no keys")
	_, err = h.acct.IAM().AddUserToGroup(context.Background(), &iam.AddUserToGroupInput{UserName: aws.String("alice"), GroupName: aws.String("devs")})
	require.NoError(t, err)

	// Without its configuration file, the live lookup refuses: the defaults
	// would authorize every IAM user.
	conf, err := os.ReadFile(h.conf)
	require.NoError(t, err)
	require.NoError(t, os.Remove(h.conf))
	assert.Equal(t, exitFailed, h.keys("--live-fallback", "alice"))
	assert.Empty(t, h.stdout.String())
	assert.Contains(t, h.stderr.String(), "does not exist")
	require.NoError(t, os.WriteFile(h.conf, conf, 0o644))

	// IAM failing too: fail closed, one line.
	h.acct.Throttle("iam:ListSSHPublicKeys", 0)
	assert.Equal(t, exitFailed, h.keys("--live-fallback", "alice"))
	assert.Empty(t, h.stdout.String())
	assert.Equal(t, 1, strings.Count(h.stderr.String(), "\n"))
	assert.Contains(t, h.stderr.String(), "key cache is stale")
	assert.Contains(t, h.stderr.String(), `live lookup of IAM user "alice" failed`)

	// A slow IAM: the lookup is cut at --timeout.
	h.acct.ClearFaults()
	h.acct.SetLatency("iam:ListSSHPublicKeys", time.Minute)
	start := time.Now()
	assert.Equal(t, exitFailed, h.keys("--live-fallback", "--timeout", "50ms", "alice"))
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Contains(t, h.stderr.String(), "deadline exceeded")
}

func TestHostsyncKeysNoCache(t *testing.T) {
	requireRoot(t)
	h := newHostsyncWorld(t, devsConf)
	require.Equal(t, exitOK, h.sync("apply")) // the fake host: no key cache on disk
	h.iamBuilt = 0
	assert.Equal(t, exitFailed, h.keys("alice"))
	assert.Contains(t, h.stderr.String(), "no key cache (never synced)")
	assert.Zero(t, h.iamBuilt)

	require.Equal(t, exitOK, h.keys("--live-fallback", "alice"), h.stderr.String())
	assert.Equal(t, 2, strings.Count(h.stdout.String(), "\n"))
	assert.Equal(t, 1, h.iamBuilt)
}

func TestHostsyncKeysBadConfig(t *testing.T) {
	h := newHostsyncWorld(t, "LOCAL_MARKER_GROUP=\"bad group\"\n")
	assert.Equal(t, exitFailed, h.keys("alice"))
	assert.Equal(t, 1, strings.Count(h.stderr.String(), "\n"))
	assert.Contains(t, h.stderr.String(), "LOCAL_MARKER_GROUP")

	// A missing configuration is the default one.
	require.NoError(t, os.Remove(h.conf))
	assert.Equal(t, exitOK, h.keys("root"))
}

func TestDemoHostsyncChapter(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitOK, e.run("demo"), e.stderr.String())
	out := e.stdout.String()
	i := strings.Index(out, ". Her SSH key on a Linux host: hostsync ==")
	require.Positive(t, i, "the hostsync chapter is played")
	assert.Less(t, i, strings.Index(out, ". Offboarding, step 1"), "while alice still exists")
	ch := out[i:strings.Index(out, ". Offboarding, step 1")]
	for _, want := range []string{
		"$ iamkit hostsync plan --config $DEMO/aws-ec2-ssh.conf --state-dir $DEMO/host\n  hostsync plan: 4 actions, 0 skipped",
		"The dry run changed nothing on the host.",
		"hostsync apply: 4 done, 0 already done, 0 failed",
		"alice: uid ", "groups alice,iam-synced-users,docker, sudo true, locked false",
		"(her laptop's key)",
		"  hostsync: in sync, nothing to do\n",
		"The next sync finds nothing to do and costs 2 IAM calls: iam:GetGroup=1 iam:ListSSHPublicKeys=1.",
		"is deactivated in IAM\n(aws iam update-ssh-public-key --status Inactive). The next plan:\n$ iamkit hostsync plan",
		"hostsync plan: 1 actions",
		"write-keys alice (remove all keys): keys changed: remove APKA",
		"Applied: alice keeps her account",
	} {
		assert.Contains(t, ch, want)
	}
	assert.Regexp(t, `done\s+create-user alice uid=\d+ groups=iam-synced-users,docker`, ch)
	assert.Regexp(t, `(?m)^  ssh-ed25519 AAAA\S+\.\.\. APKA\w+$`, ch)
	assert.Equal(t, 2, strings.Count(ch, "$ iamkit hostsync plan --config $DEMO/aws-ec2-ssh.conf --state-dir $DEMO/host\n"), "two plans")
	assert.Equal(t, 3, strings.Count(ch, "$ iamkit hostsync apply --config $DEMO/aws-ec2-ssh.conf --state-dir $DEMO/host --lock-file $DEMO/host/hostsync.lock\n"), "three applies")
	assert.NotContains(t, ch, "ec2-user:", "unmanaged users are not listed")
}
