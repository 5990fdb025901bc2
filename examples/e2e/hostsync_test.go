package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/internal/testenv"
)

// fleetUser is an IAM user seeded for the host-sync tests, with one SSH key.
type fleetUser struct {
	name, id string
	groups   []string
	key      hostsync.Key // ID, Body, Fingerprint
}

// seedFleet creates, over the wire, the groups ssh-users and admins and
// the users alice (ssh-users, admins), bob (ssh-users) and dave (no group),
// each with one Active ed25519 key; and the bucket "fleet".
func (w *world) seedFleet() map[string]fleetUser {
	w.t.Helper()
	ctx := w.t.Context()
	client := iam.NewFromConfig(w.cfg)
	for _, g := range []string{"ssh-users", "admins"} {
		_, err := client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(g)})
		require.NoError(w.t, err)
	}
	users := map[string]fleetUser{}
	for _, u := range []fleetUser{
		{name: "alice", groups: []string{"ssh-users", "admins"}},
		{name: "bob", groups: []string{"ssh-users"}},
		{name: "dave"},
	} {
		out, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u.name)})
		require.NoError(w.t, err)
		u.id = aws.ToString(out.User.UserId)
		for _, g := range u.groups {
			_, err := client.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(u.name), GroupName: aws.String(g)})
			require.NoError(w.t, err)
		}
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(w.t, err)
		k, err := ssh.NewPublicKey(pub)
		require.NoError(w.t, err)
		body := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
		up, err := client.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String(u.name), SSHPublicKeyBody: aws.String(body)})
		require.NoError(w.t, err)
		u.key = hostsync.Key{ID: aws.ToString(up.SSHPublicKey.SSHPublicKeyId), Body: body, Fingerprint: ssh.FingerprintSHA256(k)}
		users[u.name] = u
	}
	_, err := w.s3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("fleet")})
	require.NoError(w.t, err)
	return users
}

