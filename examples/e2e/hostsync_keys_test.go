package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/internal/testenv"
)

// diskHost is the fake host with a real key cache on disk: accounts,
// groups, sudo and state stay in memory, while the keys and the heartbeat
// that hostsync.Sync writes go to the KeyCache that hostsync-keys reads.
type diskHost struct {
	*iamkittest.Host
	keys hostsync.KeyCache
}

func (h *diskHost) ReadKeys(_ context.Context, name string) ([]hostsync.Key, error) {
	return h.keys.Read(name)
}

func (h *diskHost) WriteKeys(_ context.Context, name string, keys []hostsync.Key) error {
	if len(keys) == 0 {
		return h.keys.Remove(name)
	}
	_, err := h.keys.Write(name, keys)
	return err
}

func (h *diskHost) MarkSynced(_ context.Context, t time.Time) error { return h.keys.MarkSynced(t) }

func (h *diskHost) Delete(ctx context.Context, name string) error {
	if err := h.keys.Remove(name); err != nil {
		return err
	}
	return h.Host.Delete(ctx, name)
}

var _ hostsync.System = (*diskHost)(nil)

// writeEtc writes root/etc/passwd and root/etc/group for the accounts of
// sys, as useradd would have left them.
func writeEtc(t *testing.T, sys hostsync.System, root string) {
	t.Helper()
	users, err := sys.ListUsers(t.Context())
	require.NoError(t, err)
	var passwd strings.Builder
	members := map[string][]string{}
	for _, u := range users {
		fmt.Fprintf(&passwd, "%s:x:%d:%d::/home/%s:/bin/bash\n", u.Name, u.UID, u.UID, u.Name)
		for _, g := range u.Groups {
			members[g] = append(members[g], u.Name)
		}
	}
	var group strings.Builder
	gid := 3000
	for _, g := range slices.Sorted(func(yield func(string) bool) {
		for g := range members {
			if !yield(g) {
				return
			}
		}
	}) {
		fmt.Fprintf(&group, "%s:x:%d:%s\n", g, gid, strings.Join(members[g], ","))
		gid++
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte(passwd.String()), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "group"), []byte(group.String()), 0o644))
}

// hostsync-keys answers sshd from the key cache that a library sync wrote
// from users read over the wire, and makes no request at all — even with
// AWS_ENDPOINT_URL and valid keys in its environment, and even when the
// cache is too old to answer.
func TestHostsyncKeys(t *testing.T) {
	t.Parallel()
	bin(t, hostsyncKeysBin) // skips under -short
	testenv.RequireRoot(t, "hostsync's key cache must be owned by root")
	w := newWorld(t)
	ctx := t.Context()
	acct := w.srv.Account()
	users := w.seedFleet()
	conf := w.writeConfig("aws-ec2-ssh.conf", "IAM_AUTHORIZED_GROUPS=\"ssh-users\"\nSUDOERS_GROUPS=\"admins\"\nLOCAL_MARKER_GROUP=\"iamkit-e2e-synced\"\n")
	cfg, err := hostsync.ReadConfigFile(conf)
	require.NoError(t, err)
	state := filepath.Join(w.home, "state")
	host := &diskHost{Host: iamkittest.NewHost(), keys: hostsync.StateDir{Root: state}.KeyCache()}

	acct.ResetCalls()
	_, report, err := hostsync.Sync(ctx, iamsource.NewIAMSource(iam.NewFromConfig(w.cfg), cfg), host, cfg)
	require.NoError(t, err)
	require.NoError(t, report.Err())
	require.Equal(t, 2, acct.Calls("iam:ListSSHPublicKeys"), "the sync read alice's and bob's keys over the wire")
	last, err := host.keys.LastSync()
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), last, time.Minute, "Sync recorded the heartbeat")
	root := filepath.Join(w.home, "root")
	writeEtc(t, host, root)

	line := func(u string) string { return users[u].key.Body + " " + users[u].key.ID + "\n" }
	acct.ResetCalls()
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "alice", args: []string{"alice"}, stdout: line("alice")},
		{name: "bob by fingerprint", args: []string{"bob", users["bob"].key.Fingerprint}, stdout: line("bob")},
		{name: "bob, another fingerprint", args: []string{"bob", users["alice"].key.Fingerprint}},
		{name: "dave: not authorized, not on the host", args: []string{"dave"}},
		{name: "ec2-user: not managed", args: []string{"ec2-user"}},
		{name: "root: not managed", args: []string{"root"}},
		{name: "stale cache fails closed", args: []string{"--max-age", "1ns", "alice"}, code: 1, stderr: "key cache is stale"},
		{name: "usage", args: []string{}, code: 2, stderr: "want USER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--state-dir", state, "--config", conf, "--root", root}, tc.args...)
			r := w.run(hostsyncKeysBin, nil, "", args...)
			assert.Equal(t, tc.code, r.code, r)
			assert.Equal(t, tc.stdout, r.stdout, r)
			if tc.stderr == "" {
				assert.Empty(t, r.stderr)
			} else {
				assert.Contains(t, r.stderr, tc.stderr)
			}
		})
	}
	assert.Empty(t, acct.CallCounts(), "hostsync-keys never calls AWS")

	// iamkit hostsync keys answers the same from a fresh cache, without a
	// call; past --max-age, --live-fallback asks IAM over the wire under
	// the sync's rules: bob, who left the authorized group since the sync,
	// gets nothing.
	_, err = iam.NewFromConfig(w.cfg).RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("bob"), GroupName: aws.String("ssh-users")})
	require.NoError(t, err)
	keys := func(args ...string) result {
		t.Helper()
		return w.iamkit(append([]string{"hostsync", "keys", "--state-dir", state, "--config", conf, "--root", root}, args...)...)
	}
	acct.ResetCalls()
	r := keys("alice")
	assert.Equal(t, 0, r.code, r)
	assert.Equal(t, line("alice"), r.stdout)
	r = keys("bob")
	assert.Equal(t, line("bob"), r.stdout, "the cache answers until the next sync")
	assert.Empty(t, acct.CallCounts(), "a fresh cache answers offline")

	r = keys("--live-fallback", "--max-age", "1ns", "alice")
	assert.Equal(t, 0, r.code, r)
	assert.Equal(t, line("alice"), r.stdout)
	assert.Positive(t, acct.Calls("iam:ListSSHPublicKeys"), "the live lookup went over the wire")
	t.Logf("hostsync keys --live-fallback: %s", acct.CallSummary())
	r = keys("--live-fallback", "--max-age", "1ns", "bob")
	assert.Empty(t, r.stdout, "bob is no longer authorized: no keys\n%s", r)
	r = keys("--max-age", "1ns", "alice")
	assert.Equal(t, 1, r.code, "stale without --live-fallback: fail closed\n%s", r)
	assert.Empty(t, r.stdout)
}
