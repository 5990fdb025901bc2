package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/iamsource"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
)

const snapshotURL = "s3://acme-fleet/hostsync/snapshot.json"

// newSnapshotEnv is a hostsync environment whose account holds alice (in
// devs, two keys) and a published fleet snapshot of devs.
func newSnapshotEnv(t *testing.T) *hsEnv {
	t.Helper()
	h := newHostsyncEnv(t, "IAM_AUTHORIZED_GROUPS=\"devs\"\n")
	h.hs.newS3 = func(context.Context) (s3snapshot.SnapshotGetAPI, error) { return h.acct.S3(), nil }
	h.createGroup("devs")
	h.iamUser("alice", "devs", 2)
	ctx := context.Background()
	_, err := h.acct.S3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("acme-fleet")})
	require.NoError(t, err)
	cfg := hostsync.Config{AuthorizedGroups: []string{"devs"}}
	snap, err := iamsource.BuildSnapshot(ctx, iamsource.NewIAMSource(h.acct.IAM(), cfg), h.acct.ID(), h.acct.Clock().Now())
	require.NoError(t, err)
	_, err = s3snapshot.Publish(ctx, h.acct.S3(), "acme-fleet", "hostsync/snapshot.json", snap)
	require.NoError(t, err)
	h.acct.ResetCalls()
	return h
}

func TestHostsyncApplyFromSnapshot(t *testing.T) {
	h := newSnapshotEnv(t)
	require.Equal(t, exitOK, h.sync("apply", "--snapshot", snapshotURL, "--snapshot-account", h.acct.ID()), h.stderr.String())
	assert.Contains(t, h.stdout.String(), "hostsync apply: 3 done")
	assert.Equal(t, []string{"alice"}, h.managedUsers())
	assert.Len(t, h.host.Keys("alice"), 2)
	assert.Zero(t, h.acct.CallsWithPrefix("iam:"), "a snapshot sync never calls IAM")
	assert.Zero(t, h.iamBuilt, "nor builds an IAM client")
	assert.Equal(t, 1, h.acct.Calls("s3:GetObject"))
	_, err := os.Stat(filepath.Join(h.stateDir, hostsync.StateSnapshotFile))
	require.NoError(t, err, "the last good snapshot is kept in the state directory")

	// The next run, a new process: one conditional GET, answered 304 from
	// the cached ETag, and nothing to do.
	require.Equal(t, exitOK, h.sync("apply", "--snapshot", snapshotURL, "--snapshot-account", h.acct.ID()), h.stderr.String())
	assert.Equal(t, "hostsync: in sync, nothing to do\n", h.stdout.String())
	assert.Equal(t, 2, h.acct.Calls("s3:GetObject"))
}

func TestHostsyncSnapshotRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"another account's", []string{"--snapshot", snapshotURL, "--snapshot-account", "999999999999"}, exitFailed, "999999999999"},
		{"no such object", []string{"--snapshot", "s3://acme-fleet/other.json", "--snapshot-account", "123456789012"}, exitFailed, "other.json"},
		{"no account", []string{"--snapshot", snapshotURL}, exitUsage, "--snapshot needs --snapshot-account"},
		{"account alone", []string{"--snapshot-account", "123456789012"}, exitUsage, "--snapshot-account needs --snapshot"},
		{"not s3", []string{"--snapshot", "https://example.com/x.json", "--snapshot-account", "123456789012"}, exitUsage, "--snapshot:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, cmd := range []string{"plan", "apply"} {
				h := newSnapshotEnv(t)
				assert.Equal(t, tc.code, h.sync(cmd, tc.args...), h.stderr.String())
				assert.Contains(t, h.stderr.String(), tc.err)
				assert.Zero(t, h.host.Writes(), "nothing changes on the host")
				assert.Zero(t, h.acct.CallsWithPrefix("iam:"))
			}
		})
	}
}