// s3 returns an S3 client on the server, as the root.
func (w *world) s3() *s3.Client {
	return s3.NewFromConfig(w.cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// writeConfig writes an aws-ec2-ssh.conf into HOME and returns its path.
func (w *world) writeConfig(name, content string) string {
	w.t.Helper()
	p := filepath.Join(w.home, name)
	require.NoError(w.t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// iamkit hostsync publish writes the fleet snapshot to S3 on the server
// (once: an unchanged snapshot is not rewritten), and hostsyncd, in a dry
// run, reads it back with one GET and no IAM call — then, without
// --snapshot, reads the same users from live IAM.
func TestHostsyncPublishAndDaemon(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	acct := w.srv.Account()
	users := w.seedFleet()

	acct.ResetCalls()
	r := w.iamkit("hostsync", "publish", "--bucket", "fleet", "--groups", "ssh-users", "--sudoers-groups", "admins")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 1, acct.Calls("s3:PutObject"))
	assert.Equal(t, 2, acct.Calls("iam:ListSSHPublicKeys"), "alice's and bob's keys; dave is in no authorized group")
	t.Logf("hostsync publish: %d calls: %s", sum(acct.CallCounts()), acct.CallSummary())

	obj, err := w.s3().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("fleet"), Key: aws.String("hostsync/snapshot.json")})
	require.NoError(t, err)
	data, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	require.NoError(t, err)
	var snap hostsync.Snapshot
	require.NoError(t, json.Unmarshal(data, &snap))
	assert.Equal(t, acct.ID(), snap.Account)
	assert.Equal(t, []string{"ssh-users"}, snap.AuthorizedGroups)
	require.Len(t, snap.Users, 2)
	assert.Contains(t, string(data), users["alice"].key.ID)
	assert.Contains(t, string(data), users["bob"].key.ID)
	assert.NotContains(t, string(data), users["dave"].key.ID)

	acct.ResetCalls()
	r = w.iamkit("hostsync", "publish", "--bucket", "fleet", "--groups", "ssh-users", "--sudoers-groups", "admins")
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 0, acct.Calls("s3:PutObject"), "unchanged: not rewritten\n%s", r)

	conf := w.writeConfig("aws-ec2-ssh.conf", "IAM_AUTHORIZED_GROUPS=\"ssh-users\"\nSUDOERS_GROUPS=\"admins\"\nLOCAL_MARKER_GROUP=\"iamkit-e2e-synced\"\n")
	state := filepath.Join(w.home, "state")
	daemon := []string{"--once", "--dry-run", "--config", conf, "--state-dir", state, "--lock-file", filepath.Join(w.home, "hostsync.lock")}

	acct.ResetCalls()
	r = w.run(hostsyncdBin, nil, "", append(daemon, "--snapshot", "s3://fleet/hostsync/snapshot.json", "--snapshot-account", acct.ID())...)
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, map[string]int{"s3:GetObject": 1}, acct.CallCounts(), "one GET, no IAM call")
	want := []string{
		"save-state", "create-user alice", "create-user bob", "grant-sudo alice",
		"write-keys alice " + users["alice"].key.ID + "=" + users["alice"].key.Fingerprint,
		"write-keys bob " + users["bob"].key.ID + "=" + users["bob"].key.Fingerprint,
	}
	assert.ElementsMatch(t, want, plannedActions(t, r.stderr), r.stderr)

	acct.ResetCalls()
	r = w.run(hostsyncdBin, nil, "", daemon...)
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 2, acct.Calls("iam:ListSSHPublicKeys"))
	assert.Equal(t, 0, acct.CallsWithPrefix("s3:"))
	assert.ElementsMatch(t, want, plannedActions(t, r.stderr), "the same plan from live IAM as from the snapshot\n%s", r.stderr)
	t.Logf("hostsyncd live: %d calls: %s", sum(acct.CallCounts()), acct.CallSummary())

	// ASSUMEROLE: the binary assumes the role once (the SDK's AssumeRole
	// credentials provider, through the server's STS) and reads IAM with the
	// session credentials, which the server verifies.
	roleARN := w.createRole("hostsync-read", map[string]any{"AWS": "arn:aws:iam::" + acct.ID() + ":root"})
	assumeConf := w.writeConfig("assume.conf", "IAM_AUTHORIZED_GROUPS=\"ssh-users\"\nSUDOERS_GROUPS=\"admins\"\nLOCAL_MARKER_GROUP=\"iamkit-e2e-synced\"\nASSUMEROLE=\""+roleARN+"\"\n")
	acct.ResetCalls()
	r = w.run(hostsyncdBin, nil, "", "--once", "--dry-run", "--config", assumeConf, "--state-dir", state, "--lock-file", filepath.Join(w.home, "hostsync.lock"))
	require.Equal(t, 0, r.code, r)
	assert.Equal(t, 1, acct.Calls("sts:AssumeRole"))
	assert.Equal(t, 2, acct.Calls("iam:ListSSHPublicKeys"))
	assert.ElementsMatch(t, want, plannedActions(t, r.stderr), "the same plan through the role\n%s", r.stderr)
	t.Logf("hostsyncd ASSUMEROLE: %d calls: %s", sum(acct.CallCounts()), acct.CallSummary())

	// A dry run writes nothing: no state, key cache or snapshot cache.
	entries, err := os.ReadDir(state)
	if !os.IsNotExist(err) {
		require.NoError(t, err)
		assert.Empty(t, entries)
	}
}

// plannedActions returns the actions a dry run logged ("hostsync: would
// run" records of hostsyncd's JSON logs) as "ACTION [USER [KEYS]]".
func plannedActions(t *testing.T, logs string) []string {
	t.Helper()
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		if rec["msg"] != "hostsync: would run" {
			continue
		}
		words := []string{}
		for _, k := range []string{"action", "user", "keys"} {
			if v, ok := rec[k].(string); ok {
				words = append(words, v)
			}
		}
		actions = append(actions, strings.Join(words, " "))
	}
	return actions
}

