package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemoFleetChapter(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, exitOK, e.run("demo"), e.stderr.String())
	out := e.stdout.String()
	i := strings.Index(out, ". A fleet: one snapshot in S3, two hosts sync from it ==")
	require.Positive(t, i, "the fleet chapter is played")
	end := strings.Index(out[i:], "\n== ")
	require.Positive(t, end)
	ch := out[i : i+end]
	for _, want := range []string{
		"$ iamkit hostsync publish --bucket iamkit-fleet --key hostsync/snapshot.json --groups developers --sudoers-groups developers\n",
		"s3://iamkit-fleet/hostsync/snapshot.json written (no object yet): 1 users, 1 keys",
		"The calls it made: iam:GetGroup=1 iam:GetSSHPublicKey=1 iam:ListSSHPublicKeys=1 s3:GetObject=1 s3:PutObject=1 sts:GetCallerIdentity=1",
		"$ iamkit hostsync apply --config $DEMO/aws-ec2-ssh.conf --state-dir $DEMO/fleet-host1 --lock-file $DEMO/fleet-host1/hostsync.lock --snapshot s3://iamkit-fleet/hostsync/snapshot.json --snapshot-account 123456789012\n",
		"Host 1: alice has uid ", "Host 2: alice has uid ",
		"The hosts' calls: s3:GetObject=2 (no IAM call from the hosts)",
		"unchanged: nothing written (1 users, 1 keys",
		"The calls of the whole\ncycle:\n  iam:GetGroup=1 iam:GetSSHPublicKey=1 iam:ListSSHPublicKeys=1 s3:GetObject=3 sts:GetCallerIdentity=1\n",
		"malformed snapshot: content_sha256",
		"snapshot refused; the last good one stays, nothing changes",
		"written (the object in place is not a valid snapshot",
		"The publisher finds the object invalid and rewrites it; host 1 syncs again:\n$ iamkit hostsync apply",
	} {
		assert.Contains(t, ch, want)
	}
	assert.Equal(t, 2, strings.Count(ch, "hostsync apply: 4 done, 0 already done, 0 failed"), "each host applied the snapshot")
	assert.Equal(t, 3, strings.Count(ch, "  hostsync: in sync, nothing to do\n"), "two steady-state syncs and one after the repair")
	assert.Zero(t, e.iamBuilt, "the demo does not use the test's IAM seam")
}