// hostsyncd as a daemon (dry run): it syncs at start, syncs again at once
// on SIGHUP after reloading its configuration, and exits 0 on SIGTERM —
// each sync one read of IAM over the wire.
func TestHostsyncdDaemon(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	acct := w.srv.Account()
	users := w.seedFleet()
	conf := w.writeConfig("aws-ec2-ssh.conf", "IAM_AUTHORIZED_GROUPS=\"ssh-users\"\nLOCAL_MARKER_GROUP=\"iamkit-e2e-synced\"\n")

	acct.ResetCalls()
	d := w.start(hostsyncdBin, nil, "--dry-run", "--interval", "1h", "--config", conf,
		"--state-dir", filepath.Join(w.home, "state"), "--lock-file", filepath.Join(w.home, "hostsync.lock"))
	d.waitLogged("hostsyncd: sync succeeded", 1)
	assert.Equal(t, 2, acct.Calls("iam:ListSSHPublicKeys"), "alice and bob")

	// bob leaves ssh-users; SIGHUP syncs at once, and the plan drops him.
	_, err := iam.NewFromConfig(w.cfg).RemoveUserFromGroup(t.Context(), &iam.RemoveUserFromGroupInput{UserName: aws.String("bob"), GroupName: aws.String("ssh-users")})
	require.NoError(t, err)
	d.signal(syscall.SIGHUP)
	d.waitLogged("hostsyncd: sync succeeded", 2)
	assert.Contains(t, d.logs(), "hostsyncd: SIGHUP: configuration reloaded")
	assert.Equal(t, 3, acct.Calls("iam:ListSSHPublicKeys"), "then alice only")
	assert.Equal(t, 2, acct.Calls("iam:GetSSHPublicKey"), "key bodies are fetched once: the key body cache outlives a sync")

	code, logs := d.stop(syscall.SIGTERM)
	assert.Equal(t, 0, code, logs)
	assert.Contains(t, logs, "hostsyncd: stopped")
	second := logs[strings.Index(logs, "SIGHUP"):]
	assert.Contains(t, second, `"action":"create-user","user":"alice"`)
	assert.NotContains(t, second, `"user":"bob"`, "bob is no longer planned")
	assert.NotContains(t, logs, users["alice"].key.Body[len("ssh-ed25519 "):], "key bodies are never logged")
	t.Logf("hostsyncd daemon, two syncs: %d calls: %s", sum(acct.CallCounts()), acct.CallSummary())
}

// hostsyncd --dry-run says it works without root. Run as nobody (when the
// test runs as root), it must plan from live IAM like root does.
func TestHostsyncdDryRunWithoutRoot(t *testing.T) {
	t.Parallel()
	bin(t, hostsyncdBin)
	testenv.RequireRoot(t, "to start hostsyncd as another user; as non-root, TestHostsyncPublishAndDaemon covers it")
	w := newWorld(t)
	acct := w.srv.Account()
	w.seedFleet()
	// A directory nobody can read and write: t.TempDir's parent is
	// private to root.
	dir, err := os.MkdirTemp("", "iamkit-e2e-nobody-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o777))
	conf := filepath.Join(dir, "aws-ec2-ssh.conf")
	require.NoError(t, os.WriteFile(conf, []byte("IAM_AUTHORIZED_GROUPS=\"ssh-users\"\nLOCAL_MARKER_GROUP=\"iamkit-e2e-synced\"\n"), 0o644))

	acct.ResetCalls()
	ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin(t, hostsyncdBin), "--once", "--dry-run", "--config", conf,
		"--state-dir", filepath.Join(dir, "state"), "--lock-file", filepath.Join(dir, "hostsync.lock"))
	cmd.Env = w.environ(map[string]string{"HOME": dir})
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, 2, acct.Calls("iam:ListSSHPublicKeys"))
	assert.Contains(t, plannedActions(t, string(out)), "create-user alice")
}
